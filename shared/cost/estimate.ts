/**
 * A run's cost estimate from its shape (docs/performance.md#cost): how many
 * objects, stored bytes, chunks and Map items, and how the children and the
 * worker are deployed. It knows nothing of how a plan packs its items; it
 * counts what AWS bills for (Lambda calls and GB-seconds, Step Functions
 * transitions and Express requests, S3 requests) and prices them.
 *
 * compute = Lambda duration; orchestration = Step Functions + Lambda requests
 * (`fixed`, the parent's own states, included); every US dollar figure is
 * rounded to 6 significant digits, so a small run does not show as $0.
 */

import type { Architecture, ChildType, Estimate } from '../contract/estimate.ts';
import { DEFAULT_RANGE_BYTES, DEFAULT_RANGES_AHEAD } from '../s3/object-reader.ts';
import { type Prices, US_EAST_1_PRICES } from './prices.ts';

/**
 * Lines one vCPU ships a second: the chunk engine the worker runs (ranged
 * GETs, gunzip, parse, encode, gzip, HTTP) shipped 1,600,000 lines in
 * 23.9–30.2 CPU-seconds (BENCHMARKS.md "S3 chunk"), 53,000–67,000 lines per
 * CPU-second; rounded down.
 */
export const LINES_PER_VCPU_SECOND = 50_000;
/** Lambda gives a function one full vCPU at 1,769 MB, and CPU in proportion to memory. */
export const MB_PER_VCPU = 1769;
/**
 * The engine keeps about 1.5 cores busy (parsing on the main thread, gzip on
 * the thread pool: BENCHMARKS.md "Ship"), so memory past 1.5 vCPUs buys no speed.
 */
export const MAX_USEFUL_VCPUS = 1.5;
/**
 * Stored bytes per line of a gzip ALB access log, measured on generated
 * lines: 92.8 in one 600,000-line file (BENCHMARKS.md "Ship": 55.7 MB), 93.0
 * in objects of 2,000 lines, 94.4 of 500. Real logs repeat more and may
 * compress better: then a run holds more lines (and compute) than estimated.
 */
export const GZIP_BYTES_PER_LINE = 93;
/** Worker calls retried, each assumed to redo its whole work: an assumption, not a measurement. */
export const DEFAULT_RETRY_FRACTION = 0.01;
/** The worker's memory and architecture as serverless.yml deploys it (`chunkMemory`, provider). */
export const DEFAULT_MEMORY_MB = 1769;
export const DEFAULT_ARCHITECTURE: Architecture = 'arm64';
/**
 * Seconds of work one worker call does before it answers a cursor: an Express
 * child's 270 s budget (unit-step.ts; the worker's 300 s timeout allows no
 * more) less the 5 s deadline margin and the 60 s flush reserve (chunk-step.ts).
 */
export const DEFAULT_CALL_SECONDS = 205;
/** What an Express child adds to its worker calls: the Lambda round trip and its own states (an assumption). */
export const EXPRESS_OVERHEAD_SECONDS = 0.2;
/** A small Express workflow is billed at 64 MB, duration rounded up to 100 ms. */
export const EXPRESS_BILLED_GB = 64 / 1024;
const EXPRESS_BILLED_SECONDS_STEP = 0.1;
/**
 * The parent's states on a run's way through with one pass: Plan, DryRun?,
 * FirstPass, ShipUnits, NextPass, AnotherPass?, Report, AllShipped?, and Done
 * or a Fail state (a pass more adds BetweenPasses, ShipUnits, NextPass,
 * AnotherPass?; a dry run ends at Planned after 3).
 */
export const PARENT_STATES = 9;
/**
 * A Standard child's states per worker call: ProcessUnit and the Choice
 * (MoreOfTheUnit?); the child then ends in one more (UnitEnded).
 */
export const STANDARD_CHILD_STATES_PER_CALL = 2;
/** Keys in a ListObjectsV2 page. */
export const KEYS_PER_LIST_PAGE = 1000;
/**
 * A chunk item as JSON in the manifest, with an ELB key of about 175
 * characters: the manifest holds every chunk item once, however they are
 * packed into units.
 */
export const MANIFEST_BYTES_PER_ITEM = 320;
/** The manifest's upload goes multipart past one part of this size (lib-storage's default). */
export const UPLOAD_PART_BYTES = 5 * 1024 * 1024;
/** The ResultWriter's files: manifest.json and one SUCCEEDED file (a FAILED one when a child failed). */
export const RESULT_WRITER_FILES = 2;
/** No ELB log compresses better than this (plan.ts's MAX_GZIP_RATIO): larger objects get a trailer read. */
const MAX_GZIP_RATIO = 20;

