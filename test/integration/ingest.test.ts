/**
 * The ingest handler against s3rver and the test OTLP receiver, with every
 * notification shape it accepts. Two stand-ins: the Lambda context (no
 * local Lambda runtime) and the state machine starter, a recorder in place
 * of Step Functions' StartExecution (no local Step Functions API).
 */

import { gzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExportConfig } from '../../shared/config/export-config.ts';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import { generateAlbConnectionLines, generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { createIngest, IngestError, type IngestSummary } from '../../shared/ingest/ingest-event.ts';
import { handoffName } from '../../shared/ingest/ingest-object.ts';
import { createOtlpExporter, SYSTEM_CLOCK } from '../../shared/otlp/exporter.ts';
import { isGzip } from '../../shared/s3/compression.ts';
import { lineCount, NOT_A_LOG } from '../helpers/not-a-log.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';
import { uids } from '../helpers/ship.ts';
import { startStrictS3 } from '../helpers/strict-s3.ts';

const DAY = 'AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/27/';
const logName = (n: number, conn = false) =>
  `${conn ? 'conn_log_' : ''}123456789012_elasticloadbalancing_us-east-2_app.shop.0123456789abcdef_20261127T10${String(n).padStart(2, '0')}Z_10.0.0.${n}_i${n}.log.gz`;
const lines = (count: number, seed: number, conn = false) =>
  `${[...(conn ? generateAlbConnectionLines(count, { seed }) : generateAlbLines(count, { seed }))].join('\n')}\n`;
/** S3 event notifications form-encode keys: a space is `+`, `=` is `%3D`. */
const encode = (key: string) => encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');

const s3Record = (key: string, eventName = 'ObjectCreated:Put') => ({
  eventVersion: '2.1',
  eventSource: 'aws:s3',
  awsRegion: 'us-east-2',
  eventTime: '2026-11-27T10:05:01.000Z',
  eventName,
  s3: {
    s3SchemaVersion: '1.0',
    configurationId: 'elb-otlp',
    bucket: { name: TEST_BUCKET, arn: `arn:aws:s3:::${TEST_BUCKET}` },
    object: { key: encode(key), size: 1, sequencer: '0065650A1B2C3D4E5F' },
  },
});
const sqsMessage = (id: string, body: unknown) => ({
  messageId: id,
  receiptHandle: `handle-${id}`,
  body: JSON.stringify(body),
  attributes: {},
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-2:123456789012:elb-otlp-ingest',
  awsRegion: 'us-east-2',
});
const eventBridge = (key: string) => ({
  version: '0',
  id: '17793124-05d4-b198-2fde-7ededc63b103',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  account: '123456789012',
  time: '2026-11-27T10:05:01Z',
  region: 'us-east-2',
  resources: [`arn:aws:s3:::${TEST_BUCKET}`],
  detail: {
    version: '0',
    bucket: { name: TEST_BUCKET },
    object: {
      key,
      size: 1,
      etag: 'b1946ac92492d2347c6235b4d2611184',
      sequencer: '00617F08299329D189',
    },
    'request-id': 'N4N7GDK58NMKJ12R',
    requester: '123456789012',
    reason: 'PutObject',
  },
});

let s3: TestS3;
let receiver: OtlpReceiver;
const counts = new Map<string, number>();
beforeAll(async () => {
  s3 = await startS3();
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
  await s3.close();
});

async function put(key: string, count: number, seed: number, conn = false): Promise<string> {
  counts.set(key, count);
  await s3.put(key, gzipSync(lines(count, seed, conn)));
  return key;
}

interface Options {
  deleteProcessed?: boolean;
  handoffBytes?: number;
  maxRetryTime?: string;
  remainingMs?: number;
  /** The state machine refuses every hand-off. */
  handoffFails?: boolean;
  /** S3 as the function sees it (default: s3rver itself). */
  client?: S3Client;
}

function ingest(options: Options = {}) {
  const config = loadExportConfig(
    {},
    { endpoint: receiver.url, ...(options.maxRetryTime && { maxRetryTime: options.maxRetryTime }) },
  );
  const exporter = createOtlpExporter(config, SYSTEM_CLOCK);
  const logs: { message: string; details: Record<string, unknown> }[] = [];
  const log = (message: unknown, ...details: unknown[]) => {
    logs.push({ message: String(message), details: (details[0] ?? {}) as Record<string, unknown> });
  };
  const started: { name: string; input: Record<string, unknown> }[] = [];
  const names = new Set<string>();
  const handler = createIngest(() => ({
    s3: options.client ?? s3.client,
    exporter,
    config,
    mapping: loadMappingConfig({}),
    now: () => Date.now(),
    logger: { info: log, warn: log, error: log },
    handoff: {
      async start(name, input) {
        if (options.handoffFails)
          throw new Error('StateMachineDoesNotExist: no such state machine');
        started.push({ name, input });
        const executionArn = `arn:aws:states:us-east-2:123456789012:execution:elb-otlp-test-reprocess:${name}`;
        if (names.has(name)) return { started: false, executionArn };
        names.add(name);
        return { started: true, executionArn };
      },
    },
    handoffBytes: options.handoffBytes ?? 256 * 1024 * 1024,
    deleteProcessed: options.deleteProcessed ?? false,
    sleep: () => Promise.resolve(),
  }));
  const remaining = options.remainingMs ?? 300_000;
  const call = (event: unknown) => handler(event, { getRemainingTimeInMillis: () => remaining });
  return { call, logs, started, close: () => exporter.close() };
}

/** Records the receiver accepted from `key`, by uid. */
function delivered(key: string): string[] {
  return uids(
    receiver.requests
      .filter(
        (r) =>
          r.fault.kind === 'ok' && JSON.stringify(r.body?.resourceLogs[0].resource).includes(key),
      )
      .flatMap(
        (r) =>
          r.body?.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords)) ?? [],
      ),
  );
}

