/**
 * The one way a zod schema's refusal becomes an error: every field at fault
 * named by its path, with zod's (or the schema's own) message for it.
 */

import type { z } from 'zod';

/** One field at fault: its path (`retryItems.0.etag`) and what is wrong with it. */
export interface Problem {
  field: string;
  message: string;
}

/** The problems of a refused value; a problem with the value as a whole is named `root`. */
export function problemsOf(error: z.ZodError, root = 'input'): Problem[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join('.') : root,
    message: issue.message,
  }));
}

/** `field: message; field: message`. */
export function describeProblems(problems: readonly Problem[]): string {
  return problems.map(({ field, message }) => `${field}: ${message}`).join('; ');
}

/**
 * `schema`'s value of `value`, or the error `fail` makes of every problem; a
 * problem with the value as a whole is named `root`.
 *
 * @example
 * parseOrThrow(chunkInputSchema, event, (problems) =>
 *   new ChunkInputError(`not a chunk item: ${describeProblems(problems)}`));
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  fail: (problems: Problem[]) => Error,
  root = 'input',
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw fail(problemsOf(parsed.error, root));
}
