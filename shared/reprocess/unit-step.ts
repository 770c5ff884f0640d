/**
 * The Distributed Map's worker for a work unit, without Lambda: ships the
 * unit's chunks in order with one exporter and one S3 client, carries the
 * deadline across them, and answers the unit result
 * (docs/design.md#unit-input-cursor-and-result).
 *
 * - Each chunk is shipped as the chunk worker ships it (chunk-step.ts): the
 *   same counts, cursor and errors, kept compact in the unit's `results`.
 * - Near the deadline (the Lambda's, or in an Express child, which lives 5
 *   minutes, the child's) it stops at a line boundary
 *   and answers the unit unfinished, with its cursor: the next input.
 * - When the Collector or S3 stays unavailable it does not throw: the unit
 *   answers unfinished with `stalled` naming the error and the cursor the
 *   call began from, so the next call sends the same records again (the
 *   same record ids) instead of a retrier outliving an Express child.
 */

import type { S3Client } from '@aws-sdk/client-s3';
import { addChunkCounts, shipCounts, zeroChunkCounts } from '../contract/counts.ts';
import { ChunkInputError } from '../contract/errors.ts';
import { describeProblems, parseOrThrow } from '../contract/parse.ts';
import {
  type ChunkError,
  type ChunkInput,
  type ChunkItem,
  type ChunkResult,
  COMPACT_DELETION_MESSAGE_BYTES,
  COMPACT_MESSAGE_BYTES,
  COMPACT_NAME_BYTES,
  type CompactChunkResult,
  type UnitCall,
  type UnitCursor,
  type UnitResult,
  unitCallSchema,
} from '../contract/state-machine.ts';
import type { ShipResult } from '../pipeline/ship-object.ts';
import { deleteShippedObjects } from '../s3/conditional-delete.ts';
import { isGone } from '../s3/key-presence.ts';
import {
  type ChunkContext,
  chunkResult,
  DEADLINE_MARGIN_MS,
  describe,
  FLUSH_RESERVE_MS,
  type ProcessChunkDependencies,
  retryableError,
  shipChunkWith,
} from './chunk-step.ts';
import { DeletionLedger } from './deletion-ledger.ts';
import { coversWholeObject } from './object-chunks.ts';

/**
 * What a worker may use of an Express child's 5 minutes, from the child's
 * start: the other 30 s are for the Lambda service's retries and the
 * child's own states.
 */
export const CHILD_BUDGET_MS = 270_000;
/** A child with less time left than this ends its unit for the parent's next pass. */
export const MIN_CALL_MS = 60_000;
/**
 * Chunks of a unit shipped at once: a small object's GET and its last
 * batch's answer are waits, so one chunk at a time leaves the worker idle
 * part of the time (BENCHMARKS.md, "Fleet").
 */
export const UNIT_CHUNKS_AT_ONCE = 3;

/** A chunk's call: the chunk as shipped (with its cursor), what it shipped and when it started. */
interface Shipment {
  chunk: ChunkInput;
  shipped: ShipResult;
  started: number;
}

