/**
 * What a deployment tells its plan step about cost: the prices
 * (`ELB_OTLP_PRICES`), the worker's memory (`ELB_OTLP_WORKER_MEMORY_MB`, the
 * deployment's `chunkMemory`) and the Distributed Map's child type
 * (`ELB_OTLP_CHILD_EXECUTION_TYPE`, its `childExecutionType`), read once per
 * container.
 */

import { ConfigError } from '../config/config-error.ts';
import type { ChildType } from '../contract/estimate.ts';
import { DEFAULT_MEMORY_MB } from './estimate.ts';
import { type Prices, pricesFromEnv } from './prices.ts';

/** How a deployment runs the Distributed Map's children unless `childExecutionType` says otherwise. */
export const DEFAULT_CHILD_TYPE: ChildType = 'EXPRESS';

/** Lambda's memory settings, in MB. */
const MIN_MEMORY_MB = 128;
const MAX_MEMORY_MB = 10_240;

export interface CostSettings {
  prices: Prices;
  /** The worker Lambda's memory. */
  memoryMb: number;
  /** How the Distributed Map runs its children (the deployment's default: EXPRESS). */
  childType: ChildType;
}

/**
 * The cost settings of `env`: unset variables give the us-east-1 prices and
 * the deployed default memory.
 *
 * @throws ConfigError naming `ELB_OTLP_PRICES`, `ELB_OTLP_WORKER_MEMORY_MB` or
 * `ELB_OTLP_CHILD_EXECUTION_TYPE`.
 */
export function costSettings(env: Record<string, string | undefined>): CostSettings {
  const memory = env.ELB_OTLP_WORKER_MEMORY_MB?.trim();
  let memoryMb = DEFAULT_MEMORY_MB;
  if (memory) {
    memoryMb = Number(memory);
    if (!Number.isInteger(memoryMb) || memoryMb < MIN_MEMORY_MB || memoryMb > MAX_MEMORY_MB) {
      throw new ConfigError(
        'ELB_OTLP_WORKER_MEMORY_MB',
        `expected whole MB from ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB}, got ${memory}`,
      );
    }
  }
  const childType = env.ELB_OTLP_CHILD_EXECUTION_TYPE?.trim() || DEFAULT_CHILD_TYPE;
  if (childType !== 'EXPRESS' && childType !== 'STANDARD') {
    throw new ConfigError(
      'ELB_OTLP_CHILD_EXECUTION_TYPE',
      `expected EXPRESS or STANDARD, got ${childType}`,
    );
  }
  return { prices: pricesFromEnv(env), memoryMb, childType };
}
