/**
 * Packs a run's chunks into work units, one Distributed Map item each
 * (docs/design.md#work-units): an object cut into several chunks gives a
 * unit per chunk, so its ranges run in parallel; objects of one chunk share
 * units of about `unitBytes` of stored log, at most {@link MAX_UNIT_CHUNKS}
 * chunks and {@link UNIT_ITEM_BYTES} serialized, so one parent transition
 * and one child stand for many small objects.
 */

import {
  type ChunkItem,
  MAX_UNIT_CHUNKS,
  UNIT_ITEM_BYTES,
  type UnitItem,
} from '../contract/state-machine.ts';

/** `{"unit":<index>,"chunks":[]}` around the chunk items, with room for a long index. */
const UNIT_FRAME_BYTES = 40;

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
  /** The open unit's chunk items, serialized with their commas. */
  #openItemBytes = 0;

  /** @param unitBytes stored bytes a unit of small objects holds at most (one object bigger is a unit of its own) */
  constructor(unitBytes: number) {
    if (!Number.isSafeInteger(unitBytes) || unitBytes < 1) {
      throw new RangeError(`unitBytes must be a whole number of bytes, at least 1: ${unitBytes}`);
    }
    this.#unitBytes = unitBytes;
  }

  /** Units made so far, the open one not counted. */
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
    const itemBytes = Buffer.byteLength(JSON.stringify(chunk)) + 1;
    const done =
      this.#open.length > 0 &&
      (this.#open.length >= MAX_UNIT_CHUNKS ||
        this.#openBytes + chunk.size > this.#unitBytes ||
        UNIT_FRAME_BYTES + this.#openItemBytes + itemBytes > UNIT_ITEM_BYTES)
        ? this.finish()
        : [];
    this.#open.push(chunk);
    this.#openBytes += chunk.size;
    this.#openItemBytes += itemBytes;
    return done;
  }

  /** Closes the open unit: answers it, or nothing when none is open. */
  finish(): UnitItem[] {
    if (this.#open.length === 0) return [];
    const unit = this.#unit(this.#open);
    this.#open = [];
    this.#openBytes = 0;
    this.#openItemBytes = 0;
    return [unit];
  }

  #unit(chunks: ChunkItem[]): UnitItem {
    return { unit: this.#next++, chunks };
  }
}

/** Every object's chunks (in order) packed into units: {@link UnitPacker} over a list. */
export function packUnits(objects: Iterable<readonly ChunkItem[]>, unitBytes: number): UnitItem[] {
  const packer = new UnitPacker(unitBytes);
  const units: UnitItem[] = [];
  for (const chunks of objects) units.push(...packer.add(chunks));
  units.push(...packer.finish());
  return units;
}
