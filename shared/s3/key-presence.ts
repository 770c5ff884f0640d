/**
 * "Gone" or "denied"? Without `s3:ListBucket`, S3 answers a read of a
 * missing key with 403 AccessDenied rather than 404, so a duplicate
 * notification of an object already shipped and deleted looks exactly like a
 * permissions problem. A listing of that one key (`ListObjectsV2`,
 * `Prefix=<key>`, `MaxKeys=1`) tells them apart; the roles that ask may list
 * only under the log prefix, so no role is widened to read anything else.
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
 */

import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { httpStatus, ObjectAccessDeniedError, objectUrl } from './s3-errors.ts';

/**
 * Whether `key` is in `bucket`, by listing it. A key is listed under its own
 * name as prefix first (keys sort in UTF-8 order, and a key sorts before
 * every longer key it starts), so one key is enough.
 */
export async function keyIsListed(client: S3Client, bucket: string, key: string): Promise<boolean> {
  const answer = await client.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }),
  );
  return answer.Contents?.[0]?.Key === key;
}

/**
 * Whether a read that failed with `error` failed because the object is not
 * there: a 404, or a 403 for a key the listing does not show. A 403 for a key
 * that is listed is a real denial (false), as is any other error.
 *
 * @throws ObjectAccessDeniedError naming the object and both answers when the
 *   listing is refused too, so neither can be told.
 */
export async function isGone(
  client: S3Client,
  bucket: string,
  key: string,
  error: unknown,
): Promise<boolean> {
  const status = httpStatus(error);
  const name = (error as { name?: string }).name;
  if (name === 'ObjectNotFoundError' || name === 'NoSuchKey' || name === 'NotFound') return true;
  if (status === 404) return true;
  if (name !== 'ObjectAccessDeniedError' && name !== 'AccessDenied' && status !== 403) return false;
  try {
    return !(await keyIsListed(client, bucket, key));
  } catch (listing) {
    const reason =
      listing instanceof Error ? `${listing.name}: ${listing.message}` : String(listing);
    throw new ObjectAccessDeniedError(
      `${objectUrl(bucket, key)}: access denied, and the listing that would tell a missing object from a denied one was refused too (${reason}); the role needs s3:ListBucket under the log prefix`,
      { cause: error },
    );
  }
}
