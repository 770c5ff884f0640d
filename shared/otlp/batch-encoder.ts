/**
 * Collects the records of one object into request bodies bounded by record
 * count and by encoded size, in `http/protobuf` or `http/json`.
 *
 * Records are encoded as they arrive, so the size bound is exact: a batch
 * never exceeds `maxBytes` unless a single record does (it then goes alone).
 */

import type { OtlpProtocol } from '../config/export-config.ts';
import type { LogRecord, Resource } from '../records/model.ts';
import { logRecordToJson, resourceToJson } from './otlp-json.ts';
import {
  type EncodedEnvelope,
  encodeEnvelope,
  requestHead,
  SCOPE_LOGS_LOG_RECORDS,
  writeLogRecord,
} from './otlp-protobuf.ts';
import { ProtobufWriter } from './protobuf-writer.ts';
import type { InstrumentationScope } from './scope.ts';

/** A complete, uncompressed `ExportLogsServiceRequest`. */
export interface EncodedBatch {
  body: Buffer;
  records: number;
  /**
   * Hands `body`'s memory back to the encoder for a later batch. Call it at
   * most once, when nothing will read `body` again (the exporter does, once
   * it has compressed it); without the call, the memory is simply collected.
   */
  release?: () => void;
}

export interface BatchLimits {
  /** Records per request. */
  maxRecords: number;
  /** Encoded (uncompressed) bytes per request. */
  maxBytes: number;
}

/** Encodes one object's records into batches. */
export interface BatchEncoder {
  readonly contentType: string;
  /** Records in the open batch. */
  readonly records: number;
  /**
   * Adds a record. Returns a batch when one is complete: the open batch
   * without this record when the record would push it past `maxBytes`, or
   * with it when the record count or the byte bound is reached.
   */
  add(record: LogRecord): EncodedBatch | undefined;
  /** The open batch, if it holds any record; the encoder starts a new one. */
  flush(): EncodedBatch | undefined;
}

/** Creates the encoder for `protocol`, for records that share `resource`. */
export function createBatchEncoder(
  protocol: OtlpProtocol,
  resource: Resource,
  scope: InstrumentationScope,
  limits: BatchLimits,
): BatchEncoder {
  return protocol === 'http/json'
    ? new JsonBatchEncoder(resource, scope, limits)
    : new ProtobufBatchEncoder(resource, scope, limits);
}

/**
 * Spare buffers kept for the next batches, by all encoders of a process
 * together (at most this many in all): an object's encoder takes its first
 * buffer from them and gives its last back when the object ends
 * ({@link ProtobufBatchEncoder.close}), so a run of many small objects
 * reuses the same few buffers instead of allocating two new ones (8 MiB) per
 * object (BENCHMARKS.md, "Fleet").
 */
const SPARE_BUFFERS = 8;
/**
 * Buffer sizes are rounded up to this, so objects whose resources differ by
 * a few bytes (key and load balancer lengths) share their spare buffers.
 */
const BUFFER_SIZE_STEP = 64 * 1024;
const spareBuffers = new Map<number, Buffer[]>();
let spareCount = 0;

/** A spare buffer of `bytes`, or a new one. */
function takeBuffer(bytes: number): Buffer {
  const spare = spareBuffers.get(bytes)?.pop();
  if (spare === undefined) return Buffer.allocUnsafeSlow(bytes);
  spareCount--;
  return spare;
}

/**
 * Keeps `buffer` for a later batch: in place of one of another size when
 * enough are kept already (the encoders of now take this size), else not.
 */
function giveBack(buffer: Buffer): void {
  if (spareCount >= SPARE_BUFFERS && !dropSpareOtherThan(buffer.length)) return;
  let spares = spareBuffers.get(buffer.length);
  if (spares === undefined) {
    spares = [];
    spareBuffers.set(buffer.length, spares);
  }
  spares.push(buffer);
  spareCount++;
}

/** Drops a spare buffer whose size is not `bytes`; false when there is none. */
function dropSpareOtherThan(bytes: number): boolean {
  for (const [size, spares] of spareBuffers) {
    if (size !== bytes && spares.length > 0) {
      spares.pop();
      spareCount--;
      return true;
    }
  }
  return false;
}

const NO_BUFFER = Buffer.alloc(0);
/** Room past `maxBytes` for the record that crosses it, before the writer has to grow. */
const CROSSING_RECORD_BYTES = 64 * 1024;
/** Buffers never start larger than this; a writer grows when it needs more. */
const MAX_START_BYTES = 8 * 1024 * 1024;

/**
 * The protobuf batch encoder. Records are written after room left for the
 * request head, so a full batch becomes the body where it lies, without a
 * copy; its buffer comes back through {@link EncodedBatch.release}, so the
 * same few buffers, already in memory, carry every batch of a large object.
 */
export class ProtobufBatchEncoder implements BatchEncoder {
  readonly contentType = 'application/x-protobuf';
  records = 0;
  readonly writer: ProtobufWriter;
  private readonly envelope: EncodedEnvelope;
  private readonly limits: BatchLimits;
  /** Bytes every request spends on the resource, the scope and their framing. */
  private readonly overhead: number;
  /** Where records start in the writer: room for the longest head. */
  private readonly headroom: number;
  private readonly bufferBytes: number;

