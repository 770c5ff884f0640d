import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExportConfigError } from '../../shared/config/config-error.ts';
import { ExportRetryableError } from '../../shared/contract/errors.ts';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { ExportRejectedError } from '../../shared/otlp/export-errors.ts';
import { type Fault, type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { fixtureCases, parseObject } from '../helpers/records.ts';
import { expectConserved, fakeClock, gzip, inLineOrder, shipTo, uids } from '../helpers/ship.ts';

const BUCKET = 'my-logs';
const KEY =
  'AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20261101T0000Z_10.0.0.1_2soosksg.log.gz';
const LINES = 2000;
const TEXT = `${[...generateAlbLines(LINES, { seed: 3 })].join('\n')}\n`;
/** Four batches of 500 records. */
const BATCHED = { ELB_OTLP_MAX_BATCH_RECORDS: '500' };

let receiver: OtlpReceiver;
beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await receiver.close();
});

async function expectedRecords(text: string, env: Record<string, string> = {}) {
  return parseObject(text, { bucket: BUCKET, key: KEY, env });
}

describe.each(['http/protobuf', 'http/json'])('shipping over %s', (protocol) => {
  it.each(['gzip', 'zstd', 'none'])(
    'delivers records identical to what the parser produced, with %s compression',
    async (compression) => {
      const result = await shipTo(receiver, gzip(TEXT), {
        env: BATCHED,
        overrides: { protocol, compression },
        bucket: BUCKET,
        key: KEY,
      });
      const expected = await expectedRecords(TEXT);
      expect(inLineOrder(receiver.deliveredRecords())).toEqual(expected.records);
      for (const request of receiver.requests) {
        expect(request.path).toBe('/v1/logs');
        expect(request.headers['content-type']).toBe(
          protocol === 'http/json' ? 'application/json' : 'application/x-protobuf',
        );
        expect(request.headers['content-encoding']).toBe(
          compression === 'none' ? undefined : compression,
        );
        expect(request.body?.resourceLogs).toHaveLength(1);
        expect(request.body?.resourceLogs[0].resource).toEqual(expected.resource);
        expect(request.body?.resourceLogs[0].scopeLogs[0].scope).toEqual({
          name: 'elb-otlp',
          version: expect.stringMatching(/^\d+\.\d+\.\d+/),
        });
      }
      expect(result).toMatchObject({
        lines: LINES,
        accepted: LINES,
        rejected: 0,
        failed: 0,
        parseErrors: 0,
        batches: 4,
        retries: 0,
      });
    },
  );

  it('delivers no query secret of the lines, in attributes or bodies', async () => {
    // The generated lines carry token=abc123 and X-Amz-Signature=0a1b2c in requests and redirects.
    expect(TEXT).toContain('token=abc123');
    expect(TEXT).toContain('X-Amz-Signature=0a1b2c');
    await shipTo(receiver, gzip(TEXT), {
      env: BATCHED,
      overrides: { protocol },
      bucket: BUCKET,
      key: KEY,
    });
    const delivered = JSON.stringify(receiver.deliveredRecords());
    expect(delivered).toContain('token=REDACTED');
    expect(delivered).not.toContain('abc123');
    expect(delivered).not.toContain('0a1b2c');
  });

  it.each([
    'alb-access.txt',
    'alb-connection.txt',
    'alb-health.txt',
    'nlb-access.txt',
    'clb-access.txt',
  ])('delivers every documented line of %s as parsed', async (fixture) => {
    const text = `${fixtureCases(fixture)
      .map((c) => c.line)
      .join('\n')}\n`;
    const result = await shipTo(receiver, text, { overrides: { protocol } });
    expect(receiver.deliveredRecords()).toEqual((await parseObject(text)).records);
    expect(result.accepted).toBe(result.lines);
  });

  const now = Date.parse('2026-11-25T10:00:00Z');
  const recovered: [string, Fault[], number[]][] = [
    [
      'retries 503 honouring Retry-After in seconds',
      [{ kind: 'status', status: 503, retryAfter: '7' }],
      [7000],
    ],
    [
      'retries 429 honouring Retry-After as an HTTP date',
      [{ kind: 'status', status: 429, retryAfter: new Date(now + 12_000).toUTCString() }],
      [12_000],
    ],
    ['retries 502 with jittered backoff', [{ kind: 'status', status: 502 }], [250]],
    [
      'doubles the backoff ceiling on each retry of 504',
      [
        { kind: 'status', status: 504 },
        { kind: 'status', status: 504 },
        { kind: 'status', status: 504 },
      ],
      [250, 500, 1000],
    ],
    ['retries a reset connection', [{ kind: 'reset' }], [250]],
  ];

  it.each(recovered)('%s and delivers every record once', async (_name, faults, expectedSleeps) => {
    receiver.script(...faults);
    const { clock, sleeps } = fakeClock(now);
    const result = await shipTo(receiver, TEXT, {
      env: { ...BATCHED, ELB_OTLP_EXPORT_CONCURRENCY: '1' },
      overrides: { protocol },
      clock,
    });
    expect(sleeps).toEqual(expectedSleeps);
    expect(uids(receiver.deliveredRecords())).toEqual(uids((await parseObject(TEXT)).records));
    expect(result).toMatchObject({ accepted: LINES, failed: 0, retries: faults.length });
    expectConserved(result);
  });

  it('retries an answer slower than the timeout; the repeat carries the same record ids', async () => {
    receiver.script({ kind: 'slow', delayMs: 1500 });
    const result = await shipTo(receiver, TEXT, {
      env: { ...BATCHED, ELB_OTLP_EXPORT_CONCURRENCY: '1', OTEL_EXPORTER_OTLP_TIMEOUT: '200' },
      overrides: { protocol },
    });
    expect(result).toMatchObject({ accepted: LINES, failed: 0, retries: 1 });
    const [abandoned, repeat] = receiver.requests;
    expect(abandoned.fault.kind).toBe('slow');
    expect(uids(repeat.body?.resourceLogs[0].scopeLogs[0].logRecords ?? [])).toEqual(
      uids(abandoned.body?.resourceLogs[0].scopeLogs[0].logRecords ?? []),
    );
    expect(uids(receiver.deliveredRecords())).toEqual(uids((await parseObject(TEXT)).records));
  });

  it('counts a partial success as rejected and keeps the receiver’s message', async () => {
    receiver.script({ kind: 'partial', rejected: 7, message: 'timestamps too old' });
    const result = await shipTo(receiver, TEXT, { env: BATCHED, overrides: { protocol } });
    expect(result).toMatchObject({
      lines: LINES,
      accepted: LINES - 7,
      rejected: 7,
      failed: 0,
      retries: 0,
    });
    expect(result.rejectionMessages).toEqual(['timestamps too old']);
    expect(receiver.requests).toHaveLength(4);
  });

  it('does not retry a 400: that batch fails, the others are delivered', async () => {
    receiver.script({ kind: 'status', status: 400, message: 'bad attribute' });
    const result = await shipTo(receiver, TEXT, {
      env: { ...BATCHED, ELB_OTLP_EXPORT_CONCURRENCY: '1' },
      overrides: { protocol },
    });
    expect(result).toMatchObject({ accepted: 1500, failed: 500, retries: 0, batches: 4 });
    expect(result.exportError).toBeInstanceOf(ExportRejectedError);
    expect(result.exportError?.name).toBe('ExportRejectedError');
    expect(result.exportError?.message).toMatch(/answered 400: bad attribute/);
    expect(receiver.requests).toHaveLength(4);
    expectConserved(result);
  });

  it.each([
    [401, 'OTEL_EXPORTER_OTLP_HEADERS'],
    [404, '--endpoint'],
    [415, 'OTEL_EXPORTER_OTLP_PROTOCOL'],
  ])('stops sending after a %d and counts every line failed', async (status, setting) => {
    receiver.script({ kind: 'status', status });
    const result = await shipTo(receiver, TEXT, {
      env: { ...BATCHED, ELB_OTLP_EXPORT_CONCURRENCY: '1' },
      overrides: { protocol },
    });
    expect(result).toMatchObject({ lines: LINES, accepted: 0, failed: LINES, batches: 1 });
    expect(result.exportError).toBeInstanceOf(ExportConfigError);
    expect((result.exportError as ExportConfigError).setting).toBe(setting);
    expect(receiver.requests).toHaveLength(1);
    expectConserved(result);
  });

  // Line 3 lacks most fields, line 1 999 has a bad time: both are shipped, as parse errors.
  const broken = TEXT.split('\n');
  broken[2] = broken[2].slice(0, 60);
  broken[1998] = broken[1998].replace(/^(\S+ )\S+/, '$1not-a-time');
  const BROKEN = broken.join('\n');

  it('counts parse errors, and ships them as records', async () => {
    const result = await shipTo(receiver, BROKEN, { env: BATCHED, overrides: { protocol } });
    expect(result).toMatchObject({ lines: LINES, accepted: LINES, parseErrors: 2 });
    expect(inLineOrder(receiver.deliveredRecords())).toEqual((await parseObject(BROKEN)).records);
  });

  it('still counts parse errors in lines read after sending stopped', async () => {
    receiver.script({ kind: 'status', status: 401 });
    // Read in small pieces, so line 1 999 comes in well after the 401 stopped sending.
    const result = await shipTo(receiver, BROKEN, {
      env: { ...BATCHED, ELB_OTLP_EXPORT_CONCURRENCY: '1' },
      overrides: { protocol },
      pieceBytes: 16 * 1024,
    });
    expect(result).toMatchObject({ lines: LINES, failed: LINES, batches: 1, parseErrors: 2 });
    expectConserved(result);
  });
});

