/**
 * Exports one encoded batch: compress it once, send it, and retry what OTLP
 * says to retry (429, 502, 503, 504, timeouts, connection errors) with
 * exponential backoff and full jitter, never sooner than `Retry-After`, until
 * the batch's deadline. The result is a value that says how many records the
 * receiver accepted, rejected, or never got.
 *
 * Headers come from a {@link HeadersProvider}, once per batch. When the
 * receiver refuses them (401, 403) and they came from a store that may hold
 * newer ones (a rotated key), they are read again and the batch sent once
 * more, at once; a second refusal fails it as any refusal does.
 *
 * @see https://opentelemetry.io/docs/specs/otlp/#retryable-response-codes
 */

import { ExportConfigError } from '../config/config-error.ts';
import type { ExportConfig } from '../config/export-config.ts';
import { fixedHeaders, type Headers, type HeadersProvider } from '../config/headers-provider.ts';
import { ExportRetryableError } from '../contract/errors.ts';
import type { EncodedBatch } from './batch-encoder.ts';
import { createBodyCompressor } from './body-compressor.ts';
import { type AttemptOutcome, createHttpTransport, type OtlpTransport } from './http-transport.ts';

/** First backoff ceiling; the n-th retry waits up to `RETRY_BASE_MS · 2^(n-1)`. */
export const RETRY_BASE_MS = 500;
/** Backoff ceiling: an unavailable receiver is polled at least this often. */
export const RETRY_MAX_MS = 30_000;
/** How a batch ended. `failed` records never reached the receiver. */
export type BatchResult =
  | {
      status: 'success';
      accepted: number;
      rejected: number;
      /** The receiver's `partial_success.error_message`, when it gave one. */
      rejectionMessage?: string;
      retries: number;
    }
  | { status: 'retryable'; failed: number; retries: number; error: ExportRetryableError }
  | { status: 'failure'; failed: number; retries: number; error: Error };

/** Injected so tests control time and chance; production passes the real ones. */
export interface ExporterClock {
  /** Milliseconds since the epoch. */
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Uniform in [0, 1). */
  random: () => number;
}

export interface ExportOptions {
  /** Stop retrying at this time (ms since the epoch), whatever the retry budget says. */
  deadlineMs?: number;
}

export interface OtlpExporter {
  export(batch: EncodedBatch, options?: ExportOptions): Promise<BatchResult>;
  close(): Promise<void>;
}

export interface ExporterDependencies extends ExporterClock {
  /** Defaults to HTTP to `config.url`. */
  transport?: OtlpTransport;
  /** Defaults to `config.headers`, which never change. */
  headers?: HeadersProvider;
}

export const SYSTEM_CLOCK: ExporterClock = {
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/**
 * Creates the exporter for `config`.
 *
 * @example
 * const exporter = createOtlpExporter(loadExportConfig(process.env), SYSTEM_CLOCK);
 * const result = await exporter.export(encoder.flush());
 */
export function createOtlpExporter(
  config: ExportConfig,
  dependencies: ExporterDependencies,
): OtlpExporter {
  const { now, sleep, random } = dependencies;
  const transport =
    dependencies.transport ??
    createHttpTransport({
      url: config.url,
      urlSetting: config.urlSetting,
      headerSources: config.headerSources,
      connections: config.concurrency,
      now,
    });
  const headersProvider = dependencies.headers ?? fixedHeaders(config.headers);
  const contentType =
    config.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
  const contentEncoding = config.compression === 'none' ? undefined : config.compression;
  const compressor = createBodyCompressor(config.compression);

  async function exportBatch(
    batch: EncodedBatch,
    options: ExportOptions = {},
  ): Promise<BatchResult> {
    const started = now();
    const giveUpAt = Math.min(started + config.maxRetryTimeMs, options.deadlineMs ?? Infinity);
    let body: Buffer;
    try {
      body = await compressor.compress(batch.body);
    } finally {
      // Compressed, the encoder's buffer is free for the next batch; sent as it is, it is not.
      if (config.compression !== 'none') batch.release?.();
    }
    let retries = 0;
    let headers: Headers;
    try {
      headers = await headersProvider.current();
    } catch (error) {
      return headersFailure(error, batch.records, retries);
    }
    let reread = false;
    for (;;) {
      const remaining = giveUpAt - now();
      const timeoutMs =
        config.timeoutMs === 0 ? Math.max(1, remaining) : Math.min(config.timeoutMs, remaining);
      const outcome: AttemptOutcome =
        remaining > 0
          ? await transport.send({ body, contentType, contentEncoding, timeoutMs, headers })
          : { status: 'retryable', reason: 'no time was left for an attempt' };
      if (outcome.status === 'success') {
        const rejected = Math.min(outcome.rejected, batch.records);
        const result: BatchResult = {
          status: 'success',
          accepted: batch.records - rejected,
          rejected,
          retries,
        };
        if (outcome.rejectionMessage !== undefined) {
          result.rejectionMessage = outcome.rejectionMessage;
        }
        return result;
      }
      if (outcome.status === 'failure') {
        const refused = outcome.httpStatus === 401 || outcome.httpStatus === 403;
        const store = headersProvider.renewable;
        if (refused && store !== undefined && !reread) {
          // The key may have been rotated since it was read: read it again, send once more.
          reread = true;
          try {
            headers = await headersProvider.refresh(headers);
          } catch (error) {
            return headersFailure(error, batch.records, retries);
          }
          retries++;
          continue;
        }
        const error =
          refused && reread && outcome.error instanceof ExportConfigError
            ? new ExportConfigError(
                outcome.error.setting,
                `${outcome.error.detail}; refused again after the headers were read again from ${store}`,
                { cause: outcome.error },
              )
            : outcome.error;
        return { status: 'failure', failed: batch.records, retries, error };
      }
      const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(retries, 30));
      const wait = Math.max(random() * ceiling, outcome.retryAfterMs ?? 0);
      const elapsed = now() - started;
      if (now() + wait >= giveUpAt) {
        const error = new ExportRetryableError(
          `gave up on a batch of ${batch.records} records after ${retries + 1} attempts in ${Math.round(elapsed / 1000)} s: ${outcome.reason}`,
        );
        return { status: 'retryable', failed: batch.records, retries, error };
      }
      await sleep(wait);
      retries++;
    }
  }

  return {
    export: exportBatch,
    close: () => {
      compressor.close();
      return transport.close();
    },
  };
}

/** A batch that could not get its headers (the store failed or refused): none of it was sent. */
function headersFailure(error: unknown, records: number, retries: number): BatchResult {
  if (error instanceof ExportRetryableError) {
    return { status: 'retryable', failed: records, retries, error };
  }
  return {
    status: 'failure',
    failed: records,
    retries,
    error: error instanceof Error ? error : new Error(String(error)),
  };
}
