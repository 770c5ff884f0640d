/**
 * Reads an S3 object, or part of it, as successive ranged GETs: a few MiB a
 * request, a bounded number sent ahead of the reader. Memory stays bounded
 * whatever the object's size, and a connection that drops mid-body costs a
 * re-read of the rest of one range, not of the object. Every request carries
 * `If-Match` with the object's ETag (and the answer's ETag is checked too),
 * so an object replaced mid-read stops the read instead of mixing versions.
 *
 * Throttling and 5xx answers are retried by the SDK's standard retry; this
 * module retries what the SDK does not: a body that breaks off.
 */

import { setTimeout as delay } from 'node:timers/promises';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ObjectReadRetryableError } from '../contract/errors.ts';
import type { Compression } from '../contract/state-machine.ts';
import { isGzip, isParquet } from './compression.ts';
import {
  httpStatus,
  ObjectAccessDeniedError,
  ObjectChangedError,
  ObjectNotFoundError,
  objectUrl,
} from './s3-errors.ts';

/**
 * Bytes per ranged GET, and GETs sent ahead of the one being read. The ones
 * ahead are answered but not read (their sockets hold the bytes back), so
 * with S3's latency of tens of milliseconds the next range is there when its
 * turn comes, without its bytes waiting in memory. Buffering whole ranges
 * instead (2 MiB, three ahead) peaked at 175–205 MiB RSS over eight runs of a
 * 600 000-line `ship s3://`, 4 MiB two ahead at 169–231 MiB (BENCHMARKS.md).
 */
export const DEFAULT_RANGE_BYTES = 2 * 1024 * 1024;
export const DEFAULT_RANGES_AHEAD = 3;
/** Attempts at one range whose body keeps breaking off. */
export const DEFAULT_RANGE_ATTEMPTS = 4;

export interface ObjectReadOptions {
  client: S3Client;
  bucket: string;
  key: string;
  /** The ETag the object must still have (as S3 gives it, quotes included). */
  etag: string;
  /** First byte to read. */
  start: number;
  /** One past the last byte to read: the object's size to read to its end. */
  end: number;
  rangeBytes?: number;
  rangesAhead?: number;
  rangeAttempts?: number;
  /** Called before every GET, retries included (for progress and tests). */
  onRequest?: (request: { start: number; end: number; attempt: number }) => void;
}

/**
 * Yields the bytes `[start, end)` of the object in order, in the pieces they
 * arrive in. The ranges ahead are requested early but their bodies are read
 * only when their turn comes (until then the socket holds them back), so
 * pieces pass straight through instead of waiting in memory. Stopping the
 * iteration early aborts the requests still open.
 */
export async function* readObjectRanges(options: ObjectReadOptions): AsyncGenerator<Buffer> {
  const { start, end } = options;
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && end >= start)) {
    throw new RangeError(`bad byte range [${start}, ${end}) for ${objectName(options)}`);
  }
  const rangeBytes = options.rangeBytes ?? DEFAULT_RANGE_BYTES;
  const ahead = options.rangesAhead ?? DEFAULT_RANGES_AHEAD;
  const controller = new AbortController();
  const queue: OpenRange[] = [];
  let next = start;
  const schedule = () => {
    while (queue.length <= ahead && next < end) {
      const from = next;
      next = Math.min(end, from + rangeBytes);
      queue.push(openRange(options, from, next, 1, controller.signal));
    }
  };
  try {
    schedule();
    while (queue.length > 0) {
      yield* readRange(options, queue.shift() as OpenRange, controller.signal);
      schedule();
    }
  } finally {
    controller.abort();
  }
}

/** A range whose GET was sent; its body is read when its turn comes. */
interface OpenRange {
  from: number;
  to: number;
  attempt: number;
  response: Promise<GetObjectCommandOutput>;
}

function openRange(
  options: ObjectReadOptions,
  from: number,
  to: number,
  attempt: number,
  signal: AbortSignal,
): OpenRange {
  options.onRequest?.({ start: from, end: to, attempt });
  const response = options.client.send(
    new GetObjectCommand({
      Bucket: options.bucket,
      Key: options.key,
      Range: `bytes=${from}-${to - 1}`,
      IfMatch: options.etag,
    }),
    { abortSignal: signal },
  );
  // Awaited in turn; until then a failure must not count as unhandled.
  response.catch(() => {});
  return { from, to, attempt, response };
}

