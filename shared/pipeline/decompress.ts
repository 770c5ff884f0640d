/**
 * Gzip or plain: ELB writes gzip objects (Classic ELB plain ones), and users
 * hand over both. The first bytes decide, not the file name
 * (`shared/s3/compression.ts` reads them). Bytes of a compression or archive
 * elb-otlp does not read are yielded as stored, after the caller is told: they
 * would otherwise be split at every newline and shipped as junk.
 */

import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Compression } from '../contract/state-machine.ts';
import { foreignCompression, isGzip, MAGIC_BYTES } from '../s3/compression.ts';

/** zlib's output chunk size: larger chunks mean fewer, cheaper line batches. */
const GUNZIP_CHUNK_BYTES = 128 * 1024;

/** What {@link decompressed} may be told besides its source. */
export interface DecompressOptions {
  /**
   * Whether the source begins with the object's first stored byte (default
   * true); only then can its magic number be read. Gzip sources always do.
   */
  atObjectStart?: boolean;
  /**
   * Called, before any byte is yielded, when the object is stored in a
   * compression elb-otlp does not read, or its gzip holds one (`insideGzip`;
   * gzip inside gzip among them). The bytes are still yielded (as stored,
   * or as gunzipped) for the caller to count what it refuses to ship.
   */
  onForeign?: (format: string, insideGzip: boolean) => void;
}

/**
 * Yields the content of `source`, gunzipped when `compression` says so or,
 * left out, when it starts with the gzip magic bytes (concatenated gzip
 * members are read in turn). A corrupt or truncated gzip stream throws after
 * the bytes before the damage were yielded. A source that starts with the
 * magic number of another compression is yielded as stored, whatever
 * `compression` says (a key ending in `.gz` does not make zstd gzip), after
 * telling {@link DecompressOptions.onForeign}.
 */
export async function* decompressed(
  source: AsyncIterable<Uint8Array>,
  compression?: Compression,
  options: DecompressOptions = {},
): AsyncGenerator<Buffer> {
  const { atObjectStart = true, onForeign } = options;
  if (compression === 'none' && !atObjectStart) {
    for await (const piece of source) yield asBuffer(piece);
    return;
  }
  const iterator = source[Symbol.asyncIterator]();
  let head: Buffer = Buffer.alloc(0);
  let ended = false;
  while (head.length < MAGIC_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    // The first piece as it is (no copy), unless it is too short to decide.
    head = head.length === 0 ? asBuffer(next.value) : Buffer.concat([head, asBuffer(next.value)]);
  }
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      if (head.length > 0) yield head;
      if (ended) return;
      for (;;) {
        const next = await iterator.next();
        if (next.done) {
          ended = true;
          return;
        }
        yield asBuffer(next.value);
      }
    } finally {
      // Stopped early (the chunk's last line is complete): let the source
      // stop too, aborting reads still under way.
      if (!ended) await iterator.return?.();
    }
  }
  // An empty object has no lines, whatever its name or plan says.
  if (head.length === 0) return;
  const foreign = foreignCompression(head);
  if (foreign !== undefined) onForeign?.(foreign, false);
  if (
    foreign !== undefined ||
    compression === 'none' ||
    (compression === undefined && !isGzip(head))
  ) {
    yield* rest();
    return;
  }
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
  pipeline(Readable.from(rest()), gunzip, () => {
    // Errors surface through the iteration of `gunzip` below.
  });
  /** The content's first bytes, held until they are enough to be checked. */
  let content: Buffer | undefined = Buffer.alloc(0);
  const check = (first: Buffer) => {
    const inside = isGzip(first) ? 'gzip' : foreignCompression(first);
    if (inside !== undefined) onForeign?.(inside, true);
  };
  try {
    for await (const piece of gunzip as AsyncIterable<Buffer>) {
      if (content === undefined) {
        yield piece;
        continue;
      }
      content = content.length === 0 ? piece : Buffer.concat([content, piece]);
      if (content.length < MAGIC_BYTES) continue;
      const first = content;
      content = undefined;
      check(first);
      yield first;
    }
  } catch (error) {
    // Damaged within its first bytes: they still go first, as with any damage.
    if (content !== undefined && content.length > 0) {
      check(content);
      yield content;
    }
    throw error;
  }
  if (content !== undefined && content.length > 0) {
    check(content);
    yield content;
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
