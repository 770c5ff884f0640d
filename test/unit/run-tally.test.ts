/**
 * The report's tally (shared/reprocess/run-tally.ts): what it writes at
 * once and what it holds, whatever order a run's results arrive in. The
 * per-object detail goes to an array here instead of S3 (the sink is all
 * the tally writes to).
 */

import { describe, expect, it } from 'vitest';
import { zeroChunkCounts } from '../../shared/contract/counts.ts';
import type { ChunkItem, CompactChunkResult } from '../../shared/contract/state-machine.ts';
import { TO_THE_END } from '../../shared/reprocess/object-chunks.ts';
import { type ObjectStatus, RunTally } from '../../shared/reprocess/run-tally.ts';

const MIB = 1024 * 1024;
const item = (key: string, start: number, end: number): ChunkItem => ({
  bucket: 'logs',
  key,
  etag: `"${key}"`,
  size: 3 * MIB,
  compression: 'none',
  start,
  end,
});
const whole = (key: string): ChunkItem => ({ ...item(key, 0, TO_THE_END), compression: 'gzip' });
const shipped = (lines: number, more: Partial<CompactChunkResult> = {}): CompactChunkResult => ({
  ...zeroChunkCounts(),
  lines,
  accepted: lines,
  done: true,
  ...more,
});

/** A tally writing to an array, and the array. */
function tallyWith(reportDeletes = false) {
  const written: ObjectStatus[] = [];
  const tally = new RunTally({ write: async (status) => void written.push(status) }, reportDeletes);
  return { tally, written };
}

describe("the report's tally", () => {
  it('writes each whole object as it is read, and an object split across units once, at the end, whatever order its chunks come in', async () => {
    const { tally, written } = tallyWith();
    const big = [item('big', 0, MIB), item('big', MIB, 2 * MIB), item('big', 2 * MIB, 3 * MIB)];
    await tally.unit([big[2]], { results: [shipped(5)] });
    await tally.unit([whole('a'), whole('b')], { results: [shipped(10), shipped(20)] });
    expect(written.map((o) => o.key)).toEqual(['a', 'b']);
    await tally.unit([big[0]], { results: [shipped(7)] });
    await tally.unit([big[1]], { results: [shipped(3)] });
    expect(written).toHaveLength(2);
    await tally.finish();
    expect(written.at(-1)).toMatchObject({ key: 'big', chunks: 3, lines: 15, shipped: true });
    expect(tally).toMatchObject({ objects: 3, shippedObjects: 3, chunks: 5 });
    expect(tally.totals.lines).toBe(45);
    expect(tally.failures).toEqual([]);
  });

  it('fails a split object when one of its chunks has no result, naming it and what a re-run ships', async () => {
    const { tally, written } = tallyWith();
    const big = [item('big', 0, MIB), item('big', MIB, 2 * MIB)];
    await tally.unit([big[0]], { results: [shipped(7)] });
    await tally.unit([big[1]], undefined);
    await tally.finish();
    expect(written).toEqual([expect.objectContaining({ key: 'big', chunks: 2, shipped: false })]);
    expect(tally.failures).toEqual([
      {
        key: 'big',
        start: MIB,
        end: 2 * MIB,
        error: expect.objectContaining({ name: 'NoResult' }),
      },
    ]);
    expect(tally.retryItems).toEqual([big[1]]);
  });

  it('counts what workers deleted and holds for the report only the shipped objects no worker deleted', async () => {
    const { tally, written } = tallyWith(true);
    await tally.unit([whole('deleted'), whole('left'), whole('refused')], {
      results: [
        shipped(1, { deletion: 'deleted' }),
        shipped(2),
        shipped(3, { deletion: { name: 'AccessDenied', message: 'denied' } }),
      ],
    });
    expect(written.map((o) => [o.key, o.deletion])).toEqual([
      ['deleted', 'deleted'],
      ['refused', { name: 'AccessDenied', message: 'denied' }],
    ]);
    expect(tally.toDelete('')).toEqual([{ key: 'left', etag: '"left"' }]);
    tally.deletedByReport(new Map([['left', 'changed']]));
    await tally.finish();
    expect(written.at(-1)).toMatchObject({ key: 'left', deletion: 'changed' });
    expect(tally.deleted).toBe(1);
    expect(tally.changedKeys).toEqual(['left']);
    expect(tally.deleteFailures).toEqual([
      { key: 'refused', code: 'AccessDenied', message: 'denied' },
    ]);
  });

  it("leaves to the report a worker's delete refused for a reason that may pass", async () => {
    const { tally, written } = tallyWith(true);
    await tally.unit([whole('throttled')], {
      results: [
        shipped(4, { deletion: { name: 'SlowDown', message: 'reduce your request rate' } }),
      ],
    });
    expect(written).toEqual([]);
    expect(tally.toDelete('')).toEqual([{ key: 'throttled', etag: '"throttled"' }]);
    expect(tally.deleteFailures).toEqual([]);
  });
});
