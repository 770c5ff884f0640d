/**
 * Gzip or plain: ELB writes gzip objects (Classic ELB plain ones), and users
 * hand over both. The first bytes decide, not the file name. They also tell
 * other compressions and archives apart, which elb-otlp does not read: their
 * bytes would otherwise be split at every newline and shipped as junk.
 */

import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** zlib's output chunk size: larger chunks mean fewer, cheaper line batches. */
const GUNZIP_CHUNK_BYTES = 128 * 1024;

/** How an object is stored: ELB writes gzip; Classic ELB and users, plain text too. */
export type Compression = 'gzip' | 'none';

/**
 * Magic numbers of compressions and archives elb-otlp does not read, from
 * each format's specification. No ELB log line starts with any of them (a
 * line starts with a type, a timestamp or `tls`).
 */
const FOREIGN_MAGIC: readonly { format: string; magic: readonly number[] }[] = [
  // RFC 8878 §3.1.1.
  { format: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd] },
  // "BZh" and the block size, "1" to "9".
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((size) => ({
    format: 'bzip2',
    magic: [0x42, 0x5a, 0x68, 0x30 + size],
  })),
  // The .xz file format, §2.1.1.1.
  { format: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  // PKWARE APPNOTE 4.3.7 (a local file header) and 4.3.16 (an empty archive).
  { format: 'zip', magic: [0x50, 0x4b, 0x03, 0x04] },
  { format: 'zip', magic: [0x50, 0x4b, 0x05, 0x06] },
  { format: '7z', magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] },
  // The LZ4 frame format.
  { format: 'lz4', magic: [0x04, 0x22, 0x4d, 0x18] },
];

/** Bytes the longest magic number needs: read before deciding how to read the rest. */
const MAGIC_BYTES = 6;

/** True when `head` starts with the gzip magic bytes. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * The compression or archive format `head` starts with when it is one
 * elb-otlp does not read (`zstd`, `bzip2`, `xz`, `zip`, `7z`, `lz4`), else
 * `undefined` (gzip and text among them).
 *
 * @example
 * foreignCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x04])); // 'zstd'
 */
export function foreignCompression(head: Uint8Array): string | undefined {
  for (const { format, magic } of FOREIGN_MAGIC) {
    if (head.length >= magic.length && magic.every((byte, i) => head[i] === byte)) return format;
  }
  return undefined;
}

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
