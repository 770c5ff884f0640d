/**
 * Validates what starts a reprocessing run (the schemas are the state
 * machine's contract, shared/contract/state-machine.ts): a bad input fails at
 * once with `InputValidationError`, naming every bad field, before anything
 * is listed or shipped.
 */

import type { z } from 'zod';
import { InputValidationError } from '../contract/errors.ts';
import { describeProblems, parseOrThrow } from '../contract/parse.ts';
import {
  type RetryInput,
  type RetryReport,
  type RunInput,
  retryInputSchema,
  retryReportSchema,
  runInputSchema,
} from '../contract/state-machine.ts';

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
  return parseOrThrow(
    schema,
    input,
    (problems) => new InputValidationError(`${what}: ${describeProblems(problems)}`),
  );
}
