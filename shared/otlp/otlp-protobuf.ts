/**
 * OTLP protobuf encoding of log records, resources and scopes, straight from
 * the in-memory model (no intermediate message objects).
 *
 * Field numbers from opentelemetry-proto `logs/v1/logs.proto`,
 * `common/v1/common.proto`, `resource/v1/resource.proto` and
 * `collector/logs/v1/logs_service.proto`.
 *
 * @see https://github.com/open-telemetry/opentelemetry-proto/tree/main/opentelemetry/proto
 */

import type { Attribute, AttributeSink, LogRecord, Resource } from '../records/model.ts';
import {
  ProtobufWriter,
  varintSize,
  WIRE_FIXED64,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
} from './protobuf-writer.ts';
import type { InstrumentationScope } from './scope.ts';

// ExportLogsServiceRequest
const REQUEST_RESOURCE_LOGS = 1;
// ResourceLogs
const RESOURCE_LOGS_RESOURCE = 1;
const RESOURCE_LOGS_SCOPE_LOGS = 2;
// ScopeLogs
const SCOPE_LOGS_SCOPE = 1;
/** Exported so batch encoders can frame each record as a `ScopeLogs.log_records` field. */
export const SCOPE_LOGS_LOG_RECORDS = 2;
// InstrumentationScope
const SCOPE_NAME = 1;
const SCOPE_VERSION = 2;
// Resource
const RESOURCE_ATTRIBUTES = 1;
// LogRecord, KeyValue, AnyValue and ArrayValue fields are exported for the
// byte-level encoder (`byte-line-encoder.ts`), which writes the same messages.
export const LOG_TIME_UNIX_NANO = 1;
export const LOG_SEVERITY_NUMBER = 2;
export const LOG_SEVERITY_TEXT = 3;
export const LOG_BODY = 5;
export const LOG_ATTRIBUTES = 6;
export const LOG_TRACE_ID = 9;
export const LOG_OBSERVED_TIME_UNIX_NANO = 11;
const KEY_VALUE_KEY = 1;
export const KEY_VALUE_VALUE = 2;
export const ANY_STRING = 1;
export const ANY_INT = 3;
export const ANY_DOUBLE = 4;
export const ANY_ARRAY = 5;
export const ARRAY_VALUES = 1;

/** Attribute keys come from a small set; their encoded key fields are kept after first use. */
const KEY_CACHE_LIMIT = 4096;
const keyFields = new Map<string, Buffer>();

/** The `KeyValue.key` field of `key`, encoded (tag, length, bytes); cached. */
export function encodedKeyField(key: string): Buffer {
  let field = keyFields.get(key);
  if (field === undefined) {
    const writer = new ProtobufWriter(key.length * 3 + 16);
    writer.string(KEY_VALUE_KEY, key);
    field = writer.copy();
    if (keyFields.size < KEY_CACHE_LIMIT) keyFields.set(key, field);
  }
  return field;
}

/** Writes a string attribute as a `KeyValue` in field `field` of the enclosing message. */
export function writeStringKeyValue(
  writer: ProtobufWriter,
  field: number,
  key: string,
  value: string,
): void {
  const keyBytes = encodedKeyField(key);
  if (writer.asciiStringKeyValue((field << 3) | WIRE_LENGTH_DELIMITED, keyBytes, value)) return;
  const pair = writer.begin(field);
  writer.raw(keyBytes);
  const any = writer.begin(KEY_VALUE_VALUE);
  writer.string(ANY_STRING, value);
  writer.end(any);
  writer.end(pair);
}

/** Writes an int attribute as a `KeyValue` in field `field`. */
export function writeIntKeyValue(
  writer: ProtobufWriter,
  field: number,
  key: string,
  value: number,
): void {
  const pair = writer.begin(field);
  writer.raw(encodedKeyField(key));
  const any = writer.begin(KEY_VALUE_VALUE);
  writer.tag(ANY_INT, WIRE_VARINT);
  writer.int64(value);
  writer.end(any);
  writer.end(pair);
}

/** Writes a double attribute as a `KeyValue` in field `field`. */
export function writeDoubleKeyValue(
  writer: ProtobufWriter,
  field: number,
  key: string,
  value: number,
): void {
  const pair = writer.begin(field);
  writer.raw(encodedKeyField(key));
  const any = writer.begin(KEY_VALUE_VALUE);
  writer.tag(ANY_DOUBLE, WIRE_FIXED64);
  writer.double(value);
  writer.end(any);
  writer.end(pair);
}

/** Writes a string-array attribute as a `KeyValue` in field `field`. */
export function writeStringsKeyValue(
  writer: ProtobufWriter,
  field: number,
  key: string,
  value: readonly string[],
): void {
  const pair = writer.begin(field);
  writer.raw(encodedKeyField(key));
  const any = writer.begin(KEY_VALUE_VALUE);
  const array = writer.begin(ANY_ARRAY);
  for (const item of value) {
    const element = writer.begin(ARRAY_VALUES);
    writer.string(ANY_STRING, item);
    writer.end(element);
  }
  writer.end(array);
  writer.end(any);
  writer.end(pair);
}

/** Writes `attribute` as a `KeyValue` in field `field` of the enclosing message. */
export function writeKeyValue(writer: ProtobufWriter, field: number, attribute: Attribute): void {
  switch (attribute.type) {
    case 'string':
      writeStringKeyValue(writer, field, attribute.key, attribute.value);
      return;
    case 'int':
      writeIntKeyValue(writer, field, attribute.key, attribute.value);
      return;
    case 'double':
      writeDoubleKeyValue(writer, field, attribute.key, attribute.value);
      return;
    case 'strings':
      writeStringsKeyValue(writer, field, attribute.key, attribute.value);
      return;
  }
}

