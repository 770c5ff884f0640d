/**
 * The reprocessing state machine's contract
 * (docs/design.md#the-chunk-contract), one zod schema for each thing a state
 * hands the next, with its type inferred: the execution input (a run, or a
 * re-run of what failed), the plan step's call and answer, a chunk item and
 * what a worker answers, where the Distributed Map wrote its results, and the
 * report step's input. Every step validates what it is handed against these, so
 * a bad value fails with the field named instead of deep inside the engine.
 */

import { z } from 'zod';
import { chunkCountsSchema, count } from './counts.ts';
import { estimateSchema } from './estimate.ts';

/** Default chunk: 256 MiB of content per worker call. */
export const DEFAULT_CHUNK_BYTES = 256 * 1024 * 1024;
/** Smallest chunk: below this, requests and start-up cost more than the lines. */
export const MIN_CHUNK_BYTES = 1024 * 1024;
/** Distributed Map's own ceiling on child executions at once. */
export const MAX_CONCURRENCY = 10_000;

/**
 * Step Functions' limit on a child execution's input and on every state's
 * output (256 KiB): a unit item, a unit's continuation input and a unit
 * result must each fit in it.
 */
export const STATE_PAYLOAD_BYTES = 256 * 1024;
/**
 * What a unit may take of {@link STATE_PAYLOAD_BYTES}: its item and the
 * largest compact results of all its chunks ({@link COMPACT_RESULT_BYTES}
 * each) stay within it, so a paused unit (item, cursor and the results
 * before it) and its answer fit with 40 KiB to spare: for the error a failed
 * call adds to the child's state (`$.failure`, whose `Cause` Step Functions
 * allows up to 32 KiB), the cursor, the reason a unit stalled and the
 * definition's wrapper (docs/design.md#work-units). A chunk item of an ELB
 * key (~175 characters) is ~320 B: with its result, ~800 B of the budget,
 * about 276 small objects a unit.
 */
export const UNIT_BUDGET_BYTES = STATE_PAYLOAD_BYTES - 40 * 1024;
/**
 * Chunks in one unit at most, as the schema checks it: no chunk item is
 * under ~84 B, so {@link UNIT_BUDGET_BYTES} never packs more than ~390.
 */
export const MAX_UNIT_CHUNKS = 512;
/**
 * A compact chunk result's serialized size at most: nine counts of up to 13
 * digits (a 5 TB object's bytes), `done`, and an error of a name and a
 * message cut short.
 */
export const COMPACT_RESULT_BYTES = 480;
/**
 * Bytes an error message takes, as JSON writes it, in a compact chunk result
 * (the worker's log has it whole): enough for the reason and what the object
 * begins with, whatever characters it holds.
 */
export const COMPACT_MESSAGE_BYTES = 160;
/**
 * Bytes a failed delete's message takes in a compact chunk result: a chunk
 * with a deletion has no error, and `"deletion"` is 3 bytes longer a key than
 * `"error"`, so a result stays within {@link COMPACT_RESULT_BYTES}.
 */
export const COMPACT_DELETION_MESSAGE_BYTES = COMPACT_MESSAGE_BYTES - 8;
/** Bytes an error's name takes, as JSON writes it, in a compact chunk result (this project's names take fewer). */
export const COMPACT_NAME_BYTES = 48;
/** Worker lines per second on one vCPU, as measured (BENCHMARKS.md). */
export const LINES_PER_VCPU_SECOND = 50_000;
/** Stored bytes per line of a gzip ALB log: 55.7 MB for 600,000 lines. */
export const STORED_BYTES_PER_LINE = 93;
/**
 * Default unit: 128 MiB of stored log ≈ 1.44 M lines ≈ 29 s of one vCPU at
 * {@link LINES_PER_VCPU_SECOND}, a ninth of an Express child's budget, so a
 * slower Collector or S3 still fits (and a unit that does not is continued).
 */