  constructor(resource: Resource, scope: InstrumentationScope, limits: BatchLimits) {
    this.envelope = encodeEnvelope(resource, scope);
    this.limits = limits;
    this.overhead = requestHead(this.envelope, limits.maxBytes).length;
    // A record larger than `maxBytes` can lengthen the head's two length varints.
    this.headroom = this.overhead + 16;
    this.bufferBytes = Math.min(
      Math.ceil((this.headroom + limits.maxBytes + CROSSING_RECORD_BYTES) / BUFFER_SIZE_STEP) *
        BUFFER_SIZE_STEP,
      MAX_START_BYTES,
    );
    this.writer = new ProtobufWriter(takeBuffer(this.bufferBytes));
    this.writer.truncate(this.headroom);
  }

  add(record: LogRecord): EncodedBatch | undefined {
    const before = this.writer.length;
    writeLogRecord(this.writer, SCOPE_LOGS_LOG_RECORDS, record);
    return this.commit(before);
  }

  /**
   * Counts the record a caller has just written to {@link writer} (as field
   * {@link SCOPE_LOGS_LOG_RECORDS}, starting at `before`, the writer's length
   * before it) and returns a batch when one is complete, as {@link add} does.
   */
  commit(before: number): EncodedBatch | undefined {
    const size = this.overhead + this.writer.length - this.headroom;
    if (size > this.limits.maxBytes && this.records > 0) {
      // The new record opens the next batch.
      const batch = this.take(before, this.writer.length);
      this.records = 1;
      return batch;
    }
    this.records++;
    if (this.records >= this.limits.maxRecords || size >= this.limits.maxBytes) {
      return this.flush();
    }
    return undefined;
  }

  flush(): EncodedBatch | undefined {
    if (this.records === 0) return undefined;
    const length = this.writer.length;
    const batch = this.take(length, length);
    this.records = 0;
    return batch;
  }

  /**
   * Ends the batch at `end`, moving what was written after it (`[end, to)`)
   * into a fresh buffer where the next batch starts.
   */
  private take(end: number, to: number): EncodedBatch {
    const next = takeBuffer(this.bufferBytes);
    const buffer = this.writer.swap(next, end, to, this.headroom);
    const head = requestHead(this.envelope, end - this.headroom);
    const start = this.headroom - head.length;
    head.copy(buffer, start);
    const bufferBytes = this.bufferBytes;
    let released = false;
    return {
      body: buffer.subarray(start, end),
      records: this.records,
      release: () => {
        if (released) return;
        released = true;
        // A buffer the writer had to grow is not the size encoders take.
        if (buffer.length === bufferBytes) giveBack(buffer);
      },
    };
  }

  /**
   * Gives the writer's buffer back for other encoders, once the last batch
   * is flushed: the encoder is done (a record written after this still
   * works, in memory of its own).
   */
  close(): void {
    if (this.records > 0) throw new Error('close() with records not flushed');
    const buffer = this.writer.swap(NO_BUFFER, 0, 0, 0);
    if (buffer.length === this.bufferBytes) giveBack(buffer);
  }
}

class JsonBatchEncoder implements BatchEncoder {
  readonly contentType = 'application/json';
  records = 0;
  private readonly prefix: string;
  private readonly suffix = ']}]}]}';
  private readonly limits: BatchLimits;
  private readonly overhead: number;
  private parts: string[] = [];
  private bytes = 0;

  constructor(resource: Resource, scope: InstrumentationScope, limits: BatchLimits) {
    const resourceJson = JSON.stringify(resourceToJson(resource));
    const scopeJson = JSON.stringify({ name: scope.name, version: scope.version });
    this.prefix = `{"resourceLogs":[{"resource":${resourceJson},"scopeLogs":[{"scope":${scopeJson},"logRecords":[`;
    this.limits = limits;
    this.overhead = Buffer.byteLength(this.prefix) + this.suffix.length;
  }

  add(record: LogRecord): EncodedBatch | undefined {
    const json = JSON.stringify(logRecordToJson(record));
    // One byte for the comma that joins it to the previous record.
    const length = Buffer.byteLength(json) + 1;
    if (this.overhead + this.bytes + length > this.limits.maxBytes && this.records > 0) {
      const batch = this.flush();
      this.push(json, length);
      return batch;
    }
    this.push(json, length);
    if (
      this.records >= this.limits.maxRecords ||
      this.overhead + this.bytes >= this.limits.maxBytes
    ) {
      return this.flush();
    }
    return undefined;
  }

  flush(): EncodedBatch | undefined {
    if (this.records === 0) return undefined;
    const body = Buffer.from(`${this.prefix}${this.parts.join(',')}${this.suffix}`);
    const batch = { body, records: this.records };
    this.parts = [];
    this.bytes = 0;
    this.records = 0;
    return batch;
  }

  private push(json: string, length: number): void {
    this.parts.push(json);
    this.bytes += length;
    this.records++;
  }
}
