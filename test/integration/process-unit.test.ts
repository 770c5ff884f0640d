/**
 * The unit worker (shared/reprocess/unit-step.ts) against s3rver and the
 * test OTLP receiver: a unit's chunks shipped in order with their results,
 * the deadline carried across chunks and called again with the answer until
 * done (every line exactly once), the child's budget, a receiver that stays
 * unavailable (the unit stalls, not throws), and a missing object failing
 * only its chunk. The Lambda context is the one stand-in (there is no local
 * Lambda runtime): its remaining time reads the injected clock.
 */

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { JsonAttribute, JsonRequest } from '../../receiver/otlp-decoder.ts';
import { ChunkInputError } from '../../shared/contract/errors.ts';
import type { ChunkItem, UnitItem, UnitResult } from '../../shared/contract/state-machine.ts';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { type ExporterClock, SYSTEM_CLOCK } from '../../shared/otlp/exporter.ts';
import type { ChunkContext } from '../../shared/reprocess/chunk-step.ts';
import { chunkItems } from '../../shared/reprocess/object-chunks.ts';
import { CHILD_BUDGET_MS } from '../../shared/reprocess/unit-step.ts';
import { packUnits } from '../../shared/reprocess/units.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';
import {
  contextFor,
  steppingClock,
  type UnitWorkerOptions,
  uids,
  unitWorker,
} from '../helpers/ship.ts';

const ROOT = 'AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/';
const key = (n: number) =>
  `${ROOT}123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20261101T${String(n).padStart(4, '0')}Z_10.0.0.${n}_unit.log`;
/** Lines of each object: a few small ones and one cut into three chunks. */
const SIZES = [300, 1, 450, 200, 900];
const LINES = SIZES.reduce((sum, lines) => sum + lines, 0);

