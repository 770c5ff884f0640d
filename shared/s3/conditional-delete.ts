/**
 * Deletion pinned to the version that was shipped: every delete carries the
 * ETag the object was read with (`If-Match` on DeleteObject, the `ETag` of
 * each DeleteObjects entry), so an object replaced since it was read is kept
 * instead of deleted unshipped. S3 asks for `s3:GetObject` as well as
 * `s3:DeleteObject` on the key for a conditional delete.
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html
 */

import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  type DeleteObjectsCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { mapBounded } from './bounded-calls.ts';
import { isGone, keyIsListed } from './key-presence.ts';
import { httpStatus, objectUrl } from './s3-errors.ts';

/** S3 deletes at most this many keys a request. */
const DELETE_BATCH = 1000;
/** Listings at once that tell a 403 for a key already gone from a denial: as the plan's lookups. */
const LISTING_CONCURRENCY = 16;

/** An object to delete, and the ETag of the version that was shipped. */
export interface ShippedObject {
  key: string;
  etag: string;
}

/** A key that was not deleted, and S3's reason. */
export interface DeleteFailure {
  key: string;
  code: string;
  message: string;
}

/** What became of the objects asked to be deleted; every key is in exactly one list. */
export interface DeletionResult {
  /**
   * Deleted, or already gone (an earlier attempt of the same step deleted
   * it: S3's 404, or a 403 for a key a listing does not show).
   */
  deleted: string[];
  /** Changed since they were read (another ETag, S3's 412): kept, since that version was not shipped. */
  changed: string[];
  /** Not deleted for any other reason (access denied, throttled, a conflicting write…). */
  failed: DeleteFailure[];
}

/**
 * S3's refusals a later attempt may not meet (throttling, a server error,
 * no answer for a key): a delete refused so is tried again by the report.
 */
const RETRYABLE_CODES = new Set([
  'SlowDown',
  'InternalError',
  'ServiceUnavailable',
  'RequestTimeout',
  'NoAnswer',
  'TimeoutError',
]);

/** Whether a delete refused with `code` may succeed if tried again. */
export function isRetryableDeleteCode(code: string): boolean {
  return RETRYABLE_CODES.has(code) || /^HTTP 5\d\d$/.test(code);
}

/** What one conditional delete came to. */
export type DeleteOutcome = 'deleted' | 'gone' | 'changed';

/** S3's codes for a key that is not there: deleted already. */
const GONE_CODES = new Set(['NoSuchKey', 'NotFound']);
const CHANGED_CODES = new Set(['PreconditionFailed']);

/**
 * Deletes each object that is still the version shipped, 1000 a request.
 * Never throws: a refused request counts its keys as failed, with the reason.
 */
export async function deleteShippedObjects(
  client: S3Client,
  bucket: string,
  objects: readonly ShippedObject[],
): Promise<DeletionResult> {
  const result: DeletionResult = { deleted: [], changed: [], failed: [] };
  /** Keys S3 refused one by one with AccessDenied (not with the whole request). */
  const denied: string[] = [];
  for (let at = 0; at < objects.length; at += DELETE_BATCH) {
    const batch = objects.slice(at, at + DELETE_BATCH);
    let answer: DeleteObjectsCommandOutput;
    try {
      answer = await client.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: {
            Objects: batch.map(({ key, etag }) => ({ Key: key, ETag: etag })),
            Quiet: false,
          },
        }),
      );
    } catch (error) {
      const { code, message } = describe(error);
      for (const { key } of batch) result.failed.push({ key, code, message });
      continue;
    }
    const answered = new Set<string>();
    for (const done of answer.Deleted ?? []) {
      if (done.Key === undefined) continue;
      answered.add(done.Key);
      result.deleted.push(done.Key);
    }
    for (const refused of answer.Errors ?? []) {
      if (refused.Key === undefined) continue;
      answered.add(refused.Key);
      const code = refused.Code ?? 'UnknownError';
      if (GONE_CODES.has(code)) result.deleted.push(refused.Key);
      else if (CHANGED_CODES.has(code)) result.changed.push(refused.Key);
      else {
        result.failed.push({ key: refused.Key, code, message: refused.Message ?? '' });
        if (code === 'AccessDenied') denied.push(refused.Key);
      }
    }
    // A key S3 said nothing about was not deleted as far as anyone can tell.
    for (const { key } of batch) {
      if (!answered.has(key)) {
        result.failed.push({ key, code: 'NoAnswer', message: 'not in S3’s answer' });
      }
    }
  }
  // S3 may answer 403 rather than 404 for a key that is gone (an earlier
  // attempt deleted it) when the role may not list it: a listing tells,
  // LISTING_CONCURRENCY at a time, for the keys S3 refused one by one.
  const listed = await mapBounded(denied, LISTING_CONCURRENCY, (key) =>
    keyIsListed(client, bucket, key).catch(() => true),
  );
  const gone = new Set(denied.filter((_, at) => !listed[at]));
  if (gone.size > 0) {
    result.deleted.push(...gone);
    result.failed = result.failed.filter((failure) => !gone.has(failure.key));
  }
  return result;
}

/**
 * Deletes one object if it is still the version shipped (`If-Match`).
 *
 * @throws the SDK's error, with the object named, for anything but a 404 or a 412.
 */
export async function deleteIfUnchanged(
  client: S3Client,
  bucket: string,
  object: ShippedObject,
): Promise<DeleteOutcome> {
  try {
    await client.send(
      new DeleteObjectCommand({ Bucket: bucket, Key: object.key, IfMatch: object.etag }),
    );
    return 'deleted';
  } catch (error) {
    const { code, message } = describe(error);
    if (GONE_CODES.has(code)) return 'gone';
    if (CHANGED_CODES.has(code)) return 'changed';
    // A 403 for a key that is gone, to a role that may not list it: a listing tells.
    if (code === 'AccessDenied' && (await isGone(client, bucket, object.key, error))) return 'gone';
    throw new Error(`${objectUrl(bucket, object.key)}: not deleted: ${code}: ${message}`, {
      cause: error,
    });
  }
}

/** S3's error code (by name, else by HTTP status) and message. */
function describe(error: unknown): { code: string; message: string } {
  const status = httpStatus(error);
  const name = (error as { name?: string }).name;
  const message = error instanceof Error ? error.message : String(error);
  if (status === 412) return { code: 'PreconditionFailed', message };
  if (status === 404) return { code: 'NoSuchKey', message };
  if (status === 403) return { code: 'AccessDenied', message };
  return { code: name ?? `HTTP ${status ?? '?'}`, message };
}
