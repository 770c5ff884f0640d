/**
 * Gzip or plain: ELB writes gzip objects (Classic ELB plain ones), and users
 * hand over both. The first bytes decide, not the file name.
 */

import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** zlib's output chunk size: larger chunks mean fewer, cheaper line batches. */
const GUNZIP_CHUNK_BYTES = 128 * 1024;

/** How an object is stored: ELB writes gzip; Classic ELB and users, plain text too. */
export type Compression = 'gzip' | 'none';

/** True when `head` starts with the gzip magic bytes. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * Yields the content of `source`, gunzipped when `compression` says so or,
 * left out, when it starts with the gzip magic bytes (concatenated gzip
 * members are read in turn). A corrupt or truncated gzip stream throws after
 * the bytes before the damage were yielded.
 */
export async function* decompressed(
  source: AsyncIterable<Uint8Array>,
  compression?: Compression,
): AsyncGenerator<Buffer> {
  if (compression === 'none') {
    for await (const piece of source) yield asBuffer(piece);
    return;
  }
  const iterator = source[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let ended = false;
  while (head.length < 2) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    head = Buffer.concat([head, asBuffer(next.value)]);
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
  if (compression === undefined && !isGzip(head)) {
    yield* rest();
    return;
  }
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
  pipeline(Readable.from(rest()), gunzip, () => {
    // Errors surface through the iteration of `gunzip` below.
  });
  yield* gunzip;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