export const DEFAULT_UNIT_BYTES = 128 * 1024 * 1024;

const timestamp = z.iso.datetime({ offset: true });

/** The settings a run and the report of a run both hold, validated alike. */
const runSettings = {
  bucket: z.string().min(3).max(63),
  prefix: z.string().default(''),
  deleteProcessed: z.boolean().default(false),
  maxConcurrency: z.number().int().min(1).max(MAX_CONCURRENCY).default(50),
  /** Stored bytes of small objects one unit holds (1: one chunk a unit). */
  unitBytes: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(DEFAULT_UNIT_BYTES),
};

/** A run's execution input: which objects to ship, and how. */
export const runInputSchema = z
  .strictObject({
    bucket: runSettings.bucket,
    prefix: runSettings.prefix,
    from: timestamp.optional(),
    to: timestamp.optional(),
    keys: z.array(z.string().min(1)).min(1).optional(),
    loadBalancers: z.array(z.string().min(1)).min(1).optional(),
    deleteProcessed: runSettings.deleteProcessed,
    chunkBytes: z.number().int().min(MIN_CHUNK_BYTES).default(DEFAULT_CHUNK_BYTES),
    unitBytes: runSettings.unitBytes,
    maxConcurrency: runSettings.maxConcurrency,
    dryRun: z.boolean().default(false),
  })
  .refine((input) => !(input.from && input.to) || Date.parse(input.from) < Date.parse(input.to), {
    message: 'from must be before to',
    path: ['to'],
  })
  .refine(
    (input) => input.keys === undefined || input.keys.every((k) => k.startsWith(input.prefix)),
    {
      message: 'every key must lie under prefix',
      path: ['keys'],
    },
  );

export type RunInput = z.infer<typeof runInputSchema>;
/** A run's execution input as written, before defaults are filled in (a hand-off's). */
export type RunInputFields = z.input<typeof runInputSchema>;

/**
 * A re-run of what failed in an earlier run: its report's address, and
 * optionally new settings (the earlier run's are kept otherwise).
 */
export const retryInputSchema = z.strictObject({
  retryFrom: z.string().regex(/^s3:\/\/[^/]+\/.+/, 'expected s3://bucket/key of a report.json'),
  deleteProcessed: z.boolean().optional(),
  maxConcurrency: z.number().int().min(1).max(MAX_CONCURRENCY).optional(),
  unitBytes: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  dryRun: z.boolean().default(false),
});

export type RetryInput = z.infer<typeof retryInputSchema>;

/** A run's id: its execution's name, which also names its folder of work files. */
export const RUN_ID = /^[A-Za-z0-9._-]{1,80}$/;
export const RUN_ID_MESSAGE = 'expected the execution name (letters, digits, ".", "_", "-")';

/** What the definition hands the plan step: the execution input (validated next) and the execution's name. */
export const planCallSchema = z.object({
  input: z.unknown(),
  runId: z.string({ error: RUN_ID_MESSAGE }).regex(RUN_ID, RUN_ID_MESSAGE),
});

export type PlanCall = z.infer<typeof planCallSchema>;

/** Why an object listed was left out of the run. */
export const skipReasonSchema = z.enum([
  'testFile',
  'notALog',
  'outsideWindow',
  'otherLoadBalancer',
  'missing',
]);

export type SkipReason = z.infer<typeof skipReasonSchema>;

/** Every skip count zero: what a plan starts from. */
export function zeroSkipped(): Record<SkipReason, number> {
  return Object.fromEntries(skipReasonSchema.options.map((reason) => [reason, 0])) as Record<
    SkipReason,
    number
  >;
}

/**
 * Where a run's unit manifest is: the JSONL files (one unit item a line)
 * under `Prefix`, each written by one plan worker, which the Distributed
 * Map's ItemReader lists and reads as one list of items (`LOAD_AND_FLATTEN`).
 * An ItemReader reads at most 10 GB from one file; a worker's part holds
 * about 1.9 GB at 30 million objects (docs/design.md#planning).
 */
