/**
 * A folder holding both kinds of object, against s3rver and the test OTLP
 * receiver: ELB's classic object beside vended deliveries of JSON lines, W3C
 * rows and plain rows (names AWS has not documented, so read by content),
 * each holding nothing but vended records of the constructed samples. A
 * reprocessing run (the local state machine) and ingest ship every record,
 * each equal to its classic line's record but for body and uid; without the
 * plain delivery's fields, its object is skipped as no log rather than
 * guessed at. The Lambda context is the one stand-in (there is no local
 * Lambda runtime).
 */

import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonAttribute } from '../../receiver/otlp-decoder.ts';
import { loadExportConfig } from '../../shared/config/export-config.ts';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import { createRandom } from '../../shared/generate/alb-lines.ts';
import { createIngest, type IngestSummary } from '../../shared/ingest/ingest-event.ts';
import { createOtlpExporter, SYSTEM_CLOCK } from '../../shared/otlp/exporter.ts';
import { shipChunk } from '../../shared/pipeline/ship-chunk.ts';
import { runLocally } from '../helpers/local-run.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';
import { row, SAMPLES, w3cObject, withNodeIpNamed } from '../helpers/vended-samples.ts';

const ACCOUNT = '123456789012';
const DAY = `vended/AWSLogs/${ACCOUNT}/elasticloadbalancing/us-east-2/2026/09/10/`;
const of = (logType: string) => SAMPLES.filter((sample) => sample.logType === logType);
const times = <T>(items: readonly T[], n: number) => Array.from({ length: n }, () => items).flat();

const ACCESS = of('ALB_ACCESS_LOGS');
const CONNECTION = of('ALB_CONNECTION_LOGS');
const HEALTH = of('ALB_HEALTH_CHECK_LOGS');
const NLB = of('NLB_ACCESS_LOGS');
const CONNECTION_FIELDS = Object.keys(CONNECTION[0].record);

/** ELB's own object: the access samples as classic lines. */
const CLASSIC = {
  key: `${DAY}${ACCOUNT}_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20260910T2225Z_10.0.0.5_c1.log.gz`,
  body: `${ACCESS.map((s) => s.classic).join('\n')}\n`,
  lines: ACCESS.length,
};
const JSON_ACCESS = {
  key: `${DAY}alb-access-0001.json.gz`,
  body: `${times(ACCESS, 30)
    .map((s) => JSON.stringify(s.record))
    .join('\n')}\n`,
  lines: ACCESS.length * 30,
};
const JSON_NLB = {
  key: `${DAY}nlb-access-0001.json.gz`,
  body: `${times(NLB, 7)
    .map((s) => JSON.stringify(s.record))
    .join('\n')}\n`,
  lines: NLB.length * 7,
};
const W3C_HEALTH = {
  key: `${DAY}alb-health-0001.w3c.gz`,
  body: w3cObject(
    times(HEALTH, 10).map((s) => s.record),
    Object.keys(HEALTH[0].record),
    '\t',
  ),
  lines: HEALTH.length * 10,
};
const PLAIN_CONNECTION = {
  key: `${DAY}alb-connection-0001.log.gz`,
  body: `${times(CONNECTION, 12)
    .map((s) => row(s.record, CONNECTION_FIELDS, '\t'))
    .join('\n')}\n`,
  lines: CONNECTION.length * 12,
};
const OBJECTS = [CLASSIC, JSON_ACCESS, JSON_NLB, W3C_HEALTH, PLAIN_CONNECTION];
const PLAIN_ENV = { ELB_OTLP_VENDED_FIELDS: CONNECTION_FIELDS.join(',') };

let s3: TestS3;
let receiver: OtlpReceiver;
beforeAll(async () => {
  [s3, receiver] = await Promise.all([startS3(), startOtlpReceiver()]);
  for (const object of OBJECTS) await s3.put(object.key, gzipSync(object.body));
});
afterAll(async () => {
  await Promise.all([receiver.close(), s3.close()]);
});

type Received = { attributes: JsonAttribute[]; timeUnixNano?: string; severityText?: string };

/** The records the receiver took from `key`, uid and body aside, node IP named as vended records name it. */
function recordsOf(key: string) {
  const out: unknown[] = [];
  for (const request of receiver.requests) {
    for (const rl of request.body?.resourceLogs ?? []) {
      if (!JSON.stringify(rl.resource).includes(key)) continue;
      for (const sl of rl.scopeLogs) {
        for (const record of sl.logRecords as Received[]) {
          const attributes = withNodeIpNamed(record.attributes);
          out.push({
            time: record.timeUnixNano,
            severity: record.severityText,
            attributes,
          });
        }
      }
    }
  }
  return out;
}

