/**
 * The cost estimator: AWS's published us-east-1 worked example figure by
 * figure (1,000,000 objects of 2,000 lines, one Standard child each, then
 * packed 150 to an Express child), the orchestration a quarter of the compute
 * or less once objects are packed, continuations, S3 requests by how a run
 * finds its objects, and price overrides refused naming the field.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/config/config-error.ts';
import { estimateSchema } from '../../shared/contract/estimate.ts';
import { DEFAULT_CHUNK_BYTES, DEFAULT_UNIT_BYTES } from '../../shared/contract/state-machine.ts';
import { costSettings } from '../../shared/cost/cost-settings.ts';
import {
  actualFigures,
  billedExpressSeconds,
  estimateRun,
  GZIP_BYTES_PER_LINE,
} from '../../shared/cost/estimate.ts';
import { pricesFromEnv, US_EAST_1_PRICES } from '../../shared/cost/prices.ts';
import { packUnits } from '../../shared/reprocess/units.ts';

const OBJECTS = 1_000_000;
const LINES = OBJECTS * 2000;
const SHAPE = {
  objects: OBJECTS,
  bytes: LINES * GZIP_BYTES_PER_LINE,
  chunks: OBJECTS,
  lines: LINES,
};
/**
 * The example's assumptions: 50,000 lines/s per vCPU at 1,769 MB arm64, no
 * retries, and the parent of its time (Plan, Choice, Map, Report, Choice,
 * end: 6 states; the definition has 10 since work units).
 */
const EXAMPLE = {
  retryFraction: 0,
  memoryMb: 1769,
  architecture: 'arm64' as const,
  parentStates: 6,
};

describe('the worked example, one Standard child per object', () => {
  const estimate = estimateRun(SHAPE, { ...EXAMPLE, childType: 'STANDARD' });
  const sf = US_EAST_1_PRICES.stepFunctions;

  it.each([
    // 2e9 lines / 50,000 = 40,000 s of one vCPU. The example reads 1,769 MB as
    // 1.769 GB (70,760 GB-s, $0.94); Lambda bills MB / 1024 (AWS's pricing
    // page: 128 MB = 0.125 GB), so 40,000 s x 1.7275 GB = 69,101.6 GB-s, $0.92.
    ['Lambda GB-seconds', estimate.lambda.gbSeconds, 69_101.563],
    ['compute: GB-s x $0.0000133334', estimate.usd.compute, 0.92],
    ['Lambda requests: one per object', estimate.lambda.invocations, 1_000_000],
    ['their price: 1e6 x $0.0000002', estimate.lambda.invocations * 0.0000002, 0.2],
    [
      'one parent transition per child, 6 of its own',
      estimate.stepFunctions.parentTransitions,
      1_000_006,
    ],
    ['3 transitions inside each child', estimate.stepFunctions.childTransitions, 3_000_000],
    [
      'Standard: 4e6 x $0.000025',
      (estimate.stepFunctions.childTransitions + OBJECTS) * sf.standardTransition,
      100,
    ],
    ['fixed: the parent’s 6 states', estimate.usd.fixed, 0.00015],
    ['orchestration: Standard + fixed + Lambda requests', estimate.usd.orchestration, 100.2],
    ['LIST pages: 1e6 keys / 1,000', estimate.s3.list, 1000],
    ['S3: 1e6 GETs + 1,000 LIST pages + the run’s few PUTs', estimate.usd.s3Requests, 0.405],
    ['no Express requests', estimate.stepFunctions.expressRequests, 0],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toBeCloseTo(expected, 2);
  });

  it('reads each object in one ranged GET, and the run’s own files in a few more', () => {
    expect(estimate.s3.get).toBeGreaterThanOrEqual(1_000_000);
    expect(estimate.s3.get).toBeLessThan(1_000_010);
  });

  it('is what the contract says an estimate is', () => {
    expect(estimateSchema.parse(estimate)).toEqual(estimate);
  });
});