export const manifestSchema = z
  .object({
    Bucket: z.string().min(1),
    Prefix: z.string().min(1),
    /** The files written, in order (a worker that planned nothing writes none). */
    Keys: z.array(z.string().min(1)),
  })
  .refine((manifest) => manifest.Keys.every((key) => key.startsWith(manifest.Prefix)), {
    message: 'every key must lie under Prefix',
    path: ['Keys'],
  });

export type Manifest = z.infer<typeof manifestSchema>;

/** Plan workers of a listed run at most: the inline Map's concurrency (docs/design.md#planning). */
export const PLAN_WORKERS = 16;
/**
 * Unit numbers a plan worker may give: worker `w` numbers its units from
 * `w × UNITS_PER_PLAN_WORKER`, so units are numbered once across workers
 * that plan at the same time (a worker's share of 30 million objects is
 * about 7,000 units).
 */
export const UNITS_PER_PLAN_WORKER = 1_000_000;

/** The plan step's answer: counts and where the manifest is, never the chunks themselves. */
export const planSummarySchema = z.object({
  runId: z.string(),
  /** When the plan was made (ISO 8601): the report's throughput counts from here. */
  plannedAt: z.string(),
  bucket: z.string(),
  prefix: z.string(),
  dryRun: z.boolean(),
  deleteProcessed: z.boolean(),
  maxConcurrency: z.number().int().min(1),
  /** Log objects in the run, and how many of them are empty. */
  objects: count,
  emptyObjects: count,
  chunks: count,
  /** Work units (Distributed Map items) the chunks are packed into, and their target size. */
  units: count,
  unitBytes: count,
  /** Their stored bytes. */
  bytes: count,
  skipped: z.record(skipReasonSchema, count),
  /** The unit manifest, whose files the Distributed Map's ItemReader reads. */
  manifest: manifestSchema,
  /**
   * The listing's parts (prefixes listed apart) and the plan workers still
   * to list them; none once the plan is whole (docs/design.md#planning).
   */
  listingParts: count.default(0),
  planWorkers: z.array(count).max(PLAN_WORKERS).default([]),
  /** Where the Distributed Map's ResultWriter puts its files. */
  results: z.object({ Bucket: z.string().min(1), Prefix: z.string() }),
  /** For a re-run: the run it re-runs (its id, or its report's address). */
  retryOf: z.string().optional(),
  /** What the run is estimated to cost (docs/performance.md#cost). */
  estimate: estimateSchema.optional(),
});

export type PlanSummary = z.infer<typeof planSummarySchema>;

/** What one plan worker planned: its counts and the manifest file it wrote. */
export const planPartSchema = z.object({
  worker: count,
  objects: count,
  emptyObjects: count,
  chunks: count,
  units: count,
  bytes: count,
  skipped: z.record(skipReasonSchema, count),
  /** The manifest file written; none when the worker planned nothing. */
  manifestKey: z.string().min(1).optional(),
});

export type PlanPart = z.infer<typeof planPartSchema>;

/** What the definition hands a plan worker: the execution input and name, and which worker it is. */
export const planPartCallSchema = z.object({
  step: z.literal('PlanPart'),
  input: z.unknown(),
  runId: z.string({ error: RUN_ID_MESSAGE }).regex(RUN_ID, RUN_ID_MESSAGE),
  worker: count.max(PLAN_WORKERS - 1),
});

export type PlanPartCall = z.infer<typeof planPartCallSchema>;

/** What the definition hands the step that adds the workers' counts up: the plan begun, and every worker's answer. */
export const planTotalsCallSchema = z.object({
  step: z.literal('PlanTotals'),
  input: z.unknown(),
  plan: planSummarySchema,
  parts: z.array(planPartSchema).max(PLAN_WORKERS),
});

export type PlanTotalsCall = z.infer<typeof planTotalsCallSchema>;

