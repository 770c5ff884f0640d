/**
 * Keeps garbage ArrayBuffers from piling up. Shipping allocates about three
 * times the object's content in short-lived ArrayBuffers (gunzip output,
 * socket reads, compressed bodies); V8 frees them at its next full
 * collection, which on a busy machine sometimes comes late: the ArrayBuffer
 * memory then climbs from its usual 35–45 MiB to 80–97 MiB, and the process
 * keeps those pages (BENCHMARKS.md, "S3 chunk"). When the process runs with
 * `--expose-gc` (the CLI's `#!` line and the Lambdas' NODE_OPTIONS say so),
 * this guard collects at once when the ArrayBuffer memory passes a bound;
 * without it, it does nothing. When what a collection leaves alive is
 * itself near the bound (two chunks shipped at once), the next collection
 * waits for half a bound of new garbage: collecting at every look would free
 * nothing and cost a full collection each time (BENCHMARKS.md, "Fleet").
 */

/**
 * At the top of the usual range (35–45 MiB), well below the spikes: with 56
 * MiB one 1 GB `ship s3://` run still peaked at 212 MiB RSS, with 44 MiB the
 * runs peaked at 183–190 MiB, at the same CPU time (BENCHMARKS.md).
 */
export const ARRAY_BUFFER_LIMIT_BYTES = 44 * 1024 * 1024;
/** Pieces of input between two looks (a look costs a few microseconds). */
const PIECES_PER_LOOK = 16;

export interface MemoryGuardOptions {
  limitBytes?: number;
  /** Bytes of ArrayBuffers alive or awaiting collection. */
  arrayBuffers?: () => number;
  /** A full, synchronous collection; `undefined` disables the guard. */
  collect?: (() => void) | undefined;
}

/** Returns the function to call after each piece of input. */
export function createMemoryGuard(options: MemoryGuardOptions = {}): () => void {
  const collect = 'collect' in options ? options.collect : (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) return () => {};
  const limit = options.limitBytes ?? ARRAY_BUFFER_LIMIT_BYTES;
  const arrayBuffers = options.arrayBuffers ?? (() => process.memoryUsage().arrayBuffers);
  let pieces = 0;
  let bound = limit;
  return () => {
    if (++pieces % PIECES_PER_LOOK !== 0) return;
    if (arrayBuffers() <= bound) return;
    collect();
    // What a collection leaves is alive: several objects or chunks shipped at
    // once can hold more than the bound. The next collection waits for half a
    // bound of new garbage instead of coming at every look.
    bound = Math.max(limit, arrayBuffers() + limit / 2);
  };
}
