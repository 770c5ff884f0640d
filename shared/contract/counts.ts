/**
 * The line counts every file, chunk, object, ingest and report summary carries
 * (docs/design.md#counts-and-conservation: lines = accepted + rejected +
 * failed). One schema; the names, the zero and the sum are derived from it.
 */

import { z } from 'zod';

/** A count: a whole number JSON carries exactly (also a byte offset in the contract). */
export const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** What shipping some lines came to. */
export const shipCountsSchema = z.object({
  lines: count,
  accepted: count,
  rejected: count,
  failed: count,
  parseErrors: count,
  batches: count,
  retries: count,
  /** Bytes read from the source, as stored (compressed for gzip objects). */
  bytesIn: count,
});

export type ShipCounts = z.infer<typeof shipCountsSchema>;

/** The counts of a chunk, so far or in all: the ship counts and the time the workers took. */
export const chunkCountsSchema = shipCountsSchema.extend({ durationMs: count });

export type ChunkCounts = z.infer<typeof chunkCountsSchema>;

/** The counts conservation is about: lines = accepted + rejected + failed. */
export const lineCountsSchema = shipCountsSchema.pick({
  lines: true,
  accepted: true,
  rejected: true,
  failed: true,
});

export type LineCounts = z.infer<typeof lineCountsSchema>;

/** The names of {@link ShipCounts}, in the order summaries print them. */
export const SHIP_COUNT_NAMES = namesOf(shipCountsSchema);
/** The names of {@link ChunkCounts}. */
export const CHUNK_COUNT_NAMES = namesOf(chunkCountsSchema);
/** The names of {@link LineCounts}. */
export const LINE_COUNT_NAMES = namesOf(lineCountsSchema);

function namesOf<T extends z.ZodRawShape>(schema: z.ZodObject<T>): readonly (keyof T & string)[] {
  return Object.keys(schema.shape) as (keyof T & string)[];
}

/** Every count of `names` zero. */
function zero<K extends string>(names: readonly K[]): Record<K, number> {
  const counts = {} as Record<K, number>;
  for (const name of names) counts[name] = 0;
  return counts;
}

/** Only the counts of `names` in `from`. */
function pick<K extends string>(
  names: readonly K[],
  from: Readonly<Record<K, number>>,
): Record<K, number> {
  const counts = {} as Record<K, number>;
  for (const name of names) counts[name] = from[name];
  return counts;
}

/** `a + b`, count by count. */
function add<K extends string>(
  names: readonly K[],
  a: Readonly<Record<K, number>>,
  b: Readonly<Record<K, number>>,
): Record<K, number> {
  const sum = {} as Record<K, number>;
  for (const name of names) sum[name] = a[name] + b[name];
  return sum;
}

/** Every ship count zero. */
export function zeroShipCounts(): ShipCounts {
  return zero(SHIP_COUNT_NAMES);
}

/** Only the ship counts of `from` (a result carries more than them). */
export function shipCounts(from: Readonly<ShipCounts>): ShipCounts {
  return pick(SHIP_COUNT_NAMES, from);
}

/** `a + b`, ship count by ship count. */
export function addShipCounts(a: Readonly<ShipCounts>, b: Readonly<ShipCounts>): ShipCounts {
  return add(SHIP_COUNT_NAMES, a, b);
}

/** The zero counts a chunk starts from. */
export function zeroChunkCounts(): ChunkCounts {
  return zero(CHUNK_COUNT_NAMES);
}

/** `a + b`, chunk count by chunk count (a cursor's and a call's). */
export function addChunkCounts(a: Readonly<ChunkCounts>, b: Readonly<ChunkCounts>): ChunkCounts {
  return add(CHUNK_COUNT_NAMES, a, b);
}

/** Every line count zero. */
export function zeroLineCounts(): LineCounts {
  return zero(LINE_COUNT_NAMES);
}

/** `a + b`, line count by line count (the rest of a larger value is left out). */
export function addLineCounts(a: Readonly<LineCounts>, b: Readonly<LineCounts>): LineCounts {
  return add(LINE_COUNT_NAMES, a, b);
}
