/**
 * Whole reprocessing runs on this machine: the state machine's ASL through
 * aws-local-stepfunctions and the local Distributed Map adapter, with the
 * real plan, process-chunk and report handlers, s3rver and the test OTLP
 * receiver. The Lambda context is the one stand-in (no local Lambda runtime).
 *
 * A few hundred objects: ALB access logs (gzip, and plain as Classic ELB
 * writes them), ALB connection logs, three large enough to be cut into many
 * chunks, an empty one, a truncated gzip, one whose batches the receiver
 * refuses, the ELB test file and a log outside the run's prefix. Then the
 * retry run its report offers. Then a run over objects named like logs
 * that are not (other compressions, binary data, another server's log).
 */

import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAlbConnectionLines, generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { isGzip } from '../../shared/s3/compression.ts';
import { runLocally } from '../helpers/local-run.ts';
import { lineCount, NOT_A_LOG } from '../helpers/not-a-log.ts';
import type { OtlpReceiver } from '../helpers/otlp-receiver.ts';
import { startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';

const ROOT = 'logs/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/';
const name = (kind: '' | 'conn_log_', lb: string, n: number, ext: string) =>
  `${ROOT}${kind}123456789012_elasticloadbalancing_us-east-2_app.${lb}.50dc6c495c0c9188_20261101T${String(n % 2400).padStart(4, '0')}Z_10.0.${Math.floor(n / 250)}.${n % 250}_r${n}${ext}`;
const access = (count: number, seed: number) =>
  `${[...generateAlbLines(count, { seed })].join('\n')}\n`;
const connections = (count: number, seed: number) =>
  `${[...generateAlbConnectionLines(count, { seed })].join('\n')}\n`;
/** 1 MiB, the smallest chunk a run allows. */
const CHUNK = 1024 * 1024;

let s3: TestS3;
let receiver: OtlpReceiver;
/** Lines each log object holds (the ones that can be read whole). */
const expected = new Map<string, number>();
const TRUNCATED = name('', 'web', 2301, '.log.gz');
const REFUSED = name('', 'api', 2302, '.log.gz');
const EMPTY = name('', 'web', 2303, '.log.gz');
const TEST_FILE = 'logs/AWSLogs/123456789012/ELBAccessLogTestFile';
const OUTSIDE = 'other/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/x.log.gz';
const BIG = [
  name('', 'web', 2401, '.log.gz'),
  name('', 'api', 2402, '.log'),
  name('conn_log_', 'web', 2403, '.log.gz'),
];

beforeAll(async () => {
  s3 = await startS3();
  receiver = await startOtlpReceiver();
  const put = async (key: string, text: string, plain = false) => {
    expected.set(key, text.split('\n').length - 1);
    await s3.put(key, plain ? text : gzipSync(text));
  };
  // 240 access logs of two load balancers (every sixth plain), 60 connection logs.
  for (let n = 1; n <= 240; n++) {
    await put(
      name('', n % 2 ? 'web' : 'api', n, n % 6 ? '.log.gz' : '.log'),
      access(10 + (n % 50), n),
      n % 6 === 0,
    );
  }
  for (let n = 241; n <= 300; n++) {
    await put(name('conn_log_', 'web', n, '.log.gz'), connections(20 + (n % 30), n));
  }
  // Cut into 4–6 chunks each.
  await put(BIG[0], access(9000, 2401));
  await put(BIG[1], access(11000, 2402), true);
  await put(BIG[2], connections(30000, 2403));
  await put(REFUSED, access(70, 2302));
  expected.set(EMPTY, 0);
  await s3.put(EMPTY, Buffer.alloc(0));
  const whole = gzipSync(access(500, 2301));
  await s3.put(TRUNCATED, whole.subarray(0, Math.floor(whole.length / 2)));
  await s3.put(TEST_FILE, 'Enable AccessLog for ELB: web');
  await s3.put(OUTSIDE, gzipSync(access(5, 1)));
});
afterAll(async () => {
  await receiver.close();
  await s3.close();
});

/** The S3 key each accepted record came from, by `log.record.uid`. */
function deliveredByUid(): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  for (const request of receiver.requests) {
    if (request.abandoned || request.fault.kind !== 'ok' || request.body === undefined) continue;
    for (const resourceLogs of request.body.resourceLogs) {
      const attributes = (resourceLogs.resource?.attributes ?? []) as {
        key: string;
        value: { stringValue?: string };
      }[];
      const key = attributes.find((a) => a.key === 'aws.s3.key')?.value.stringValue ?? '?';
      for (const scope of resourceLogs.scopeLogs) {
        for (const record of scope.logRecords) {
          const uid = record.attributes?.find((a) => a.key === 'log.record.uid')?.value
            .stringValue as string;
          seen.set(uid, [...(seen.get(uid) ?? []), key]);
        }
      }
    }
  }
  return seen;
}

