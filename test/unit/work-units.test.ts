/**
 * Work units (shared/reprocess/units.ts, the unit schemas of
 * shared/contract/state-machine.ts): every chunk lands in exactly one unit,
 * in order; large objects' chunks each get a unit; small objects share
 * units bounded by stored bytes and by their items and results' size; and a
 * unit's continuation input and result fit Step Functions' 256 KiB.
 */

import { describe, expect, it } from 'vitest';
import { zeroChunkCounts } from '../../shared/contract/counts.ts';
import {
  type ChunkItem,
  COMPACT_MESSAGE_BYTES,
  COMPACT_NAME_BYTES,
  COMPACT_RESULT_BYTES,
  type CompactChunkResult,
  compactChunkResultSchema,
  DEFAULT_UNIT_BYTES,
  STATE_PAYLOAD_BYTES,
  UNIT_BUDGET_BYTES,
  unitInputSchema,
  unitItemSchema,
  unitResultSchema,
} from '../../shared/contract/state-machine.ts';
import { compactDeletionError, compactError } from '../../shared/reprocess/unit-step.ts';
import { chunksPerUnit, packUnits, UnitPacker } from '../../shared/reprocess/units.ts';

const ELB_KEY = (n: number) =>
  `AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20261101T${String(n % 2400).padStart(4, '0')}Z_10.0.${n % 250}.${n % 199}_r${n}.log.gz`;

/** One object of one chunk, `size` stored bytes. */
function small(n: number, size: number, key = ELB_KEY(n)): ChunkItem[] {
  return [
    {
      bucket: 'my-elb-logs',
      key,
      etag: '"9b2cf535f27731c974343645a3985328"',
      size,
      compression: 'gzip',
      start: 0,
      end: Number.MAX_SAFE_INTEGER,
    },
  ];
}

/** One object cut into `count` chunks. */
function large(n: number, count: number): ChunkItem[] {
  return Array.from({ length: count }, (_, i) => ({
    ...small(n, 900_000_000)[0],
    start: i * 268_435_456,
    end: (i + 1) * 268_435_456,
  }));
}

const range = (count: number, object: (n: number) => ChunkItem[]) =>
  Array.from({ length: count }, (_, n) => object(n));

describe('packUnits', () => {
  it.each([
    {
      name: 'one chunk a unit when unitBytes is 1',
      objects: range(5, (n) => small(n, 1000)),
      unitBytes: 1,
      sizes: [1, 1, 1, 1, 1],
    },
    {
      name: 'small objects up to unitBytes of stored log',
      objects: range(25, (n) => small(n, 100_000)),
      unitBytes: 1024 * 1024,
      sizes: [10, 10, 5],
    },
    {
      name: "a large object's chunks a unit each, between the small objects' units",
      objects: [small(0, 10), small(1, 10), large(2, 3), small(3, 10)],
      unitBytes: DEFAULT_UNIT_BYTES,
      sizes: [2, 1, 1, 1, 1],
    },
    {
      name: 'an object bigger than unitBytes a unit of its own',
      objects: [small(0, 10), small(1, 5_000_000), small(2, 10)],
      unitBytes: 1_000_000,
      sizes: [1, 1, 1],
    },
    {
      name: 'an empty object counted, packed like the rest',
      objects: [small(0, 0), small(1, 10)],
      unitBytes: 10,
      sizes: [2],
    },
  ])('$name', ({ objects, unitBytes, sizes }) => {
    const units = packUnits(objects, unitBytes);
    expect(units.map((unit) => unit.chunks.length)).toEqual(sizes);
    expect(units.map((unit) => unit.unit)).toEqual(sizes.map((_, i) => i));
    // Every chunk exactly once, in the order planned.
    expect(units.flatMap((unit) => unit.chunks)).toEqual(objects.flat());
    for (const unit of units) expect(unitItemSchema.parse(unit)).toEqual(unit);
  });

  /** A unit's item and the largest results of its chunks, as the budget counts them. */
  const payloadOf = (unit: { chunks: unknown[] }) =>
    Buffer.byteLength(JSON.stringify(unit)) + unit.chunks.length * COMPACT_RESULT_BYTES;

  it.each([
    { name: 'ELB keys', key: ELB_KEY, units: 3 },
    {
      name: 'keys of 1,000 characters',
      key: (n: number) => `${'k'.repeat(1000)}/${n}.log.gz`,
      units: 6,
    },
  ])('fills units of small objects up to the payload budget ($name)', ({ key, units: count }) => {
    // 800 objects of 1,250 lines (the fleet benchmark's): 100 MB in all,
    // under one unit's stored bytes, so the payload budget alone cuts them.
    const objects = range(800, (n) => small(n, 111_500, key(n)));
    const units = packUnits(objects, DEFAULT_UNIT_BYTES);
    expect(units).toHaveLength(count);
    for (const [i, unit] of units.entries()) {
      expect(payloadOf(unit)).toBeLessThanOrEqual(UNIT_BUDGET_BYTES);
      if (i < units.length - 1) {
        // Full: one chunk more would not have fitted.
        const next = units[i + 1].chunks[0];
        expect(payloadOf({ chunks: [...unit.chunks, next] })).toBeGreaterThan(
          UNIT_BUDGET_BYTES - 40,
        );
      }
    }
    expect(units.flatMap((unit) => unit.chunks)).toEqual(objects.flat());
    const itemBytes = Buffer.byteLength(JSON.stringify(objects[400][0]));
    expect(units[0].chunks.length).toBe(chunksPerUnit(itemBytes));
  });

  it('refuses a unit size that is not a whole number of bytes', () => {
    expect(() => new UnitPacker(0)).toThrow(/unitBytes must be .* at least 1: 0/);
    expect(() => new UnitPacker(1.5)).toThrow(RangeError);
  });
});