/**
 * One byte range of one object. A chunk owns exactly the lines whose first
 * byte lies in `[start, end)`; for gzip objects the offsets are in the
 * decompressed content, `size` is always the stored size. A Parquet
 * object's chunk owns the row groups whose first byte lies in it.
 */
/**
 * How an object is stored: ELB writes gzip; Classic ELB and users, plain
 * text too; a vended delivery may write Apache Parquet (docs/vended-logs.md).
 */
export const compressionSchema = z.enum(['gzip', 'none', 'parquet']);

export type Compression = z.infer<typeof compressionSchema>;

const chunkItemShape = {
  bucket: z.string().min(1),
  key: z.string().min(1),
  etag: z.string().min(1),
  size: count,
  compression: compressionSchema,
  start: count,
  end: count,
};

/** A chunk's range is never empty (an empty object's one chunk is `[0, 1)`). */
const endAfterStart = (chunk: { start: number; end: number }) => chunk.end > chunk.start;
const END_AFTER_START = { message: 'end must be greater than start', path: ['end'] };

/** One chunk of a work unit: a byte range of one object (a unit's `chunks`). */
export const chunkItemSchema = z.object(chunkItemShape).refine(endAfterStart, END_AFTER_START);

export type ChunkItem = z.infer<typeof chunkItemSchema>;

/** An error as a chunk result carries it: Step Functions and reports read `name`. */
export const chunkErrorSchema = z.object({ name: z.string(), message: z.string() });

export type ChunkError = z.infer<typeof chunkErrorSchema>;

/**
 * Where an unfinished chunk carries on: the content byte of its next line,
 * and the counts (and first error) of the calls before, so the last result
 * covers the whole chunk.
 */
export const chunkCursorSchema = chunkCountsSchema.extend({
  offset: count,
  error: chunkErrorSchema.optional(),
});

export type ChunkCursor = z.infer<typeof chunkCursorSchema>;

/** A worker's input: a chunk item, and the cursor of the previous call when there was one. */
export const chunkInputSchema = z
  .object({ ...chunkItemShape, cursor: chunkCursorSchema.optional() })
  .refine(endAfterStart, END_AFTER_START)
  .superRefine(({ cursor, start, end }, context) => {
    if (cursor !== undefined && (cursor.offset < start || cursor.offset > end)) {
      context.addIssue({
        code: 'custom',
        path: ['cursor', 'offset'],
        message: `${cursor.offset} lies outside the chunk [${start}, ${end})`,
      });
    }
  });

export type ChunkInput = z.infer<typeof chunkInputSchema>;

/**
 * What a worker answers: the counts of the whole chunk so far, `done: false`
 * with a cursor to call again with, and the error that ended it, if one did.
 */
export const chunkResultSchema = chunkCountsSchema.extend({
  key: z.string(),
  start: count,
  end: count,
  done: z.boolean(),
  cursor: chunkCursorSchema.optional(),
  error: chunkErrorSchema.optional(),
});

export type ChunkResult = z.infer<typeof chunkResultSchema>;

/**
 * A chunk that did not ship all its lines, as the report names it: the
 * chunk, and the error that ended or spoiled it (from its result, or from
 * the unit's child that failed or stopped).
 */
export const failedChunkSchema = z.object({
  key: z.string(),
  start: count,
  end: count,
  error: chunkErrorSchema,
});

export type FailedChunk = z.infer<typeof failedChunkSchema>;

/** Where the Distributed Map wrote its results: its output with a ResultWriter. */
export const mapResultsSchema = z.object({
  MapRunArn: z.string().optional(),
  ResultWriterDetails: z.object({ Bucket: z.string().min(1), Key: z.string().min(1) }),
});

export type MapResults = z.infer<typeof mapResultsSchema>;