/** What a run is made of, as its plan knows it. */
export interface RunShape {
  objects: number;
  /** Stored bytes (gzip, as ELB writes). */
  bytes: number;
  chunks: number;
  /** Map items: the children started (default: one per chunk). */
  items?: number;
  /** Lines, when counted (default: `bytes / bytesPerLine`). */
  lines?: number;
  /** Keys listed, skipped ones included (default: `objects`); 0 when the keys were given. */
  listedKeys?: number;
  /** Keys given (`keys`): one HEAD each instead of a listing. */
  headedKeys?: number;
  /** The chunk size in content bytes: gzip objects that may span chunks get a 4-byte trailer read. */
  chunkBytes?: number;
  /** A re-run: its plan reads the earlier report instead of listing. */
  retry?: boolean;
  deleteProcessed?: boolean;
}

/** How the run is deployed and what it is assumed to cost in time. */
export interface EstimateOptions {
  prices?: Prices;
  childType?: ChildType;
  memoryMb?: number;
  architecture?: Architecture;
  linesPerVcpuSecond?: number;
  bytesPerLine?: number;
  retryFraction?: number;
  /** Seconds of work per worker call before a continuation. */
  callSeconds?: number;
  /** Seconds an Express child runs (default: its calls' work plus the overhead). */
  childSeconds?: number;
  /** The parent's own transitions a run (default {@link PARENT_STATES}). */
  parentStates?: number;
  /** Bytes per ranged GET, and GETs sent ahead (the reader's defaults). */
  rangeBytes?: number;
  rangesAhead?: number;
}

/**
 * The estimate of a run of this shape.
 *
 * @example
 * estimateRun({ objects: 1_000_000, bytes: 186e9, chunks: 1_000_000 }, { childType: 'STANDARD' });
 */
export function estimateRun(shape: RunShape, options: EstimateOptions = {}): Estimate {
  const prices = options.prices ?? US_EAST_1_PRICES;
  const childType = options.childType ?? 'STANDARD';
  const memoryMb = options.memoryMb ?? DEFAULT_MEMORY_MB;
  const architecture = options.architecture ?? DEFAULT_ARCHITECTURE;
  const linesPerVcpuSecond = options.linesPerVcpuSecond ?? LINES_PER_VCPU_SECOND;
  const bytesPerLine = options.bytesPerLine ?? GZIP_BYTES_PER_LINE;
  const retryFraction = options.retryFraction ?? DEFAULT_RETRY_FRACTION;
  const callSeconds = options.callSeconds ?? DEFAULT_CALL_SECONDS;
  const parentStates = options.parentStates ?? PARENT_STATES;

  const lines = shape.lines ?? Math.round(shape.bytes / bytesPerLine);
  const items = shape.items ?? shape.chunks;
  const vcpus = Math.min(memoryMb / MB_PER_VCPU, MAX_USEFUL_VCPUS);
  const workSeconds = (lines / (linesPerVcpuSecond * vcpus)) * (1 + retryFraction);
  const callsPerItem = items === 0 ? 0 : Math.max(1, Math.ceil(workSeconds / items / callSeconds));
  const calls = items * callsPerItem;
  const invocations = wholeUp(calls * (1 + retryFraction));
  const gbSeconds = workSeconds * (memoryMb / 1024);

  const parentTransitions = parentStates + items;
  let childTransitions = 0;
  let expressRequests = 0;
  let childSeconds = 0;
  if (childType === 'STANDARD') {
    // Each child ends in one more state; a retry enters ProcessUnit once more.
    childTransitions = calls * STANDARD_CHILD_STATES_PER_CALL + items + (invocations - calls);
  } else if (items > 0) {
    expressRequests = items;
    childSeconds = billedExpressSeconds(
      options.childSeconds ??
        workSeconds / items + (EXPRESS_OVERHEAD_SECONDS * invocations) / items,
    );
  }
  const expressGbSeconds = items * childSeconds * EXPRESS_BILLED_GB;

  const s3 = s3Requests(shape, retryFraction, {
    rangeBytes: options.rangeBytes ?? DEFAULT_RANGE_BYTES,
    rangesAhead: options.rangesAhead ?? DEFAULT_RANGES_AHEAD,
  });

  const sf = prices.stepFunctions;
  const compute = gbSeconds * prices.lambda.gbSecond[architecture];
  const fixed = parentStates * sf.standardTransition;
  const orchestration =
    (parentTransitions + childTransitions) * sf.standardTransition +
    expressRequests * sf.expressRequest +
    expressGbSeconds * sf.expressGbSecond +
    invocations * prices.lambda.request;
  const s3Usd =
    s3.list * prices.s3.list +
    s3.get * prices.s3.get +
    s3.put * prices.s3.put +
    s3.delete * prices.s3.delete;

  return {
    assumptions: {
      lines,
      items,
      childType,
      memoryMb,
      architecture,
      linesPerVcpuSecond,
      bytesPerLine,
      retryFraction,
      childSeconds,
      prices: prices.source,
    },
    lambda: { invocations, gbSeconds: round3(gbSeconds) },
    stepFunctions: {
      parentTransitions,
      childTransitions,
      expressRequests,
      expressGbSeconds: round3(expressGbSeconds),
    },
    s3,
    usd: {
      compute: usd(compute),
      orchestration: usd(orchestration),
      s3Requests: usd(s3Usd),
      total: usd(compute + orchestration + s3Usd),
      fixed: usd(fixed),
    },
  };
}