describe('the worked example packed 150 objects to an Express child of 8 s', () => {
  const units = Math.ceil(OBJECTS / 150);
  const estimate = estimateRun(
    { ...SHAPE, items: units },
    { ...EXAMPLE, childType: 'EXPRESS', childSeconds: 8 },
  );
  const sf = US_EAST_1_PRICES.stepFunctions;

  it.each([
    ['Map items', estimate.assumptions.items, 6667, 0],
    ['parent transitions: 6,667 children + 6', estimate.stepFunctions.parentTransitions, 6673, 0],
    [
      'their price ($0.17)',
      estimate.stepFunctions.parentTransitions * sf.standardTransition,
      0.17,
      2,
    ],
    ['Express requests', estimate.stepFunctions.expressRequests, 6667, 0],
    ['their price ($0.007)', estimate.stepFunctions.expressRequests * sf.expressRequest, 0.007, 3],
    ['Express GB-s: 6,667 x 8 s x 0.0625 GB', estimate.stepFunctions.expressGbSeconds, 3333.5, 1],
    ['their price ($0.06)', estimate.stepFunctions.expressGbSeconds * sf.expressGbSecond, 0.06, 2],
    ['Lambda requests', estimate.lambda.invocations, 6667, 0],
    ['their price ($0.001)', estimate.lambda.invocations * 0.0000002, 0.001, 3],
    ['no Standard child transitions', estimate.stepFunctions.childTransitions, 0, 0],
    ['orchestration in all: about $0.23', estimate.usd.orchestration, 0.23, 2],
    ['compute unchanged', estimate.usd.compute, 0.92, 2],
  ])('%s', (_name, actual, expected, digits) => {
    expect(actual).toBeCloseTo(expected, digits);
  });
});

describe('orchestration against compute', () => {
  it('is at most a quarter of the compute for 1e6 objects of 2,000 lines, 150 to an Express child, by default', () => {
    const estimate = estimateRun(
      { objects: OBJECTS, bytes: LINES * GZIP_BYTES_PER_LINE, chunks: OBJECTS, items: 6667 },
      { childType: 'EXPRESS' },
    );
    expect(estimate.assumptions.lines).toBe(LINES);
    expect(estimate.usd.orchestration).toBeLessThanOrEqual(estimate.usd.compute / 4);
  });

  /** Objects of one chunk each under ELB's key layout, `size` stored bytes. */
  const elbObjects = (count: number, size: number) =>
    Array.from({ length: count }, (_, n) => [
      {
        bucket: 'my-elb-logs',
        key: `AWSLogs/123456789012/elasticloadbalancing/eu-west-1/2026/11/2${n % 2}/123456789012_elasticloadbalancing_eu-west-1_app.shop-frontend.50dc6c495c0c9188_20261125T${String(n % 2400).padStart(4, '0')}Z_10.0.${n % 250}.${n % 199}_2k4m1q7x.log.gz`,
        etag: '"9b2cf535f27731c974343645a3985328"',
        size,
        compression: 'gzip' as const,
        start: 0,
        end: DEFAULT_CHUNK_BYTES,
      },
    ]);

  it('is at most a quarter of the compute for 1e6 objects of 2,000 lines in units as the plan packs them', () => {
    const size = 2000 * GZIP_BYTES_PER_LINE;
    // Every unit of these is alike: pack the first thousand objects, count the rest.
    const perUnit = packUnits(elbObjects(1000, size), DEFAULT_UNIT_BYTES)[0].chunks.length;
    expect(perUnit).toBeGreaterThan(250);
    const items = Math.ceil(OBJECTS / perUnit);
    const estimate = estimateRun(
      { objects: OBJECTS, bytes: OBJECTS * size, chunks: OBJECTS, items },
      { childType: 'EXPRESS' },
    );
    expect(estimate.usd.orchestration).toBeLessThanOrEqual(estimate.usd.compute / 4);
  });

  it('is at most a quarter of the compute for the fleet benchmark once its fixed part is set aside', () => {
    // 800 objects of 1,250 lines, 89.2 MiB stored (BENCHMARKS.md "Fleet").
    const objects = elbObjects(800, Math.round((89.2 * 1048576) / 800));
    const items = packUnits(objects, DEFAULT_UNIT_BYTES).length;
    expect(items).toBe(3);
    const estimate = estimateRun(
      { objects: 800, bytes: 800 * objects[0][0].size, chunks: 800, items, lines: 1_000_000 },
      { childType: 'EXPRESS' },
    );
    const variable = estimate.usd.orchestration - estimate.usd.fixed;
    expect(variable).toBeLessThanOrEqual(estimate.usd.compute / 4);
  });

  it('is about a hundred times the compute with one Standard child per object', () => {
    const estimate = estimateRun({
      objects: OBJECTS,
      bytes: LINES * GZIP_BYTES_PER_LINE,
      chunks: OBJECTS,
    });
    expect(estimate.usd.orchestration / estimate.usd.compute).toBeGreaterThan(100);
  });
});

