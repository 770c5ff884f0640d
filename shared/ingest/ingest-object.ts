/**
 * One notified object, start to end, within one Lambda invocation: skip
 * ELB's test object and other services' logs (an object whose name is not
 * ELB's is a log by its content: shared/formats/s3-key.ts), hand what is too large to finish in time to the
 * reprocessing state machine, ship the rest whole through the chunk engine
 * (again, while time allows, when the receiver or S3 was unavailable), and
 * delete it afterwards when asked and every line was accepted, if it is still
 * the version shipped. An object named like a log whose content is not one
 * fails by the engine's error (`NotAnElbLogError`,
 * `UnsupportedCompressionError`): none of it is shipped, and it is kept.
 */

import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ExportConfig } from '../config/export-config.ts';
import type { MappingConfig } from '../config/mapping-config.ts';
import { type ShipCounts, shipCounts, zeroShipCounts } from '../contract/counts.ts';
import { ExportRetryableError, ObjectReadRetryableError } from '../contract/errors.ts';
import type { ChunkError, ChunkItem, RunInputFields } from '../contract/state-machine.ts';
import { parseS3Key } from '../formats/s3-key.ts';
import type { OtlpExporter } from '../otlp/exporter.ts';
import { logByContent } from '../pipeline/log-content.ts';
import { describeReadError, readErrorName } from '../pipeline/read-error.ts';
import { shipChunk } from '../pipeline/ship-chunk.ts';
import { TO_THE_END } from '../reprocess/object-chunks.ts';
import { type DeleteOutcome, deleteIfUnchanged } from '../s3/conditional-delete.ts';
import { isGone } from '../s3/key-presence.ts';
import { objectFacts } from '../s3/object-reader.ts';
import type { ObjectNotice } from './notifications.ts';

/**
 * Stored bytes per second one invocation ships, at least: ALB logs gzip
 * about 7:1, and the ship benchmark (BENCHMARKS.md "Ship") moves 56 MB of
 * gzip in 6–7 s on two cores; a Lambda vCPU is given half of that, and half
 * again for safety.
 */
export const SHIP_BYTES_PER_SECOND = 2 * 1024 * 1024;
/** Kept free at the end of an invocation: the last batches, deletion, the answer. */
export const INGEST_RESERVE_MS = 30_000;

/** Starts the reprocessing state machine: a hand-off, or a run over a window (window-run.ts). */
export interface StateMachineStarter {
  /** The execution's ARN; `started` is `false` when an execution of that name already exists. */
  start(name: string, input: RunInputFields): Promise<{ started: boolean; executionArn: string }>;
}

export interface IngestObjectOptions {
  s3: S3Client;
  exporter: OtlpExporter;
  config: ExportConfig;
  mapping: MappingConfig;
  now: () => number;
  /** When the invocation must have answered (ms since the epoch). */
  deadlineMs: number;
  /** Objects over this many stored bytes go to the state machine (when there is one). */
  handoffBytes: number;
  handoff?: StateMachineStarter;
  deleteProcessed: boolean;
  rangeBytes?: number;
  /** Waits between attempts (tests pass a fast one). */
  sleep?: (ms: number) => Promise<void>;
}

export type IngestOutcome =
  | {
      status: 'shipped';
      counts: ShipCounts;
      deleted: boolean;
      /** Deletion was asked, but the object changed since it was read (another ETag): kept. */
      changed?: true;
    }
  | { status: 'ignored'; reason: string }
  | { status: 'handed-off'; execution: string; started: boolean; reason: string }
  | { status: 'failed'; counts: ShipCounts; error: ChunkError };

