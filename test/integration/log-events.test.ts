/**
 * CloudWatch Logs as a source: subscription events of vended ELB records
 * through the ingest engine, against the test OTLP receiver. Each message is
 * the record its classic line gives, under a resource naming the account
 * (the envelope's owner), the function's Region and the log group; a record's
 * `log.record.uid` comes from its event id, so a retried invocation sends the
 * same records. A failed delivery throws (Lambda retries the whole event,
 * then dead-letters it); a control message ships nothing. S3 is not used.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExportConfig } from '../../shared/config/export-config.ts';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import { InputValidationError } from '../../shared/contract/errors.ts';
import { createIngest } from '../../shared/ingest/ingest-event.ts';
import { LogEventsError } from '../../shared/ingest/log-events.ts';
import { createOtlpExporter, SYSTEM_CLOCK } from '../../shared/otlp/exporter.ts';
import { awslogsEvent, eventIds } from '../helpers/awslogs.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { parseObject } from '../helpers/records.ts';
import { startS3, type TestS3 } from '../helpers/s3.ts';
import { row, SAMPLES } from '../helpers/vended-samples.ts';

const ACCOUNT = '123456789012';
const LOG_GROUP = '/aws/vendedlogs/elasticloadbalancing/my-loadbalancer';
const STREAM = 'ALB_ACCESS_LOGS-0';
const ACCESS = SAMPLES.filter((s) => s.logType === 'ALB_ACCESS_LOGS');
const HEALTH = SAMPLES.filter((s) => s.logType === 'ALB_HEALTH_CHECK_LOGS');

let receiver: OtlpReceiver;
let s3: TestS3;
beforeAll(async () => {
  [receiver, s3] = await Promise.all([startOtlpReceiver(), startS3()]);
});
afterAll(async () => {
  await Promise.all([receiver.close(), s3.close()]);
});

async function invoke(event: unknown, env: Record<string, string> = {}, endpoint = receiver.url) {
  const config = loadExportConfig({ ELB_OTLP_MAX_RETRY_TIME: '1s', ...env }, { endpoint });
  const exporter = createOtlpExporter(config, SYSTEM_CLOCK);
  const said: string[] = [];
  const log = (message: unknown, ..._details: unknown[]) => {
    said.push(String(message));
  };
  const ingest = createIngest(() => ({
    s3: s3.client,
    exporter,
    config,
    mapping: loadMappingConfig(env),
    now: () => Date.now(),
    logger: { info: log, warn: log, error: log },
    handoffBytes: 256 * 1024 * 1024,
    deleteProcessed: false,
    region: 'us-east-2',
  }));
  try {
    return { answer: await ingest(event, { getRemainingTimeInMillis: () => 60_000 }), said };
  } finally {
    await exporter.close();
  }
}

/** Every record the receiver took: its resource's attributes and the record, uid and body aside. */
function delivered() {
  return receiver.requests.flatMap((request) =>
    (request.body?.resourceLogs ?? []).flatMap((rl) =>
      rl.scopeLogs.flatMap((sl) =>
        sl.logRecords.map((record) => ({
          resource: rl.resource,
          uid: (record.attributes ?? []).find((a) => a.key === 'log.record.uid')?.value,
          record: {
            ...record,
            body: undefined,
            attributes: (record.attributes ?? []).filter((a) => a.key !== 'log.record.uid'),
          },
        })),
      ),
    ),
  );
}

