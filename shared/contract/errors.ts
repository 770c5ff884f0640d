/**
 * The errors that cross the Lambda → Step Functions boundary: each has a
 * literal `name`, which is what the definition's `Retry` and `Catch`
 * (`ErrorEquals`) match, and what a chunk result or a report carries. The
 * `Error` names of the definition's `Fail` states are here too, so one file
 * lists every name the definition uses (a test holds the two together).
 */

/**
 * The receiver stayed unavailable (429/502/503/504, timeouts, connection
 * errors) until the retry deadline. Trying the same work later may succeed.
 */
export class ExportRetryableError extends Error {
  override readonly name = 'ExportRetryableError';
}

/**
 * Reading an S3 object failed in a way a later attempt may not (connections
 * kept dropping, S3 kept failing after the SDK's own retries).
 */
export class ObjectReadRetryableError extends Error {
  override readonly name = 'ObjectReadRetryableError';
}

/** The execution input (or the report a re-run names) is wrong; the message names every bad field. */
export class InputValidationError extends Error {
  override readonly name = 'InputValidationError';
}

/** The process-chunk input is not a chunk item: the message names each bad field. */
export class ChunkInputError extends Error {
  override readonly name = 'ChunkInputError';
}

/**
 * The report step's input is not the plan and the Distributed Map's output:
 * the message names each bad field. Retrying the same input cannot help.
 */
export class ReportInputError extends Error {
  override readonly name = 'ReportInputError';
}

/** The `Fail` state a run ends in when some chunks did not ship all their lines. */
export const CHUNKS_FAILED = 'ChunksFailed';
/** The `Fail` state a run ends in when every chunk shipped but some deletions failed. */
export const DELETIONS_FAILED = 'DeletionsFailed';