/** The unit worker, given its dependencies (the handler, the local runner and tests pass theirs). */
export function createProcessUnit(
  dependencies: () => ProcessChunkDependencies | Promise<ProcessChunkDependencies>,
) {
  return async (event: unknown, context: ChunkContext): Promise<UnitResult> => {
    const { item: input, startedAt, executionType } = parseUnitCall(event);
    const { s3, exporter, config, mapping, clock, logger, rangeBytes, allowDelete } =
      await dependencies();
    const ledger =
      input.deleteShipped === undefined
        ? undefined
        : new DeletionLedger(s3, input.deleteShipped, input.unit);
    /** Positions in `results` of the objects this call shipped whole, to delete before answering. */
    const shippedWhole: number[] = [];
    const started = clock.now();
    const childEnd =
      startedAt === undefined || executionType !== 'EXPRESS'
        ? undefined
        : Date.parse(startedAt) + CHILD_BUDGET_MS;
    const deadlineMs =
      Math.min(started + context.getRemainingTimeInMillis(), childEnd ?? Number.POSITIVE_INFINITY) -
      DEADLINE_MARGIN_MS;
    const stopAt = deadlineMs - Math.min(FLUSH_RESERVE_MS, Math.max(0, deadlineMs - started) / 4);
    const results = [...input.results];
    const first = input.cursor?.chunk ?? 0;
    const where = { unit: input.unit, chunks: input.chunks.length, from: first };
    logger.info('unit started', where);

    const paused = (cursor: UnitCursor, stalled?: ChunkError): UnitResult => {
      const now = clock.now();
      const carryOn =
        stalled === undefined && (childEnd === undefined || childEnd - now >= MIN_CALL_MS);
      const answer: UnitResult = {
        unit: input.unit,
        chunks: input.chunks,
        ...(input.deleteShipped !== undefined && { deleteShipped: input.deleteShipped }),
        cursor,
        results,
        done: false,
        carryOn,
        ...(stalled !== undefined && { stalled }),
      };
      const details = { ...where, cursor: cursor.chunk, carryOn, ...(stalled && { stalled }) };
      if (stalled !== undefined) logger.warn('unit stalled: the next pass carries on', details);
      else logger.info('unit paused before the deadline', details);
      return answer;
    };

    // Chunks are shipped in order, and the next starts as soon as one has
    // read its lines: its GET and its lines overlap the answers to the
    // batches before (up to UNIT_CHUNKS_AT_ONCE chunks at once, one of them
    // reading). Only the chunk reading can stop before its end (at
    // `stopAt`), so the one that pauses is the unit's cursor, and every
    // chunk before it has ended. When the receiver or S3 is found
    // unavailable, the chunks after that one stop too and ship again from
    // their start in the next call (their records twice, with the same ids).
    const shipWith = {
      s3,
      exporter,
      config,
      mapping,
      clock,
      ...(rangeBytes !== undefined && { rangeBytes }),
    };
    let halted = false;
    let reading = false;
    /** The unit's requests in flight: the export concurrency bounds all its chunks together. */
    const requestSlots = new Set<Promise<void>>();
    const running = new Map<number, Promise<Shipment>>();
    let next = first;
    const startChunk = () => {
      if (
        halted ||
        reading ||
        running.size >= UNIT_CHUNKS_AT_ONCE ||
        next >= input.chunks.length ||
        (next > first && clock.now() >= stopAt)
      ) {
        return;
      }
      const at = next++;
      const chunkCursor = at === first ? input.cursor?.chunkCursor : undefined;
      const chunk = {
        ...input.chunks[at],
        ...(chunkCursor !== undefined && { cursor: chunkCursor }),
      };
      const started = clock.now();
      reading = true;
      const shipped = shipChunkWith(shipWith, chunk, chunkCursor?.offset ?? chunk.start, {
        deadlineMs,
        shouldStop: () => halted || clock.now() >= stopAt,
        onReadEnd: () => {
          reading = false;
          startChunk();
        },
        requestSlots,
      }).then((result) => {
        // The receiver or S3 is unavailable: the chunks after this one stop too.
        if (retryableError(result) !== undefined) halted = true;
        return { chunk, shipped: result, started };
      });
      // Awaited in order; until then a failure must not count as unhandled.
      shipped.catch(() => {});
      running.set(at, shipped);
    };
    // A chunk's `durationMs` is its share of the call's time: from when it
    // started, or when the chunk before it ended, to its own end; the shares
    // add up to the call's time, however many chunks overlapped.
    let lastEnded = clock.now();
    /** Ends the chunks in order; answers the unit unfinished where one could not end. */
    const shipInOrder = async (): Promise<UnitResult | undefined> => {
      for (let at = first; at < input.chunks.length; at++) {
        // Chunks ended since the last one read make room for the next.
        startChunk();
        const shipment = running.get(at);
        if (shipment === undefined) return paused({ chunk: at });
        const { chunk, shipped, started } = await shipment;
        running.delete(at);
        const ended = clock.now();
        const ms = ended - Math.max(started, lastEnded);
        lastEnded = ended;
        const chunkCursor = chunk.cursor;
        const retryable = retryableError(shipped);
        if (retryable !== undefined) {
          // From where this call found the chunk: its records go again, with the same ids.
          return paused(
            { chunk: at, ...(chunkCursor !== undefined && { chunkCursor }) },
            compactError(describe(retryable)),
          );
        }
        const counts = addChunkCounts(chunkCursor ?? zeroChunkCounts(), {
          ...shipCounts(shipped),
          durationMs: Math.round(ms),
        });
        if (ledger !== undefined && (await goneBeforeRead(s3, ledger, chunk, shipped))) {
          // Deleted by an earlier attempt of this unit, after it shipped it whole.
          results.push({
            ...zeroChunkCounts(),
            durationMs: Math.round(ms),
            done: true,
            deletion: 'gone',
          });
          continue;
        }
        const result = chunkResult(chunk, shipped, counts);
        if (!result.done) {
          const { cursor } = result;
          return paused({
            chunk: at,
            ...(cursor !== undefined && {
              chunkCursor: cursor.error ? { ...cursor, error: compactError(cursor.error) } : cursor,
            }),
          });
        }
        results.push(compact(result, `s3://${chunk.bucket}/${chunk.key}`));
        if (
          ledger !== undefined &&
          coversWholeObject(chunk) &&
          fullyAccepted(results[results.length - 1])
        ) {
          shippedWhole.push(results.length - 1);
        }
      }
      return undefined;
    };
    let unfinished: UnitResult | undefined;
    try {
      unfinished = await shipInOrder();
    } finally {
      // After a pause, a stall or an error, the chunks still running stop
      // at a line boundary; the call answers once they have.
      halted = true;
      await Promise.allSettled(running.values());
    }
    // Paused or done, the objects this call shipped whole go before it answers.
    if (ledger !== undefined) {
      await deleteShippedWhole(s3, ledger, input.chunks, results, {
        positions: shippedWhole,
        allowed: allowDelete === true,
        logger,
      });
    }
    if (unfinished !== undefined) return unfinished;
    const failed = results.filter((r) => r.error !== undefined || r.failed > 0).length;
    const details = { ...where, failedChunks: failed };
    if (failed > 0) logger.error('unit shipped with failed chunks', details);
    else logger.info('unit shipped', details);
    return { unit: input.unit, chunks: input.chunks, done: true, carryOn: false, results };
  };
}

