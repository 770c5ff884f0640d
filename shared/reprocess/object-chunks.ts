/**
 * How an object is cut into chunks: byte ranges of its content of
 * `chunkBytes` each (docs/design.md#the-chunk-contract). Plain objects are cut
 * exactly; a gzip object large enough to need several chunks is cut by the
 * content size its trailer gives, its last chunk reading to the end.
 */

import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ChunkItem, Compression } from '../contract/state-machine.ts';
import type { ListedObject } from '../s3/listing.ts';

/**
 * The `end` of an object's last chunk when its content size is not known
 * exactly (gzip): the chunk reads to the end of the content, whatever it is.
 */
export const TO_THE_END = Number.MAX_SAFE_INTEGER;
/**
 * No ELB log compresses better than this; a gzip object smaller than
 * `chunkBytes / MAX_GZIP_RATIO` fits one chunk without reading its trailer.
 */
export const MAX_GZIP_RATIO = 20;

/**
 * The chunks of one object; reads the gzip trailer only when it may need
 * several. It is gzip when its name ends in `.gz`, unless its content said
 * otherwise (`compression`, for a name that is not ELB's).
 */
export async function chunksOfObject(
  client: S3Client,
  bucket: string,
  object: ListedObject,
  chunkBytes: number,
  compression: Compression = compressionOfName(object.key),
): Promise<ChunkItem[]> {
  let contentSize: number | undefined = object.size;
  if (compression === 'gzip') {
    contentSize =
      object.size >= 18 && object.size * MAX_GZIP_RATIO > chunkBytes
        ? await gzipContentSize(client, bucket, object)
        : undefined;
  }
  const { key, size, etag } = object;
  return chunkItems({ bucket, key, size, etag, compression }, contentSize, chunkBytes);
}

/**
 * The chunks of an object as its name says, without reading any of it: a
 * gzip object in one chunk to the end of its content, a plain one cut
 * exactly (for an object that could not be read: its chunk fails naming it).
 */
export function chunksByName(
  bucket: string,
  object: ListedObject,
  chunkBytes: number,
): ChunkItem[] {
  const { key, size, etag } = object;
  const compression = compressionOfName(key);
  return chunkItems(
    { bucket, key, size, etag, compression },
    compression === 'gzip' ? undefined : size,
    chunkBytes,
  );
}

/** What a name says of an object's compression: gzip when it ends in `.gz`, Parquet in `.parquet`. */
function compressionOfName(key: string): Compression {
  if (key.endsWith('.gz')) return 'gzip';
  return key.endsWith('.parquet') ? 'parquet' : 'none';
}

/**
 * The content size a gzip trailer gives (ISIZE: the last member's size,
 * modulo 2^32), or `undefined` when it cannot be right (smaller than the
 * stored object: not gzip, or over 4 GiB). Only a hint for where to cut: the
 * last chunk reads to the end of the content, so a wrong hint unbalances the
 * chunks but loses nothing.
 */
async function gzipContentSize(
  client: S3Client,
  bucket: string,
  object: ListedObject,
): Promise<number | undefined> {
  const answer = await client.send(
    new GetObjectCommand({
      Bucket: bucket,
      Key: object.key,
      Range: `bytes=${object.size - 4}-${object.size - 1}`,
      IfMatch: object.etag,
    }),
  );
  const body = answer.Body as { transformToByteArray(): Promise<Uint8Array> };
  const trailer = Buffer.from(await body.transformToByteArray());
  const size = trailer.length === 4 ? trailer.readUInt32LE(0) : 0;
  return size >= object.size ? size : undefined;
}

/**
 * Cuts an object into chunks of `chunkBytes` of content: exact for plain
 * objects; for gzip, by `contentSize` when known, with the last chunk reading
 * to the end. An empty object gets one chunk, so the run accounts for it.
 */
export function chunkItems(
  object: Omit<ChunkItem, 'start' | 'end'>,
  contentSize: number | undefined,
  chunkBytes: number,
): ChunkItem[] {
  if (object.size === 0) return [{ ...object, start: 0, end: 1 }];
  // Plain text and Parquet are cut by their stored bytes, exactly.
  const exact = object.compression !== 'gzip';
  const total = contentSize ?? 0;
  const chunks: ChunkItem[] = [];
  let start = 0;
  while (start + chunkBytes < total) {
    chunks.push({ ...object, start, end: start + chunkBytes });
    start += chunkBytes;
  }
  chunks.push({ ...object, start, end: exact ? Math.max(total, start + 1) : TO_THE_END });
  return chunks;
}

/**
 * Whether a chunk is all of its object: from its start to its end (a gzip
 * object's offsets are in its content, so only "to the end" says so), or an
 * empty object's one chunk.
 */
export function coversWholeObject(chunk: ChunkItem): boolean {
  if (chunk.start !== 0) return false;
  if (chunk.size === 0 || chunk.end === TO_THE_END) return true;
  return chunk.compression !== 'gzip' && chunk.end >= chunk.size;
}
