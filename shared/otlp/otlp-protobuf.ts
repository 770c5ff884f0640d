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

import type { Attribute, LogRecord, Resource } from './model.ts';
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
// LogRecord
const LOG_TIME_UNIX_NANO = 1;
const LOG_SEVERITY_NUMBER = 2;
const LOG_SEVERITY_TEXT = 3;
const LOG_BODY = 5;
const LOG_ATTRIBUTES = 6;
const LOG_TRACE_ID = 9;
const LOG_OBSERVED_TIME_UNIX_NANO = 11;
// KeyValue
const KEY_VALUE_KEY = 1;
const KEY_VALUE_VALUE = 2;
// AnyValue
const ANY_STRING = 1;
const ANY_INT = 3;
const ANY_DOUBLE = 4;
const ANY_ARRAY = 5;
// ArrayValue
const ARRAY_VALUES = 1;

/** Attribute keys come from a small set; their encoded key fields are kept after first use. */
const KEY_CACHE_LIMIT = 4096;
const keyFields = new Map<string, Buffer>();

function keyField(key: string): Buffer {
  let field = keyFields.get(key);
  if (field === undefined) {
    const writer = new ProtobufWriter(key.length * 3 + 16);
    writer.string(KEY_VALUE_KEY, key);
    field = writer.copy();
    if (keyFields.size < KEY_CACHE_LIMIT) keyFields.set(key, field);
  }
  return field;
}

/** Writes `attribute` as a `KeyValue` in field `field` of the enclosing message. */
export function writeKeyValue(writer: ProtobufWriter, field: number, attribute: Attribute): void {
  const key = keyField(attribute.key);
  if (
    attribute.type === 'string' &&
    writer.asciiStringKeyValue((field << 3) | WIRE_LENGTH_DELIMITED, key, attribute.value)
  ) {
    return;
  }
  const pair = writer.begin(field);
  writer.raw(key);
  const value = writer.begin(KEY_VALUE_VALUE);
  switch (attribute.type) {
    case 'string':
      writer.string(ANY_STRING, attribute.value);
      break;
    case 'int':
      writer.tag(ANY_INT, WIRE_VARINT);
      writer.int64(attribute.value);
      break;
    case 'double':
      writer.tag(ANY_DOUBLE, WIRE_FIXED64);
      writer.double(attribute.value);
      break;
    case 'strings': {
      const array = writer.begin(ANY_ARRAY);
      for (const item of attribute.value) {
        const element = writer.begin(ARRAY_VALUES);
        writer.string(ANY_STRING, item);
        writer.end(element);
      }
      writer.end(array);
      break;
    }
  }
  writer.end(value);
  writer.end(pair);
}

/**
 * Writes `record` as a `LogRecord` in field `field` of the enclosing message.
 * Fields at their proto3 default (time 0 = unknown) are left out.
 */
export function writeLogRecord(writer: ProtobufWriter, field: number, record: LogRecord): void {
  const mark = writer.begin(field);
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
  const attributes = record.attributes;
  for (let i = 0; i < attributes.length; i++) {
    writeKeyValue(writer, LOG_ATTRIBUTES, attributes[i]);
  }
  if (record.traceId !== undefined) writer.hexBytes(LOG_TRACE_ID, record.traceId);
  writer.tag(LOG_OBSERVED_TIME_UNIX_NANO, WIRE_FIXED64);
  writer.fixed64(record.observedTimeUnixNano);
  writer.end(mark);
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
