/**
 * The byte-range chunk engine against s3rver (real SDK, real ranged GETs) and
 * the test OTLP receiver: every line shipped exactly once however an object is
 * split, continuation at line boundaries, dropped connections, changed and
 * damaged objects, and objects that are not logs.
 */

import { gzipSync, zstdCompressSync } from 'node:zlib';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadExportConfig } from '../../shared/config/export-config.ts';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import { ObjectReadRetryableError } from '../../shared/contract/errors.ts';
import type { ChunkItem } from '../../shared/contract/state-machine.ts';
import { createRandom, generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { createOtlpExporter } from '../../shared/otlp/exporter.ts';
import { describeReadError } from '../../shared/pipeline/read-error.ts';
import { type ShipChunkOptions, shipChunk } from '../../shared/pipeline/ship-chunk.ts';
import type { ShipResult } from '../../shared/pipeline/ship-object.ts';
import { readObjectRanges } from '../../shared/s3/object-reader.ts';
import { ObjectAccessDeniedError, ObjectChangedError } from '../../shared/s3/s3-errors.ts';
import { lineCount, NGINX_LINES } from '../helpers/not-a-log.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { OBSERVED } from '../helpers/records.ts';
import { startDroppingProxy, startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';
import { expectConserved, fakeClock, uids } from '../helpers/ship.ts';

const PREFIX =
  'AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20261101T0000Z_10.0.0.1_';
/** Small ranges, so objects span many GETs and lines span ranges. */
const RANGE_BYTES = 4096;

/** Generated lines, a few made longer than a range by a long path. */
function logText(count: number, seed: number): string {
  const random = createRandom(seed);
  const lines = [...generateAlbLines(count, { seed })].map((line) =>
    random() < 0.02 ? line.replace(' HTTP/', `${'x'.repeat(RANGE_BYTES * 2)} HTTP/`) : line,
  );
  return `${lines.join('\n')}\n`;
}

const TEXT = logText(600, 11);
const CONTENT = Buffer.from(TEXT);
/** How many lines TEXT holds. */
const LINES = 600;

let s3: TestS3;
let receiver: OtlpReceiver;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3.close();
});
beforeEach(async () => {
  receiver?.close();
  receiver = await startOtlpReceiver();
});

/** Stores `body` and returns the chunk item of all of it. */
async function stored(
  name: string,
  body: Buffer,
  compression: 'gzip' | 'none',
  contentSize = body.length,
): Promise<ChunkItem> {
  const key = `${PREFIX}${name}`;
  const etag = await s3.put(key, body);
  return {
    bucket: TEST_BUCKET,
    key,
    etag,
    size: body.length,
    compression,
    start: 0,
    end: Math.max(contentSize, 1),
  };
}

async function ship(
  chunk: ChunkItem,
  options: Partial<ShipChunkOptions> = {},
  env: Record<string, string> = { ELB_OTLP_MAX_BATCH_RECORDS: '100' },
): Promise<ShipResult> {
  const config = loadExportConfig(env, { endpoint: receiver.url });
  const exporter = createOtlpExporter(config, fakeClock().clock);
  try {
    return await shipChunk({
      client: s3.client,
      chunk,
      exporter,
      protocol: config.protocol,
      limits: { maxRecords: config.maxBatchRecords, maxBytes: config.maxBatchBytes },
      concurrency: config.concurrency,
      mapping: loadMappingConfig(env),
      nowNanos: () => OBSERVED,
      rangeBytes: RANGE_BYTES,
      ...options,
    });
  } finally {
    await exporter.close();
  }
}

/** Random cut points: `count` chunks over `[0, size)`. */
function randomSplit(size: number, count: number, random: () => number): [number, number][] {
  const cuts = new Set<number>();
  while (cuts.size < count - 1) cuts.add(1 + Math.floor(random() * (size - 1)));
  const points = [0, ...[...cuts].sort((a, b) => a - b), size];
  return points.slice(1).map((end, i) => [points[i], end]);
}

const sorted = (values: string[]) => [...values].sort();

