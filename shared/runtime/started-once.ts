/**
 * A Lambda container's start-up, kept for its life: every function builds
 * its clients and settings at its first call, not at each.
 */

/**
 * `start` run once, its result kept for the container's life; after a
 * failure (a secret store down) the next call starts again.
 */
export function startedOnce<A extends unknown[], T>(
  start: (...args: A) => Promise<T>,
): (...args: A) => Promise<T> {
  let started: Promise<T> | undefined;
  return (...args) => {
    started ??= start(...args).catch((error: unknown) => {
      started = undefined;
      throw error;
    });
    return started;
  };
}
