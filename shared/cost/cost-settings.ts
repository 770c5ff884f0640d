/**
 * What a deployment tells its plan step about cost: the prices
 * (`ELB_OTLP_PRICES`) and the worker's memory (`ELB_OTLP_WORKER_MEMORY_MB`,
 * the deployment's `chunkMemory`), read once per container.
 */

import { ConfigError } from '../config/config-error.ts';
import { DEFAULT_MEMORY_MB } from './estimate.ts';
import { type Prices, pricesFromEnv } from './prices.ts';

/** Lambda's memory settings, in MB. */
const MIN_MEMORY_MB = 128;
const MAX_MEMORY_MB = 10_240;

export interface CostSettings {
  prices: Prices;
  /** The worker Lambda's memory. */
  memoryMb: number;
}

/**
 * The cost settings of `env`: unset variables give the us-east-1 prices and
 * the deployed default memory.
 *
 * @throws ConfigError naming `ELB_OTLP_PRICES` or `ELB_OTLP_WORKER_MEMORY_MB`.
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
  return { prices: pricesFromEnv(env), memoryMb };
}
