/**
 * What a deployment lets a run do: read only its logs (`logBucket`,
 * `logPrefix`), and delete only when deployed to (`allowDeleteProcessed`).
 * Checked at the plan step, for a run's input and for the report a re-run
 * (`retryFrom`) names alike, before anything is listed or shipped.
 */

import { InputValidationError } from '../contract/errors.ts';
import type { RetryInput, RetryReport, RunInput } from '../contract/state-machine.ts';

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

/** Why a bucket, a prefix and keys lie outside `scope`, one problem a field. */
function outsideScope(
  scope: LogScope,
  bucket: string,
  prefix: string,
  keys: readonly string[],
  keysField: string,
): string[] {
  const where = `this deployment reads only s3://${scope.bucket}/${scope.prefix} (its logBucket and logPrefix)`;
  const problems: string[] = [];
  if (bucket !== scope.bucket) problems.push(`bucket: ${where}`);
  if (!prefix.startsWith(scope.prefix)) problems.push(`prefix: ${where}`);
  const outside = keys.filter((key) => !key.startsWith(scope.prefix));
  if (outside.length > 0) {
    problems.push(
      `${keysField}: ${outside.length} key(s) such as ${JSON.stringify(outside[0])}: ${where}`,
    );
  }
  return problems;
}

/**
 * Checks that a run stays inside the logs the deployment may read, so a run
 * aimed elsewhere fails at once with a message instead of with S3's
 * AccessDenied half-way. An empty `prefix` means all of the scope.
 *
 * @throws InputValidationError naming every field outside the scope.
 */
export function withinLogScope(input: RunInput, scope: LogScope): RunInput {
  const prefix = input.prefix === '' ? scope.prefix : input.prefix;
  const problems = outsideScope(scope, input.bucket, prefix, input.keys ?? [], 'keys');
  if (problems.length > 0) {
    throw new InputValidationError(`bad reprocessing input: ${problems.join('; ')}`);
  }
  return { ...input, prefix };
}

/**
 * Checks that a re-run stays inside the logs the deployment may read: the
 * report's bucket and prefix (empty: all of the scope, as for a run), and
 * every chunk it would ship.
 *
 * @throws InputValidationError naming the report and every field outside the scope.
 */
export function reportWithinLogScope(
  report: RetryReport,
  scope: LogScope,
  address: string,
): RetryReport {
  const prefix = report.prefix === '' ? scope.prefix : report.prefix;
  const keys = report.retryItems.map((item) => item.key);
  const problems = outsideScope(scope, report.bucket, prefix, keys, 'retryItems');
  if (problems.length > 0) {
    throw new InputValidationError(`retryFrom: ${address}: ${problems.join('; ')}`);
  }
  return { ...report, prefix };
}

const ALLOW = 'deploy with --param="allowDeleteProcessed=true"';

/**
 * Refuses a run that asks for deletion on a deployment that does not allow
 * it, before anything is listed or shipped; for a re-run, naming the report
 * whose setting it inherited.
 *
 * @throws InputValidationError naming `deleteProcessed` and how to go on.
 */
export function requireDeletionAllowed(
  deleteProcessed: boolean,
  policy: RunPolicy,
  retry?: RetryInput,
): void {
  if (!deleteProcessed || policy.allowDelete) return;
  const how =
    retry === undefined
      ? `${ALLOW}, or run without deleteProcessed`
      : retry.deleteProcessed === undefined
        ? `the run of ${retry.retryFrom} asked for it; re-run with "deleteProcessed": false (elb-otlp reprocess --no-delete), or ${ALLOW}`
        : ALLOW;
  throw new InputValidationError(
    `bad reprocessing input: deleteProcessed: this deployment does not allow deletion (${how})`,
  );
}