describe('ingest', () => {
  it('ships every record of a direct S3 event, with keys decoded, and skips what is not a log', async () => {
    const keys = [
      await put(`env=prod/${DAY}${logName(1)}`, 120, 1),
      await put(`my logs/${DAY}${logName(2)}`, 80, 2),
      await put(`plain/${DAY}${logName(3, true)}`, 60, 3, true),
    ];
    await s3.put('AWSLogs/123456789012/ELBAccessLogTestFile', 'Enable AccessLog for ELB: shop');
    const run = ingest({ deleteProcessed: true });
    const summary = (await run.call({
      Records: [
        ...keys.map((key) => s3Record(key)),
        s3Record('AWSLogs/123456789012/ELBAccessLogTestFile'),
        s3Record(keys[0], 'ObjectRemoved:Delete'),
      ],
    })) as IngestSummary;
    await run.close();
    expect(summary).toMatchObject({
      objects: 4,
      shipped: 3,
      ignored: 1,
      handedOff: 0,
      failedObjects: 0,
      deleted: 3,
      lines: 260,
      accepted: 260,
      failed: 0,
    });
    for (const key of keys) {
      const got = delivered(key);
      expect(got, key).toHaveLength(counts.get(key) as number);
      expect(new Set(got).size).toBe(got.length);
      expect(await s3.exists(key), key).toBe(false);
    }
    const said = run.logs.map((l) => `${l.message}: ${JSON.stringify(l.details)}`).join('\n');
    expect(said).toContain("ELB's test object");
    expect(said).toContain('ObjectRemoved:Delete');
    expect(await s3.exists('AWSLogs/123456789012/ELBAccessLogTestFile')).toBe(true);
  });

  it('through SQS reports only the message whose object failed, and reads SNS envelopes and test events', async () => {
    const good = await put(`sqs/${DAY}${logName(4)}`, 50, 4);
    const viaSns = await put(`sqs/${DAY}${logName(5)}`, 40, 5);
    const broken = `sqs/${DAY}${logName(6)}`;
    const whole = gzipSync(lines(300, 6));
    await s3.put(broken, whole.subarray(0, whole.length - 100));
    const run = ingest({ deleteProcessed: true });
    const answer = await run.call({
      Records: [
        sqsMessage('m-good', { Records: [s3Record(good)] }),
        sqsMessage('m-broken', { Records: [s3Record(broken)] }),
        sqsMessage('m-sns', {
          Type: 'Notification',
          MessageId: 'a1b2',
          TopicArn: 'arn:aws:sns:us-east-2:123456789012:elb-logs',
          Message: JSON.stringify({ Records: [s3Record(viaSns)] }),
        }),
        sqsMessage('m-test', {
          Service: 'Amazon S3',
          Event: 's3:TestEvent',
          Time: '2026-11-27T10:00:00.000Z',
          Bucket: TEST_BUCKET,
        }),
        sqsMessage('m-junk', { hello: 'world' }),
      ],
    });
    await run.close();
    expect(answer).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm-broken' }, { itemIdentifier: 'm-junk' }],
    });
    expect(delivered(good)).toHaveLength(50);
    expect(delivered(viaSns)).toHaveLength(40);
    expect(await s3.exists(good)).toBe(false);
    expect(await s3.exists(broken)).toBe(true);
    const failure = run.logs.find((l) => l.message === 'object failed');
    expect(failure?.details).toMatchObject({
      object: `s3://${TEST_BUCKET}/${broken}`,
      error: { name: 'CorruptGzipError' },
    });
  });

  it('fails each object that is not an ELB log by name, keeps it, and ships none of it', async () => {
    const good = await put(`refused/${DAY}${logName(20)}`, 25, 20);
    const objects = [];
    for (const [i, input] of NOT_A_LOG.entries()) {
      // ELB object names: the key alone cannot tell these apart from logs.
      const key = `refused/${DAY}${logName(21 + i).replace(/\.log\.gz$/, isGzip(input.body) ? '.log.gz' : '.log')}`;
      await s3.put(key, input.body);
      objects.push({ key, input, lines: await lineCount(input.content) });
    }
    const run = ingest({ deleteProcessed: true });
    const answer = await run.call({
      Records: [
        sqsMessage('m-good', { Records: [s3Record(good)] }),
        ...objects.map(({ key }, i) => sqsMessage(`m-${i}`, { Records: [s3Record(key)] })),
      ],
    });
    await run.close();
    expect(answer).toEqual({
      batchItemFailures: objects.map((_, i) => ({ itemIdentifier: `m-${i}` })),
    });
    expect(delivered(good)).toHaveLength(25);
    for (const { key, input, lines } of objects) {
      const failure = run.logs.find(
        (l) => l.message === 'object failed' && l.details.object === `s3://${TEST_BUCKET}/${key}`,
      );
      expect(failure?.details, input.what).toMatchObject({
        lines,
        failed: lines,
        accepted: 0,
        error: { name: input.error, message: expect.stringMatching(input.message) },
      });
      expect(await s3.exists(key), input.what).toBe(true);
      expect(delivered(key), input.what).toEqual([]);
    }
  });

  it('reads EventBridge events, whose keys are not encoded', async () => {
    const key = await put(`eventbridge/${DAY}${logName(7)}`, 30, 7);
    const run = ingest();
    const summary = await run.call(eventBridge(key));
    await run.close();
    expect(summary).toMatchObject({ objects: 1, shipped: 1, accepted: 30 });
    expect(delivered(key)).toHaveLength(30);
  });

  it('hands an object too large for the invocation to the state machine, once per object version', async () => {
    const key = await put(`large/${DAY}${logName(8)}`, 2000, 8);
    const run = ingest({ handoffBytes: 10_000, deleteProcessed: true });
    const event = { Records: [s3Record(key)] };
    const first = await run.call(event);
    const again = await run.call(event);
    await run.close();
    expect(first).toMatchObject({ objects: 1, handedOff: 1, shipped: 0, lines: 0 });
    expect(again).toMatchObject({ handedOff: 1 });
    expect(run.started).toHaveLength(2);
    expect(run.started[0]).toEqual({
      name: run.started[1].name,
      input: { bucket: TEST_BUCKET, keys: [key], deleteProcessed: true },
    });
    expect(run.started[0].name).toMatch(/^ingest-[0-9a-f]{40}$/);
    expect(delivered(key)).toEqual([]);
    // Another version of the object is another run.
    expect(handoffName({ bucket: TEST_BUCKET, key }, '"other"')).not.toBe(run.started[0].name);
  });

  it('fails the object, and the invocation, when the hand-off cannot start', async () => {
    const key = await put(`large-refused/${DAY}${logName(12)}`, 2000, 12);
    const run = ingest({ handoffBytes: 10_000, handoffFails: true, deleteProcessed: true });
    const attempt = run.call({ Records: [s3Record(key)] });
    await expect(attempt).rejects.toThrow(
      `s3://${TEST_BUCKET}/${key}: Error: StateMachineDoesNotExist: no such state machine`,
    );
    await run.close();
    expect(await s3.exists(key)).toBe(true);
  });

  it('fails the invocation when the receiver is down, reporting nothing as shipped or deleted', async () => {
    const key = await put(`outage/${DAY}${logName(9)}`, 40, 9);
    receiver.rule(() => ({ kind: 'status', status: 503, retryAfter: '0' }));
    const run = ingest({ deleteProcessed: true, maxRetryTime: '300ms' });
    const attempt = run.call({ Records: [s3Record(key)] });
    await expect(attempt).rejects.toBeInstanceOf(IngestError);
    await expect(attempt).rejects.toThrow(`s3://${TEST_BUCKET}/${key}: ExportRetryableError`);
    receiver.rule(undefined);
    await run.close();
    expect(await s3.exists(key)).toBe(true);
    expect(delivered(key)).toEqual([]);
    expect(run.logs.filter((l) => l.message === 'object shipped')).toEqual([]);
  });

  it('ships within a short invocation whose time is less than a retry period', async () => {
    const key = await put(`short/${DAY}${logName(11)}`, 500, 11);
    // 40 s left, 2 minutes of retries by default: reading still gets most of the time.
    const run = ingest({ remainingMs: 40_000, handoffBytes: 10 * 1024 * 1024 });
    const summary = await run.call({ Records: [s3Record(key)] });
    await run.close();
    expect(summary).toMatchObject({ objects: 1, shipped: 1, handedOff: 0, accepted: 500 });
  });

  it('ignores an object that is gone since its notification (an earlier delivery deleted it)', async () => {
    const run = ingest();
    const summary = await run.call({ Records: [s3Record(`gone/${DAY}${logName(10)}`)] });
    await run.close();
    expect(summary).toMatchObject({ objects: 1, ignored: 1, failedObjects: 0 });
  });
  it('without s3:ListBucket (S3 says 403 for a missing key) ignores a duplicate of a deleted object, fails a denied one, and deletes only the version shipped', async () => {
    const strict = await startStrictS3(s3.endpoint, s3.client);
    strict.denyMissing = true;
    const client = s3.clientFor(strict.url);
    const run = ingest({ deleteProcessed: true, client });
    try {
      const shipped = await put(`strict/${DAY}${logName(20)}`, 30, 20);
      const etag = await s3.put(shipped, gzipSync(lines(30, 20)));
      expect(await run.call({ Records: [s3Record(shipped)] })).toMatchObject({
        shipped: 1,
        deleted: 1,
        failedObjects: 0,
      });
      expect(strict.deletes).toEqual([{ via: 'single', key: shipped, etag }]);
      // The duplicate notification: S3 answers the HEAD with 403, the listing says it is gone.
      expect(await run.call({ Records: [s3Record(shipped)] })).toMatchObject({
        ignored: 1,
        failedObjects: 0,
      });

      const denied = await put(`strict/${DAY}${logName(21)}`, 10, 21);
      strict.denied.add(denied);
      const refused = run.call({ Records: [s3Record(denied)] });
      await expect(refused).rejects.toThrow(/ObjectAccessDeniedError/);
      expect(await s3.exists(denied)).toBe(true);

      // Replaced between its read and its deletion: shipped, but the newer version is kept.
      const raced = await put(`strict/${DAY}${logName(22)}`, 10, 22);
      strict.beforeDelete = async (key) => {
        if (key === raced) await s3.put(key, gzipSync(lines(5, 99)));
      };
      expect(await run.call({ Records: [s3Record(raced)] })).toMatchObject({
        shipped: 1,
        deleted: 0,
        keptChanged: 1,
        failedObjects: 0,
      });
      expect(await s3.exists(raced)).toBe(true);

      // Gone between its read and its deletion (S3 answers the conditional delete with 403,
      // the listing says gone): counted as deleted, not failed.
      const vanished = await put(`strict/${DAY}${logName(23)}`, 10, 23);
      strict.beforeDelete = async (key) => {
        if (key === vanished) await s3.remove(key);
      };
      expect(await run.call({ Records: [s3Record(vanished)] })).toMatchObject({
        shipped: 1,
        deleted: 1,
        failedObjects: 0,
      });
    } finally {
      await run.close();
      client.destroy();
      await strict.close();
    }
  });
});
