/**
 * Work units through whole local runs (the definition through
 * aws-local-stepfunctions and the local Distributed Map adapter, the real
 * plan, unit worker, next-pass and report steps, s3rver and the test OTLP
 * receiver): every line ships exactly once whatever the unit size (one
 * chunk a unit, a few, all the small objects in one); and a Collector down
 * longer than the run's passes ends its units failed with the reason, their
 * chunks in the report's retry items, which a re-run ships exactly once.
 * The worker's clock is the one stand-in: it jumps through the exporter's
 * waits, and each child's clock starts at the child's start.
 */

import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_UNIT_BYTES, MAX_PASSES } from '../../shared/contract/state-machine.ts';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import type { ExporterClock } from '../../shared/otlp/exporter.ts';
import { runLocally } from '../helpers/local-run.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';
import { uids } from '../helpers/ship.ts';

const ROOT = 'units/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/';
const name = (n: number, ext: string) =>
  `${ROOT}123456789012_elasticloadbalancing_us-east-2_app.web.50dc6c495c0c9188_20261101T${String(n).padStart(4, '0')}Z_10.0.0.${n}_u${n}${ext}`;
const access = (count: number, seed: number) =>
  `${[...generateAlbLines(count, { seed })].join('\n')}\n`;
/** 1 MiB, the smallest chunk a run allows: the large object is cut into three. */
const CHUNK = 1024 * 1024;
const SMALL = 40;

let s3: TestS3;
let lines = 0;
/** The chunks of the large object (a plain object is cut exactly). */
let bigChunks = 0;
beforeAll(async () => {
  s3 = await startS3();
  for (let n = 1; n <= SMALL; n++) {
    const count = 20 + n;
    lines += count;
    await s3.put(name(n, '.log.gz'), gzipSync(access(count, n)));
  }
  const big = access(5000, 99);
  lines += 5000;
  bigChunks = Math.ceil(big.length / CHUNK);
  expect(bigChunks).toBeGreaterThan(2);
  await s3.put(name(99, '.log'), big);
});
afterAll(async () => {
  await s3.close();
});

/**
 * A clock that jumps through waits, reset to the time each child starts
 * (its worker's call names it), as a real worker's clock would read: for
 * one child at a time.
 */
function childClock() {
  let base = Date.now();
  let slept = 0;
  let child: string | undefined;
  const clock: ExporterClock = {
    now: () => base + slept,
    sleep: async (ms) => {
      slept += ms;
    },
    random: () => 0.5,
  };
  const enter = (call: unknown) => {
    const startedAt = (call as { startedAt?: string }).startedAt;
    if (startedAt !== child) {
      child = startedAt;
      base = startedAt === undefined ? Date.now() : Date.parse(startedAt);
      slept = 0;
    }
  };
  return { clock, enter };
}

/** One run; one child at a time where the clock must follow each child's start. */
async function run(
  receiver: OtlpReceiver,
  input: unknown,
  runId: string,
  concurrency = 4,
  onCall?: (call: unknown) => void,
) {
  const { clock, enter } = childClock();
  return runLocally({
    s3,
    receiver,
    input,
    runId,
    concurrency,
    clock,
    onCall: (call) => {
      enter(call);
      onCall?.(call);
    },
    run: { childExecutionType: 'EXPRESS', passWaitSeconds: 0 },
  });
}

/** Every line once: the uid multiset of what the receiver accepted. */
function expectEveryLineOnce(receiver: OtlpReceiver) {
  const delivered = uids(receiver.deliveredRecords());
  expect(delivered).toHaveLength(lines);
  expect(new Set(delivered).size).toBe(lines);
}

