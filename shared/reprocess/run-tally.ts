/**
 * A run's results added up as they are read (docs/design.md#report): each
 * chunk's result (or, for a chunk not finished, its cursor; or no result)
 * counted once, its failure named, the item a re-run ships kept; each object
 * whose one chunk is all of it written to the per-object detail as soon as
 * its chunk is read, and only an object split into several chunks (or one
 * the report itself is to delete) held until the end. Memory grows with the
 * failed chunks and the split objects, never with the run's size.
 */

import {
  addLineCounts,
  addShipCounts,
  type LineCounts,
  zeroLineCounts,
  zeroShipCounts,
} from '../contract/counts.ts';
import type {
  ChunkError,
  ChunkItem,
  ChunkResult,
  CompactChunkResult,
  FailedChunk,
  UnitCursor,
} from '../contract/state-machine.ts';
import { type DeleteFailure, isRetryableDeleteCode } from '../s3/conditional-delete.ts';
import { coversWholeObject } from './object-chunks.ts';

/** A chunk with no result at all. */
export const NO_RESULT = {
  name: 'NoResult',
  message: 'the chunk has no result (it never ran, or the run stopped)',
};

/** What became of an object's deletion: as a worker's result says it, or the report's own. */
export type Deletion = 'deleted' | 'gone' | 'changed' | ChunkError;

/** One line of the per-object detail (`objects.jsonl`). */
export interface ObjectStatus extends LineCounts {
  key: string;
  /** The version the run read (deletion is pinned to it). */
  etag: string;
  chunks: number;
  /** Every chunk ended done, with nothing failed or rejected and no error. */
  shipped: boolean;
  /** What became of it when the run deleted (or tried to). */
  deletion?: Deletion;
}

/** Where each object's line goes: the report's `objects.jsonl` (a JsonlUpload). */
export interface DetailSink {
  write(status: ObjectStatus): Promise<void>;
}

/** A unit's outcome as the tally takes it: its results, and where and why it stopped. */
export interface UnitReading {
  results: readonly CompactChunkResult[];
  cursor?: UnitCursor;
  error?: ChunkError;
}

export class RunTally {
  totals = zeroShipCounts();
  chunkMs = 0;
  chunks = 0;
  objects = 0;
  shippedObjects = 0;
  /** Every failed chunk, in the order read. */
  readonly failures: FailedChunk[] = [];
  /** The planned items of the failed chunks (an unfinished one from where it stopped): what a re-run ships. */
  readonly retryItems: ChunkItem[] = [];
  /** Deletions, all of them: counted, the changed and failed ones named. */
  deleted = 0;
  readonly changedKeys: string[] = [];
  readonly deleteFailures: DeleteFailure[] = [];
  /** Objects held until the end: split into several chunks, or for the report to delete. */
  readonly #held = new Map<string, ObjectStatus>();
  readonly #detail: DetailSink;
  readonly #reportDeletes: boolean;

  /**
   * @param detail where each object's line goes
   * @param reportDeletes the report deletes what shipped and no worker deleted
   */
  constructor(detail: DetailSink, reportDeletes: boolean) {
    this.#detail = detail;
    this.#reportDeletes = reportDeletes;
  }

  /** Adds up a unit's chunks with its outcome (none: no result for any of them). */
  async unit(chunks: readonly ChunkItem[], reading: UnitReading | undefined): Promise<void> {
    for (const [at, item] of chunks.entries()) {
      await this.#chunk(item, at, reading);
    }
  }

