/**
 * The AWS prices a run's estimate uses, in one place with their source and
 * date: us-east-1 public list prices, first tier, before free tiers (the
 * Lambda free tier is per account, so an estimate leaves it out). Prices
 * vary by Region and change; `ELB_OTLP_PRICES` overrides any of them.
 *
 * @see https://aws.amazon.com/step-functions/pricing/
 * @see https://aws.amazon.com/lambda/pricing/
 * @see https://aws.amazon.com/s3/pricing/
 */

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../config/config-error.ts';
import { describeProblems, parseOrThrow } from '../contract/parse.ts';

const price = z.number().nonnegative();

/** Every price the estimate uses, in US dollars. */
export const pricesSchema = z.strictObject({
  /** Where the prices come from, and when they were read (carried into each estimate). */
  source: z.string().min(1),
  stepFunctions: z.strictObject({
    /** A Standard state transition; a Distributed Map child start is one in the parent. */
    standardTransition: price,
    /** An Express execution started. */
    expressRequest: price,
    /** An Express GB-second (memory billed in 64 MB steps, duration in 100 ms steps). */
    expressGbSecond: price,
  }),
  lambda: z.strictObject({
    request: price,
    /** A GB-second of duration, by architecture. */
    gbSecond: z.strictObject({ arm64: price, x86_64: price }),
  }),
  s3: z.strictObject({
    /** GET, HEAD and other reads, per request. */
    get: price,
    /** PUT, COPY, POST and LIST (a page of up to 1,000 keys), per request. */
    put: price,
    list: price,
    /** DELETE and DeleteObjects are free; kept so an override can say otherwise. */
    delete: price,
  }),
});

export type Prices = z.infer<typeof pricesSchema>;

/** us-east-1 list prices as published in 2026 ($25 per million transitions, $0.0004 per 1,000 GETs…). */
export const US_EAST_1_PRICES: Prices = {
  source: 'AWS us-east-1 list prices, 2026 (aws.amazon.com/step-functions|lambda|s3/pricing)',
  stepFunctions: {
    standardTransition: 0.000025,
    expressRequest: 0.000001,
    expressGbSecond: 0.00001667,
  },
  lambda: {
    request: 0.0000002,
    gbSecond: { arm64: 0.0000133334, x86_64: 0.0000166667 },
  },
  s3: {
    get: 0.0000004,
    put: 0.000005,
    list: 0.000005,
    delete: 0,
  },
};

/** Any part of the prices, merged over the defaults. */
const overridesSchema = z.strictObject({
  source: z.string().min(1).optional(),
  stepFunctions: pricesSchema.shape.stepFunctions.partial().optional(),
  lambda: z
    .strictObject({
      request: price.optional(),
      gbSecond: pricesSchema.shape.lambda.shape.gbSecond.partial().optional(),
    })
    .optional(),
  s3: pricesSchema.shape.s3.partial().optional(),
});

export type PriceOverrides = z.infer<typeof overridesSchema>;

/** The variable naming the overrides: inline JSON, or the path of a JSON file. */
export const PRICES_VARIABLE = 'ELB_OTLP_PRICES';

/**
 * The prices with the overrides of `ELB_OTLP_PRICES` (inline JSON, or the
 * path of a JSON file holding it) merged over {@link US_EAST_1_PRICES}.
 * Unset or empty: the defaults. An override without a `source` is named as
 * such in each estimate.
 *
 * @example
 * // Lambda in eu-west-1, the rest as in us-east-1:
 * pricesFromEnv({ ELB_OTLP_PRICES: '{"lambda":{"gbSecond":{"arm64":0.0000133334}}}' });
 * @throws ConfigError naming `ELB_OTLP_PRICES` and every bad field, or the file it cannot read.
 */
export function pricesFromEnv(
  env: Record<string, string | undefined>,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): Prices {
  const value = env[PRICES_VARIABLE]?.trim();
  if (!value) return US_EAST_1_PRICES;
  let text = value;
  if (!value.startsWith('{')) {
    try {
      text = readFile(value);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ConfigError(PRICES_VARIABLE, `cannot read ${value}: ${reason}`, { cause: error });
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(PRICES_VARIABLE, 'is not JSON (inline, or in the file it names)', {
      cause: error,
    });
  }
  return withOverrides(json);
}

/**
 * The default prices with `overrides` merged over them.
 *
 * @throws ConfigError naming `ELB_OTLP_PRICES` and every bad field (`lambda.gbSecond.arm64: …`).
 */
export function withOverrides(overrides: unknown, base: Prices = US_EAST_1_PRICES): Prices {
  const o = parseOrThrow(
    overridesSchema,
    overrides,
    (problems) => new ConfigError(PRICES_VARIABLE, describeProblems(problems)),
    'prices',
  );
  return {
    source: o.source ?? `${base.source}, with overrides`,
    stepFunctions: { ...base.stepFunctions, ...o.stepFunctions },
    lambda: {
      request: o.lambda?.request ?? base.lambda.request,
      gbSecond: { ...base.lambda.gbSecond, ...o.lambda?.gbSecond },
    },
    s3: { ...base.s3, ...o.s3 },
  };
}