describe.each([
  ['gzip', gzipSync(CONTENT)],
  ['none', CONTENT],
] as const)('chunks of a %s object', (compression, body) => {
  let whole: ChunkItem;
  let expected: string[];
  beforeAll(async () => {
    whole = await stored(
      `split.log${compression === 'gzip' ? '.gz' : ''}`,
      body,
      compression,
      CONTENT.length,
    );
  });

  it('ships every line once as one chunk, with ids at each line offset', async () => {
    const result = await ship(whole);
    expectConserved(result);
    expect(result).toMatchObject({ lines: LINES, accepted: LINES, done: true, failed: 0 });
    expected = uids(receiver.deliveredRecords());
    let offset = 0;
    const offsets = TEXT.split('\n')
      .slice(0, LINES)
      .map((line) => {
        const at = offset;
        offset += Buffer.byteLength(line) + 1;
        return at;
      });
    expect(sorted(expected.map((uid) => uid.split(':')[1]))).toEqual(sorted(offsets.map(String)));
  });

  it.each([1, 2, 7, 50])('gives the same ids split into %i chunks', async (count) => {
    const random = createRandom(count);
    for (const [start, end] of randomSplit(CONTENT.length, count, random)) {
      const result = await ship({ ...whole, start, end });
      expectConserved(result);
      expect(result.failed).toBe(0);
    }
    expect(sorted(uids(receiver.deliveredRecords()))).toEqual(sorted(expected));
  });

  it('ships each line once across random splits, including cuts at line starts and ends', async () => {
    const random = createRandom(99);
    for (let round = 0; round < 6; round++) {
      const before = receiver.deliveredRecords().length;
      const count = 2 + Math.floor(random() * 20);
      const splits = randomSplit(CONTENT.length, count, random);
      // Cuts on either side of a newline are where off-by-one errors live.
      if (round === 0) {
        const newline = CONTENT.indexOf(0x0a);
        splits.splice(
          0,
          splits.length,
          [0, newline],
          [newline, newline + 1],
          [newline + 1, newline + 2],
          [newline + 2, CONTENT.length],
        );
      }
      let lines = 0;
      for (const [start, end] of splits) {
        lines += (await ship({ ...whole, start, end })).lines;
      }
      expect(lines).toBe(LINES);
      const delivered = uids(receiver.deliveredRecords().slice(before));
      expect(sorted(delivered)).toEqual(sorted(expected));
    }
  });

  it('stops at a line boundary when told to, and carries on from the cursor', async () => {
    let calls = 0;
    let from: number | undefined;
    let lines = 0;
    for (;;) {
      let pieces = 0;
      const result = await ship(whole, {
        ...(from !== undefined && { from }),
        shouldStop: () => ++pieces >= 3,
      });
      calls++;
      expectConserved(result);
      lines += result.lines;
      if (result.done) break;
      expect(result.cursor).toBeGreaterThan(from ?? 0);
      // A cursor is where a line starts: the byte before it ends a line.
      expect(CONTENT[result.cursor - 1]).toBe(0x0a);
      from = result.cursor;
    }
    expect(calls).toBeGreaterThan(3);
    expect(lines).toBe(LINES);
    expect(sorted(uids(receiver.deliveredRecords()))).toEqual(sorted(expected));
  });
});

