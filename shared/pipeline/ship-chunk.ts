/**
 * Ships one chunk of an S3 log object: the lines whose first byte lies in
 * `[start, end)`, read through ranged GETs. Plain objects are read from the
 * byte before `start`; gzip objects are inflated from their beginning and
 * the content before the chunk is dropped unparsed. Reading stops once the
 * chunk's last line is complete, or at a line boundary when `shouldStop`
 * says so (the result's cursor says where to carry on).
 */

import type { S3Client } from '@aws-sdk/client-s3';
import type { OtlpProtocol } from '../config/export-config.ts';
import type { MappingConfig } from '../config/mapping-config.ts';
import type { ShipCounts } from '../contract/counts.ts';
import type { ChunkItem } from '../contract/state-machine.ts';
import type { BatchLimits } from '../otlp/batch-encoder.ts';
import type { OtlpExporter } from '../otlp/exporter.ts';
import { objectAsyncBuffer, readObjectRanges } from '../s3/object-reader.ts';
import { windowStart } from './chunk-window.ts';
import { ObjectParser } from './object-parser.ts';
import { shipParquet } from './parquet-object.ts';
import { HEAD_BYTES, type ShipResult, shipObject } from './ship-object.ts';

export interface ShipChunkOptions {
  client: S3Client;
  chunk: ChunkItem;
  /** Carry on from this content byte (a cursor's offset) instead of the chunk's start. */
  from?: number;
  exporter: OtlpExporter;
  protocol: OtlpProtocol;
  limits: BatchLimits;
  concurrency: number;
  mapping: MappingConfig;
  nowNanos: () => bigint;
  /** Stop retrying batches at this time (ms since the epoch). */
  deadlineMs?: number;
  /** Asked after each piece of input: true stops at a line boundary. */
  shouldStop?: () => boolean;
  onProgress?: (counts: Readonly<ShipCounts>) => void;
  /** Called once the chunk is read (or reading stopped), before its last batches are answered. */
  onReadEnd?: () => void;
  /** The requests in flight of every chunk shipped at once with this one (default: its own). */
  requestSlots?: Set<Promise<void>>;
  /** Bytes per ranged GET (default: the reader's). */
  rangeBytes?: number;
  /** Ranges requested ahead of the one being read (default: the reader's). */
  rangesAhead?: number;
  /** Called before every GET (tests count re-reads with it). */
  onRequest?: (request: { start: number; end: number; attempt: number }) => void;
}

export async function shipChunk(options: ShipChunkOptions): Promise<ShipResult> {
  const { chunk, client } = options;
  const start = options.from ?? chunk.start;
  if (start < chunk.start || start > chunk.end) {
    throw new RangeError(
      `cursor ${start} lies outside the chunk [${chunk.start}, ${chunk.end}) of s3://${chunk.bucket}/${chunk.key}`,
    );
  }
  if (chunk.compression === 'parquet') return shipParquetChunk(options, start);
  const readFrom = chunk.compression === 'gzip' ? 0 : Math.min(windowStart(start), chunk.size);
  const ranges = (from: number, to: number) =>
    readObjectRanges({
      client,
      bucket: chunk.bucket,
      key: chunk.key,
      etag: chunk.etag,
      start: from,
      end: to,
      ...(options.rangeBytes !== undefined && { rangeBytes: options.rangeBytes }),
      ...(options.rangesAhead !== undefined && { rangesAhead: options.rangesAhead }),
      ...(options.onRequest !== undefined && { onRequest: options.onRequest }),
    });
  const parser = new ObjectParser({
    identity: { bucket: chunk.bucket, key: chunk.key, etag: chunk.etag },
    format: 'auto',
    config: options.mapping,
  });
  /**
   * A plain object read from its middle: its first bytes first, for a W3C
   * header that names the fields of the rows (docs/vended-logs.md). Read
   * as the rest is, so a failure to read them fails the chunk the same way.
   */
  async function* headFirst(): AsyncGenerator<Buffer> {
    const head: Buffer[] = [];
    for await (const piece of ranges(0, Math.min(HEAD_BYTES, chunk.size))) head.push(piece);
    parser.readHead(Buffer.concat(head));
    yield* ranges(readFrom, chunk.size);
  }
  return shipObject({
    source: readFrom > 0 ? headFirst() : ranges(readFrom, chunk.size),
    compression: chunk.compression,
    contentOffset: readFrom,
    window: { start, end: chunk.end },
    parser,
    ...shippingOf(options),
  });
}

/** A Parquet object's chunk: the row groups whose first byte lies in it, from `start`. */
function shipParquetChunk(options: ShipChunkOptions, start: number): Promise<ShipResult> {
  const { chunk, client } = options;
  return shipParquet({
    file: objectAsyncBuffer({
      client,
      bucket: chunk.bucket,
      key: chunk.key,
      etag: chunk.etag,
      size: chunk.size,
      ...(options.onRequest !== undefined && { onRequest: options.onRequest }),
    }),
    window: { start, end: chunk.end },
    parser: {
      identity: { bucket: chunk.bucket, key: chunk.key, etag: chunk.etag },
      config: options.mapping,
    },
    ...shippingOf(options),
  });
}

/** What shipping a chunk takes from its options, whatever the object holds. */
function shippingOf(options: ShipChunkOptions) {
  return {
    exporter: options.exporter,
    protocol: options.protocol,
    limits: options.limits,
    concurrency: options.concurrency,
    nowNanos: options.nowNanos,
    ...(options.deadlineMs !== undefined && { deadlineMs: options.deadlineMs }),
    ...(options.shouldStop !== undefined && { shouldStop: options.shouldStop }),
    ...(options.onProgress !== undefined && { onProgress: options.onProgress }),
    ...(options.onReadEnd !== undefined && { onReadEnd: options.onReadEnd }),
    ...(options.requestSlots !== undefined && { requestSlots: options.requestSlots }),
  };
}
