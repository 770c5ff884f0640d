/**
 * Encode benchmark: records/s of turning mapped ALB records into an OTLP
 * protobuf request body, elb-otlp's direct encoder next to
 * `@opentelemetry/otlp-transformer`'s `ProtobufLogsSerializer` (the
 * OpenTelemetry JS exporters' own), fed the same records converted to the
 * SDK's `ReadableLogRecord` shape (the conversion is timed with it: it is
 * what using the package costs). Also counts the attributes the package
 * would send with another type: it sends whole-number doubles as ints.
 */

import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { loadMappingConfig } from '../shared/config/mapping-config.ts';
import { ALB_ACCESS } from '../shared/formats/alb-access.ts';
import { generateAlbLines } from '../shared/generate/alb-lines.ts';
import { createBatchEncoder, type EncodedBatch } from '../shared/otlp/batch-encoder.ts';
import { createLineMapper } from '../shared/otlp/line-mapper.ts';
import { SCOPE } from '../shared/otlp/scope.ts';
import type { Attribute, LogRecord } from '../shared/records/model.ts';

const RECORDS = 50_000;
/** Records per request for both encoders: about what the 4 MiB bound lets through. */
const BATCH = 1000;
const RUNS = 7;

type Hr = [number, number];
const hr = (nanos: bigint): Hr => [Number(nanos / 1_000_000_000n), Number(nanos % 1_000_000_000n)];

function toSdk(record: LogRecord, resource: object, scope: object) {
  const attributes: Record<string, unknown> = {};
  for (const a of record.attributes) attributes[a.key] = a.value;
  return {
    hrTime: hr(record.timeUnixNano),
    hrTimeObserved: hr(record.observedTimeUnixNano),
    severityNumber: record.severityNumber,
    severityText: record.severityText,
    body: record.body,
    attributes,
    droppedAttributesCount: 0,
    resource,
    instrumentationScope: scope,
    ...(record.traceId !== undefined && {
      spanContext: { traceId: record.traceId, spanId: '', traceFlags: 0 },
    }),
  };
}

function best(run: () => void): number {
  let fastest = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    run();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return RECORDS / fastest;
}

export function runEncodeBench(): Record<string, unknown> {
  const map = createLineMapper({
    format: ALB_ACCESS,
    config: loadMappingConfig({}),
    uidPrefix: '0123456789abcdef',
    resourceLoadBalancerId: 'app/my-loadbalancer/50dc6c495c0c9188',
  });
  let offset = 0;
  const records = [...generateAlbLines(RECORDS, { seed: 42 })].map((line) => {
    const record = map(line, offset, 1_764_000_000_000_000_000n);
    offset += line.length + 1;
    return record;
  });
  const resource = {
    attributes: [{ key: 'service.name', type: 'string', value: 'bench' }] as Attribute[],
  };
  let directBytes = 0;
  const direct = best(() => {
    const encoder = createBatchEncoder('http/protobuf', resource, SCOPE, {
      maxRecords: BATCH,
      maxBytes: 64 * 1024 * 1024,
    });
    directBytes = 0;
    const take = (batch: EncodedBatch | undefined) => {
      directBytes += batch?.body.length ?? 0;
      // As the exporter does once it has compressed a body: the buffer carries a later batch.
      batch?.release?.();
    };
    for (const record of records) take(encoder.add(record));
    take(encoder.flush());
  });
  const sdkResource = { attributes: { 'service.name': 'bench' } };
  const sdkScope = { name: SCOPE.name, version: SCOPE.version };
  let transformerBytes = 0;
  const transformer = best(() => {
    transformerBytes = 0;
    for (let i = 0; i < records.length; i += BATCH) {
      const batch = records.slice(i, i + BATCH).map((r) => toSdk(r, sdkResource, sdkScope));
      // biome-ignore lint/suspicious/noExplicitAny: the SDK's record type is structural here.
      transformerBytes += ProtobufLogsSerializer.serializeRequest(batch as any)?.length ?? 0;
    }
  });
  const retyped = records[0].attributes.filter(
    (a) => a.type === 'double' && Number.isInteger(a.value),
  );
  return {
    bench: 'encode',
    records: RECORDS,
    directRecordsPerSecond: Math.round(direct),
    otlpTransformerRecordsPerSecond: Math.round(transformer),
    ratio: Number((direct / transformer).toFixed(2)),
    directBytesPerRecord: Math.round(directBytes / RECORDS),
    otlpTransformerBytesPerRecord: Math.round(transformerBytes / RECORDS),
    doublesTheTransformerSendsAsIntsWhenWhole: [...retyped],
  };
}
