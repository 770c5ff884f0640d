export { ExportRetryableError } from '../contract/errors.ts';
export {
  type BatchEncoder,
  type BatchLimits,
  createBatchEncoder,
  type EncodedBatch,
  OTLP_PROTOCOLS,
  type OtlpProtocol,
  ProtobufBatchEncoder,
} from './batch-encoder.ts';
export {
  type ByteLineEncoder,
  type ByteLineEncoderOptions,
  createByteLineEncoder,
} from './byte-line-encoder.ts';
export { ExportConfigError, ExportRejectedError } from './export-errors.ts';
export {
  type BatchResult,
  createOtlpExporter,
  type ExporterClock,
  type ExporterDependencies,
  type ExportOptions,
  type OtlpExporter,
  SYSTEM_CLOCK,
} from './exporter.ts';
export {
  type AttemptOutcome,
  createHttpTransport,
  type OtlpTransport,
  parseRetryAfter,
  type SendRequest,
} from './http-transport.ts';
export {
  type Attribute,
  AttributeList,
  type AttributeSink,
  type LogRecord,
  type Resource,
  SEVERITY_ERROR,
  SEVERITY_INFO,
  SEVERITY_WARN,
  severityText,
} from './model.ts';
export {
  attributeToJson,
  type JsonLogRecord,
  type JsonResource,
  logRecordToJson,
  resourceToJson,
} from './otlp-json.ts';
export {
  beginLogRecord,
  LogAttributeWriter,
  type LogRecordTail,
  SCOPE_LOGS_LOG_RECORDS,
  writeKeyValue,
  writeLogRecord,
  writeLogRecordTail,
} from './otlp-protobuf.ts';
export { ProtobufWriter } from './protobuf-writer.ts';
export {
  type BufferLineEncoder,
  createBufferLineEncoder,
  createLineEncoder,
  createLineMapper,
  LINE_ELB_KEY,
  type LineEncoder,
  type LineMapper,
  type LineMapperOptions,
  PARSE_ERROR_KEY,
  RECORD_UID_KEY,
} from './record-mapper.ts';
export { type ObjectIdentity, recordUidPrefix } from './record-uid.ts';
export {
  type ByteQueryRedactor,
  createByteQueryRedactor,
  createQueryRedactor,
  DEFAULT_REDACTED_QUERY_PARAMS,
  keepQuery,
  type QueryRedactor,
  REDACTED,
} from './redaction.ts';
export { buildResource, type ResourceInput, UNKNOWN_SERVICE } from './resource.ts';
export { type InstrumentationScope, SCOPE } from './scope.ts';