describe('the estimator', () => {
  it('adds a worker call per 205 s of work, each with its 2 Standard transitions, and one to end', () => {
    // 100,000,000 lines in one item: 2,000 s of one vCPU, ten calls.
    const estimate = estimateRun(
      { objects: 1, bytes: 9.3e9, chunks: 1, lines: 100_000_000 },
      { retryFraction: 0 },
    );
    expect(estimate.lambda.invocations).toBe(10);
    expect(estimate.stepFunctions.childTransitions).toBe(21);
  });

  it('counts a retried call as one more call, transition and share of the work', () => {
    const shape = { objects: 100, bytes: 100 * 186_000, chunks: 100 };
    const none = estimateRun(shape, { retryFraction: 0 });
    const some = estimateRun(shape, { retryFraction: 0.1 });
    expect(some.lambda.invocations).toBe(110);
    expect(some.stepFunctions.childTransitions).toBe(310);
    expect(some.lambda.gbSeconds).toBeCloseTo(none.lambda.gbSeconds * 1.1, 2);
  });

  it.each([
    ['one vCPU at 1,769 MB', 1769, 1],
    ['half at 884 MB: twice the time, the same GB-seconds', 884, 1],
    ['no faster past 1.5 vCPUs: 3,538 MB costs a third more', 3538, 4 / 3],
  ])('prices memory by the CPU it buys: %s', (_name, memoryMb, ratio) => {
    const shape = { objects: 1, bytes: 0, chunks: 1, lines: 5_000_000 };
    const base = estimateRun(shape, { memoryMb: 1769 }).lambda.gbSeconds;
    expect(estimateRun(shape, { memoryMb }).lambda.gbSeconds / base).toBeCloseTo(ratio, 2);
  });

  it('prices x86_64 at its own GB-second', () => {
    const shape = { objects: 1, bytes: 0, chunks: 1, lines: 50_000_000 };
    const arm = estimateRun(shape, { architecture: 'arm64' }).usd.compute;
    const x86 = estimateRun(shape, { architecture: 'x86_64' }).usd.compute;
    expect(x86 / arm).toBeCloseTo(0.0000166667 / 0.0000133334, 4);
  });

  it.each([
    ['a listing: a page per 1,000 keys, skipped ones included', { listedKeys: 2500 }, 3, 0],
    ['given keys: a HEAD each, no listing', { headedKeys: 40 }, 0, 40],
    ['a re-run: the earlier report, no listing', { retry: true }, 0, 1],
  ])('counts the plan’s reads for %s', (_name, how, list, extraGets) => {
    const estimate = estimateRun({ objects: 40, bytes: 40 * 1000, chunks: 40, ...how });
    expect(estimate.s3.list).toBe(list);
    const listed = estimateRun({ objects: 40, bytes: 40 * 1000, chunks: 40 });
    expect(estimate.s3.get - listed.s3.get).toBe(extraGets);
  });

  it('reads a gzip object cut in chunks from its start for each, with a trailer read', () => {
    // 40 MiB stored in 2 chunks: 20 ranges, then 10 + 3 sent ahead; 40 MiB x 20 > 256 MiB.
    const estimate = estimateRun(
      { objects: 1, bytes: 40 * 1048576, chunks: 2, chunkBytes: 256 * 1048576 },
      { retryFraction: 0 },
    );
    expect(estimate.s3.get).toBe(1 + 10 + 3 + 20 + 4);
  });

  it('counts a DeleteObjects (free) and a ledger record a unit, and the report written twice, when the run deletes', () => {
    const shape = { objects: 2500, bytes: 2500 * 1000, chunks: 2500, items: 10 };
    const kept = estimateRun(shape);
    const deleted = estimateRun({ ...shape, deleteProcessed: true });
    expect(deleted.s3.delete).toBe(10);
    expect(deleted.s3.put - kept.s3.put).toBe(1 + 10);
    expect(deleted.usd.s3Requests - kept.usd.s3Requests).toBeCloseTo(11 * 0.000005, 8);
  });

  it.each([
    [0.01, 0.1],
    [0.1, 0.1],
    [0.30000000000000004, 0.3],
    [6.21, 6.3],
    [0, 0],
  ])('bills an Express child of %s s as %s s', (seconds, billed) => {
    expect(billedExpressSeconds(seconds)).toBe(billed);
  });

  it('estimates an empty run at its fixed part and its own files', () => {
    const estimate = estimateRun({ objects: 0, bytes: 0, chunks: 0 });
    expect(estimate.lambda.invocations).toBe(0);
    expect(estimate.usd.compute).toBe(0);
    expect(estimate.usd.orchestration).toBe(estimate.usd.fixed);
  });

  it('prices the workers’ actual time as the estimate did', () => {
    const estimate = estimateRun({ objects: 1, bytes: 0, chunks: 1, lines: 50_000_000 });
    const actual = actualFigures(estimate, 1, 500_000);
    expect(actual).toEqual({
      childExecutions: 1,
      workerSeconds: 500,
      gbSeconds: 863.77,
      usd: { compute: expect.closeTo(863.77 * 0.0000133334, 6) },
    });
  });
});

