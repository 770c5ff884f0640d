/**
 * The export options every shipping command takes, as for `elb-otlp ship`:
 * `--endpoint`, `--protocol`, `--compression`, `--header` (repeatable) and
 * `--max-retry-time`, winning over the OTEL_EXPORTER_OTLP_* environment.
 */

import type { Writable } from 'node:stream';
import {
  type ExportConfig,
  loadExportConfig,
  type OtlpSignal,
} from '../../shared/config/export-config.ts';
import { write } from '../output.ts';

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

/**
 * The export settings: the environment, with the command line over it. A
 * plain-HTTP endpoint's warning goes to stderr here, once per run.
 */
export async function exportConfigFrom(
  io: { env: Record<string, string | undefined>; stderr: Writable },
  values: ExportOptionValues,
  command: string,
  signal: OtlpSignal = 'logs',
): Promise<ExportConfig> {
  const config = loadExportConfig(
    io.env,
    {
      endpoint: values.endpoint,
      protocol: values.protocol,
      compression: values.compression,
      headers: values.header,
      maxRetryTime: values['max-retry-time'],
    },
    signal,
  );
  if (config.plainHttpWarning !== undefined) {
    await write(io.stderr, `elb-otlp ${command}: warning: ${config.plainHttpWarning}\n`);
  }
  return config;
}
