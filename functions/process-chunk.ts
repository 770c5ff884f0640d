/**
 * `process-chunk`: the Distributed Map's worker. Ships one chunk item (and,
 * when an earlier call stopped short of the Lambda's deadline, carries on
 * from its cursor) and answers the chunk result of DESIGN §3.4.
 *
 * - Stops reading at a line boundary well before the deadline, lets the
 *   batches in flight finish, and answers `done: false` with a cursor: no
 *   batch is ever cut by a timeout.
 * - Throws `ExportRetryableError` or `ObjectReadRetryableError` when a later
 *   attempt may succeed (the state machine's `Retry` matches them); answers
 *   a result with `error` for everything a retry cannot fix.
 * - Logs JSON lines with the key, range and counts; never the OTLP headers.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { ExportConfigError } from '../shared/config/config-error.ts';
import type { ExportConfig } from '../shared/config/export-config.ts';
import type { MappingConfig } from '../shared/config/mapping-config.ts';
import { ExportRetryableError } from '../shared/otlp/export-errors.ts';
import { type ExporterClock, type OtlpExporter, SYSTEM_CLOCK } from '../shared/otlp/exporter.ts';
import {
  addCounts,
  type ChunkError,
  type ChunkInput,
  type ChunkResult,
  chunkInputSchema,
  zeroCounts,
} from '../shared/pipeline/chunk.ts';
import { describeReadError, readErrorName } from '../shared/pipeline/read-error.ts';
import { shipChunk } from '../shared/pipeline/ship-chunk.ts';
import { type ShipResult, shipCounts } from '../shared/pipeline/ship-object.ts';
import { ObjectReadRetryableError } from '../shared/s3/s3-errors.ts';
import { startedOnce, startShippingContainer } from './shipping-container.ts';

/** Batches stop retrying this long before the Lambda would be stopped. */
export const DEADLINE_MARGIN_MS = 5_000;
/**
 * Reading stops this long before the batch deadline, so the batches in
 * flight can finish (a quarter of the time left when that is shorter).
 */
export const FLUSH_RESERVE_MS = 60_000;

/** The input is not a chunk item: the message names each bad field. */
export class ChunkInputError extends Error {
  override readonly name = 'ChunkInputError';
}

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
}

/** The part of the Lambda context the worker reads. */
export type ChunkContext = Pick<Context, 'getRemainingTimeInMillis'>;

/** The worker, given its dependencies (tests pass theirs). */
export function createProcessChunk(
  dependencies: () => ProcessChunkDependencies | Promise<ProcessChunkDependencies>,
) {
  return async (event: unknown, context: ChunkContext): Promise<ChunkResult> => {
    const input = parseInput(event);
    const { s3, exporter, config, mapping, clock, logger, rangeBytes } = await dependencies();
    const started = clock.now();
    const deadlineMs = started + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS;
    const stopAt = deadlineMs - Math.min(FLUSH_RESERVE_MS, (deadlineMs - started) / 4);
    const from = input.cursor?.offset ?? input.start;
    const where = { key: input.key, start: input.start, end: input.end, from };
    logger.info('chunk started', where);

    const shipped = await shipChunk({
      client: s3,
      chunk: input,
      from,
      exporter,
      protocol: config.protocol,
      limits: { maxRecords: config.maxBatchRecords, maxBytes: config.maxBatchBytes },
      concurrency: config.concurrency,
      mapping,
      nowNanos: () => BigInt(clock.now()) * 1_000_000n,
      deadlineMs,
      shouldStop: () => clock.now() >= stopAt,
      ...(rangeBytes !== undefined && { rangeBytes }),
    });

    const counts = addCounts(input.cursor ?? zeroCounts(), {
      ...shipCounts(shipped),
      durationMs: Math.round(clock.now() - started),
    });
    const retryable = retryableError(shipped);
    if (retryable !== undefined) {
      logger.warn('chunk will be retried', { ...where, ...counts, error: describe(retryable) });
      throw retryable;
    }
    // The first error of the chunk, from this call or an earlier one.
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

function parseInput(event: unknown): ChunkInput {
  const parsed = chunkInputSchema.safeParse(event);
  if (parsed.success) {
    const { cursor, start, end } = parsed.data;
    if (cursor !== undefined && (cursor.offset < start || cursor.offset > end)) {
      throw new ChunkInputError(
        `not a chunk item: cursor.offset: ${cursor.offset} lies outside the chunk [${start}, ${end})`,
      );
    }
    return parsed.data;
  }
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'input'}: ${issue.message}`,
  );
  throw new ChunkInputError(`not a chunk item: ${problems.join('; ')}`);
}

/** An error a later attempt may not meet: the receiver or S3 was unavailable. */
function retryableError(shipped: ShipResult): Error | undefined {
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

function describe(error: Error): ChunkError {
  return { name: readErrorName(error), message: describeReadError(error) };
}

const logger = new Logger({
  serviceName: 'elb-otlp',
  persistentKeys: { function: 'process-chunk' },
});

export const handler = middy(
  createProcessChunk(
    startedOnce(async () => ({
      ...(await startShippingContainer(process.env, logger)),
      clock: SYSTEM_CLOCK,
      logger,
    })),
  ),
).use(injectLambdaContext(logger));
