/**
 * The execution input of a reprocessing run (DESIGN §3.4), validated with
 * zod: a bad input fails at once with `InputValidationError`, naming every
 * bad field, before anything is listed or shipped.
 */

import { z } from 'zod';
import { chunkItemSchema } from '../pipeline/chunk.ts';

/** Default chunk: 256 MiB of content per worker call. */
export const DEFAULT_CHUNK_BYTES = 256 * 1024 * 1024;
/** Smallest chunk: below this, requests and start-up cost more than the lines. */
export const MIN_CHUNK_BYTES = 1024 * 1024;
/** Distributed Map's own ceiling on child executions at once. */
export const MAX_CONCURRENCY = 10_000;

const timestamp = z.iso.datetime({ offset: true });

/** The settings a run and the report of a run both hold, validated alike. */
const runSettings = {
  bucket: z.string().min(3).max(63),
  prefix: z.string().default(''),
  deleteProcessed: z.boolean().default(false),
  maxConcurrency: z.number().int().min(1).max(MAX_CONCURRENCY).default(50),
};

export const runInputSchema = z
  .strictObject({
    bucket: runSettings.bucket,
    prefix: runSettings.prefix,
    from: timestamp.optional(),
    to: timestamp.optional(),
    keys: z.array(z.string().min(1)).min(1).optional(),
    loadBalancers: z.array(z.string().min(1)).min(1).optional(),
    deleteProcessed: runSettings.deleteProcessed,
    chunkBytes: z.number().int().min(MIN_CHUNK_BYTES).default(DEFAULT_CHUNK_BYTES),
    maxConcurrency: runSettings.maxConcurrency,
    dryRun: z.boolean().default(false),
  })
  .refine((input) => !(input.from && input.to) || Date.parse(input.from) < Date.parse(input.to), {
    message: 'from must be before to',
    path: ['to'],
  })
  .refine(
    (input) => input.keys === undefined || input.keys.every((k) => k.startsWith(input.prefix)),
    {
      message: 'every key must lie under prefix',
      path: ['keys'],
    },
  );

export type RunInput = z.infer<typeof runInputSchema>;

/**
 * A re-run of what failed in an earlier run: its report's address, and
 * optionally new settings (the earlier run's are kept otherwise).
 */
export const retryInputSchema = z.strictObject({
  retryFrom: z.string().regex(/^s3:\/\/[^/]+\/.+/, 'expected s3://bucket/key of a report.json'),
  deleteProcessed: z.boolean().optional(),
  maxConcurrency: z.number().int().min(1).max(MAX_CONCURRENCY).optional(),
  dryRun: z.boolean().default(false),
});

export type RetryInput = z.infer<typeof retryInputSchema>;

/** The execution input is wrong; the message names every bad field. */
export class InputValidationError extends Error {
  override readonly name = 'InputValidationError';
}

/** Validates an execution input, or throws {@link InputValidationError}. */
export function parseRunInput(input: unknown): RunInput {
  return parseWith(runInputSchema, input);
}

/**
 * Validates either kind of execution input: a run, or (with `retryFrom`) a
 * re-run of an earlier run's failed chunks.
 */
export function parseAnyRunInput(input: unknown): RunInput | RetryInput {
  const isRetry = typeof input === 'object' && input !== null && 'retryFrom' in input;
  return isRetry ? parseWith(retryInputSchema, input) : parseWith(runInputSchema, input);
}

/**
 * What a re-run takes from an earlier run's report.json: validated as an
 * execution input is, since the file is an input too (whoever may write to
 * the work location could otherwise aim a run, and its deletions, anywhere).
 */
export const retryReportSchema = z
  .object({ ...runSettings, runId: z.string().optional(), retryItems: z.array(chunkItemSchema) })
  .refine((report) => report.retryItems.every((item) => item.bucket === report.bucket), {
    message: "every item must be in the report's bucket",
    path: ['retryItems'],
  })
  .refine((report) => report.retryItems.every((item) => item.key.startsWith(report.prefix)), {
    message: "every item must lie under the report's prefix",
    path: ['retryItems'],
  });

export type RetryReport = z.infer<typeof retryReportSchema>;

/**
 * Validates the report a `retryFrom` names, or throws {@link InputValidationError}
 * naming it and every bad field.
 */
export function parseRetryReport(report: unknown, address: string): RetryReport {
  return parseWith(
    retryReportSchema,
    report,
    `retryFrom: ${address} is not a valid elb-otlp report`,
  );
}

/** `schema`'s value of `input`, or {@link InputValidationError} naming every bad field after `what`. */
function parseWith<T>(schema: z.ZodType<T>, input: unknown, what = 'bad reprocessing input'): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : 'input';
    return `${field}: ${issue.message}`;
  });
  throw new InputValidationError(`${what}: ${problems.join('; ')}`);
}