describe('prices', () => {
  const dir = mkdtempSync(join(tmpdir(), 'elb-otlp-prices-'));
  const file = join(dir, 'prices.json');
  writeFileSync(file, JSON.stringify({ source: 'eu-west-1, 2026', s3: { get: 0.00000042 } }));

  it.each([
    ['unset: us-east-1', {}, US_EAST_1_PRICES],
    ['empty: us-east-1', { ELB_OTLP_PRICES: '' }, US_EAST_1_PRICES],
    [
      'inline JSON, merged over the defaults',
      { ELB_OTLP_PRICES: '{"lambda":{"gbSecond":{"arm64":0.00001}}}' },
      {
        ...US_EAST_1_PRICES,
        source: `${US_EAST_1_PRICES.source}, with overrides`,
        lambda: { request: 0.0000002, gbSecond: { arm64: 0.00001, x86_64: 0.0000166667 } },
      },
    ],
    [
      'a JSON file',
      { ELB_OTLP_PRICES: file },
      {
        ...US_EAST_1_PRICES,
        source: 'eu-west-1, 2026',
        s3: { ...US_EAST_1_PRICES.s3, get: 0.00000042 },
      },
    ],
  ])('%s', (_name, env, expected) => {
    expect(pricesFromEnv(env)).toEqual(expected);
  });

  it.each([
    ['a negative price', '{"s3":{"get":-1}}', /ELB_OTLP_PRICES: s3\.get: /],
    [
      'a price that is not a number',
      '{"lambda":{"gbSecond":{"arm64":"cheap"}}}',
      /lambda\.gbSecond\.arm64: /,
    ],
    ['an unknown field', '{"stepFunctions":{"perTransition":1}}', /stepFunctions: .*perTransition/],
    ['text that is not JSON', '{"s3":', /ELB_OTLP_PRICES: is not JSON/],
    [
      'a file that is not there',
      join(dir, 'missing.json'),
      /ELB_OTLP_PRICES: cannot read .*missing\.json/,
    ],
  ])('refuses %s, naming the field', (_name, value, message) => {
    expect(() => pricesFromEnv({ ELB_OTLP_PRICES: value })).toThrow(ConfigError);
    expect(() => pricesFromEnv({ ELB_OTLP_PRICES: value })).toThrow(message);
  });

  it.each([
    ['the deployed default', {}, 1769],
    ['ELB_OTLP_WORKER_MEMORY_MB', { ELB_OTLP_WORKER_MEMORY_MB: '3538' }, 3538],
  ])('reads the worker’s memory: %s', (_name, env, memoryMb) => {
    expect(costSettings(env).memoryMb).toBe(memoryMb);
  });

  it.each([
    ['the deployed default', {}, 'EXPRESS'],
    ['STANDARD', { ELB_OTLP_CHILD_EXECUTION_TYPE: 'STANDARD' }, 'STANDARD'],
  ])('reads how the Map runs its children: %s', (_name, env, childType) => {
    expect(costSettings(env).childType).toBe(childType);
  });

  it('refuses a child type other than EXPRESS or STANDARD, naming the variable', () => {
    expect(() => costSettings({ ELB_OTLP_CHILD_EXECUTION_TYPE: 'express' })).toThrow(
      /^ELB_OTLP_CHILD_EXECUTION_TYPE: expected EXPRESS or STANDARD, got express$/,
    );
  });

  it.each(['64', '1769.5', 'lots'])(
    'refuses a worker memory of %s, naming the variable',
    (value) => {
      expect(() => costSettings({ ELB_OTLP_WORKER_MEMORY_MB: value })).toThrow(
        /^ELB_OTLP_WORKER_MEMORY_MB: /,
      );
    },
  );
});
