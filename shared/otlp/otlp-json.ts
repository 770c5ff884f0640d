/**
 * OTLP/JSON encoding of records and resources: lowerCamelCase keys, int64 as
 * decimal strings, enums as integers, trace ids as hex.
 *
 * @see https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding
 */

import type { Attribute, LogRecord, Resource } from '../records/model.ts';

export type JsonAnyValue =
  | { stringValue: string }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: JsonAnyValue[] } };

export interface JsonKeyValue {
  key: string;
  value: JsonAnyValue;
}

export interface JsonLogRecord {
  timeUnixNano?: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body?: { stringValue: string };
  attributes: JsonKeyValue[];
  traceId?: string;
}

export interface JsonResource {
  attributes: JsonKeyValue[];
}

/** An attribute in OTLP/JSON form. */
export function attributeToJson(attribute: Attribute): JsonKeyValue {
  switch (attribute.type) {
    case 'string':
      return { key: attribute.key, value: { stringValue: attribute.value } };
    case 'int':
      return { key: attribute.key, value: { intValue: String(attribute.value) } };
    case 'double':
      return { key: attribute.key, value: { doubleValue: attribute.value } };
    case 'strings':
      return {
        key: attribute.key,
        value: { arrayValue: { values: attribute.value.map((stringValue) => ({ stringValue })) } },
      };
  }
}

/** A log record in OTLP/JSON form; an unknown time (`0n`) is left out. */
export function logRecordToJson(record: LogRecord): JsonLogRecord {
  // Keys in the order of the proto's fields, so printed records read naturally.
  const json: JsonLogRecord = {
    ...(record.timeUnixNano !== 0n && { timeUnixNano: record.timeUnixNano.toString() }),
    observedTimeUnixNano: record.observedTimeUnixNano.toString(),
    severityNumber: record.severityNumber,
    severityText: record.severityText,
    ...(record.body !== undefined && { body: { stringValue: record.body } }),
    attributes: record.attributes.map(attributeToJson),
    ...(record.traceId !== undefined && { traceId: record.traceId }),
  };
  return json;
}

/** A resource in OTLP/JSON form. */
export function resourceToJson(resource: Resource): JsonResource {
  return { attributes: resource.attributes.map(attributeToJson) };
}