/** ResultWriter's `manifest.json`: the files holding each child execution, by status. */
export const resultManifestSchema = z.object({
  ResultFiles: z
    .object({
      SUCCEEDED: z.array(z.object({ Key: z.string() })).optional(),
      FAILED: z.array(z.object({ Key: z.string() })).optional(),
      PENDING: z.array(z.object({ Key: z.string() })).optional(),
    })
    .optional(),
});

export type ResultManifest = z.infer<typeof resultManifestSchema>;

/** One child execution as ResultWriter records it; `Input` and `Output` are JSON text. */
export const childExecutionSchema = z.object({
  Input: z.string().optional(),
  Output: z.string().optional(),
  Error: z.string().optional(),
  Cause: z.string().optional(),
  Status: z.string().optional(),
});

export type ChildExecution = z.infer<typeof childExecutionSchema>;

/**
 * What a re-run takes from an earlier run's report.json: validated as an
 * execution input is, since the file is an input too (whoever may write to
 * the work location could otherwise aim a run, and its deletions, anywhere).
 */
export const retryReportSchema = z
  .object({ ...runSettings, runId: z.string().optional(), retryItems: z.array(chunkItemSchema) })
  .refine((report) => report.retryItems.every((item) => item.bucket === report.bucket), {
    message: "every item must be in the report's bucket",
    path: ['retryItems'],
  })
  .refine((report) => report.retryItems.every((item) => item.key.startsWith(report.prefix)), {
    message: "every item must lie under the report's prefix",
    path: ['retryItems'],
  });

export type RetryReport = z.infer<typeof retryReportSchema>;

/**
 * Where the passes of the Distributed Map stand: the number of the next
 * pass, its manifest (the plan's for the first), how many units it carries
 * on, and where every pass so far wrote its results.
 */
export const passSchema = z.object({
  number: count,
  manifest: manifestSchema,
  unfinished: count,
  results: z.array(mapResultsSchema),
});

export type Pass = z.infer<typeof passSchema>;

/** Passes after the first that carry unfinished units on, at most. */
export const MAX_PASSES = 5;

/** What the definition hands the next-pass step: the plan, the pass that ran and its results. */
export const nextPassInputSchema = z.object({
  step: z.literal('NextPass'),
  plan: planSummarySchema,
  pass: passSchema,
  results: mapResultsSchema,
});

export type NextPassInput = z.infer<typeof nextPassInputSchema>;

/** What the definition hands the report step: the plan's answer and every pass's Map output. */
export const reportInputSchema = z.object({
  plan: planSummarySchema,
  passes: z.array(mapResultsSchema).min(1),
});

export type ReportInput = z.infer<typeof reportInputSchema>;

/**
 * One line of the unit manifest, one Distributed Map item: chunk items
 * shipped in order by one worker call (or its continuations). `unit` is its
 * index in the manifest; results name it, not their chunks
 * (docs/design.md#work-units).
 */
export const unitItemSchema = z.object({
  unit: count,
  chunks: z.array(chunkItemSchema).min(1).max(MAX_UNIT_CHUNKS),
  /**
   * The run deletes what it shipped: the worker deletes each object whose
   * every line it shipped in one chunk, pinned to its ETag, after recording
   * it under this `s3://bucket/prefix/` (the run's deletion ledger), so a
   * repeated call can tell an object it deleted from one gone otherwise
   * (docs/design.md#deletion).
   */
  deleteShipped: z
    .string()
    .regex(/^s3:\/\/[^/]+\/.+\/$/, "expected s3://bucket/prefix/ of the run's deletion ledger")
    .optional(),
});

export type UnitItem = z.infer<typeof unitItemSchema>;

/**
 * What a unit result holds for each chunk shipped: its counts, whether it
 * ended, and the error that ended or spoiled it (its message cut to
 * {@link COMPACT_MESSAGE_BYTES}); the chunk is the unit's item at the same
 * position, so the key and range are not repeated.
 */
