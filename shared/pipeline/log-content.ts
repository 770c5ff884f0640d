/**
 * Whether an object whose name is not ELB's is an ELB log, by its content:
 * its first bytes (one ranged GET of the version listed), gunzipped when they
 * are gzip, hold a line of an ELB log format among their first lines. The plan
 * and ingest ask it of renamed objects only (shared/formats/s3-key.ts
 * `byContent`); objects named as ELB names them are logs by their name, and
 * one whose content is not fails by name when it is read.
 */

import { constants, gunzipSync } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  loadMappingConfig,
  type MappingConfig,
  type VendedSettings,
} from '../config/mapping-config.ts';
import type { Compression } from '../contract/state-machine.ts';
import { foundVendedFormat } from '../formats/vended-fields.ts';
import { foreignCompression, isGzip, isParquet } from '../s3/compression.ts';
import { objectAsyncBuffer } from '../s3/object-reader.ts';
import {
  DETECTION_BYTES,
  DETECTION_LINES,
  type LineTarget,
  ObjectParser,
} from './object-parser.ts';
import { columnNames, firstElb, parquetFooter, ReadTracker } from './parquet-object.ts';

/** What the content says; a `reason` reads after "not an ELB log:". */
export type ContentVerdict =
  | {
      log: true;
      compression: Compression;
      /** The `elb` field of its first ELB line (absent when its first fields do not read). */
      elb?: string;
    }
  | { log: false; reason: string };

/**
 * Reads the first {@link DETECTION_BYTES} stored bytes of `object` and tells
 * whether they begin an ELB log: a line among the first
 * {@link DETECTION_LINES} of their content is one (a first line longer than
 * what was read, by its start), classic or vended (`plain` records only
 * with `vended` settings naming their fields). An empty object, one of another
 * compression, or gzip that does not decompress is not one.
 */
export async function logByContent(
  client: S3Client,
  bucket: string,
  object: { key: string; size: number; etag: string },
  vended: VendedSettings = {},
): Promise<ContentVerdict> {
  if (object.size === 0) return { log: false, reason: 'it is empty' };
  const answer = await client.send(
    new GetObjectCommand({
      Bucket: bucket,
      Key: object.key,
      Range: `bytes=0-${Math.min(object.size, DETECTION_BYTES) - 1}`,
      IfMatch: object.etag,
    }),
  );
  const body = answer.Body as { transformToByteArray(): Promise<Uint8Array> };
  const stored = Buffer.from(await body.transformToByteArray());
  const foreign = foreignCompression(stored);
  if (foreign !== undefined) return { log: false, reason: `it is ${foreign} data` };
  if (isParquet(stored)) return parquetByContent(client, bucket, object);
  const gzip = isGzip(stored);
  let content: Buffer;
  try {
    // The first bytes of a longer stream: what they decompress to, without an end.
    content = gzip ? gunzipSync(stored, { finishFlush: constants.Z_SYNC_FLUSH }) : stored;
  } catch (error) {
    return { log: false, reason: `its gzip does not decompress (${(error as Error).message})` };
  }
  const lines = content.toString('utf8').split('\n');
  // The last line may go on past the bytes read: judged by its start when it is
  // the only one (a line's format and elb field are in its first fields).
  if (stored.length < object.size && lines.length > 1) lines.pop();
  const first = lines.filter((line) => line.trim() !== '').slice(0, DETECTION_LINES);
  const compression = gzip ? 'gzip' : 'none';
  // The object's own parser decides, as it will when the object is read:
  // classic lines, or vended JSON, W3C or plain records (docs/vended-logs.md).
  const parser = new ObjectParser({
    identity: { bucket, key: object.key, etag: object.etag },
    format: 'auto',
    config: { ...defaultMapping(), vended },
  });
  const nothing: LineTarget = { settle() {}, line() {} };
  for (const raw of first) {
    const line = Buffer.from(headOf(raw.replace(/\r$/, '')));
    parser.push(line, 0, line.length, 0, 0n, nothing);
    if (parser.format !== undefined) {
      const elb = parser.firstLoadBalancer;
      return { log: true, compression, ...(elb !== undefined && { elb }) };
    }
    if (parser.refusal !== undefined) break;
  }
  return {
    log: false,
    reason:
      first.length === 0
        ? 'it holds no line'
        : `none of its first ${first.length} lines is a line of an ALB, NLB or Classic ELB log, or a vended record`,
  };
}

let mapping: MappingConfig | undefined;

/** The record settings' defaults: only the vended ones matter to the check, and they are given. */
function defaultMapping(): MappingConfig {
  mapping ??= loadMappingConfig({});
  return mapping;
}

/** A line's first fields: up to the last space of its first 4 KiB (a long line's end may be cut). */
function headOf(line: string): string {
  if (line.length <= 4096) return line;
  const cut = line.lastIndexOf(' ', 4096);
  return cut > 0 ? line.slice(0, cut) : line.slice(0, 4096);
}

/**
 * A Parquet object (`PAR1`) is a log when its columns are a vended log
 * type's fields, as a JSON record's keys must be (docs/vended-logs.md#parquet):
 * its footer is read (ranged reads pinned to the version listed) for its
 * schema, and its first row's `elb` column for the load balancer. A read
 * that fails throws, as any read of the object does; a footer that does
 * not decode is no log.
 */
async function parquetByContent(
  client: S3Client,
  bucket: string,
  object: { key: string; size: number; etag: string },
): Promise<ContentVerdict> {
  if (object.size < 12) {
    return { log: false, reason: 'it is a Parquet file too short to hold a footer' };
  }
  const file = new ReadTracker(objectAsyncBuffer({ client, bucket, ...object }));
  let names: string[];
  let metadata: Awaited<ReturnType<typeof parquetFooter>>;
  try {
    metadata = await parquetFooter(file);
    names = columnNames(metadata);
  } catch (error) {
    if (file.error !== undefined) throw file.error;
    return {
      log: false,
      reason: `it is a Parquet file whose footer does not read (${(error as Error).message})`,
    };
  }
  if (foundVendedFormat(names, undefined, true) === undefined) {
    const shown = names.slice(0, 8).join(', ') + (names.length > 8 ? ', …' : '');
    return {
      log: false,
      reason: `it is a Parquet file whose columns (${shown}) are no ELB log type's fields`,
    };
  }
  const elb = await firstElb(file, metadata, names);
  return { log: true, compression: 'parquet', ...(elb !== undefined && { elb }) };
}