/** An Express child's duration as billed: rounded up to 100 ms. */
export function billedExpressSeconds(seconds: number): number {
  if (seconds <= 0) return 0;
  // The 1e-9 absorbs float noise: 0.30000000000000004 s bills as 0.3 s.
  return round3(
    Math.ceil(seconds / EXPRESS_BILLED_SECONDS_STEP - 1e-9) * EXPRESS_BILLED_SECONDS_STEP,
  );
}

/**
 * The S3 requests of a run: the plan's listing (or HEADs), trailer reads and
 * manifest upload; the workers' ranged GETs (a gzip chunk reads its object
 * from the start, and the GETs sent ahead of where it stops are billed too);
 * the Map's ItemReader and ResultWriter; the report's reads, its report.json,
 * the workers' deletion ledger and the deletions (free, counted all the same).
 */
function s3Requests(
  shape: RunShape,
  retryFraction: number,
  reader: { rangeBytes: number; rangesAhead: number },
): Estimate['s3'] {
  const { objects, bytes, chunks } = shape;
  const listed = shape.retry !== true && (shape.headedKeys ?? 0) === 0;
  const list = listed ? Math.ceil((shape.listedKeys ?? objects) / KEYS_PER_LIST_PAGE) : 0;
  const averageSize = objects === 0 ? 0 : bytes / objects;
  const trailerReads =
    shape.retry !== true &&
    shape.chunkBytes !== undefined &&
    averageSize * MAX_GZIP_RATIO > shape.chunkBytes
      ? objects
      : 0;
  const rangedGets =
    objects === 0 ? 0 : objects * getsPerObject(averageSize, chunks / objects, reader);
  const fixedGets = 1 + 1 + RESULT_WRITER_FILES + (shape.retry === true ? 1 : 0);
  const get =
    (shape.headedKeys ?? 0) + trailerReads + wholeUp(rangedGets * (1 + retryFraction)) + fixedGets;
  const manifestBytes = chunks * MANIFEST_BYTES_PER_ITEM;
  const manifestPuts =
    manifestBytes <= UPLOAD_PART_BYTES ? 1 : Math.ceil(manifestBytes / UPLOAD_PART_BYTES) + 2;
  // A run that deletes: each unit's worker records what it deletes in the
  // run's ledger (a PUT) and deletes it in one DeleteObjects (free)
  // (docs/design.md#deletion); the report writes report.json twice.
  const units = shape.items ?? chunks;
  // The plan's own files: plan.json, and plan/parts.json when it lists.
  const planFiles = 1 + (listed ? 1 : 0);
  const put =
    manifestPuts +
    planFiles +
    RESULT_WRITER_FILES +
    (shape.deleteProcessed === true ? 2 + units : 1);
  const deletes = shape.deleteProcessed === true ? units : 0;
  return { list, get, put, delete: deletes };
}

/**
 * Ranged GETs for one object of `size` stored bytes in `chunksPerObject`
 * chunks: chunk k of c reads the first k/c of it, plus the GETs sent ahead
 * when it stops short of the end.
 */
function getsPerObject(
  size: number,
  chunksPerObject: number,
  { rangeBytes, rangesAhead }: { rangeBytes: number; rangesAhead: number },
): number {
  const c = Math.max(1, Math.round(chunksPerObject));
  const ranges = Math.max(1, Math.ceil(size / rangeBytes));
  let gets = 0;
  for (let k = 1; k <= c; k++) {
    const read = Math.max(1, Math.ceil((k * size) / c / rangeBytes));
    gets += read + Math.min(rangesAhead, ranges - read);
  }
  return (gets * chunksPerObject) / c;
}

/** Rounded up to a whole number, float noise aside (100 x 1.1 is 110, not 111). */
function wholeUp(value: number): number {
  return Math.max(0, Math.ceil(value - 1e-9));
}

function usd(amount: number): number {
  return amount === 0 ? 0 : Number(amount.toPrecision(6));
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** What a run came to, as far as its results tell. */
export interface ActualFigures {
  /** Child workflows that answered (each at least one worker call). */
  childExecutions: number;
  /** The workers' time, all calls added up, as their results report it. */
  workerSeconds: number;
  /** That time at the estimate's memory size. */
  gbSeconds: number;
  /** Lambda duration at the estimate's price per GB-second. */
  usd: { compute: number };
}

/**
 * The run's actual figures beside its estimate: the children that answered
 * and the workers' time from their results, priced as the estimate was.
 */
export function actualFigures(
  estimate: Estimate,
  childExecutions: number,
  workerMs: number,
): ActualFigures {
  const workerSeconds = workerMs / 1000;
  const gbSeconds = workerSeconds * (estimate.assumptions.memoryMb / 1024);
  const perGbSecond =
    estimate.lambda.gbSeconds === 0 ? 0 : estimate.usd.compute / estimate.lambda.gbSeconds;
  return {
    childExecutions,
    workerSeconds: round3(workerSeconds),
    gbSeconds: round3(gbSeconds),
    usd: { compute: usd(gbSeconds * perGbSecond) },
  };
}
