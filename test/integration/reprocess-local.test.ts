/**
 * A whole reprocessing run on this machine: the state machine's ASL through
 * aws-local-stepfunctions and the local Distributed Map adapter, with the
 * real plan, process-chunk and report handlers, s3rver and the test OTLP
 * receiver. The Lambda context is the one stand-in (no local Lambda runtime).
 */

import { gzipSync } from 'node:zlib';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlan } from '../../functions/plan.ts';
import { createProcessChunk } from '../../functions/process-chunk.ts';
import { createReport } from '../../functions/report.ts';
import { loadExportConfig } from '../../shared/config/export-config.ts';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { runReprocessLocally } from '../../shared/local/run-reprocess.ts';
import { createOtlpExporter, SYSTEM_CLOCK } from '../../shared/otlp/exporter.ts';
import type { ReportSummary } from '../../shared/reprocess/report.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';
import { uids } from '../helpers/ship.ts';

const ROOT = 'logs/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/';
const key = (n: number, ext = '.log.gz') =>
  `${ROOT}123456789012_elasticloadbalancing_us-east-2_app.web.50dc6c495c0c9188_20261101T${String(n).padStart(4, '0')}Z_10.0.0.${n % 250}_abcd${ext}`;
const text = (count: number, seed: number) =>
  `${[...generateAlbLines(count, { seed })].join('\n')}\n`;

let s3: TestS3;
let receiver: OtlpReceiver;
/** Lines of the objects that ship whole. */
let goodLines = 0;
const goodKeys: string[] = [];
const TRUNCATED = key(5000);
const OUTSIDE = 'other/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/x.log.gz';

beforeAll(async () => {
  s3 = await startS3();
  receiver = await startOtlpReceiver();
  // Forty logs: gzip, every fifth plain (as Classic ELB writes them), one
  // large enough to be cut into several chunks.
  for (let n = 1; n <= 40; n++) {
    const count = n === 7 ? 4000 : 20 + n;
    const plain = n % 5 === 0;
    goodLines += count;
    goodKeys.push(key(n, plain ? '.log' : '.log.gz'));
    await s3.put(goodKeys[n - 1], plain ? text(count, n) : gzipSync(text(count, n)));
  }
  goodKeys.push(key(6000));
  await s3.put(key(6000), Buffer.alloc(0));
  const whole = gzipSync(text(500, 99));
  await s3.put(TRUNCATED, whole.subarray(0, Math.floor(whole.length / 2)));
  await s3.put('logs/AWSLogs/123456789012/ELBAccessLogTestFile', 'Enable AccessLog for ELB: web');
  await s3.put(OUTSIDE, gzipSync(text(5, 1)));
});
afterAll(async () => {
  await receiver.close();
  await s3.close();
});

async function exists(k: string): Promise<boolean> {
  try {
    await s3.client.send(new HeadObjectCommand({ Bucket: TEST_BUCKET, Key: k }));
    return true;
  } catch {
    return false;
  }
}

describe('elb-otlp reprocess, run locally', () => {
  it('ships every line once, keeps and names the corrupt object, deletes exactly the shipped ones', async () => {
    const config = loadExportConfig({}, { endpoint: receiver.url });
    const exporter = createOtlpExporter(config, SYSTEM_CLOCK);
    const silent = { info: () => {}, warn: () => {}, error: () => {} };
    const work = { bucket: TEST_BUCKET, prefix: 'work/' };
    const run = createProcessChunk(() => ({
      s3: s3.client,
      exporter,
      config,
      mapping: loadMappingConfig({}),
      clock: SYSTEM_CLOCK,
      logger: silent,
    }));
    let chunks = 0;
    const outcome = await runReprocessLocally({
      input: { bucket: TEST_BUCKET, prefix: 'logs/', deleteProcessed: true, chunkBytes: 1048576 },
      runId: 'local-run-1',
      s3: s3.client,
      plan: createPlan(() => ({ s3: s3.client, work, logger: silent })),
      processChunk: (input) => run(input, { getRemainingTimeInMillis: () => 900_000 }),
      report: createReport(() => ({ s3: s3.client, logger: silent })),
      concurrency: 4,
      onChunk: () => {
        chunks++;
      },
    });
    await exporter.close();

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error?.name).toBe('ChunksFailed');
    const report = outcome.output as ReportSummary;
    expect(report).toMatchObject({ objects: 42, failedChunks: 1, shippedObjects: 41, deleted: 41 });
    expect(report.chunks).toBeGreaterThan(42);
    expect(chunks).toBe(report.chunks);
    expect(report.failures[0].key).toBe(TRUNCATED);
    expect(report.failures[0].error.message).toMatch(/gzip data is corrupt or truncated/);
    expect(report.lines).toBe(report.accepted);
    expect(report.lines).toBeGreaterThan(goodLines);
    const delivered = uids(receiver.deliveredRecords());
    expect(delivered).toHaveLength(report.accepted);
    expect(new Set(delivered).size).toBe(delivered.length);
    for (const k of goodKeys) expect(await exists(k), k).toBe(false);
    expect(await exists(TRUNCATED)).toBe(true);
    expect(await exists(OUTSIDE)).toBe(true);
    expect(await exists('logs/AWSLogs/123456789012/ELBAccessLogTestFile')).toBe(true);
  });
});
