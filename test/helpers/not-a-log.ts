/**
 * Objects that are not ELB logs, as the tests store and ship them: other
 * compressions of a real log, binary data, gzip holding binary data, and
 * another server's access log. Each comes with the error that refuses it.
 */

import { readFileSync } from 'node:fs';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { createRandom } from '../../shared/generate/alb-lines.ts';
import { readLines } from '../../shared/pipeline/line-reader.ts';

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url));

/** AWS's example ALB lines, as the repository's sample object holds them. */
export const SAMPLE_LOG = fixture(
  'objects/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20180702T2225Z_10.0.0.1_2soosksg.log',
);

/** Bytes from a seeded generator: no magic number, NUL bytes and newlines among them. */
export function randomBytes(length: number, seed: number): Buffer {
  const random = createRandom(seed);
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

/**
 * nginx's default `combined` format, from its documentation:
 * https://nginx.org/en/docs/http/ngx_http_log_module.html#log_format
 * (`$remote_addr - $remote_user [$time_local] "$request" $status
 * $body_bytes_sent "$http_referer" "$http_user_agent"`).
 */
export const NGINX_LINES = Array.from(
  { length: 30 },
  (_, i) =>
    `192.0.2.${i + 1} - - [02/Jul/2018:22:23:${String(i).padStart(2, '0')} +0000] "GET /index.html?page=${i} HTTP/1.1" 200 612 "-" "curl/7.46.0"`,
);

export interface NotALog {
  /** What the object is, for test names. */
  what: string;
  /** The object as stored. */
  body: Buffer;
  /** The content elb-otlp splits into lines: as stored, or gunzipped. */
  content: Buffer;
  /** The error that refuses it. */
  error: 'UnsupportedCompressionError' | 'NotAnElbLogError';
  /** What its message must say. */
  message: RegExp;
}

const RANDOM = randomBytes(48 * 1024, 7);
const stored = (body: Buffer) => ({ body, content: body });

/** One of each kind of object that is not an ELB log. */
export const NOT_A_LOG: readonly NotALog[] = [
  {
    what: 'a zstd object',
    ...stored(zstdCompressSync(SAMPLE_LOG)),
    error: 'UnsupportedCompressionError',
    message: /is zstd-compressed; elb-otlp reads ELB logs stored as gzip or plain text/,
  },
  {
    what: 'a bzip2 object',
    ...stored(fixture('not-a-log/sample.log.bz2')),
    error: 'UnsupportedCompressionError',
    message: /is bzip2-compressed; elb-otlp reads ELB logs stored as gzip or plain text/,
  },
  {
    what: 'an xz object',
    ...stored(fixture('not-a-log/sample.log.xz')),
    error: 'UnsupportedCompressionError',
    message: /is xz-compressed; elb-otlp reads ELB logs stored as gzip or plain text/,
  },
  {
    what: 'a random binary object',
    ...stored(RANDOM),
    error: 'NotAnElbLogError',
    message:
      /is not an ELB log: its first \d+ lines hold binary data \(control bytes such as NUL\)/,
  },
  {
    what: 'a gzip object holding random binary',
    body: gzipSync(RANDOM),
    content: RANDOM,
    error: 'NotAnElbLogError',
    message: /is not an ELB log: its first \d+ lines hold binary data/,
  },
  {
    what: 'a gzip object holding zstd',
    body: gzipSync(zstdCompressSync(SAMPLE_LOG)),
    content: zstdCompressSync(SAMPLE_LOG),
    error: 'UnsupportedCompressionError',
    message: /is gzip holding zstd-compressed data; elb-otlp reads/,
  },
  {
    what: 'a text file of nginx access lines',
    ...stored(Buffer.from(`${NGINX_LINES.join('\n')}\n`)),
    error: 'NotAnElbLogError',
    // As far as a report's failure keeps it (160 bytes; the log has it whole).
    message:
      /is not an ELB log: none of its first 20 lines is a line of an ALB, NLB or Classic ELB log \(the first reads "192\.0\.2\.1 - - \[02\/Jul\/201/,
  },
];

/** The lines elb-otlp's line reader finds in `content`: what a refused object counts as failed. */
export async function lineCount(content: Buffer): Promise<number> {
  async function* whole() {
    yield content;
  }
  let count = 0;
  for await (const batch of readLines(whole())) count += batch.starts.length;
  return count;
}