/** One range's bytes, re-requested from where its body broke off until whole. */
async function* readRange(
  options: ObjectReadOptions,
  opened: OpenRange,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  const attempts = options.rangeAttempts ?? DEFAULT_RANGE_ATTEMPTS;
  const { to } = opened;
  let range = opened;
  let at = opened.from;
  for (;;) {
    try {
      const response = await range.response;
      if (response.ETag !== undefined && unquoted(response.ETag) !== unquoted(options.etag)) {
        throw changed(options, response.ETag);
      }
      const body = response.Body as AsyncIterable<Uint8Array> | undefined;
      if (body !== undefined) {
        for await (const part of body) {
          const bytes = Buffer.isBuffer(part) ? part : Buffer.from(part);
          at += bytes.length;
          yield bytes;
        }
      }
      if (at !== to) {
        throw new Error(`the answer held ${at - range.from} of ${to - range.from} bytes asked for`);
      }
      return;
    } catch (error) {
      if (signal.aborted) throw error;
      const final = finalError(options, error);
      if (final !== undefined) throw final;
      if (at > to) throw error;
      if (range.attempt >= attempts) {
        throw new ObjectReadRetryableError(
          `${objectName(options)}: bytes ${opened.from}-${to - 1}: gave up after ${range.attempt} attempts: ${describe(error)}`,
          { cause: error },
        );
      }
      // Full jitter over a short, doubling ceiling: a dropped connection
      // usually comes back at once; S3's own throttling the SDK handles.
      await delay(Math.random() * 100 * 2 ** range.attempt, undefined, { signal });
      range = openRange(options, at, to, range.attempt + 1, signal);
    }
  }
}

/** What a reader needs to know about an object before reading it. */
export interface ObjectFacts {
  size: number;
  etag: string;
  /** From the object's first bytes, not its name. */
  compression: Compression;
}

/**
 * Size and ETag (HEAD), and whether the content is gzip or Parquet (its
 * first four bytes, read pinned to that ETag). Fails with the object named, as reads do.
 */
export async function objectFacts(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<ObjectFacts> {
  const where = { client, bucket, key, etag: '', start: 0, end: 0 };
  let size: number;
  let etag: string;
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    size = head.ContentLength ?? 0;
    etag = head.ETag ?? '';
  } catch (error) {
    throw finalError(where, error) ?? error;
  }
  let head = Buffer.alloc(0);
  for await (const bytes of readObjectRanges({ ...where, etag, end: Math.min(4, size) })) {
    head = Buffer.concat([head, bytes]);
  }
  const compression = isGzip(head) ? 'gzip' : isParquet(head) ? 'parquet' : 'none';
  return { size, etag, compression };
}

/** The error to stop with at once, or `undefined` when another attempt may help. */
function finalError(options: ObjectReadOptions, error: unknown): Error | undefined {
  if (
    error instanceof ObjectChangedError ||
    error instanceof ObjectNotFoundError ||
    error instanceof ObjectAccessDeniedError
  ) {
    return error;
  }
  const name = (error as { name?: string }).name;
  const status = httpStatus(error);
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
    return new ObjectNotFoundError(`${objectName(options)}: no such object`, { cause: error });
  }
  if (name === 'AccessDenied' || status === 403) {
    return new ObjectAccessDeniedError(
      `${objectName(options)}: access denied (the role needs s3:GetObject on it)`,
      { cause: error },
    );
  }
  if (name === 'PreconditionFailed' || status === 412) return changed(options, undefined);
  if (status !== undefined && status >= 400 && status < 500) {
    return new Error(`${objectName(options)}: S3 answered ${status} ${name ?? ''}`.trim(), {
      cause: error,
    });
  }
  return undefined;
}

function changed(options: ObjectReadOptions, now: string | undefined): ObjectChangedError {
  const was = `ETag ${options.etag}`;
  return new ObjectChangedError(
    `${objectName(options)} changed while it was read (${now === undefined ? `no longer ${was}` : `${was}, now ${now}`}); plan it again to ship the new version`,
  );
}

function objectName(options: ObjectReadOptions): string {
  return objectUrl(options.bucket, options.key);
}

function unquoted(etag: string): string {
  return etag.replace(/^(W\/)?"|"$/g, '');
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * The object as hyparquet reads a file (`byteLength`, `slice`): each slice
 * one ranged read pinned to `etag`, retried and failing as reads do.
 */
export function objectAsyncBuffer(
  options: Pick<ObjectReadOptions, 'client' | 'bucket' | 'key' | 'etag' | 'onRequest'> & {
    size: number;
  },
): { byteLength: number; slice(start: number, end?: number): Promise<ArrayBuffer> } {
  return {
    byteLength: options.size,
    async slice(start, end = options.size) {
      const out = new Uint8Array(Math.max(0, end - start));
      let at = 0;
      for await (const piece of readObjectRanges({ ...options, start, end })) {
        out.set(piece, at);
        at += piece.length;
      }
      return out.buffer;
    },
  };
}
