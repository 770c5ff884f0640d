/**
 * Collects the records of one object into request bodies bounded by record
 * count and by encoded size, in `http/protobuf` or `http/json`.
 *
 * Records are encoded as they arrive, so the size bound is exact: a batch
 * never exceeds `maxBytes` unless a single record does (it then goes alone).
 */

import type { LogRecord, Resource } from './model.ts';
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

export type OtlpProtocol = 'http/protobuf' | 'http/json';
export const OTLP_PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json'];

/** A complete, uncompressed `ExportLogsServiceRequest`. */
export interface EncodedBatch {
  body: Buffer;
  records: number;
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

class ProtobufBatchEncoder implements BatchEncoder {
  readonly contentType = 'application/x-protobuf';
  records = 0;
  private readonly writer = new ProtobufWriter();
  private readonly envelope: EncodedEnvelope;
  private readonly limits: BatchLimits;
  /** Bytes every request spends on the resource, the scope and their framing. */
  private readonly overhead: number;

  constructor(resource: Resource, scope: InstrumentationScope, limits: BatchLimits) {
    this.envelope = encodeEnvelope(resource, scope);
    this.limits = limits;
    this.overhead = requestHead(this.envelope, limits.maxBytes).length;
  }

  add(record: LogRecord): EncodedBatch | undefined {
    const writer = this.writer;
    const before = writer.length;
    writeLogRecord(writer, SCOPE_LOGS_LOG_RECORDS, record);
    const size = this.overhead + writer.length;
    if (size > this.limits.maxBytes && this.records > 0) {
      const batch = this.take(before);
      // The new record opens the next batch.
      writer.discardBefore(before);
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
    const batch = this.take(this.writer.length);
    this.writer.reset();
    this.records = 0;
    return batch;
  }

  private take(length: number): EncodedBatch {
    const head = requestHead(this.envelope, length);
    const body = Buffer.allocUnsafe(head.length + length);
    head.copy(body, 0);
    this.writer.bytes().copy(body, head.length, 0, length);
    return { body, records: this.records };
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