describe('CloudWatch Logs subscription events', () => {
  it('ship each message as the record its classic line gives, ids from the events, twice the same', async () => {
    const envelope = {
      owner: ACCOUNT,
      logGroup: LOG_GROUP,
      logStream: STREAM,
      messages: HEALTH.map((s) => JSON.stringify(s.record)),
    };
    receiver.requests.length = 0;
    const { answer } = await invoke(awslogsEvent(envelope));
    expect(answer).toMatchObject({
      logGroup: LOG_GROUP,
      logStream: STREAM,
      events: HEALTH.length,
      lines: HEALTH.length,
      accepted: HEALTH.length,
      failed: 0,
      parseErrors: 0,
    });
    const first = delivered();
    const [prefix] = String((first[0].uid as { stringValue: string }).stringValue).split(':');
    expect(first.map((d) => d.uid)).toEqual(
      eventIds(envelope).map((id) => ({ stringValue: `${prefix}:${id}` })),
    );
    // The classic lines' records, but for the resource: this one names the log group.
    for (const [i, sample] of HEALTH.entries()) {
      const classic = await parseObject(`${sample.classic}\n`, { format: sample.format });
      const { attributes, body: _body, ...rest } = classic.records[0];
      expect(first[i].record).toMatchObject({
        ...rest,
        observedTimeUnixNano: expect.any(String),
        attributes: attributes.filter((a) => a.key !== 'log.record.uid'),
      });
    }
    expect(first[0].resource?.attributes).toEqual(
      expect.arrayContaining([
        { key: 'cloud.account.id', value: { stringValue: ACCOUNT } },
        { key: 'cloud.region', value: { stringValue: 'us-east-2' } },
        {
          key: 'cloud.resource_id',
          value: {
            stringValue: `arn:aws:elasticloadbalancing:us-east-2:${ACCOUNT}:loadbalancer/app/my-loadbalancer/50dc6c495c0c9188`,
          },
        },
        {
          key: 'aws.log.group.names',
          value: { arrayValue: { values: [{ stringValue: LOG_GROUP }] } },
        },
        {
          key: 'aws.log.stream.names',
          value: { arrayValue: { values: [{ stringValue: STREAM }] } },
        },
      ]),
    );
    // The same event again (a retried invocation): the same records, the same ids.
    receiver.requests.length = 0;
    await invoke(awslogsEvent(envelope));
    expect(delivered()).toEqual(
      first.map((d) => ({
        ...d,
        record: { ...d.record, observedTimeUnixNano: expect.any(String) },
      })),
    );
  });

  it('reads plain messages with the delivery’s fields', async () => {
    const fields = Object.keys(ACCESS[0].record);
    const messages = ACCESS.map((s) => row(s.record, fields, '\t'));
    receiver.requests.length = 0;
    const { answer } = await invoke(
      awslogsEvent({ owner: ACCOUNT, logGroup: LOG_GROUP, logStream: STREAM, messages }),
      { ELB_OTLP_VENDED_FIELDS: fields.join(',') },
    );
    expect(answer).toMatchObject({ lines: ACCESS.length, accepted: ACCESS.length, parseErrors: 0 });
  });

  it('ship nothing for a control message', async () => {
    receiver.requests.length = 0;
    const { answer } = await invoke(
      awslogsEvent({
        owner: 'CloudwatchLogs',
        logGroup: '',
        logStream: '',
        messageType: 'CONTROL_MESSAGE',
        messages: ['CWL CONTROL MESSAGE: Checking health of destination Lambda.'],
      }),
    );
    expect(answer).toMatchObject({ messageType: 'CONTROL_MESSAGE', lines: 0 });
    expect(receiver.requests).toHaveLength(0);
  });

  it('throw when a record was not delivered, so Lambda retries the event whole', async () => {
    const event = awslogsEvent({
      owner: ACCOUNT,
      logGroup: LOG_GROUP,
      logStream: STREAM,
      messages: [JSON.stringify(HEALTH[0].record)],
    });
    await expect(invoke(event, {}, 'http://127.0.0.1:9/v1/logs')).rejects.toThrow(LogEventsError);
  });

  it('refuse an event whose data does not decode, naming why', async () => {
    await expect(invoke({ awslogs: { data: 'bm90IGd6aXA=' } })).rejects.toThrow(
      InputValidationError,
    );
  });
});
