/**
 * One chunk shipped by a worker, without Lambda: the call of the chunk
 * engine, the result of a call (carrying on from the chunk's cursor) and the
 * errors a later attempt may not meet, which the unit worker
 * (unit-step.ts) uses for each chunk of a unit; and `createProcessChunk`, a
 * worker of one chunk item (docs/design.md#chunk-result).
 *
 * - Stops reading at a line boundary well before the deadline, lets the
 *   batches in flight finish, and answers `done: false` with a cursor: no
 *   batch is ever cut by a timeout.
 * - `createProcessChunk` throws `ExportRetryableError` or
 *   `ObjectReadRetryableError` when a later attempt may succeed, and answers
 *   a result with `error` for everything a retry cannot fix.
 * - Logs JSON lines with the key, range and counts; never the OTLP headers.
 */

import type { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';
import { ExportConfigError } from '../config/config-error.ts';
import type { ExportConfig } from '../config/export-config.ts';
import type { MappingConfig } from '../config/mapping-config.ts';
import {
  addChunkCounts,
  type ChunkCounts,
  shipCounts,
  zeroChunkCounts,
} from '../contract/counts.ts';
import {
  ChunkInputError,
  ExportRetryableError,
  ObjectReadRetryableError,
} from '../contract/errors.ts';
import { describeProblems, parseOrThrow } from '../contract/parse.ts';
import {
  type ChunkError,
  type ChunkInput,
  type ChunkItem,
  type ChunkResult,
  chunkInputSchema,
} from '../contract/state-machine.ts';
import type { ExporterClock, OtlpExporter } from '../otlp/exporter.ts';
import { describeReadError, readErrorName } from '../pipeline/read-error.ts';
import { shipChunk } from '../pipeline/ship-chunk.ts';
import type { ShipResult } from '../pipeline/ship-object.ts';

/** Batches stop retrying this long before the Lambda would be stopped. */
export const DEADLINE_MARGIN_MS = 5_000;
/**
 * Reading stops this long before the batch deadline, so the batches in
 * flight can finish (a quarter of the time left when that is shorter).
 */
export const FLUSH_RESERVE_MS = 60_000;

/** What a call needs besides its input; built once per container. */
export interface ProcessChunkDependencies {
  s3: S3Client;
  exporter: OtlpExporter;
  config: ExportConfig;
  mapping: MappingConfig;
  clock: ExporterClock;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Bytes per ranged GET (default: the reader's, a few MiB). */
  rangeBytes?: number;
  /**
   * Whether the deployment allows deletion (`ELB_OTLP_ALLOW_DELETE`): the
   * unit worker deletes what a run asks it to only then.
   */
  allowDelete?: boolean;
}

/** The part of the Lambda context the worker reads (a local run gives its own). */
export interface ChunkContext {
  getRemainingTimeInMillis(): number;
}

/** The worker, given its dependencies (the handler, the local runner and tests pass theirs). */
export function createProcessChunk(
  dependencies: () => ProcessChunkDependencies | Promise<ProcessChunkDependencies>,
) {
  return async (event: unknown, context: ChunkContext): Promise<ChunkResult> => {
    const input = parseChunkInput(event);
    const { s3, exporter, config, mapping, clock, logger, rangeBytes } = await dependencies();
    const started = clock.now();
    const deadlineMs = started + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS;
    const stopAt = deadlineMs - Math.min(FLUSH_RESERVE_MS, (deadlineMs - started) / 4);
    const from = input.cursor?.offset ?? input.start;
    const where = { key: input.key, start: input.start, end: input.end, from };
    logger.info('chunk started', where);

    const shipped = await shipChunkWith(
      { s3, exporter, config, mapping, clock, ...(rangeBytes !== undefined && { rangeBytes }) },
      input,
      from,
      { deadlineMs, shouldStop: () => clock.now() >= stopAt },
    );

    const counts = addChunkCounts(input.cursor ?? zeroChunkCounts(), {
      ...shipCounts(shipped),
      durationMs: Math.round(clock.now() - started),
    });
    const retryable = retryableError(shipped);
    if (retryable !== undefined) {
      logger.warn('chunk will be retried', { ...where, ...counts, error: describe(retryable) });
      throw retryable;
    }
    const result = chunkResult(input, shipped, counts);
    const { error } = result;
    const details = {
      ...where,
      ...counts,
      ...(result.cursor !== undefined && { cursor: result.cursor.offset }),
      ...(error !== undefined && { error }),
      ...(shipped.rejectionMessages.length > 0 && { rejections: shipped.rejectionMessages }),
    };
    if (!result.done) logger.info('chunk paused before the deadline', details);
    else if (error !== undefined || counts.failed > 0) logger.error('chunk failed', details);
    else logger.info('chunk shipped', details);
    return result;
  };
}

/** How one call of the chunk engine stops, and what it shares with the chunks shipped beside it. */
export interface ShipChunkControls {
  /** Batches stop retrying at this time (ms since the epoch). */
  deadlineMs: number;
  /** Asked after each piece of input: true stops reading at a line boundary. */
  shouldStop: () => boolean;
  /** Called once the chunk's lines are read, before its last batches are answered. */
  onReadEnd?: () => void;
  /** The requests in flight of every chunk shipped at once (the export concurrency bounds them together). */
  requestSlots?: Set<Promise<void>>;
}

/**
 * Ships `chunk` from content byte `from` with a worker's dependencies (the
 * unit worker calls it for each chunk of a unit).
 */
export function shipChunkWith(
  dependencies: Pick<
    ProcessChunkDependencies,
    'exporter' | 'config' | 'mapping' | 'clock' | 'rangeBytes'
  > & { s3: S3Client },
  chunk: ChunkItem,
  from: number,
  { deadlineMs, shouldStop, onReadEnd, requestSlots }: ShipChunkControls,
): Promise<ShipResult> {
  const { s3, exporter, config, mapping, clock, rangeBytes } = dependencies;
  return shipChunk({
    client: s3,
    chunk,
    from,
    exporter,
    protocol: config.protocol,
    limits: { maxRecords: config.maxBatchRecords, maxBytes: config.maxBatchBytes },
    concurrency: config.concurrency,
    mapping,
    nowNanos: () => BigInt(clock.now()) * 1_000_000n,
    deadlineMs,
    shouldStop,
    ...(onReadEnd !== undefined && { onReadEnd }),
    ...(requestSlots !== undefined && { requestSlots }),
    ...(rangeBytes !== undefined && { rangeBytes }),
  });
}

/** Validates a worker's input, or throws {@link ChunkInputError} naming every bad field. */
export function parseChunkInput(event: unknown): ChunkInput {
  return parseOrThrow(
    chunkInputSchema,
    event,
    (problems) => new ChunkInputError(`not a chunk item: ${describeProblems(problems)}`),
  );
}

/**
 * The chunk's result after one call: done, or a cursor to carry on from
 * with the counts so far; and the first error of the chunk, from this call
 * or an earlier one.
 */
export function chunkResult(
  input: ChunkInput,
  shipped: ShipResult,
  counts: ChunkCounts,
): ChunkResult {
  const error = input.cursor?.error ?? chunkError(shipped);
  // Unreadable input, or settings the receiver refuses: the rest of the chunk cannot go.
  const stopped =
    shipped.readError !== undefined || shipped.exportError instanceof ExportConfigError;
  const result: ChunkResult = {
    key: input.key,
    start: input.start,
    end: input.end,
    ...counts,
    done: shipped.done || stopped,
  };
  if (!result.done) {
    result.cursor = { ...counts, offset: shipped.cursor, ...(error !== undefined && { error }) };
  }
  if (error !== undefined) result.error = error;
  return result;
}

/** An error a later attempt may not meet: the receiver or S3 was unavailable. */
export function retryableError(shipped: ShipResult): Error | undefined {
  if (shipped.exportError instanceof ExportRetryableError) return shipped.exportError;
  if (shipped.readError instanceof ObjectReadRetryableError) return shipped.readError;
  return undefined;
}

/** The error that makes the chunk a failed one, as its result carries it. */
function chunkError(shipped: ShipResult): ChunkError | undefined {
  const error = shipped.readError ?? shipped.exportError;
  if (error === undefined) return undefined;
  return describe(error);
}

/** An error as a result carries it: its name, and a message that names the object. */
export function describe(error: Error): ChunkError {
  return { name: readErrorName(error), message: describeReadError(error) };
}