/** Ships (or skips, or hands off) one notified object. Never throws for the object's own faults. */
export async function ingestObject(
  notice: ObjectNotice,
  options: IngestObjectOptions,
): Promise<IngestOutcome> {
  const where = `s3://${notice.bucket}/${notice.key}`;
  const info = parseS3Key(notice.key);
  if (!info.isLog) {
    return {
      status: 'ignored',
      reason:
        info.kind === 'test-file'
          ? "ELB's test object (written when access logs are switched on)"
          : (info.reason ?? 'not an ELB log'),
    };
  }
  let facts: Awaited<ReturnType<typeof objectFacts>>;
  try {
    facts = await objectFacts(options.s3, notice.bucket, notice.key);
  } catch (error) {
    // Gone since the notification: shipped and deleted by an earlier delivery, or
    // removed. Without s3:ListBucket S3 says 403 for that, not 404: isGone() asks a listing.
    try {
      if (await isGone(options.s3, notice.bucket, notice.key, error)) {
        return { status: 'ignored', reason: 'the object no longer exists' };
      }
    } catch (undecided) {
      return failed(zeroShipCounts(), undecided);
    }
    return failed(zeroShipCounts(), error);
  }

  if (info.byContent) {
    // A name that is not ELB's: a log only if its content is one.
    try {
      const content = await logByContent(
        options.s3,
        notice.bucket,
        { key: notice.key, ...facts },
        options.mapping.vended,
      );
      if (!content.log) {
        return { status: 'ignored', reason: `its name is not ELB's and ${content.reason}` };
      }
    } catch (error) {
      return failed(zeroShipCounts(), error);
    }
  }

  const limit = handoffLimit(options);
  if (options.handoff !== undefined && facts.size > limit) {
    return handOff(
      notice,
      facts.etag,
      options,
      `${facts.size} stored bytes, over the ${limit} this invocation can ship in its time`,
    );
  }

  const chunk: ChunkItem = {
    bucket: notice.bucket,
    key: notice.key,
    etag: facts.etag,
    size: facts.size,
    compression: facts.compression,
    start: 0,
    end: facts.size === 0 ? 1 : facts.compression === 'gzip' ? TO_THE_END : facts.size,
  };
  const sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  const batchDeadline = options.deadlineMs - INGEST_RESERVE_MS;
  // Reading stops while the batches in flight can still be retried to the
  // deadline: a retry period before it, or a quarter of the time when shorter.
  const started = options.now();
  const stopAt =
    batchDeadline - Math.min(options.config.maxRetryTimeMs, (batchDeadline - started) / 4);
  let counts = zeroShipCounts();
  for (let attempt = 1; ; attempt++) {
    const shipped = await shipChunk({
      client: options.s3,
      chunk,
      exporter: options.exporter,
      protocol: options.config.protocol,
      limits: {
        maxRecords: options.config.maxBatchRecords,
        maxBytes: options.config.maxBatchBytes,
      },
      concurrency: options.config.concurrency,
      mapping: options.mapping,
      nowNanos: () => BigInt(options.now()) * 1_000_000n,
      deadlineMs: batchDeadline,
      shouldStop: () => options.now() >= stopAt,
      ...(options.rangeBytes !== undefined && { rangeBytes: options.rangeBytes }),
    });
    counts = shipCounts(shipped);
    if (!shipped.done) {
      // Out of time: the state machine ships it (again) in chunks.
      if (options.handoff !== undefined) {
        return handOff(notice, facts.etag, options, `not done by the invocation's deadline`);
      }
      return failed(counts, new Error(`${where}: not done by the invocation's deadline`));
    }
    const error = shipped.readError ?? shipped.exportError;
    const retryable =
      error instanceof ExportRetryableError || error instanceof ObjectReadRetryableError;
    // Another whole attempt, while it can finish in time (the same record ids go again).
    const wait = Math.min(30_000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2);
    if (
      retryable &&
      attempt < 3 &&
      options.now() + wait + options.config.maxRetryTimeMs * 2 < batchDeadline
    ) {
      await sleep(wait);
      continue;
    }
    if (error !== undefined) return failed(counts, error);
    if (counts.failed > 0 || counts.rejected > 0) {
      return failed(counts, {
        name: counts.failed > 0 ? 'RecordsFailed' : 'RecordsRejected',
        message: `${counts.failed} failed, ${counts.rejected} rejected of ${counts.lines} lines`,
      });
    }
    break;
  }
  if (options.deleteProcessed) {
    let deletion: DeleteOutcome;
    try {
      // Only the version shipped: a newer one is kept for its own notification.
      deletion = await deleteIfUnchanged(options.s3, notice.bucket, {
        key: notice.key,
        etag: facts.etag,
      });
    } catch (error) {
      // Shipped, but not deleted as asked: the object fails, so it is seen (and retried).
      return failed(counts, error);
    }
    if (deletion === 'changed') return { status: 'shipped', counts, deleted: false, changed: true };
  }
  return { status: 'shipped', counts, deleted: options.deleteProcessed };
}

/** Stored bytes an invocation takes on itself with the time it has left. */
export function handoffLimit(
  options: Pick<IngestObjectOptions, 'deadlineMs' | 'now' | 'handoffBytes'>,
): number {
  const seconds = Math.max(0, options.deadlineMs - INGEST_RESERVE_MS - options.now()) / 1000;
  return Math.min(options.handoffBytes, Math.floor((seconds / 2) * SHIP_BYTES_PER_SECOND));
}

/**
 * The hand-off's execution name: the same for every delivery of the same
 * object version, so a duplicate notification does not start a second run.
 */
export function handoffName(notice: ObjectNotice, etag: string): string {
  const digest = createHash('sha256')
    .update(`${notice.bucket}\n${notice.key}\n${etag}\n${notice.sequencer ?? ''}`)
    .digest('hex');
  return `ingest-${digest.slice(0, 40)}`;
}

async function handOff(
  notice: ObjectNotice,
  etag: string,
  options: IngestObjectOptions,
  reason: string,
): Promise<IngestOutcome> {
  const execution = handoffName(notice, etag);
  try {
    // The run deletes the object once it ships whole, as ingest would have.
    const { started } = await (options.handoff as StateMachineStarter).start(execution, {
      bucket: notice.bucket,
      keys: [notice.key],
      deleteProcessed: options.deleteProcessed,
    });
    return { status: 'handed-off', execution, started, reason };
  } catch (error) {
    return failed(zeroShipCounts(), error);
  }
}

function failed(counts: ShipCounts, error: unknown): IngestOutcome {
  if (error !== null && typeof error === 'object' && 'name' in error && !(error instanceof Error)) {
    return { status: 'failed', counts, error: error as ChunkError };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return {
    status: 'failed',
    counts,
    error: { name: readErrorName(e), message: describeReadError(e) },
  };
}
