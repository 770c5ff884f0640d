/**
 * The `process-chunk` Lambda against s3rver and the test OTLP receiver. The
 * Lambda context is the one stand-in (there is no local Lambda runtime here):
 * an object whose getRemainingTimeInMillis reads the injected clock.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../functions/process-chunk.ts';
import { loadExportConfig } from '../../shared/config/export-config.ts';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import { ChunkInputError, ExportRetryableError } from '../../shared/contract/errors.ts';
import type { ChunkItem, ChunkResult } from '../../shared/contract/state-machine.ts';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { createOtlpExporter, type ExporterClock } from '../../shared/otlp/exporter.ts';
import { createProcessChunk } from '../../shared/reprocess/chunk-step.ts';
import { TO_THE_END } from '../../shared/reprocess/object-chunks.ts';
import { isGzip } from '../../shared/s3/compression.ts';
import { lineCount, NOT_A_LOG } from '../helpers/not-a-log.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { S3RVER_ENV, startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';
import { contextFor, steppingClock, uids } from '../helpers/ship.ts';

const KEY =
  'AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20261101T0000Z_10.0.0.1_worker.log';
const LINES = 1500;
const TEXT = `${[...generateAlbLines(LINES, { seed: 21 })].join('\n')}\n`;
const SECRET = 'Bearer do-not-log-me';

let s3: TestS3;
let receiver: OtlpReceiver;
let chunk: ChunkItem;
beforeAll(async () => {
  s3 = await startS3();
  chunk = await s3.putWholeChunk(KEY, TEXT);
});
afterAll(async () => {
  await s3.close();
});
beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await receiver.close();
});

function worker(clock: ExporterClock, env: Record<string, string> = {}) {
  const config = loadExportConfig(
    { ELB_OTLP_MAX_BATCH_RECORDS: '100', ...env },
    { endpoint: receiver.url, headers: [`authorization=${SECRET}`] },
  );
  const exporter = createOtlpExporter(config, clock);
  const logger = new Logger({ serviceName: 'elb-otlp-test' });
  const run = createProcessChunk(() => ({
    s3: s3.client,
    exporter,
    config,
    mapping: loadMappingConfig(env),
    clock,
    logger,
    rangeBytes: 16 * 1024,
  }));
  return { run, close: () => exporter.close() };
}

/**
 * Everything written to stdout and stderr while `action` runs (the Powertools
 * Logger writes warnings and errors to stderr, the rest to stdout).
 */
