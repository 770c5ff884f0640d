/**
 * Errors that end the reading of an S3 object. Each names the object
 * (`s3://bucket/key`) and has a literal `name` so Step Functions `Retry` and
 * `Catch` can match it; the one a later attempt may get past,
 * `ObjectReadRetryableError`, is in shared/contract/errors.ts with the other
 * errors the state machine matches.
 */

/** The HTTP status of an AWS SDK error (`$metadata.httpStatusCode`), when it has one. */
export function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
}

/** Where an object is, for messages. */
export function objectUrl(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** The object does not exist (any more). Retrying will not help. */
export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
}

/** The role may not read the object. Retrying will not help. */
export class ObjectAccessDeniedError extends Error {
  override readonly name = 'ObjectAccessDeniedError';
}

/**
 * The object changed since its chunks were planned (its ETag differs): its
 * lines would mix two versions, so the chunk stops. Plan again to ship it.
 */
export class ObjectChangedError extends Error {
  override readonly name = 'ObjectChangedError';
}
