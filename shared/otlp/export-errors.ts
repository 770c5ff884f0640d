/**
 * Errors that end the export of a chunk or a file. Each has a literal `name`
 * and a message that names the endpoint and what it answered. The one a
 * later attempt may get past, `ExportRetryableError`, is with the other
 * errors the state machine matches, in shared/contract/errors.ts.
 */

/**
 * The receiver refused a batch in a way retrying cannot fix (400, 413, other
 * 4xx and 5xx that OTLP says not to retry). The records are counted failed.
 */
export class ExportRejectedError extends Error {
  override readonly name = 'ExportRejectedError';
  /** The HTTP status the receiver answered. */
  readonly status: number;

  constructor(message: string, status: number, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}