/** Whether every line of a finished chunk was accepted (nothing rejected, failed, or in error). */
function fullyAccepted(result: CompactChunkResult): boolean {
  return (
    result.done &&
    result.error === undefined &&
    result.failed === 0 &&
    result.rejected === 0 &&
    result.lines === result.accepted
  );
}

/**
 * Whether a whole-object chunk found its object gone before reading a line
 * (S3's 404, or its 403 for a key a listing does not show) because an
 * earlier call of this unit shipped and deleted it: recorded in the ledger
 * with the same ETag. Gone otherwise, it fails as any missing object does.
 */
async function goneBeforeRead(
  s3: S3Client,
  ledger: DeletionLedger,
  chunk: ChunkInput,
  shipped: ShipResult,
): Promise<boolean> {
  const error = shipped.readError;
  if (error === undefined || chunk.cursor !== undefined || !coversWholeObject(chunk)) return false;
  if (shipped.lines > 0) return false;
  if (error.name !== 'ObjectNotFoundError' && error.name !== 'ObjectAccessDeniedError')
    return false;
  const gone = await isGone(s3, chunk.bucket, chunk.key, error).catch(() => false);
  return gone && (await ledger.recorded(chunk).catch(() => false));
}

/**
 * Deletes the objects at `positions` of `results` (each pinned to the ETag
 * shipped, in as few DeleteObjects requests as there are buckets), and
 * writes what became of each in its result's `deletion`.
 */