describe('work units, run locally', () => {
  it.each([
    { name: 'one chunk a unit', unitBytes: 1, smallUnits: SMALL },
    { name: 'a few objects a unit', unitBytes: 20_000, smallUnits: undefined },
    { name: 'every small object in one unit', unitBytes: DEFAULT_UNIT_BYTES, smallUnits: 1 },
  ])('ships every line exactly once ($name)', async ({ unitBytes, smallUnits }) => {
    const receiver = await startOtlpReceiver();
    try {
      const { outcome, report, plan, children } = await run(
        receiver,
        { bucket: TEST_BUCKET, prefix: ROOT, chunkBytes: CHUNK, unitBytes },
        `units-${unitBytes}`,
      );
      expect(outcome.status).toBe('SUCCEEDED');
      const chunks = SMALL + bigChunks;
      expect(plan).toMatchObject({ objects: SMALL + 1, chunks, unitBytes });
      // The large object's chunks a unit each; the small objects packed.
      if (smallUnits !== undefined) expect(plan.units).toBe(smallUnits + bigChunks);
      else expect(plan.units - bigChunks).toBeGreaterThan(2);
      if (smallUnits === undefined) expect(plan.units - bigChunks).toBeLessThan(SMALL / 2);
      expect(children).toBe(plan.units);
      expect(report).toMatchObject({
        objects: SMALL + 1,
        chunks,
        units: plan.units,
        failedChunks: 0,
        lines,
        accepted: lines,
      });
      expectEveryLineOnce(receiver);
    } finally {
      await receiver.close();
    }
  });

  it('ends units failed with the reason when the Collector stays down past every pass, and the re-run ships them once', async () => {
    const down = await startOtlpReceiver();
    down.rule(() => ({ kind: 'status', status: 503 }));
    // Three small objects: one unit, its child stalled in every pass.
    const keys = [1, 2, 3].map((n) => name(n, '.log.gz'));
    const { outcome, report, plan, children } = await run(
      down,
      { bucket: TEST_BUCKET, prefix: ROOT, keys },
      'units-outage',
      1,
    );
    await down.close();
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error?.name).toBe('ChunksFailed');
    // The first pass and MAX_PASSES more.
    expect(plan.units).toBe(1);
    expect(children).toBe(1 + MAX_PASSES);
    expect(report).toMatchObject({ failedChunks: 3, accepted: 0, shippedObjects: 0 });
    for (const failure of report.failures) {
      expect(failure.error.name).toBe('ExportRetryableError');
    }

    const up = await startOtlpReceiver();
    try {
      const again = await run(up, report.retry, 'units-outage-retry');
      expect(again.outcome.status).toBe('SUCCEEDED');
      expect(again.plan).toMatchObject({ chunks: 3, units: 1, retryOf: 'units-outage' });
      const shipped = 21 + 22 + 23;
      expect(again.report).toMatchObject({ failedChunks: 0, lines: shipped, accepted: shipped });
      const delivered = uids(up.deliveredRecords());
      expect(delivered).toHaveLength(shipped);
      expect(new Set(delivered).size).toBe(shipped);
    } finally {
      await up.close();
    }
  });

  it('stops carrying on a unit whose worker fails twice from the same place, its chunks failed with the error', async () => {
    // The worker crashes on every call of the unit holding object 2 (the
    // Lambda stand-in throws before the worker runs): the pass after the
    // first fails it again from the same place, so no third pass runs it.
    const receiver = await startOtlpReceiver();
    const keys = [1, 2, 3].map((n) => name(n, '.log.gz'));
    let calls = 0;
    try {
      const { outcome, report, plan, children } = await run(
        receiver,
        { bucket: TEST_BUCKET, prefix: ROOT, keys, unitBytes: 1 },
        'units-crash',
        1,
        (call) => {
          const chunks = (call as { item: { chunks: { key: string }[] } }).item.chunks;
          if (chunks.some((chunk) => chunk.key === keys[1])) {
            calls++;
            throw new Error('the worker crashed');
          }
        },
      );
      expect(plan.units).toBe(3);
      expect(calls).toBe(2);
      expect(children).toBe(3 + 1);
      expect(outcome.status).toBe('FAILED');
      expect(report).toMatchObject({ failedChunks: 1, shippedObjects: 2 });
      expect(report.failures).toEqual([
        expect.objectContaining({
          key: keys[1],
          error: expect.objectContaining({ name: 'Error' }),
        }),
      ]);
      expect(report.failures[0].error.message).toMatch(/the worker crashed/);
    } finally {
      await receiver.close();
    }
  });
});
