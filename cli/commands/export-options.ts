/**
 * The export options every shipping command takes, as for `elb-otlp ship`:
 * `--endpoint`, `--protocol`, `--compression`, `--header` (repeatable) and
 * `--max-retry-time`, winning over the OTEL_EXPORTER_OTLP_* environment.
 */

import {
  type ExportConfig,
  loadExportConfig,
  type OtlpSignal,
} from '../../shared/config/export-config.ts';

/** For `parseArgs`'s `options`. */
export const EXPORT_OPTIONS = {
  endpoint: { type: 'string' },
  protocol: { type: 'string' },
  compression: { type: 'string' },
  header: { type: 'string', multiple: true },
  'max-retry-time': { type: 'string' },
} as const;

/** The values `parseArgs` gives for {@link EXPORT_OPTIONS}. */
export interface ExportOptionValues {
  endpoint?: string;
  protocol?: string;
  compression?: string;
  header?: string[];
  'max-retry-time'?: string;
}

/** The export settings: the environment, with the command line over it. */
export function exportConfigFrom(
  env: Record<string, string | undefined>,
  values: ExportOptionValues,
  signal: OtlpSignal = 'logs',
): ExportConfig {
  return loadExportConfig(
    env,
    {
      endpoint: values.endpoint,
      protocol: values.protocol,
      compression: values.compression,
      headers: values.header,
      maxRetryTime: values['max-retry-time'],
    },
    signal,
  );
}
