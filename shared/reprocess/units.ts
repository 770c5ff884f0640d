/**
 * Packs a run's chunks into work units, one Distributed Map item each
 * (docs/design.md#work-units): an object cut into several chunks gives a
 * unit per chunk, so its ranges run in parallel; objects of one chunk share
 * units of about `unitBytes` of stored log, as many as Step Functions'
 * payload limit allows ({@link UNIT_BUDGET_BYTES}: the items and the largest
 * results of their chunks), so one parent transition and one child stand
 * for hundreds of small objects.
 */

import {
  type ChunkItem,
  COMPACT_RESULT_BYTES,
  MAX_UNIT_CHUNKS,
  UNIT_BUDGET_BYTES,
  type UnitItem,
} from '../contract/state-machine.ts';

/** `{"unit":<index>,"chunks":[]}` around the chunk items, with room for a long index. */
const UNIT_FRAME_BYTES = 40;

/**
 * Chunks a unit of small objects holds when each chunk item is `itemBytes`
 * serialized (e.g. ~320 B with an ELB key): the budget's bound alone.
 */
export function chunksPerUnit(itemBytes: number): number {
  const perChunk = itemBytes + 1 + COMPACT_RESULT_BYTES;
  return Math.min(MAX_UNIT_CHUNKS, Math.floor((UNIT_BUDGET_BYTES - UNIT_FRAME_BYTES) / perChunk));
}

/**
 * Packs chunks into units as they are planned, keeping the order: `add`
 * takes one object's chunks and answers the units it completed, `finish`
 * the last one.
 *
 * @example
 * const packer = new UnitPacker(DEFAULT_UNIT_BYTES);
 * for (const chunks of plannedObjects) for (const unit of packer.add(chunks)) write(unit);
 * for (const unit of packer.finish()) write(unit);
 */
export class UnitPacker {
  readonly #unitBytes: number;
  #next = 0;
  #open: ChunkItem[] = [];
  /** Stored bytes of the open unit's objects. */
  #openBytes = 0;
  /** The open unit's chunk items, serialized with their commas, and their results' room. */
  #openPayloadBytes = UNIT_FRAME_BYTES;

  readonly #frameBytes: number;
  readonly #deleteShipped: string | undefined;

  /**
   * @param unitBytes stored bytes a unit of small objects holds at most (one object bigger is a unit of its own)
   * @param firstUnit the number of the first unit (a plan worker's own range)
   * @param deleteShipped the deletion ledger of a run that deletes, which every unit carries
   */
  constructor(unitBytes: number, firstUnit = 0, deleteShipped?: string) {
    if (!Number.isSafeInteger(unitBytes) || unitBytes < 1) {
      throw new RangeError(`unitBytes must be a whole number of bytes, at least 1: ${unitBytes}`);
    }
    this.#unitBytes = unitBytes;
    this.#next = firstUnit;
    this.#deleteShipped = deleteShipped;
    // `,"deleteShipped":"<ledger>"` in every unit of a run that deletes.
    this.#frameBytes =
      UNIT_FRAME_BYTES +
      (deleteShipped === undefined
        ? 0
        : Buffer.byteLength(`,"deleteShipped":${JSON.stringify(deleteShipped)}`));
    this.#openPayloadBytes = this.#frameBytes;
  }

  /** The number the next unit gets: after the last unit made (the open one not counted). */
  get units(): number {
    return this.#next;
  }

  /** Adds one object's chunks (in order); answers the units this completed. */
  add(chunks: readonly ChunkItem[]): UnitItem[] {
    if (chunks.length === 0) return [];
    if (chunks.length > 1) {
      // A large object: each of its ranges is a unit, run in parallel.
      return [...this.finish(), ...chunks.map((chunk) => this.#unit([chunk]))];
    }
    const [chunk] = chunks;
    // The item with its comma, and room for the chunk's largest result.
    const payloadBytes = Buffer.byteLength(JSON.stringify(chunk)) + 1 + COMPACT_RESULT_BYTES;
    const done =
      this.#open.length > 0 &&
      (this.#open.length >= MAX_UNIT_CHUNKS ||
        this.#openBytes + chunk.size > this.#unitBytes ||
        this.#openPayloadBytes + payloadBytes > UNIT_BUDGET_BYTES)
        ? this.finish()
        : [];
    this.#open.push(chunk);
    this.#openBytes += chunk.size;
    this.#openPayloadBytes += payloadBytes;
    return done;
  }

  /** Closes the open unit: answers it, or nothing when none is open. */
  finish(): UnitItem[] {
    if (this.#open.length === 0) return [];
    const unit = this.#unit(this.#open);
    this.#open = [];
    this.#openBytes = 0;
    this.#openPayloadBytes = this.#frameBytes;
    return [unit];
  }

  #unit(chunks: ChunkItem[]): UnitItem {
    return {
      unit: this.#next++,
      chunks,
      ...(this.#deleteShipped !== undefined && { deleteShipped: this.#deleteShipped }),
    };
  }
}

/** Every object's chunks (in order) packed into units: {@link UnitPacker} over a list. */
export function packUnits(
  objects: Iterable<readonly ChunkItem[]>,
  unitBytes: number,
  deleteShipped?: string,
): UnitItem[] {
  const packer = new UnitPacker(unitBytes, 0, deleteShipped);
  const units: UnitItem[] = [];
  for (const chunks of objects) units.push(...packer.add(chunks));
  units.push(...packer.finish());
  return units;
}