let s3: TestS3;
let receiver: OtlpReceiver;
/** Each object's chunks, the last one's cut in three. */
const objects: ChunkItem[][] = [];
beforeAll(async () => {
  s3 = await startS3();
  for (const [n, lines] of SIZES.entries()) {
    const text = `${[...generateAlbLines(lines, { seed: 40 + n })].join('\n')}\n`;
    const whole = await s3.putWholeChunk(key(n), text);
    const { start: _, end: __, ...object } = whole;
    objects.push(
      n === SIZES.length - 1
        ? chunkItems(object, text.length, Math.ceil(text.length / 3))
        : [whole],
    );
  }
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

function worker(clock: ExporterClock, concurrency = 1, wrap?: UnitWorkerOptions['wrap']) {
  return unitWorker({
    s3: s3.client,
    endpoint: receiver.url,
    clock,
    env: { ELB_OTLP_MAX_BATCH_RECORDS: '50', ELB_OTLP_EXPORT_CONCURRENCY: String(concurrency) },
    rangeBytes: 4 * 1024,
    ...(wrap !== undefined && { wrap }),
  });
}

/** Calls the worker with its own answer until the unit is done; the answers in order. */
async function untilDone(
  run: ReturnType<typeof worker>['run'],
  unit: unknown,
  context: () => ChunkContext,
): Promise<UnitResult[]> {
  const answers: UnitResult[] = [];
  let input = unit;
  while (answers.length < 200) {
    const answer = await run({ item: input }, context());
    answers.push(answer);
    if (answer.done) return answers;
    input = answer;
  }
  throw new Error('the unit did not finish in 200 calls');
}

/** The object a request's records come from. */
const objectOf = (body: JsonRequest): string | undefined =>
  (body.resourceLogs[0]?.resource?.attributes as JsonAttribute[] | undefined)?.find(
    (attribute) => attribute.key === 'aws.s3.key',
  )?.value.stringValue as string | undefined;

/** Every chunk of every object in one unit. */
const wholeUnit = (): UnitItem => ({ unit: 7, chunks: objects.flat() });

describe('process a unit', () => {
  it('ships every chunk in order in one call, a result for each', async () => {
    const clock = steppingClock(1);
    const { run, close } = worker(clock);
    const answer = await run({ item: wholeUnit() }, contextFor(clock, 900_000));
    await close();
    expect(answer.done).toBe(true);
    expect(answer.unit).toBe(7);
    const lines = answer.results.map((result) => result.lines);
    expect(lines.slice(0, 4)).toEqual(SIZES.slice(0, 4));
    expect(lines.slice(4).reduce((a, b) => a + b, 0)).toBe(SIZES[4]);
    for (const result of answer.results) {
      expect(result).toMatchObject({ done: true, failed: 0, rejected: 0 });
      expect(result.accepted).toBe(result.lines);
      expect(result).not.toHaveProperty('key');
    }
    const delivered = uids(receiver.deliveredRecords());
    expect(delivered).toHaveLength(LINES);
    expect(new Set(delivered).size).toBe(LINES);
  });

  it("reads the next chunks while a chunk's last batch waits for its answer", async () => {
    // Object 1's only batch (its one line) is held until a batch of object
    // 3 arrives: chunks 2 and 3 must be read while chunk 1 waits (over the
    // second of two connections). One chunk at a time would wait out the
    // fallback timer instead.
    let releasedBy: string | undefined;
    let release: (by: string) => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = (by) => {
        releasedBy ??= by;
        resolve();
      };
    });
    const fallback = setTimeout(() => release('the timer'), 3_000);
    receiver.rule((body) => {
      const object = objectOf(body);
      if (object === key(3)) release('object 3');
      return object === key(1) ? { kind: 'hold', until: held } : { kind: 'ok' };
    });
    const clock = SYSTEM_CLOCK;
    const { run, close } = worker(clock, 2);
    const unit: UnitItem = { unit: 1, chunks: objects.slice(0, 4).flat() };
    const before = clock.now();
    const answer = await run({ item: unit }, contextFor(clock, 900_000));
    const took = clock.now() - before;
    clearTimeout(fallback);
    await close();
    expect(releasedBy).toBe('object 3');
    expect(answer.done).toBe(true);
    expect(answer.results.map((result) => result.accepted)).toEqual(SIZES.slice(0, 4));
    // Each chunk's time is its share of the call's: they add up to no more than the call took.
    const shares = answer.results.reduce((sum, result) => sum + result.durationMs, 0);
    expect(shares).toBeGreaterThan(0);
    expect(shares).toBeLessThanOrEqual(took);
  });

  it('starts the next chunk once the three at once have ended, without pausing the unit', async () => {
    // The last batches of objects 0 and 1 wait 1.5 s for their
    // answers while object 2 is read: three chunks at once, so object 3
    // waits for room, which the answers make.
    const requests = new Map<string, number>();
    receiver.rule((body) => {
      const object = objectOf(body) ?? '';
      const nth = (requests.get(object) ?? 0) + 1;
      requests.set(object, nth);
      const last = (object === key(0) && nth === 6) || object === key(1);
      return last
        ? { kind: 'hold', until: new Promise((resolve) => setTimeout(resolve, 1500)) }
        : { kind: 'ok' };
    });
    const { run, close } = worker(SYSTEM_CLOCK, 4);
    const unit: UnitItem = { unit: 2, chunks: objects.slice(0, 4).flat() };
    const answer = await run({ item: unit }, contextFor(SYSTEM_CLOCK, 900_000));
    await close();
    expect(requests.get(key(0))).toBe(SIZES[0] / 50);
    expect(answer).toMatchObject({ done: true, unit: 2 });
    expect(answer.results.map((result) => result.accepted)).toEqual(SIZES.slice(0, 4));
  });

  it("keeps the unit's requests in flight within the export concurrency, whatever the chunks at once", async () => {
    // Object 0's answers wait 300 ms: when it has read its lines, its last
    // two batches are still waiting while the next chunk makes its own.
    receiver.rule((body) =>
      objectOf(body) === key(0)
        ? { kind: 'hold', until: new Promise((resolve) => setTimeout(resolve, 300)) }
        : { kind: 'ok' },
    );
    let inFlight = 0;
    let most = 0;
    const { run, close } = worker(SYSTEM_CLOCK, 2, (exporter) => ({
      export: async (batch, options) => {
        most = Math.max(most, ++inFlight);
        try {
          return await exporter.export(batch, options);
        } finally {
          inFlight--;
        }
      },
      close: () => exporter.close(),
    }));
    const unit: UnitItem = { unit: 3, chunks: objects.slice(0, 4).flat() };
    const answer = await run({ item: unit }, contextFor(SYSTEM_CLOCK, 900_000));
    await close();
    expect(answer.results.map((result) => result.accepted)).toEqual(SIZES.slice(0, 4));
    expect(most).toBe(2);
  });

  it.each([
    { name: 'one chunk a unit', unitBytes: 1 },
    { name: 'a few chunks a unit', unitBytes: 40_000 },
    { name: 'every chunk in one unit', unitBytes: 1 << 30 },
  ])(
    'pauses at the deadline and carries on from its answer, every line once ($name)',
    async ({ unitBytes }) => {
      const clock = steppingClock(400);
      const { run, close } = worker(clock);
      let calls = 0;
      for (const unit of packUnits(objects, unitBytes)) {
        const answers = await untilDone(run, unit, () => contextFor(clock, 120_000));
        calls += answers.length;
        const last = answers.at(-1) as UnitResult;
        expect(last.results).toHaveLength(unit.chunks.length);
        for (const paused of answers.slice(0, -1)) {
          expect(paused).toMatchObject({ done: false, carryOn: true, unit: unit.unit });
        }
      }
      await close();
      expect(calls).toBeGreaterThan(packUnits(objects, unitBytes).length);
      const delivered = uids(receiver.deliveredRecords());
      expect(delivered).toHaveLength(LINES);
      expect(new Set(delivered).size).toBe(LINES);
    },
  );

  it("stops in time for its child's budget and leaves the rest to the next pass", async () => {
    const clock = steppingClock(400);
    const { run, close } = worker(clock);
    // The child started most of its budget ago: the Lambda's own deadline is further away.
    const startedAt = new Date(clock.now() - CHILD_BUDGET_MS + 90_000).toISOString();
    const answer = await run(
      { item: wholeUnit(), startedAt, executionType: 'EXPRESS' },
      contextFor(clock, 900_000),
    );
    await close();
    expect(answer).toMatchObject({ done: false, carryOn: false });
    if (answer.done) return;
    expect(answer.results.length).toBe(answer.cursor.chunk);
    expect(receiver.deliveredRecords().length).toBeLessThan(LINES);
  });

  it('takes no child budget in a Standard child', async () => {
    const clock = steppingClock(1);
    const { run, close } = worker(clock);
    const startedAt = new Date(clock.now() - CHILD_BUDGET_MS).toISOString();
    const answer = await run(
      { item: wholeUnit(), startedAt, executionType: 'STANDARD' },
      contextFor(clock, 900_000),
    );
    await close();
    expect(answer.done).toBe(true);
  });

  it('stalls, not throws, while the receiver stays unavailable, then carries on from there', async () => {
    receiver.script(
      ...Array.from({ length: 400 }, () => ({ kind: 'status', status: 503 }) as const),
    );
    const clock = steppingClock(1);
    const { run, close } = worker(clock);
    const stalled = await run({ item: wholeUnit() }, contextFor(clock, 120_000));
    expect(stalled).toMatchObject({
      done: false,
      carryOn: false,
      cursor: { chunk: 0 },
      stalled: { name: 'ExportRetryableError' },
    });
    receiver.reset();
    const answers = await untilDone(run, stalled, () => contextFor(clock, 900_000));
    await close();
    const last = answers.at(-1) as UnitResult;
    expect(last.results).toHaveLength(wholeUnit().chunks.length);
    expect(last.results.every((result) => result.error === undefined)).toBe(true);
    expect(new Set(uids(receiver.deliveredRecords())).size).toBe(LINES);
  });

  it('fails only the chunk whose object is missing, with the reason', async () => {
    const clock = steppingClock(1);
    const { run, close } = worker(clock);
    const [first, second] = objects;
    const missing = { ...second[0], key: `${second[0].key}.missing` };
    const answer = await run(
      { item: { unit: 0, chunks: [first[0], missing, objects[2][0]] } },
      contextFor(clock, 900_000),
    );
    await close();
    expect(answer.done).toBe(true);
    expect(answer.results.map((result) => result.error?.name)).toEqual([
      undefined,
      'ObjectNotFoundError',
      undefined,
    ]);
    // The position names the object: its address is left out of the message, kept short.
    expect(answer.results[1].error?.message).toBe('the object: no such object');
    expect(answer.results[1].error?.message).not.toContain(TEST_BUCKET);
    expect(answer.results[1].error?.message.length).toBeLessThanOrEqual(200);
    expect(receiver.deliveredRecords()).toHaveLength(SIZES[0] + SIZES[2]);
  });

  it('refuses an input that is not a unit, naming the field', async () => {
    const clock = steppingClock(1);
    const { run, close } = worker(clock);
    const call = { item: { unit: 0, chunks: [] } };
    await expect(run(call, contextFor(clock, 1000))).rejects.toThrow(ChunkInputError);
    await expect(run(call, contextFor(clock, 1000))).rejects.toThrow(
      /not a unit item: item\.chunks/,
    );
    await close();
  });
});
