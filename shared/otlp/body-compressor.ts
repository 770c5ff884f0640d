/**
 * Compresses request bodies on libuv's thread pool, beside the parser.
 *
 * gzip, the default, uses zlib streams that are kept and reused: each body is
 * written and finished with `Z_FINISH` (one complete gzip member), and the
 * stream is reset for the next body. One-shot `zlib.gzip` calls allocate a
 * new output buffer and zlib state per body; on a 600 000-line `ship` that
 * garbage set off a full V8 collection every few batches (`BENCHMARKS.md`).
 * Node documents `reset()` for the deflate family only, so zstd stays one-shot.
 */

import { promisify } from 'node:util';
import { constants, createGzip, type Gzip, type ZlibReset, zstdCompress } from 'node:zlib';
import type { OtlpCompression } from '../config/export-config.ts';

/**
 * Output chunk of the compressors: a batch compresses into one or two chunks,
 * so it takes one or two trips to the thread pool instead of dozens (with
 * zlib's 16 KiB default, the main thread spent seconds handing chunks over).
 */
const COMPRESSED_CHUNK_BYTES = 1024 * 1024;
/**
 * gzip level 1: on 4 MiB batches of generated ALB records it compressed at
 * 195 MB/s against level 6's 126 MB/s, for a ratio of 7.6 instead of 9.2.
 */
const GZIP_OPTIONS = { level: 1, memLevel: 9, chunkSize: COMPRESSED_CHUNK_BYTES };
/** zstd level 1: 797 MB/s on the same batches, ratio 9.8. */
const ZSTD_OPTIONS = {
  chunkSize: COMPRESSED_CHUNK_BYTES,
  params: { [constants.ZSTD_c_compressionLevel]: 1 },
};

const zstdAsync = promisify(zstdCompress);

/** Compresses request bodies; bodies may be compressed concurrently. */
export interface BodyCompressor {
  /** The body as sent: one complete gzip member or zstd frame, or `body` itself for `none`. */
  compress(body: Buffer): Promise<Buffer>;
  /** Frees the kept streams. */
  close(): void;
}

/** The compressor for `compression`. */
export function createBodyCompressor(compression: OtlpCompression): BodyCompressor {
  if (compression === 'none') return { compress: async (body) => body, close: () => {} };
  if (compression === 'zstd') {
    return { compress: (body) => zstdAsync(body, ZSTD_OPTIONS), close: () => {} };
  }
  const idle: KeptGzip[] = [];
  return {
    async compress(body) {
      const stream = idle.pop() ?? new KeptGzip();
      const compressed = await stream.compress(body);
      idle.push(stream);
      return compressed;
    },
    close() {
      for (const stream of idle.splice(0)) stream.destroy();
    },
  };
}

/** One gzip stream, compressing one body at a time. */
class KeptGzip {
  private readonly stream: Gzip & ZlibReset = createGzip(GZIP_OPTIONS) as Gzip & ZlibReset;
  private chunks: Buffer[] = [];
  private fail: ((error: Error) => void) | undefined;

  constructor() {
    const stream = this.stream;
    // zlib pushes a body's last output before it calls back the flush.
    stream.on('data', (chunk: Buffer) => this.chunks.push(chunk));
    stream.on('error', (error) => this.fail?.(error));
  }

  compress(body: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.fail = reject;
      this.stream.write(body);
      this.stream.flush(constants.Z_FINISH, (error?: Error | null) => {
        if (error) {
          reject(error);
          return;
        }
        const chunks = this.chunks;
        this.chunks = [];
        this.fail = undefined;
        this.stream.reset();
        resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
      });
    });
  }

  destroy(): void {
    this.stream.destroy();
  }
}