function linesByKey(delivered: Map<string, string[]>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const keys of delivered.values()) counts.set(keys[0], (counts.get(keys[0]) ?? 0) + 1);
  return counts;
}

/** The same engines the handlers call, composed as elb-otlp reprocess composes them. */
async function run(input: unknown, runId: string) {
  const { children: units, ...ran } = await runLocally({
    s3,
    receiver,
    input,
    runId,
    concurrency: 6,
  });
  return { ...ran, units };
}

describe('elb-otlp reprocess, run locally', () => {
  it('ships every line once, keeps and names the failed objects, deletes exactly the shipped ones, and re-runs only what failed', async () => {
    // The receiver refuses (400) every batch of one object.
    receiver.rule((body) =>
      JSON.stringify(body.resourceLogs[0].resource).includes(REFUSED)
        ? { kind: 'status', status: 400, message: 'refused by the test' }
        : { kind: 'ok' },
    );
    const first = await run(
      { bucket: TEST_BUCKET, prefix: 'logs/', deleteProcessed: true, chunkBytes: CHUNK },
      'local-run-1',
    );

    // 300 small logs, 3 large ones, the refused, empty and truncated ones.
    const logs = 306;
    expect(first.plan).toMatchObject({ objects: logs, emptyObjects: 1 });
    expect(first.plan.skipped).toMatchObject({ testFile: 1, notALog: 0 });
    expect(first.outcome.status).toBe('FAILED');
    expect(first.outcome.error?.name).toBe('ChunksFailed');
    const report = first.report;
    expect(report).toMatchObject({
      objects: logs,
      failedChunks: 2,
      shippedObjects: logs - 2,
      deleted: logs - 2,
    });
    expect(report.chunks).toBe(first.plan.chunks);
    expect(first.units).toBe(report.units);
    expect(report.units).toBe(first.plan.units);
    // The large objects were cut into several chunks each.
    expect(report.chunks).toBeGreaterThanOrEqual(logs + 3 * 3);
    expect(report.failures.map((f) => f.key).sort()).toEqual([REFUSED, TRUNCATED].sort());
    const truncated = report.failures.find((f) => f.key === TRUNCATED);
    expect(truncated?.error).toMatchObject({
      name: 'CorruptGzipError',
      message: expect.stringMatching(/^gzip data is corrupt or truncated/),
    });
    expect(report.failures.find((f) => f.key === REFUSED)?.error.name).toBe('ExportRejectedError');
    // Conservation over the whole run; the refused object's lines are the failed ones.
    expect(report.lines).toBe(report.accepted + report.rejected + report.failed);
    expect(report.failed).toBe(expected.get(REFUSED));
    expect(report.rejected).toBe(0);
    expect(report.throughput.linesPerSecond).toBeGreaterThan(0);
    expect(report.throughput.seconds).toBeGreaterThan(0);

    // Every line of every readable object arrived exactly once.
    const delivered = deliveredByUid();
    expect([...delivered.values()].filter((keys) => keys.length > 1)).toEqual([]);
    const byKey = linesByKey(delivered);
    for (const [key, lines] of expected) {
      if (key === REFUSED) continue;
      expect(byKey.get(key) ?? 0, key).toBe(lines);
    }
    expect(byKey.get(REFUSED)).toBeUndefined();
    expect(byKey.has(OUTSIDE)).toBe(false);
    // What the truncated object held before the damage went too.
    expect(report.accepted).toBe(delivered.size);

    // Deleted: exactly the fully shipped objects; nothing outside the prefix.
    for (const key of expected.keys()) {
      expect(await s3.exists(key), key).toBe(key === REFUSED);
    }
    expect(await s3.exists(TRUNCATED)).toBe(true);
    expect(await s3.exists(OUTSIDE)).toBe(true);
    expect(await s3.exists(TEST_FILE)).toBe(true);

    // The retry input re-runs only the two failed chunks; the receiver is back.
    receiver.rule(undefined);
    const before = receiver.requests.length;
    const retry = await run(report.retry, 'local-run-2');
    expect(retry.plan).toMatchObject({ objects: 2, chunks: 2, deleteProcessed: true });
    expect(retry.report).toMatchObject({ objects: 2, chunks: 2, failedChunks: 1, deleted: 1 });
    expect(retry.report.failures.map((f) => f.key)).toEqual([TRUNCATED]);
    const again = new Set(
      receiver.requests
        .slice(before)
        .flatMap((r) => r.body?.resourceLogs ?? [])
        .map((rl) => (JSON.stringify(rl.resource).includes(REFUSED) ? REFUSED : TRUNCATED)),
    );
    expect(again).toEqual(new Set([REFUSED, TRUNCATED]));
    expect(linesByKey(deliveredByUid()).get(REFUSED)).toBe(expected.get(REFUSED));
    expect(await s3.exists(REFUSED)).toBe(false);
    expect(await s3.exists(TRUNCATED)).toBe(true);
  }, 120_000);

  it('reports each object that is not an ELB log as a failed chunk by name, its lines failed, and keeps it', async () => {
    const refused = (n: number, ext: string) =>
      name('', 'web', n, ext).replace(/^logs\//, 'refused/');
    const good = refused(2500, '.log.gz');
    await s3.put(good, gzipSync(access(40, 2500)));
    const objects = [];
    for (const [i, input] of NOT_A_LOG.entries()) {
      // Compressed objects keep a .gz name (planned as gzip), the rest a plain one.
      const gz = isGzip(input.body) || input.error === 'UnsupportedCompressionError';
      const key = refused(2501 + i, gz ? '.log.gz' : '.log');
      await s3.put(key, input.body);
      objects.push({ key, input, lines: await lineCount(input.content) });
    }
    const { report } = await run(
      { bucket: TEST_BUCKET, prefix: 'refused/', deleteProcessed: true, chunkBytes: CHUNK },
      'local-run-refused',
    );
    const lines = objects.reduce((sum, object) => sum + object.lines, 0);
    expect(report).toMatchObject({
      objects: objects.length + 1,
      failedChunks: objects.length,
      shippedObjects: 1,
      deleted: 1,
      lines: 40 + lines,
      accepted: 40,
      rejected: 0,
      failed: lines,
    });
    for (const { key, input } of objects) {
      const failure = report.failures.find((f) => f.key === key);
      expect(failure?.error.name, input.what).toBe(input.error);
      expect(failure?.error.message, input.what).toMatch(input.message);
      expect(await s3.exists(key), input.what).toBe(true);
    }
    const byKey = linesByKey(deliveredByUid());
    expect(byKey.get(good)).toBe(40);
    for (const { key } of objects) expect(byKey.has(key)).toBe(false);
    expect(await s3.exists(good)).toBe(false);
  }, 60_000);
});