export const compactChunkResultSchema = chunkCountsSchema.extend({
  done: z.boolean(),
  error: chunkErrorSchema.optional(),
  /**
   * What became of the object, when the worker deleted it
   * (docs/design.md#deletion): `deleted`, `gone` (deleted already, by an
   * earlier attempt of the unit), `changed` (another version now: kept), or
   * why the delete failed (its message cut shorter than an error's).
   */
  deletion: z.union([z.enum(['deleted', 'gone', 'changed']), chunkErrorSchema]).optional(),
});

export type CompactChunkResult = z.infer<typeof compactChunkResultSchema>;

/**
 * Where an unfinished unit carries on: the index of its next chunk, and that
 * chunk's own cursor when it was begun.
 */
export const unitCursorSchema = z.object({
  chunk: count,
  chunkCursor: chunkCursorSchema.optional(),
});

export type UnitCursor = z.infer<typeof unitCursorSchema>;

/**
 * A unit as the worker takes it: the unit item, and from the previous call
 * its cursor and the results of the chunks before the cursor.
 */
export const unitInputSchema = unitItemSchema
  .extend({
    cursor: unitCursorSchema.optional(),
    results: z.array(compactChunkResultSchema).default([]),
  })
  .superRefine(({ chunks, cursor, results }, context) => {
    const next = cursor?.chunk ?? 0;
    if (next >= chunks.length) {
      context.addIssue({
        code: 'custom',
        path: ['cursor', 'chunk'],
        message: `${next} is not a chunk of a unit of ${chunks.length}`,
      });
    } else if (results.length !== next) {
      context.addIssue({
        code: 'custom',
        path: ['results'],
        message: `${results.length} results for the ${next} chunks before the cursor`,
      });
    }
  });

export type UnitInput = z.infer<typeof unitInputSchema>;

/** How the Distributed Map runs its children: a deployment parameter. */
export const childExecutionTypeSchema = z.enum(['EXPRESS', 'STANDARD']);

export type ChildExecutionType = z.infer<typeof childExecutionTypeSchema>;

/**
 * What the definition hands the unit worker: the unit (an item, or the
 * answer of an unfinished call), when its child started and how the child
 * runs (an Express child lives 5 minutes, so its worker stops in time;
 * without them only the Lambda's deadline counts).
 */
export const unitCallSchema = z.object({
  item: unitInputSchema,
  startedAt: timestamp.optional(),
  executionType: childExecutionTypeSchema.optional(),
});

export type UnitCall = z.infer<typeof unitCallSchema>;

/**
 * A unit finished: its chunks and the results of all of them, in order
 * (`carryOn` is there for the definition's Choice, which reads it in every
 * answer). With the chunks, an answer is read alone: the report needs no
 * manifest to know what each result is of (docs/design.md#report).
 */
export const finishedUnitSchema = z.object({
  unit: count,
  /** The unit's chunks, so each result names its chunk wherever the report reads it. */
  chunks: z.array(chunkItemSchema).min(1).max(MAX_UNIT_CHUNKS),
  done: z.literal(true),
  carryOn: z.literal(false),
  results: z.array(compactChunkResultSchema).max(MAX_UNIT_CHUNKS),
});

/**
 * A unit not finished: its next input (the item, where it stopped, the
 * results before), so the child's loop and the parent's next pass call the
 * worker with the answer as it is (a state's output holds the item only
 * once); `carryOn` when its child has time for another call, `stalled` when
 * the Collector or S3 stayed unavailable.
 */
export const unfinishedUnitSchema = unitItemSchema.extend({
  done: z.literal(false),
  cursor: unitCursorSchema,
  results: z.array(compactChunkResultSchema).max(MAX_UNIT_CHUNKS),
  carryOn: z.boolean(),
  stalled: chunkErrorSchema.optional(),
});

/** What a worker answers for a unit (docs/design.md#work-units). */
export const unitResultSchema = z.discriminatedUnion('done', [
  finishedUnitSchema,
  unfinishedUnitSchema,
]);

export type UnitResult = z.infer<typeof unitResultSchema>;
