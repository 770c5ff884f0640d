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

export const runInputSchema = z
  .strictObject({
    bucket: z.string().min(3).max(63),
    prefix: z.string().default(''),
    from: timestamp.optional(),
    to: timestamp.optional(),
    keys: z.array(z.string().min(1)).min(1).optional(),
    loadBalancers: z.array(z.string().min(1)).min(1).optional(),
    deleteProcessed: z.boolean().default(false),
    chunkBytes: z.number().int().min(MIN_CHUNK_BYTES).default(DEFAULT_CHUNK_BYTES),
    maxConcurrency: z.number().int().min(1).max(MAX_CONCURRENCY).default(50),
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

/** The logs a deployment may read (its `logBucket` and `logPrefix`). */
export interface LogScope {
  bucket: string;
  prefix: string;
}

/** What a deployment lets a run do. */
export interface RunPolicy {
  /** The logs it may read; a run outside them is refused. Absent: any (a local run, with your own credentials). */
  scope?: LogScope;
  /** Whether a run may delete what it shipped (the deployment's `allowDeleteProcessed`). */
  allowDelete: boolean;
}

/**
 * What a re-run takes from an earlier run's report.json: validated as an
 * execution input is, since the file is an input too (whoever may write to
 * the work location could otherwise aim a run, and its deletions, anywhere).
 */
export const retryReportSchema = z
  .object({
    runId: z.string().optional(),
    bucket: z.string().min(3).max(63),
    prefix: z.string().default(''),
    deleteProcessed: z.boolean().default(false),
    maxConcurrency: z.number().int().min(1).max(MAX_CONCURRENCY).default(50),
    retryItems: z.array(chunkItemSchema),
  })
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

/**
 * Checks that a run stays inside the logs the deployment may read, so a run
 * aimed elsewhere fails at once with a message instead of with S3's
 * AccessDenied half-way. An empty `prefix` means all of the scope.
 *
 * @throws InputValidationError naming every field outside the scope.
 */
export function withinLogScope(input: RunInput, scope: LogScope): RunInput {
  const where = `this deployment reads only s3://${scope.bucket}/${scope.prefix} (its logBucket and logPrefix)`;
  const prefix = input.prefix === '' ? scope.prefix : input.prefix;
  const problems: string[] = [];
  if (input.bucket !== scope.bucket) problems.push(`bucket: ${where}`);
  if (!prefix.startsWith(scope.prefix)) problems.push(`prefix: ${where}`);
  const outside = (input.keys ?? []).filter((key) => !key.startsWith(scope.prefix));
  if (outside.length > 0) {
    problems.push(`keys: ${outside.length} key(s) such as ${JSON.stringify(outside[0])}: ${where}`);
  }
  if (problems.length > 0) {
    throw new InputValidationError(`bad reprocessing input: ${problems.join('; ')}`);
  }
  return { ...input, prefix };
}

/**
 * Checks that a re-run stays inside the logs the deployment may read: the
 * report's bucket and prefix, and every chunk it would ship.
 *
 * @throws InputValidationError naming the report and every field outside the scope.
 */
export function reportWithinLogScope(
  report: RetryReport,
  scope: LogScope,
  address: string,
): RetryReport {
  const where = `this deployment reads only s3://${scope.bucket}/${scope.prefix} (its logBucket and logPrefix)`;
  const problems: string[] = [];
  if (report.bucket !== scope.bucket) problems.push(`bucket: ${where}`);
  if (!report.prefix.startsWith(scope.prefix)) problems.push(`prefix: ${where}`);
  const outside = report.retryItems.filter((item) => !item.key.startsWith(scope.prefix));
  if (outside.length > 0) {
    problems.push(
      `retryItems: ${outside.length} item(s) such as ${JSON.stringify(outside[0].key)}: ${where}`,
    );
  }
  if (problems.length > 0) {
    throw new InputValidationError(`retryFrom: ${address}: ${problems.join('; ')}`);
  }
  return report;
}

/**
 * Refuses a run that asks for deletion on a deployment that does not allow
 * it, before anything is listed or shipped.
 *
 * @throws InputValidationError naming `deleteProcessed` and the parameter that allows it.
 */
export function requireDeletionAllowed(deleteProcessed: boolean, policy: RunPolicy): void {
  if (deleteProcessed && !policy.allowDelete) {
    throw new InputValidationError(
      'bad reprocessing input: deleteProcessed: this deployment does not allow deletion (deploy with --param="allowDeleteProcessed=true", or run without deleteProcessed)',
    );
  }
}

function parseWith<T>(schema: z.ZodType<T>, input: unknown, what = 'bad reprocessing input'): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : 'input';
    return `${field}: ${issue.message}`;
  });
  throw new InputValidationError(`${what}: ${problems.join('; ')}`);
}
