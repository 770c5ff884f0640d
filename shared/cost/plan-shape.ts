/**
 * A plan's shape, as the estimator takes it: the plan summary's counts, and
 * from the execution input how the objects were found (listed, given as
 * keys, or read from an earlier report) and the chunk size.
 */

import type { PlanSummary, RetryInput, RunInput } from '../contract/state-machine.ts';
import type { RunShape } from './estimate.ts';

/** The run shape of a plan; Map items are one per chunk unless `items` says otherwise. */
export function planShape(
  plan: PlanSummary,
  input: RunInput | RetryInput,
  items?: number,
): RunShape {
  const shape: RunShape = {
    objects: plan.objects,
    bytes: plan.bytes,
    chunks: plan.chunks,
    ...(items !== undefined && { items }),
    deleteProcessed: plan.deleteProcessed,
  };
  if ('retryFrom' in input) return { ...shape, retry: true };
  const skipped = Object.values(plan.skipped).reduce((sum, n) => sum + n, 0);
  if (input.keys !== undefined) {
    return { ...shape, headedKeys: new Set(input.keys).size, chunkBytes: input.chunkBytes };
  }
  return { ...shape, listedKeys: plan.objects + skipped, chunkBytes: input.chunkBytes };
}
