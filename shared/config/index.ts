export { ConfigError } from './config-error.ts';
export {
  type ExportConfig,
  type ExportOverrides,
  loadExportConfig,
  OTLP_COMPRESSIONS,
  type OtlpCompression,
  type OtlpSignal,
  parseDuration,
} from './export-config.ts';
export { loadMappingConfig, type MappingConfig } from './mapping-config.ts';
export { parseResourceAttributes } from './resource-attributes.ts';