describe('a folder holding classic and vended objects', () => {
  it('ships every record of both kinds in a run, each vended one as its classic line', async () => {
    receiver.requests.length = 0;
    const { outcome, report, plan } = await runLocally({
      s3,
      receiver,
      input: { bucket: TEST_BUCKET, prefix: 'vended/' },
      runId: 'vended-all',
      concurrency: 2,
      mappingEnv: PLAIN_ENV,
    });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(plan).toMatchObject({ objects: OBJECTS.length });
    const lines = OBJECTS.reduce((sum, o) => sum + o.lines, 0);
    expect(report).toMatchObject({ lines, accepted: lines, failed: 0, parseErrors: 0 });
    for (const object of OBJECTS)
      expect(recordsOf(object.key), object.key).toHaveLength(object.lines);
    // The JSON deliveries' records are the classic object's, in order.
    const classic = recordsOf(CLASSIC.key);
    expect(recordsOf(JSON_ACCESS.key)).toEqual(times(classic, 30));
  });

  it('skips a plain delivery as no log when its fields are not set, rather than guess', async () => {
    const { plan } = await runLocally({
      s3,
      receiver,
      input: { bucket: TEST_BUCKET, prefix: 'vended/', dryRun: true },
      runId: 'vended-unset',
      concurrency: 1,
    });
    expect(plan).toMatchObject({ objects: OBJECTS.length - 1, skipped: { notALog: 1 } });
  });

  it('ships a vended object through ingest', async () => {
    receiver.requests.length = 0;
    const config = loadExportConfig({}, { endpoint: receiver.url });
    const exporter = createOtlpExporter(config, SYSTEM_CLOCK);
    const log = () => {};
    const ingest = createIngest(() => ({
      s3: s3.client,
      exporter,
      config,
      mapping: loadMappingConfig(PLAIN_ENV),
      now: () => Date.now(),
      logger: { info: log, warn: log, error: log },
      handoffBytes: 256 * 1024 * 1024,
      deleteProcessed: false,
    }));
    const record = (key: string) => ({
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: TEST_BUCKET }, object: { key } },
    });
    try {
      const summary = (await ingest(
        { Records: [W3C_HEALTH.key, PLAIN_CONNECTION.key].map(record) },
        { getRemainingTimeInMillis: () => 300_000 },
      )) as IngestSummary;
      expect(summary).toMatchObject({ objects: 2, shipped: 2, failedObjects: 0 });
      expect(summary.accepted).toBe(W3C_HEALTH.lines + PLAIN_CONNECTION.lines);
    } finally {
      await exporter.close();
    }
    expect(recordsOf(W3C_HEALTH.key)).toHaveLength(W3C_HEALTH.lines);
  });
});

describe('a W3C object read in chunks', () => {
  const names = Object.keys(HEALTH[0].record);
  // Tab-separated: rows with spaces would read as classic health-check lines anyway.
  const text = w3cObject(
    times(HEALTH, 300).map((s) => s.record),
    names,
    '\t',
  );
  const content = Buffer.from(text);
  const rows = HEALTH.length * 300;

  it.each([
    ['gzip', gzipSync(content)],
    ['none', content],
  ] as const)(
    '(%s) gives every chunk the header’s fields, however it is cut',
    async (compression, body) => {
      const key = `${DAY}alb-health-chunks.${compression}`;
      const etag = await s3.put(key, body);
      const config = loadExportConfig({}, { endpoint: receiver.url });
      const exporter = createOtlpExporter(config, SYSTEM_CLOCK);
      const random = createRandom(compression.length);
      const cuts = new Set<number>();
      while (cuts.size < 6) cuts.add(1 + Math.floor(random() * (content.length - 1)));
      const points = [0, ...[...cuts].sort((a, b) => a - b), content.length];
      receiver.requests.length = 0;
      let lines = 0;
      try {
        for (let i = 1; i < points.length; i++) {
          const result = await shipChunk({
            client: s3.client,
            chunk: {
              bucket: TEST_BUCKET,
              key,
              etag,
              size: body.length,
              compression,
              start: points[i - 1],
              end: points[i],
            },
            exporter,
            protocol: config.protocol,
            limits: { maxRecords: 50, maxBytes: config.maxBatchBytes },
            concurrency: 1,
            mapping: loadMappingConfig({}),
            nowNanos: () => 0n,
            rangeBytes: 4096,
          });
          expect(result, `chunk ${i}`).toMatchObject({ failed: 0, parseErrors: 0 });
          expect(result.readError).toBeUndefined();
          lines += result.lines;
        }
      } finally {
        await exporter.close();
      }
      expect(lines).toBe(rows);
      expect(recordsOf(key)).toEqual(times(recordsOf(key).slice(0, HEALTH.length), 300));
    },
  );
});
