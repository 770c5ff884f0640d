/**
 * What every function that exports (`processChunk`, `ingest`, `metrics`)
 * builds once per Lambda container: the export settings, with the headers
 * secret read from its store, and the exporter (its keep-alive
 * connections), whose headers provider reads the secret again after
 * {@link HEADERS_SECRET_MAX_AGE_MS} or when the receiver refuses it. A
 * plain-HTTP endpoint's warning is logged here, so once per container, not
 * once per batch.
 */

import { ExportConfigError } from '../config/config-error.ts';
import { type ExportConfig, loadExportConfig, type OtlpSignal } from '../config/export-config.ts';
import {
  awsSecretReaders,
  HEADERS_SECRET_MAX_AGE_MS,
  HEADERS_SECRET_RETRY_MS,
  readHeaderSecret,
  type SecretReaders,
} from '../config/header-secrets.ts';
import { fixedHeaders, type HeadersProvider, renewingHeaders } from '../config/headers-provider.ts';
import {
  createOtlpExporter,
  type ExporterClock,
  type OtlpExporter,
  SYSTEM_CLOCK,
} from '../otlp/exporter.ts';

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
  const { signal, logger } = options;
  const readers = options.readers ?? awsSecretReaders();
  const clock = options.clock ?? SYSTEM_CLOCK;
  const secretHeaders = await readHeaderSecret(env, readers);
  const config = loadExportConfig(env, secretHeaders && { secretHeaders }, signal);
  if (config.plainHttpWarning !== undefined) {
    logger.warn('plain HTTP endpoint', { warning: config.plainHttpWarning });
  }
  let headers: HeadersProvider = fixedHeaders(config.headers);
  if (secretHeaders !== undefined) {
    const { setting } = secretHeaders;
    headers = renewingHeaders({
      setting,
      initial: config.headers,
      // The secret's headers merged over the environment's, as at start-up.
      read: async () => {
        const again = await readHeaderSecret(env, readers);
        if (again === undefined) throw new ExportConfigError(setting, 'is no longer set');
        return loadExportConfig(env, { secretHeaders: again }, signal).headers;
      },
      now: clock.now,
      maxAgeMs: HEADERS_SECRET_MAX_AGE_MS,
      retryMs: HEADERS_SECRET_RETRY_MS,
      onStale: (error) =>
        logger.warn('headers secret not read again; the last value is used', {
          warning: `${(error as Error)?.message ?? String(error)}`,
        }),
    });
  }
  return { config, exporter: createOtlpExporter(config, { ...clock, headers }) };
}