/**
 * Writes attributes as `LogRecord.attributes` fields the moment a parser
 * hands them over: the parse-and-encode path allocates no attribute objects.
 * Point {@link writer} at the writer of the record being written.
 */
export class LogAttributeWriter implements AttributeSink {
  writer: ProtobufWriter;

  constructor(writer: ProtobufWriter) {
    this.writer = writer;
  }

  string(key: string, value: string): void {
    writeStringKeyValue(this.writer, LOG_ATTRIBUTES, key, value);
  }

  int(key: string, value: number): void {
    writeIntKeyValue(this.writer, LOG_ATTRIBUTES, key, value);
  }

  double(key: string, value: number): void {
    writeDoubleKeyValue(this.writer, LOG_ATTRIBUTES, key, value);
  }

  strings(key: string, value: readonly string[]): void {
    writeStringsKeyValue(this.writer, LOG_ATTRIBUTES, key, value);
  }
}

/** A record's fields other than its attributes; see {@link writeLogRecordTail}. */
export interface LogRecordTail {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body?: string | undefined;
  traceId?: string | undefined;
}

/**
 * Opens a `LogRecord` in field `field`. Its attributes come first, then
 * {@link writeLogRecordTail} writes the other fields and closes it: a
 * parser knows the severity and trace id only once it has read the line, and
 * protobuf readers take fields in any order.
 */
export function beginLogRecord(writer: ProtobufWriter, field: number): number {
  return writer.beginMedium(field);
}

/**
 * Writes the non-attribute fields of a record opened at `mark` by
 * {@link beginLogRecord}, then closes it. Fields at their proto3 default
 * (time 0 = unknown) are left out.
 */
export function writeLogRecordTail(writer: ProtobufWriter, mark: number, record: LogRecordTail) {
  if (record.timeUnixNano !== 0n) {
    writer.tag(LOG_TIME_UNIX_NANO, WIRE_FIXED64);
    writer.fixed64(record.timeUnixNano);
  }
  if (record.severityNumber !== 0) {
    writer.tag(LOG_SEVERITY_NUMBER, WIRE_VARINT);
    writer.varint(record.severityNumber);
  }
  if (record.severityText !== '') writer.string(LOG_SEVERITY_TEXT, record.severityText);
  if (record.body !== undefined) {
    const body = writer.begin(LOG_BODY);
    writer.string(ANY_STRING, record.body);
    writer.end(body);
  }
  if (record.traceId !== undefined) writer.hexBytes(LOG_TRACE_ID, record.traceId);
  writer.tag(LOG_OBSERVED_TIME_UNIX_NANO, WIRE_FIXED64);
  writer.fixed64(record.observedTimeUnixNano);
  writer.endMedium(mark);
}

/** Writes `record` as a `LogRecord` in field `field` of the enclosing message. */
export function writeLogRecord(writer: ProtobufWriter, field: number, record: LogRecord): void {
  const mark = beginLogRecord(writer, field);
  const attributes = record.attributes;
  for (let i = 0; i < attributes.length; i++) {
    writeKeyValue(writer, LOG_ATTRIBUTES, attributes[i]);
  }
  writeLogRecordTail(writer, mark, record);
}

/**
 * The part of an `ExportLogsServiceRequest` that every batch of one object
 * shares: the resource and scope, encoded once. {@link requestHead} frames a
 * batch's records with it.
 */
export interface EncodedEnvelope {
  /** `ResourceLogs.resource` as a complete field. */
  resourceField: Buffer;
  /** `ScopeLogs.scope` as a complete field. */
  scopeField: Buffer;
}

export function encodeEnvelope(resource: Resource, scope: InstrumentationScope): EncodedEnvelope {
  const writer = new ProtobufWriter(4096);
  const mark = writer.begin(RESOURCE_LOGS_RESOURCE);
  for (const attribute of resource.attributes) {
    writeKeyValue(writer, RESOURCE_ATTRIBUTES, attribute);
  }
  writer.end(mark);
  const resourceField = writer.copy();
  writer.reset();
  const scopeMark = writer.begin(SCOPE_LOGS_SCOPE);
  writer.string(SCOPE_NAME, scope.name);
  writer.string(SCOPE_VERSION, scope.version);
  writer.end(scopeMark);
  return { resourceField, scopeField: writer.copy() };
}

/**
 * The bytes that precede a batch's `log_records` fields (each already framed
 * as field {@link SCOPE_LOGS_LOG_RECORDS}) in a complete request:
 * `ExportLogsServiceRequest{resource_logs: ResourceLogs{resource, scope_logs: ScopeLogs{scope, …}}}`.
 */
export function requestHead(envelope: EncodedEnvelope, recordsLength: number): Buffer {
  const scopeLogsLength = envelope.scopeField.length + recordsLength;
  const resourceLogsLength =
    envelope.resourceField.length + 1 + varintSize(scopeLogsLength) + scopeLogsLength;
  const writer = new ProtobufWriter(
    envelope.resourceField.length + envelope.scopeField.length + 64,
  );
  writer.tag(REQUEST_RESOURCE_LOGS, WIRE_LENGTH_DELIMITED);
  writer.varint(resourceLogsLength);
  writer.raw(envelope.resourceField);
  writer.tag(RESOURCE_LOGS_SCOPE_LOGS, WIRE_LENGTH_DELIMITED);
  writer.varint(scopeLogsLength);
  writer.raw(envelope.scopeField);
  return writer.copy();
}