async function capturingStdout<T>(action: () => Promise<T>): Promise<{ value: T; out: string }> {
  let out = '';
  const capture = (chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  try {
    return { value: await action(), out };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

describe('process-chunk', () => {
  it('ships a chunk and answers the chunk result, small and conserved; its logs carry counts, not headers', async () => {
    const clock = steppingClock(1);
    const { run, close } = worker(clock);
    const { value: result, out } = await capturingStdout(() =>
      run(chunk, contextFor(clock, 900_000)),
    );
    await close();
    expect(result).toMatchObject({
      key: KEY,
      start: 0,
      end: chunk.size,
      lines: LINES,
      accepted: LINES,
      rejected: 0,
      failed: 0,
      parseErrors: 0,
      batches: 15,
      done: true,
    });
    expect(result.cursor).toBeUndefined();
    expect(result.error).toBeUndefined();
    expect(JSON.stringify(result).length).toBeLessThan(1024);
    expect(receiver.deliveredRecords()).toHaveLength(LINES);
    expect(receiver.requests[0].headers.authorization).toBe(SECRET);
    const logs = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(logs.at(-1)).toMatchObject({
      message: 'chunk shipped',
      key: KEY,
      lines: LINES,
      accepted: LINES,
    });
    expect(out).not.toContain('do-not-log-me');
  });

  it('pauses before the deadline at a line boundary and finishes from its cursor, each line once', async () => {
    // Every read of the clock takes 500 ms: a 60 s budget lasts a few pieces.
    const clock = steppingClock(500);
    const { run, close } = worker(clock);
    const results: ChunkResult[] = [];
    let input: unknown = chunk;
    for (let call = 0; call < 100; call++) {
      const { value } = await capturingStdout(() => run(input, contextFor(clock, 60_000)));
      results.push(value);
      if (value.done) break;
      expect(value.cursor?.offset).toBeGreaterThan(results.at(-2)?.cursor?.offset ?? 0);
      expect(TEXT.charCodeAt((value.cursor?.offset ?? 0) - 1)).toBe(0x0a);
      input = { ...chunk, cursor: value.cursor };
    }
    await close();
    expect(results.length).toBeGreaterThan(2);
    const last = results.at(-1) as ChunkResult;
    // The last result counts the whole chunk.
    expect(last).toMatchObject({ done: true, lines: LINES, accepted: LINES, failed: 0 });
    const delivered = uids(receiver.deliveredRecords());
    expect(delivered).toHaveLength(LINES);
    expect(new Set(delivered).size).toBe(LINES);
  });

  it('carries on past a rejected batch across pauses, and the last result names the rejection', async () => {
    receiver.script({ kind: 'status', status: 400 });
    const clock = steppingClock(500);
    const { run, close } = worker(clock, { ELB_OTLP_EXPORT_CONCURRENCY: '1' });
    let input: unknown = chunk;
    let calls = 0;
    let result: ChunkResult | undefined;
    while (calls < 100) {
      calls++;
      result = (await capturingStdout(() => run(input, contextFor(clock, 60_000)))).value;
      if (result.done) break;
      expect(result.cursor?.error?.name).toBe('ExportRejectedError');
      input = { ...chunk, cursor: result.cursor };
    }
    await close();
    expect(calls).toBeGreaterThan(2);
    expect(result).toMatchObject({
      done: true,
      lines: LINES,
      accepted: LINES - 100,
      failed: 100,
      error: { name: 'ExportRejectedError' },
    });
    expect(receiver.deliveredRecords()).toHaveLength(LINES - 100);
  });

  it('throws ExportRetryableError when the receiver stays unavailable to the deadline', async () => {
    receiver.script(
      ...Array.from({ length: 200 }, () => ({ kind: 'status', status: 503 }) as const),
    );
    const clock = steppingClock(1);
    const { run, close } = worker(clock);
    await expect(
      capturingStdout(() => run(chunk, contextFor(clock, 120_000))),
    ).rejects.toBeInstanceOf(ExportRetryableError);
    await close();
  });

  it('answers a failed result naming the object when it does not exist', async () => {
    const clock = steppingClock(1);
    const { run, close } = worker(clock);
    const { value } = await capturingStdout(() =>
      run({ ...chunk, key: `${KEY}.missing` }, contextFor(clock, 60_000)),
    );
    await close();
    expect(value).toMatchObject({ done: true, lines: 0, failed: 0 });
    expect(value.error?.name).toBe('ObjectNotFoundError');
    expect(value.error?.message).toContain(`s3://${TEST_BUCKET}/${KEY}.missing`);
  });

  it.each(NOT_A_LOG)(
    'answers a failed chunk naming $error for $what, its lines counted failed, none sent',
    async (input) => {
      const gzip = isGzip(input.body);
      const key = `${KEY.replace(/\.log$/, '')}-${input.what.replaceAll(' ', '-')}.log${gzip ? '.gz' : ''}`;
      const etag = await s3.put(key, input.body);
      const item: ChunkItem = {
        bucket: TEST_BUCKET,
        key,
        etag,
        size: input.body.length,
        compression: gzip ? 'gzip' : 'none',
        start: 0,
        end: gzip ? TO_THE_END : input.body.length,
      };
      const clock = steppingClock(1);
      const { run, close } = worker(clock);
      const { value, out } = await capturingStdout(() => run(item, contextFor(clock, 900_000)));
      await close();
      const lines = await lineCount(input.content);
      expect(value).toMatchObject({ done: true, lines, accepted: 0, rejected: 0, failed: lines });
      expect(value.error?.name).toBe(input.error);
      expect(value.error?.message).toMatch(input.message);
      expect(value.error?.message).toContain(`s3://${TEST_BUCKET}/${key} is`);
      expect(receiver.requests).toHaveLength(0);
      expect(out).toContain('"message":"chunk failed"');
    },
  );

  it.each([
    [{ bucket: 'b' }, /key: .*; .*etag/],
    [
      {
        ...{ bucket: 'b', key: 'k', etag: '"e"', size: 10, compression: 'gzip' },
        start: 5,
        end: 5,
      },
      /end: end must be greater than start/,
    ],
    [
      { bucket: 'b', key: 'k', etag: '"e"', size: 10, compression: 'zip', start: 0, end: 5 },
      /compression/,
    ],
  ])('refuses a bad chunk item, naming the field (%j)', async (input, message) => {
    const clock = steppingClock(1);
    const { run, close } = worker(clock);
    const attempt = run(input, contextFor(clock, 60_000));
    await expect(attempt).rejects.toBeInstanceOf(ChunkInputError);
    await expect(attempt).rejects.toThrow(message);
    await close();
  });

  it('runs as the deployed handler (middy, Powertools), configured from the environment', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, S3RVER_ENV, {
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    });
    try {
      const context = {
        functionName: 'process-chunk',
        awsRequestId: 'test-request',
        getRemainingTimeInMillis: () => 60_000,
      } as unknown as Parameters<typeof handler>[1];
      // The deployed worker ships a work unit: here one of this one chunk.
      const { value, out } = await capturingStdout(() =>
        handler({ item: { unit: 0, chunks: [chunk] } }, context),
      );
      expect(value).toMatchObject({ unit: 0, done: true });
      expect(value.results).toMatchObject([{ lines: LINES, accepted: LINES, done: true }]);
      expect(out).toContain('"function_request_id":"test-request"');
    } finally {
      process.env = saved;
    }
  });
});
