/**
 * The OTLP/HTTP request decoder the test receiver (`test/helpers/otlp-receiver.ts`)
 * and the demo's (`demo/receiver.ts`) share: a body as sent (gzip, zstd or
 * plain; protobuf or JSON) decoded to the OTLP/JSON shape, comparable with
 * `logRecordToJson`. Protobuf is decoded with protobufjs against a schema
 * written from the specification (`otlp-logs.proto`, `otlp-metrics.proto`,
 * beside this file), so the project's encoders (`shared/otlp/`) are checked by
 * code they do not share: nothing here imports from `shared/`.
 */

import type { IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import protobuf from 'protobufjs';

/**
 * The messages of the two schemas beside this file, loaded once; the test
 * receiver encodes its answers (a `Status`, a partial success) with them.
 */
export const OTLP_SCHEMA = protobuf.loadSync([
  fileURLToPath(new URL('./otlp-logs.proto', import.meta.url)),
  fileURLToPath(new URL('./otlp-metrics.proto', import.meta.url)),
]);
const RequestType = OTLP_SCHEMA.lookupType('otlp.ExportLogsServiceRequest');
const MetricsRequestType = OTLP_SCHEMA.lookupType('otlp.ExportMetricsServiceRequest');

// OTLP/JSON shapes, loosely typed: the tests compare them whole.
export interface JsonRequest {
  resourceLogs: {
    resource?: { attributes?: unknown[] };
    scopeLogs: { scope?: { name?: string; version?: string }; logRecords: JsonRecord[] }[];
  }[];
}
export type JsonRecord = Record<string, unknown> & { attributes?: JsonAttribute[] };
export interface JsonMetricsRequest {
  resourceMetrics: {
    resource?: { attributes?: JsonAttribute[] };
    scopeMetrics: { scope?: { name?: string; version?: string }; metrics: JsonMetric[] }[];
  }[];
}
export interface JsonMetric {
  name: string;
  description?: string;
  unit?: string;
  gauge?: { dataPoints: JsonNumberDataPoint[] };
  sum?: {
    dataPoints: JsonNumberDataPoint[];
    aggregationTemporality?: number;
    isMonotonic?: boolean;
  };
}
export interface JsonNumberDataPoint {
  attributes?: JsonAttribute[];
  startTimeUnixNano?: string;
  timeUnixNano?: string;
  asDouble?: number;
  asInt?: string;
}
export interface JsonAttribute {
  key: string;
  value: Record<string, unknown>;
}

/** A request body as sent (gzip, zstd or plain; protobuf or JSON), decoded to OTLP/JSON. */
export function decodeRequest(wire: Buffer, headers: IncomingMessage['headers']): JsonRequest {
  const { bytes, json } = unwrap(wire, headers);
  if (json) return JSON.parse(bytes.toString('utf8')) as JsonRequest;
  return decodeProtobufRequest(bytes);
}

/** A metrics request body as sent, decoded to OTLP/JSON. */
export function decodeMetricsRequest(
  wire: Buffer,
  headers: IncomingMessage['headers'],
): JsonMetricsRequest {
  const { bytes, json } = unwrap(wire, headers);
  if (json) return JSON.parse(bytes.toString('utf8')) as JsonMetricsRequest;
  const message = MetricsRequestType.decode(bytes);
  return normalise(
    MetricsRequestType.toObject(message, {
      longs: String,
      enums: Number,
      bytes: Array,
      arrays: true,
    }),
  ) as JsonMetricsRequest;
}

/** The body decompressed, and whether it is JSON (else protobuf). */
function unwrap(
  wire: Buffer,
  headers: IncomingMessage['headers'],
): { bytes: Buffer; json: boolean } {
  const encoding = headers['content-encoding'];
  const bytes =
    encoding === 'gzip'
      ? gunzipSync(wire)
      : encoding === 'zstd'
        ? zstdDecompressSync(wire)
        : encoding === undefined
          ? wire
          : (() => {
              throw new Error(`unknown content-encoding ${encoding}`);
            })();
  const contentType = headers['content-type'] ?? '';
  if (contentType === 'application/json') return { bytes, json: true };
  if (contentType !== 'application/x-protobuf')
    throw new Error(`unexpected content-type ${contentType}`);
  return { bytes, json: false };
}

/** Decodes an `ExportLogsServiceRequest` with protobufjs into the OTLP/JSON form. */
export function decodeProtobufRequest(bytes: Uint8Array): JsonRequest {
  const message = RequestType.decode(bytes);
  const object = RequestType.toObject(message, {
    longs: String,
    enums: Number,
    bytes: Array,
    arrays: true,
  });
  const request = normalise(object) as JsonRequest;
  for (const resourceLogs of request.resourceLogs) {
    for (const scopeLogs of resourceLogs.scopeLogs) {
      // Scope attributes are never sent; protobufjs still fills the empty list.
      const scope = scopeLogs.scope as { attributes?: unknown[] } | undefined;
      if (scope?.attributes?.length === 0) delete scope.attributes;
    }
  }
  return request;
}

/**
 * protobufjs objects → OTLP/JSON: ids as hex, repeated fields that protobufjs
 * leaves out when empty stay absent, int64 already decimal strings.
 */
function normalise(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) {
    if ((key === 'traceId' || key === 'spanId') && value.every((v) => typeof v === 'number')) {
      return Buffer.from(value as number[]).toString('hex');
    }
    return value.map((item) => normalise(item));
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = normalise(v, k);
    return out;
  }
  return value;
}
