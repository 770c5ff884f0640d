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

/**
 * The bound the guards of a process share: the last collection of any of
 * them sets it from what it left alive, so a new object's guard does not
 * start from the limit again and collect at its first look while other
 * objects and spare buffers keep more than the limit alive.
 */
export class MemoryBound {
  readonly limit: number;
  bytes: number;

  constructor(limit = ARRAY_BUFFER_LIMIT_BYTES) {
    this.limit = limit;
    this.bytes = limit;
  }
}

const processBound = new MemoryBound();

export interface MemoryGuardOptions {
  /** The bound and its limit (default: the one all guards of the process share). */
  bound?: MemoryBound;
  /** Bytes of ArrayBuffers alive or awaiting collection. */
  arrayBuffers?: () => number;
  /** A full, synchronous collection; `undefined` disables the guard. */
  collect?: (() => void) | undefined;
}

/** Returns the function to call after each piece of input. */
export function createMemoryGuard(options: MemoryGuardOptions = {}): () => void {
  const collect = 'collect' in options ? options.collect : (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) return () => {};
  const bound = options.bound ?? processBound;
  const arrayBuffers = options.arrayBuffers ?? (() => process.memoryUsage().arrayBuffers);
  let pieces = 0;
  return () => {
    if (++pieces % PIECES_PER_LOOK !== 0) return;
    if (arrayBuffers() <= bound.bytes) return;
    collect();
    // What a collection leaves is alive: several objects or chunks shipped at
    // once can hold more than the limit. The next collection waits for half a
    // limit of new garbage instead of coming at every look.
    bound.bytes = Math.max(bound.limit, arrayBuffers() + bound.limit / 2);
  };
}