describe('the unit contract', () => {
  /**
   * The largest compact result the worker writes: every count of 13 digits
   * (a 5 TB object's bytes), an error's name and message cut to their length.
   */
  const worstResult: CompactChunkResult = {
    ...Object.fromEntries(Object.keys(zeroChunkCounts()).map((name) => [name, 5_000_000_000_000])),
    done: true,
    error: compactError({ name: 'N'.repeat(500), message: 'x'.repeat(5000) }),
  } as CompactChunkResult;
  const { done: _done, error: _error, ...worstCounts } = worstResult;
  const fullUnit = packUnits(
    range(1000, (n) => small(n, 10)),
    DEFAULT_UNIT_BYTES,
  )[0];
  const full = fullUnit.chunks.length;

  it.each([
    ['ASCII', 'x'.repeat(1000)],
    ['CJK', '日本語のログ行'.repeat(100)],
    ['emoji', '🙂'.repeat(300)],
    ['control characters JSON escapes', '\u0001'.repeat(500)],
  ])('cuts a message of %s to COMPACT_MESSAGE_BYTES as JSON writes it', (_kind, message) => {
    const cut = compactError({ name: 'NotAnElbLogError', message });
    expect(Buffer.byteLength(JSON.stringify(cut.message))).toBeLessThanOrEqual(
      COMPACT_MESSAGE_BYTES,
    );
    expect(cut.message.endsWith('…')).toBe(true);
    expect(message.startsWith(cut.message.slice(0, -1))).toBe(true);
    expect(Buffer.byteLength(JSON.stringify({ ...worstResult, error: cut }))).toBeLessThanOrEqual(
      COMPACT_RESULT_BYTES,
    );
  });

  it("cuts an error's name to COMPACT_NAME_BYTES and keeps this project's names whole", () => {
    const cut = compactError({ name: '名前'.repeat(100), message: 'm' });
    expect(Buffer.byteLength(JSON.stringify(cut.name))).toBeLessThanOrEqual(COMPACT_NAME_BYTES);
    expect(cut.name.endsWith('…')).toBe(true);
    for (const name of [
      'ExportRetryableError',
      'ObjectReadRetryableError',
      'UnsupportedCompressionError',
    ]) {
      expect(compactError({ name, message: 'm' }).name).toBe(name);
    }
  });

  it('keeps a compact result under COMPACT_RESULT_BYTES', () => {
    expect(Buffer.byteLength(JSON.stringify(worstResult))).toBeLessThanOrEqual(
      COMPACT_RESULT_BYTES,
    );
  });

  it('keeps a result whose delete failed under COMPACT_RESULT_BYTES', () => {
    const { error: _e, ...counts } = worstResult;
    const deletion = compactDeletionError({ name: 'N'.repeat(500), message: '🙂'.repeat(500) });
    const result = compactChunkResultSchema.parse({ ...counts, deletion });
    expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThanOrEqual(COMPACT_RESULT_BYTES);
  });

  it("keeps a deleting run's units, their flag and long numbers, within the budget", () => {
    const objects = range(800, (n) => small(n, 111_500, ELB_KEY(n)));
    const ledger = `s3://work/elb-otlp/runs/${'r'.repeat(80)}/deletions/`;
    const packer = new UnitPacker(DEFAULT_UNIT_BYTES, 15_000_000, ledger);
    const units = [...objects.flatMap((chunks) => packer.add(chunks)), ...packer.finish()];
    expect(units.map((unit) => unit.unit)).toEqual([15_000_000, 15_000_001, 15_000_002]);
    for (const unit of units) {
      expect(unitItemSchema.parse(unit).deleteShipped).toBe(ledger);
      const payload =
        Buffer.byteLength(JSON.stringify(unit)) + unit.chunks.length * COMPACT_RESULT_BYTES;
      expect(payload).toBeLessThanOrEqual(UNIT_BUDGET_BYTES);
    }
  });

  it('fits a full unit with the results before its last chunk in 256 KiB, as input and answer', () => {
    // The worst case: every result and the cursor at their largest, and the unit stalled.
    const input = {
      ...fullUnit,
      cursor: {
        chunk: full - 1,
        chunkCursor: { ...worstCounts, offset: 99_999_999_999, error: worstResult.error },
      },
      results: Array.from({ length: full - 1 }, () => worstResult),
      stalled: worstResult.error,
    };
    expect(full).toBeGreaterThan(250);
    expect(unitInputSchema.parse(input).results).toHaveLength(full - 1);
    expect(Buffer.byteLength(JSON.stringify(input))).toBeLessThan(STATE_PAYLOAD_BYTES);
    // Unfinished, the answer is the next input (and the next pass's item).
    const paused = { ...input, done: false, carryOn: true };
    expect(unitResultSchema.parse(paused)).toMatchObject({ done: false, cursor: input.cursor });
    expect(unitInputSchema.parse(paused).cursor).toEqual(input.cursor);
    expect(Buffer.byteLength(JSON.stringify(paused))).toBeLessThan(STATE_PAYLOAD_BYTES);
    // A call that fails adds the error to the child's state (Catch, `$.failure`):
    // its Cause may be 32 KiB.
    const failed = {
      item: input,
      startedAt: '2026-12-02T10:00:00.000Z',
      executionType: 'EXPRESS',
      failure: { Error: 'Lambda.Unknown', Cause: 'c'.repeat(32 * 1024) },
    };
    expect(Buffer.byteLength(JSON.stringify(failed))).toBeLessThan(STATE_PAYLOAD_BYTES);
    // Finished, the answer names its chunks, so it is read without the manifest.
    const finished = {
      unit: 0,
      chunks: fullUnit.chunks,
      done: true,
      carryOn: false,
      results: Array(full).fill(worstResult),
    };
    expect(unitResultSchema.parse(finished).results).toHaveLength(full);
    expect(Buffer.byteLength(JSON.stringify(finished))).toBeLessThan(STATE_PAYLOAD_BYTES);
  });

  it.each([
    {
      name: 'a cursor past the last chunk',
      input: { cursor: { chunk: 3 }, results: [] },
      problem: /cursor\.chunk.*3 is not a chunk of a unit of 2/,
    },
    {
      name: 'results that do not match the cursor',
      input: { cursor: { chunk: 1 }, results: [] },
      problem: /results.*0 results for the 1 chunks before the cursor/,
    },
    {
      name: 'results without a cursor',
      input: { results: [{ ...zeroChunkCounts(), done: true }] },
      problem: /results.*1 results for the 0 chunks before the cursor/,
    },
  ])('refuses $name', ({ input, problem }) => {
    const unit = packUnits([small(0, 10), small(1, 10)], DEFAULT_UNIT_BYTES)[0];
    const parsed = unitInputSchema.safeParse({ ...unit, ...input });
    expect(parsed.success).toBe(false);
    const issues = (parsed.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues.join('\n')).toMatch(problem);
  });
});
