/**
 * What every function that exports (`processChunk`, `ingest`, `metrics`)
 * builds once per Lambda container: the export settings, with the headers
 * secret read from its store, and the exporter (its keep-alive
 * connections). A plain-HTTP endpoint's warning is logged here, so once per
 * container, not once per batch.
 */

import {
  type ExportConfig,
  loadExportConfig,
  type OtlpSignal,
} from '../shared/config/export-config.ts';
import { readHeaderSecret, type SecretReaders } from '../shared/config/header-secrets.ts';
import {
  createOtlpExporter,
  type ExporterClock,
  type OtlpExporter,
  SYSTEM_CLOCK,
} from '../shared/otlp/exporter.ts';

export interface ExportStart {
  config: ExportConfig;
  exporter: OtlpExporter;
}

/** Where a warning goes (the Powertools Logger in a function). */
export interface WarningLogger {
  warn(message: string, details: { warning: string }): void;
}

export interface ExportStartOptions {
  signal?: OtlpSignal;
  logger: WarningLogger;
  /** The secret store (default: Secrets Manager and SSM through Powertools Parameters). */
  readers?: SecretReaders;
  clock?: ExporterClock;
}

/**
 * Reads the headers secret (when the environment names one), the export
 * settings and builds the exporter.
 *
 * @throws ExportConfigError for wrong settings or an unreadable secret;
 *   ExportRetryableError when the secret store failed for now.
 */
export async function startExport(
  env: Record<string, string | undefined>,
  options: ExportStartOptions,
): Promise<ExportStart> {
  const secretHeaders = await readHeaderSecret(env, options.readers);
  const config = loadExportConfig(env, secretHeaders && { secretHeaders }, options.signal);
  if (config.plainHttpWarning !== undefined) {
    options.logger.warn('plain HTTP endpoint', { warning: config.plainHttpWarning });
  }
  return { config, exporter: createOtlpExporter(config, options.clock ?? SYSTEM_CLOCK) };
}