  async #chunk(item: ChunkItem, at: number, reading: UnitReading | undefined): Promise<void> {
    this.chunks++;
    const where = { key: item.key, start: item.start, end: item.end };
    const result = reading?.results[at];
    // A chunk the unit began and did not finish: what it shipped counts, the
    // rest is retried; all of it when a line before the cursor was rejected
    // or failed, since those lines were not accepted either.
    const partial = reading?.cursor?.chunk === at ? reading.cursor.chunkCursor : undefined;
    const retryFromCursor =
      partial !== undefined &&
      partial.rejected === 0 &&
      partial.failed === 0 &&
      partial.error === undefined &&
      partial.offset > item.start &&
      partial.offset < item.end;
    const counted = result ?? partial;
    const failure =
      result !== undefined
        ? chunkFailure({ ...where, ...result })
        : { ...where, error: reading?.error ?? NO_RESULT };
    const status: ObjectStatus = {
      key: item.key,
      etag: item.etag,
      chunks: 1,
      ...zeroLineCounts(),
      shipped: failure === undefined,
    };
    if (failure !== undefined) {
      this.failures.push(failure);
      this.retryItems.push(retryFromCursor ? { ...item, start: partial.offset } : item);
    }
    if (counted !== undefined) {
      this.totals = addShipCounts(this.totals, counted);
      this.chunkMs += counted.durationMs;
      Object.assign(status, addLineCounts(status, counted));
    }
    // A worker's delete refused for a reason that may pass (throttling, a
    // server error) is left to the report to try again; any other is final.
    const retryDelete =
      this.#reportDeletes &&
      typeof result?.deletion === 'object' &&
      isRetryableDeleteCode(result.deletion.name);
    if (failure === undefined && result?.deletion !== undefined && !retryDelete) {
      status.deletion = result.deletion;
      this.#countDeletion(item.key, result.deletion);
    }
    const held = this.#held.get(item.key);
    if (held !== undefined) {
      held.chunks++;
      held.shipped &&= status.shipped;
      Object.assign(held, addLineCounts(held, status));
    } else if (
      coversWholeObject(item) &&
      !(this.#reportDeletes && status.shipped && status.deletion === undefined)
    ) {
      await this.#write(status);
    } else {
      this.#held.set(item.key, status);
    }
  }

  /** The held objects the report is to delete: shipped, not deleted by a worker, under `prefix`. */
  toDelete(prefix: string): { key: string; etag: string }[] {
    if (!this.#reportDeletes) return [];
    return [...this.#held.values()]
      .filter((o) => o.shipped && o.deletion === undefined && o.key.startsWith(prefix))
      .map(({ key, etag }) => ({ key, etag }));
  }

  /** Records what became of the report's own deletions. */
  deletedByReport(outcomes: ReadonlyMap<string, Deletion>): void {
    for (const [key, deletion] of outcomes) {
      const held = this.#held.get(key);
      if (held !== undefined) held.deletion = deletion;
      this.#countDeletion(key, deletion);
    }
  }

  /** Objects counted so far, the held ones too (written or not). */
  get objectsSoFar(): { objects: number; shippedObjects: number } {
    let shipped = 0;
    for (const status of this.#held.values()) if (status.shipped) shipped++;
    return {
      objects: this.objects + this.#held.size,
      shippedObjects: this.shippedObjects + shipped,
    };
  }

  /** Writes the held objects; the tally is whole. */
  async finish(): Promise<void> {
    for (const status of this.#held.values()) await this.#write(status);
    this.#held.clear();
  }

  async #write(status: ObjectStatus): Promise<void> {
    this.objects++;
    if (status.shipped) this.shippedObjects++;
    await this.#detail.write(status);
  }

  #countDeletion(key: string, deletion: Deletion): void {
    if (deletion === 'deleted' || deletion === 'gone') this.deleted++;
    else if (deletion === 'changed') this.changedKeys.push(key);
    else this.deleteFailures.push({ key, code: deletion.name, message: deletion.message });
  }
}

/** Why a chunk did not ship all its lines, or `undefined` when it did. */
function chunkFailure(
  outcome: ChunkResult | (CompactChunkResult & { key: string; start: number; end: number }),
): FailedChunk | undefined {
  const where = { key: outcome.key, start: outcome.start, end: outcome.end };
  if (outcome.error !== undefined) return { ...where, error: outcome.error };
  if (outcome.lines !== outcome.accepted + outcome.rejected + outcome.failed) {
    return {
      ...where,
      error: {
        name: 'CountsNotConserved',
        message: `lines ${outcome.lines} ≠ accepted ${outcome.accepted} + rejected ${outcome.rejected} + failed ${outcome.failed}`,
      },
    };
  }
  if (outcome.failed > 0 || outcome.rejected > 0 || outcome.done !== true) {
    return {
      ...where,
      error: {
        name:
          outcome.failed > 0
            ? 'RecordsFailed'
            : outcome.rejected > 0
              ? 'RecordsRejected'
              : 'NotDone',
        message: `${outcome.failed} failed, ${outcome.rejected} rejected of ${outcome.lines} lines`,
      },
    };
  }
  return undefined;
}
