/**
 * The chunk contract (DESIGN §3.4): what the planner hands a worker, and what
 * the worker answers. Validated with zod at the worker's door, so a bad item
 * fails with the field named instead of deep inside the engine.
 */

import { z } from 'zod';
import { SHIP_COUNT_NAMES, zeroShipCounts } from './ship-object.ts';

const offset = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * One byte range of one object. A chunk owns exactly the lines whose first
 * byte lies in `[start, end)`; for gzip objects the offsets are in the
 * decompressed content, `size` is always the stored size.
 */
export const chunkItemSchema = z
  .object({
    bucket: z.string().min(1),
    key: z.string().min(1),
    etag: z.string().min(1),
    size: offset,
    compression: z.enum(['gzip', 'none']),
    start: offset,
    end: offset,
  })
  .refine((chunk) => chunk.end > chunk.start, {
    message: 'end must be greater than start',
    path: ['end'],
  });

export type ChunkItem = z.infer<typeof chunkItemSchema>;

/** The counts of a chunk, so far or in all (DESIGN §3.3: lines = accepted + rejected + failed). */
export const chunkCountsSchema = z.object({
  lines: offset,
  accepted: offset,
  rejected: offset,
  failed: offset,
  parseErrors: offset,
  batches: offset,
  retries: offset,
  bytesIn: offset,
  durationMs: offset,
});

export type ChunkCounts = z.infer<typeof chunkCountsSchema>;

/** An error as a chunk result carries it: Step Functions and reports read `name`. */
export const chunkErrorSchema = z.object({ name: z.string(), message: z.string() });

export type ChunkError = z.infer<typeof chunkErrorSchema>;

/**
 * Where an unfinished chunk carries on: the content byte of its next line,
 * and the counts (and first error) of the calls before, so the last result
 * covers the whole chunk.
 */
export const chunkCursorSchema = chunkCountsSchema.extend({
  offset,
  error: chunkErrorSchema.optional(),
});

export type ChunkCursor = z.infer<typeof chunkCursorSchema>;

/** A worker's input: a chunk item, and the cursor of the previous call when there was one. */
export const chunkInputSchema = z.intersection(
  chunkItemSchema,
  z.object({ cursor: chunkCursorSchema.optional() }),
);

export type ChunkInput = z.infer<typeof chunkInputSchema>;

/**
 * What a worker answers (DESIGN §3.4): the counts of the whole chunk so far,
 * `done: false` with a cursor to call again with, and the error that ended
 * it, if one did.
 */
export interface ChunkResult extends ChunkCounts {
  key: string;
  start: number;
  end: number;
  done: boolean;
  cursor?: ChunkCursor;
  error?: ChunkError;
}

/** The zero counts a chunk starts from. */
export function zeroCounts(): ChunkCounts {
  return { ...zeroShipCounts(), durationMs: 0 };
}

/** `a + b`, count by count. */
export function addCounts(a: ChunkCounts, b: ChunkCounts): ChunkCounts {
  const sum = { ...zeroShipCounts(), durationMs: a.durationMs + b.durationMs };
  for (const name of SHIP_COUNT_NAMES) sum[name] = a[name] + b[name];
  return sum;
}
