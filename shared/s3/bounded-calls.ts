/**
 * S3 calls fanned out over many keys, a bounded number at once: enough to
 * hide each call's round trip, few enough to stay under S3's request rates
 * and the SDK's connection pool.
 */

/** `map` with at most `limit` calls pending at once, results in order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  map: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const at = next++;
      results[at] = await map(items[at]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