describe('reading an object', () => {
  it.each([
    ['plain', 'none'],
    ['gzip', 'gzip'],
  ] as const)(
    "stops reading a %s object once the chunk's last line is complete",
    async (_, compression) => {
      const body = compression === 'gzip' ? gzipSync(CONTENT) : CONTENT;
      const whole = await stored(`early.${compression}`, body, compression, CONTENT.length);
      const requests: { start: number }[] = [];
      const newline = CONTENT.indexOf(0x0a, 3000);
      const result = await ship(
        { ...whole, end: newline },
        { rangesAhead: 0, onRequest: (r) => requests.push(r) },
      );
      expect(result.lines).toBe(CONTENT.subarray(0, newline).toString().split('\n').length);
      const ranges = Math.ceil(body.length / RANGE_BYTES);
      expect(ranges).toBeGreaterThan(10);
      // The last owned line ends within the first few ranges (compressed or not).
      expect(requests.length).toBeLessThanOrEqual(3);
      expect(result.bytesIn).toBeLessThanOrEqual(3 * RANGE_BYTES);
    },
  );

  it('re-reads only the rest of a range whose connection dropped mid-body', async () => {
    const chunk = await stored('dropped.log.gz', gzipSync(CONTENT), 'gzip', CONTENT.length);
    const proxy = await startDroppingProxy(s3.endpoint);
    const client = s3.clientFor(proxy.url);
    const requests: { start: number; end: number; attempt: number }[] = [];
    try {
      proxy.dropNextAfter(1000);
      const result = await ship(chunk, { client, onRequest: (r) => requests.push(r) });
      expect(proxy.dropped()).toBe(1);
      expect(result).toMatchObject({ lines: LINES, accepted: LINES, failed: 0 });
      expect(result.readError).toBeUndefined();
      const ranges = Math.ceil(chunk.size / RANGE_BYTES);
      // One GET per range, and one more for the rest of the range that broke off.
      expect(requests).toHaveLength(ranges + 1);
      // Whichever range was cut, the retry asks for its rest only.
      const retry = requests.find((r) => r.attempt === 2);
      const cut = requests.find((r) => r.attempt === 1 && r.end === retry?.end);
      expect(retry?.start).toBe((cut?.start ?? Number.NaN) + 1000);
    } finally {
      client.destroy();
      await proxy.close();
    }
  });

  it('gives up with ObjectReadRetryableError, naming the object and range, when a range keeps breaking off', async () => {
    const chunk = await stored('dropping.log', CONTENT, 'none');
    const proxy = await startDroppingProxy(s3.endpoint);
    const client = s3.clientFor(proxy.url);
    try {
      proxy.dropNextAfter(100);
      const read = async () => {
        for await (const _ of readObjectRanges({
          client,
          bucket: TEST_BUCKET,
          key: chunk.key,
          etag: chunk.etag,
          start: 0,
          end: RANGE_BYTES,
          rangeAttempts: 1,
        })) {
          // Reading is the point.
        }
      };
      const error = await read().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ObjectReadRetryableError);
      expect((error as Error).message).toContain(
        `s3://${TEST_BUCKET}/${chunk.key}: bytes 0-${RANGE_BYTES - 1}: gave up after 1 attempts`,
      );
      expect(proxy.dropped()).toBe(1);
    } finally {
      client.destroy();
      await proxy.close();
    }
  });

  it("leaves S3's 503 SlowDown to the SDK's retry, which asks again for the same range", async () => {
    const chunk = await stored('slowdown.log', CONTENT, 'none');
    const proxy = await startDroppingProxy(s3.endpoint);
    const client = s3.clientFor(proxy.url);
    const requests: unknown[] = [];
    try {
      proxy.slowDownNext();
      const result = await ship(chunk, { client, onRequest: (r) => requests.push(r) });
      expect(result).toMatchObject({ lines: LINES, accepted: LINES, failed: 0 });
      expect(result.readError).toBeUndefined();
      // One more GET on the wire than the reader asked for: the SDK's retry.
      expect(proxy.gets()).toBe(requests.length + 1);
    } finally {
      client.destroy();
      await proxy.close();
    }
  });

  it('ends with ObjectAccessDeniedError naming the object when S3 answers 403', async () => {
    const chunk = await stored('denied.log', CONTENT, 'none');
    // s3rver answers 403 to a key it does not know (it does not check
    // SigV4 signatures), as S3 answers a role without s3:GetObject.
    const client = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'S3RVER' },
    });
    try {
      const result = await ship(chunk, { client });
      expect(result.readError).toBeInstanceOf(ObjectAccessDeniedError);
      expect(result.readError?.message).toContain(
        `s3://${TEST_BUCKET}/${chunk.key}: access denied`,
      );
      expect(result).toMatchObject({ lines: 0, failed: 0 });
    } finally {
      client.destroy();
    }
  });

  it('stops with ObjectChangedError when the object is replaced mid-read, after shipping the lines before', async () => {
    const chunk = await stored('changed.log', CONTENT, 'none');
    let replaced = false;
    const result = await ship(chunk, {
      rangesAhead: 0,
      onRequest: (request) => {
        // s3rver ignores If-Match, so this relies on the answer's ETag check.
        if (request.start >= RANGE_BYTES * 4 && !replaced) {
          replaced = true;
          void s3.put(chunk.key, logText(600, 12));
        }
      },
    });
    expect(replaced).toBe(true);
    expect(result.readError).toBeInstanceOf(ObjectChangedError);
    expect(result.readError?.message).toContain(`s3://${TEST_BUCKET}/${chunk.key} changed`);
    expect(result.lines).toBeGreaterThan(0);
    expect(result.lines).toBeLessThan(LINES);
    expectConserved(result);
    expect(receiver.deliveredRecords()).toHaveLength(result.accepted);
  });

  it('ships the lines before the damage in a truncated gzip object, then fails clearly', async () => {
    const whole = gzipSync(CONTENT);
    const chunk = await stored(
      'truncated.log.gz',
      whole.subarray(0, Math.floor(whole.length * 0.6)),
      'gzip',
      CONTENT.length,
    );
    const result = await ship(chunk);
    expect(result.readError).toBeDefined();
    expect(describeReadError(result.readError)).toMatch(/gzip data is corrupt or truncated/);
    expect(result.lines).toBeGreaterThan(LINES / 3);
    expect(result.lines).toBeLessThan(LINES);
    expect(result).toMatchObject({ failed: 0, accepted: result.lines });
    expect(receiver.deliveredRecords()).toHaveLength(result.lines);
  });

  it.each([
    ['an empty plain object', 'empty.log', 'none'],
    ['a 0-byte .gz object', 'empty.log.gz', 'gzip'],
  ] as const)('ships nothing from %s, without an error', async (_, name, compression) => {
    const chunk = await stored(name, Buffer.alloc(0), compression);
    const result = await ship(chunk);
    expect(result).toMatchObject({ lines: 0, accepted: 0, failed: 0, batches: 0, done: true });
    expect(result.readError).toBeUndefined();
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses zstd stored under a .gz name (planned as gzip) by its compression, not as corrupt gzip', async () => {
    const body = zstdCompressSync(CONTENT);
    const chunk = await stored('zstd.log.gz', body, 'gzip', Number.MAX_SAFE_INTEGER);
    const result = await ship(chunk);
    expect(result.readError?.name).toBe('UnsupportedCompressionError');
    expect(result.readError?.message).toBe(
      `s3://${TEST_BUCKET}/${chunk.key} is zstd-compressed; elb-otlp reads ELB logs stored as gzip or plain text`,
    );
    const lines = await lineCount(body);
    expect(result).toMatchObject({ lines, failed: lines, accepted: 0, batches: 0 });
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses every chunk of a gzip object holding zstd, the later ones too, counting each line once', async () => {
    const inner = zstdCompressSync(CONTENT);
    const chunk = await stored('gzip-zstd.log.gz', gzipSync(inner), 'gzip', inner.length);
    const third = Math.ceil(inner.length / 3);
    const results = [];
    for (let start = 0; start < inner.length; start += third) {
      results.push(await ship({ ...chunk, start, end: Math.min(start + third, inner.length) }));
    }
    for (const result of results) {
      expect(result.readError?.name).toBe('UnsupportedCompressionError');
      expect(result.readError?.message).toContain('is gzip holding zstd-compressed data');
      expectConserved(result);
      expect(result.accepted).toBe(0);
    }
    const lines = results.reduce((sum, result) => sum + result.failed, 0);
    expect(lines).toBe(await lineCount(inner));
    expect(receiver.requests).toHaveLength(0);
  });

  it('decides per chunk, from its own first lines: the ELB part ships, the nginx part fails', async () => {
    const nginx = Buffer.from(`${NGINX_LINES.join('\n')}\n`);
    const chunk = await stored('half-nginx.log', Buffer.concat([CONTENT, nginx]), 'none');
    const first = await ship({ ...chunk, end: CONTENT.length });
    const second = await ship({ ...chunk, start: CONTENT.length });
    expect(first.readError).toBeUndefined();
    expect(first).toMatchObject({ lines: LINES, accepted: LINES, parseErrors: 0 });
    expect(second.readError?.name).toBe('NotAnElbLogError');
    expect(second.readError?.message).toContain(
      `is not an ELB log: none of its first 20 lines from byte ${CONTENT.length} is a line of`,
    );
    expect(second).toMatchObject({ lines: NGINX_LINES.length, failed: NGINX_LINES.length });
    expect(receiver.deliveredRecords()).toHaveLength(LINES);
  });

  it('reads on past a stop until the look-ahead has decided, so held-back lines are never refused early', async () => {
    // 15 odd lines of 1000 bytes span several 4 KiB ranges before the first ELB line.
    const odd = Array.from({ length: 15 }, (_, i) => `odd line ${i} `.padEnd(1000, '-'));
    const content = Buffer.from(`${odd.join('\n')}\n${TEXT}`);
    const chunk = await stored('odd-start.log', content, 'none');
    const first = await ship(chunk, { shouldStop: () => true });
    expect(first.readError).toBeUndefined();
    expect(first.done).toBe(false);
    expect(first.lines).toBeGreaterThan(odd.length);
    expect(first.parseErrors).toBe(odd.length);
    const rest = await ship(chunk, { from: first.cursor });
    expect(first.lines + rest.lines).toBe(odd.length + LINES);
    expect(receiver.deliveredRecords()).toHaveLength(odd.length + LINES);
  });

  it('ships a line over 1 MB that spans many ranges, once, whichever chunk its start falls in', async () => {
    const lines = [...generateAlbLines(20, { seed: 5 })];
    lines[10] = lines[10].replace(' HTTP/', `${'y'.repeat(1_200_000)} HTTP/`);
    const text = `${lines.join('\n')}\n`;
    const content = Buffer.from(text);
    const chunk = await stored('huge-line.log.gz', gzipSync(content), 'gzip', content.length);
    const longStart = content.indexOf(lines[10]);
    const splits: [number, number][] = [
      [0, longStart + 5],
      [longStart + 5, longStart + 700_000],
      [longStart + 700_000, content.length],
    ];
    const results = [];
    for (const [start, end] of splits) results.push(await ship({ ...chunk, start, end }));
    expect(results.map((r) => r.lines)).toEqual([11, 0, 9]);
    const delivered = receiver.deliveredRecords();
    expect(delivered).toHaveLength(20);
    const huge = delivered.find(
      (r) => (r.body as { stringValue: string }).stringValue.length > 1_000_000,
    );
    expect(huge?.body).toEqual({ stringValue: lines[10] });
  });
});