describe('a receiver that never recovers', () => {
  it('stops retrying at the retry deadline and counts every line failed', async () => {
    receiver.script(...Array.from({ length: 500 }, (): Fault => ({ kind: 'status', status: 503 })));
    const { clock, sleeps } = fakeClock();
    const result = await shipTo(receiver, TEXT, {
      env: { ...BATCHED, ELB_OTLP_EXPORT_CONCURRENCY: '1' },
      overrides: { maxRetryTime: '2m' },
      clock,
    });
    expect(result).toMatchObject({ lines: LINES, accepted: 0, failed: LINES, batches: 1 });
    expect(result.exportError).toBeInstanceOf(ExportRetryableError);
    expect(result.exportError?.message).toMatch(
      /gave up on a batch of 500 records after \d+ attempts/,
    );
    expect(sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(120_000);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(30_000);
    expect(receiver.requests.length).toBe(result.retries + 1);
    expectConserved(result);
  });

  it('stops at an earlier deadline given by the caller (a Lambda’s remaining time)', async () => {
    receiver.script(...Array.from({ length: 100 }, (): Fault => ({ kind: 'status', status: 503 })));
    const { clock, sleeps, start } = fakeClock();
    const result = await shipTo(receiver, TEXT, {
      env: { ...BATCHED, ELB_OTLP_EXPORT_CONCURRENCY: '1' },
      clock,
      deadlineMs: start + 5000,
    });
    expect(result.failed).toBe(LINES);
    expect(sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThan(5000);
  });

  it('treats a refused connection as retryable, then gives up with a clear error', async () => {
    const url = receiver.url;
    await receiver.close();
    const { clock } = fakeClock();
    const closed = { ...receiver, url };
    const result = await shipTo(closed, TEXT, { overrides: { maxRetryTime: '10s' }, clock });
    expect(result.failed).toBe(LINES);
    expect(result.exportError).toBeInstanceOf(ExportRetryableError);
    expect(result.exportError?.message).toMatch(/could not be reached \(ECONNREFUSED/);
    receiver = await startOtlpReceiver();
  });
});

describe('shipping', () => {
  it('gives every line the same log.record.uid on every run', async () => {
    await shipTo(receiver, gzip(TEXT), { bucket: BUCKET, key: KEY });
    const first = uids(inLineOrder(receiver.deliveredRecords()));
    receiver.requests.length = 0;
    await shipTo(receiver, gzip(TEXT), { bucket: BUCKET, key: KEY, env: BATCHED });
    expect(uids(inLineOrder(receiver.deliveredRecords()))).toEqual(first);
    expect(new Set(first).size).toBe(LINES);
  });

  it('stops reading while every request is in flight (bounded memory)', async () => {
    const big = `${[...generateAlbLines(20_000, { seed: 9 })].join('\n')}\n`;
    await receiver.close();
    receiver = await startOtlpReceiver({ decode: false });
    let release: () => void = () => {};
    const until = new Promise<void>((resolve) => {
      release = resolve;
    });
    receiver.script({ kind: 'hold', until }, { kind: 'hold', until });
    let pulled = 0;
    const shipping = shipTo(receiver, big, {
      env: { ELB_OTLP_EXPORT_CONCURRENCY: '2', ELB_OTLP_MAX_BATCH_BYTES: String(256 * 1024) },
      pieceBytes: 64 * 1024,
      onPull: (bytes) => {
        pulled += bytes;
      },
    });
    while (receiver.requests.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const pulledWhileBlocked = pulled;
    release();
    const result = await shipping;
    // Two batches in flight and one being filled: well under a megabyte of input.
    expect(pulledWhileBlocked).toBeLessThan(1024 * 1024);
    expect(Buffer.byteLength(big)).toBeGreaterThan(10 * 1024 * 1024);
    expect(result).toMatchObject({ lines: 20_000, accepted: 20_000, failed: 0 });
  });

  it('ships what it read before a corrupt gzip stream and reports the read error', async () => {
    const bytes = gzip(TEXT);
    const truncated = bytes.subarray(0, Math.floor(bytes.length / 2));
    const result = await shipTo(receiver, truncated);
    expect(result.readError?.message).toMatch(/unexpected end of file/);
    expect(result.lines).toBeGreaterThan(0);
    expect(result.lines).toBeLessThan(LINES);
    expect(receiver.deliveredRecords()).toHaveLength(result.lines);
    expectConserved(result);
  });
});