async function deleteShippedWhole(
  s3: S3Client,
  ledger: DeletionLedger,
  chunks: readonly ChunkItem[],
  results: CompactChunkResult[],
  {
    positions,
    allowed,
    logger,
  }: {
    positions: readonly number[];
    allowed: boolean;
    logger: Pick<ProcessChunkDependencies['logger'], 'error'>;
  },
): Promise<void> {
  if (positions.length === 0) return;
  if (!allowed) {
    for (const at of positions) {
      results[at] = {
        ...results[at],
        deletion: {
          name: 'DeletionNotAllowed',
          message: 'this deployment does not allow deletion (allowDeleteProcessed)',
        },
      };
    }
    return;
  }
  // Recorded first: a later call that finds one of them gone knows this run deleted it.
  try {
    await ledger.record(
      positions[0],
      positions.map((at) => ({ key: chunks[at].key, etag: chunks[at].etag })),
    );
  } catch (error) {
    logger.error('the deletion ledger refused a record: nothing deleted', { error });
    const refused = compactDeletionError(describe(error as Error));
    for (const at of positions) results[at] = { ...results[at], deletion: refused };
    return;
  }
  const buckets = new Map<string, number[]>();
  for (const at of positions) {
    const bucket = chunks[at].bucket;
    buckets.set(bucket, [...(buckets.get(bucket) ?? []), at]);
  }
  for (const [bucket, ats] of buckets) {
    const outcome = await deleteShippedObjects(
      s3,
      bucket,
      ats.map((at) => ({ key: chunks[at].key, etag: chunks[at].etag })),
    );
    const deleted = new Set(outcome.deleted);
    const changed = new Set(outcome.changed);
    const failed = new Map(outcome.failed.map((failure) => [failure.key, failure]));
    for (const at of ats) {
      const { key } = chunks[at];
      const failure = failed.get(key);
      results[at] = {
        ...results[at],
        deletion: deleted.has(key)
          ? 'deleted'
          : changed.has(key)
            ? 'changed'
            : compactDeletionError({
                name: failure?.code ?? 'NoAnswer',
                message: (failure?.message ?? 'not in S3’s answer').replaceAll(
                  `s3://${bucket}/${key}`,
                  'the object',
                ),
              }),
      };
    }
    if (outcome.failed.length > 0) {
      logger.error('objects shipped whole could not be deleted', { failures: outcome.failed });
    }
  }
}

/** Validates a unit worker's input, or throws {@link ChunkInputError} naming every bad field. */
export function parseUnitCall(event: unknown): UnitCall {
  return parseOrThrow(
    unitCallSchema,
    event,
    (problems) => new ChunkInputError(`not a unit item: ${describeProblems(problems)}`),
  );
}

/**
 * A finished chunk's result as a unit keeps it: its position names the
 * chunk, so its key and range are left out, and so is the object's address
 * in its error message (`object`, e.g. `s3://bucket/key`).
 */
function compact(result: ChunkResult, object: string): CompactChunkResult {
  const { key: _key, start: _start, end: _end, cursor: _cursor, error, ...counts } = result;
  if (error === undefined) return counts;
  const message = error.message.replaceAll(object, 'the object');
  return { ...counts, error: compactError({ name: error.name, message }) };
}

/**
 * An error whose message and name, as JSON writes them, take at most
 * {@link COMPACT_MESSAGE_BYTES} and {@link COMPACT_NAME_BYTES} (the worker's
 * log has them whole): cut at a whole character, however many bytes its
 * characters and escapes take.
 */
export function compactError(error: ChunkError): ChunkError {
  return {
    name: cutToJsonBytes(error.name, COMPACT_NAME_BYTES),
    message: cutToJsonBytes(error.message, COMPACT_MESSAGE_BYTES),
  };
}

/**
 * Why a delete failed, as a compact result keeps it: the name cut as an
 * error's, the message to {@link COMPACT_DELETION_MESSAGE_BYTES}.
 */
export function compactDeletionError(error: ChunkError): ChunkError {
  return {
    name: cutToJsonBytes(error.name, COMPACT_NAME_BYTES),
    message: cutToJsonBytes(error.message, COMPACT_DELETION_MESSAGE_BYTES),
  };
}

/** `text` as it is when JSON writes it in `bytes` or fewer; else cut, with an ellipsis. */
function cutToJsonBytes(text: string, bytes: number): string {
  if (jsonBytes(text) <= bytes) return text;
  const characters = Array.from(text);
  let keep = Math.min(characters.length, bytes);
  let cut = `${characters.slice(0, keep).join('')}…`;
  while (jsonBytes(cut) > bytes && keep > 0) {
    keep = Math.floor(keep * 0.9);
    cut = `${characters.slice(0, keep).join('')}…`;
  }
  return cut;
}

const jsonBytes = (text: string) => Buffer.byteLength(JSON.stringify(text));
