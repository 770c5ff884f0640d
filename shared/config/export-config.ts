/**
 * Where and how records are exported: the OpenTelemetry exporter variables,
 * the seed guide's names for the same things, and elb-otlp's own limits.
 * Validated once, so a typo stops the run before any line is read, with the
 * setting's name in the message (never a header's value).
 *
 * @see https://opentelemetry.io/docs/specs/otel/protocol/exporter/
 */

import { ExportConfigError } from './config-error.ts';
import {
  type HeaderSecret,
  type MergedHeaders,
  mergeHeaders,
  type Setting,
} from './header-list.ts';
import { checkPlainHttp } from './plain-http.ts';
import { printableUrl } from './printable-url.ts';

/** The OTLP/HTTP encodings elb-otlp speaks (no gRPC). */
export type OtlpProtocol = 'http/protobuf' | 'http/json';
export const OTLP_PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json'];

export type OtlpCompression = 'gzip' | 'zstd' | 'none';
export const OTLP_COMPRESSIONS: readonly OtlpCompression[] = ['gzip', 'zstd', 'none'];

/** The OpenTelemetry default per-request timeout. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** The Collector's `batch` processor default; the byte bound usually ends a batch first. */
export const DEFAULT_MAX_BATCH_RECORDS = 8192;
/** A fifth of the Collector's 20 MiB request limit (checked after decompression). */
export const DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** OTLP's recommended request cap; larger requests are refused by spec-following servers. */
export const MAX_BATCH_BYTES_LIMIT = 64 * 1024 * 1024;
/** Requests in flight at once: enough to hide a round trip behind encoding. */
export const DEFAULT_CONCURRENCY = 4;
export const MAX_CONCURRENCY = 64;
/** How long one batch may be retried before the run gives up on the receiver. */
export const DEFAULT_MAX_RETRY_TIME_MS = 2 * 60 * 1000;

/** What is exported: log records (the default), or metrics (`functions/metrics.ts`). */
export type OtlpSignal = 'logs' | 'metrics';

export interface ExportConfig {
  /** The full URL records are POSTed to (`…/v1/logs`, or `…/v1/metrics`). */
  url: string;
  /** Which setting gave {@link url}, for messages. */
  urlSetting: string;
  protocol: OtlpProtocol;
  compression: OtlpCompression;
  /** Extra request headers (authentication); their values are never printed. */
  headers: Record<string, string>;
  /** The settings that gave {@link headers}, in the order they were merged; empty for none. */
  headerSources: string[];
  /** Per attempt; `0` means no per-attempt timeout (the retry deadline still applies). */
  timeoutMs: number;
  maxBatchRecords: number;
  maxBatchBytes: number;
  concurrency: number;
  /** How long one batch may be retried, from its first attempt. */
  maxRetryTimeMs: number;
  /**
   * Plain `http://` to another host: the warning to print once (on stderr,
   * or through a function's logger); undefined for HTTPS and loopback.
   */
  plainHttpWarning?: string;
}

/** Settings given on a command line or read at start-up; they win over the environment. */
export interface ExportOverrides {
  endpoint?: string;
  protocol?: string;
  compression?: string;
  headers?: string[];
  maxRetryTime?: string;
  /** From `OTLP_HEADERS_SECRET_ARN` or `OTLP_HEADERS_SSM_PARAMETER` (header-secrets.ts). */
  secretHeaders?: HeaderSecret;
}

type Env = Record<string, string | undefined>;

/**
 * Reads the export settings.
 *
 * Endpoint: `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` (used as is), else
 * `OTEL_EXPORTER_OTLP_ENDPOINT` or the seed's `OTEL_ENDPOINT` (base URLs:
 * `v1/logs` is appended). Headers: `OTEL_EXPORTER_OTLP_HEADERS`, then
 * `OTEL_EXPORTER_OTLP_LOGS_HEADERS` over it (`k=v,…`, percent-decoded), with
 * the seed's `OTEL_HEADERS` (a JSON object) under both. Protocol, compression
 * and timeout (ms) from `OTEL_EXPORTER_OTLP_[LOGS_]…`; the seed's
 * `REQUEST_TIMEOUT` is in seconds. Batches: `ELB_OTLP_MAX_BATCH_RECORDS` (or
 * the seed's `BATCH_SIZE`), `ELB_OTLP_MAX_BATCH_BYTES`; `ELB_OTLP_EXPORT_CONCURRENCY`;
 * `ELB_OTLP_MAX_RETRY_TIME` (`90s`, `2m`, `500ms`; a bare number is seconds).
 * For `signal` `metrics`, the `…_METRICS_…` variables take the place of the
 * `…_LOGS_…` ones and the path is `v1/metrics`. Plain `http://` to another
 * host than this one is refused when headers are set, unless
 * `ELB_OTLP_ALLOW_INSECURE` is `true` (plain-http.ts).
 *
 * @throws ExportConfigError naming the first bad or missing setting.
 */
export function loadExportConfig(
  env: Env,
  overrides: ExportOverrides = {},
  signal: OtlpSignal = 'logs',
): ExportConfig {
  const SIGNAL = signal.toUpperCase();
  const { url, urlSetting } = endpoint(env, overrides.endpoint, signal);
  const protocolSetting = pick(env, [
    `OTEL_EXPORTER_OTLP_${SIGNAL}_PROTOCOL`,
    'OTEL_EXPORTER_OTLP_PROTOCOL',
  ]);
  const protocol = oneOf(
    overrides.protocol !== undefined ? ['--protocol', overrides.protocol] : protocolSetting,
    OTLP_PROTOCOLS,
    'http/protobuf',
    'grpc is not supported: elb-otlp speaks OTLP/HTTP',
  );
  const compressionSetting = pick(env, [
    `OTEL_EXPORTER_OTLP_${SIGNAL}_COMPRESSION`,
    'OTEL_EXPORTER_OTLP_COMPRESSION',
  ]);
  const compression = oneOf(
    overrides.compression !== undefined
      ? ['--compression', overrides.compression]
      : compressionSetting,
    OTLP_COMPRESSIONS,
    'gzip',
  );
  const retrySetting: Setting | undefined =
    overrides.maxRetryTime !== undefined
      ? ['--max-retry-time', overrides.maxRetryTime]
      : pick(env, ['ELB_OTLP_MAX_RETRY_TIME']);
  const merged = headers(env, overrides.headers ?? [], overrides.secretHeaders, SIGNAL);
  const plainHttpWarning = checkPlainHttp({
    url,
    urlSetting,
    headerSources: merged.sources,
    allowInsecure: boolean(pick(env, ['ELB_OTLP_ALLOW_INSECURE']), false),
  });
  return {
    url,
    urlSetting,
    protocol,
    compression,
    headers: merged.headers,
    headerSources: merged.sources,
    timeoutMs: timeout(env, SIGNAL),
    maxBatchRecords: integer(
      pick(env, ['ELB_OTLP_MAX_BATCH_RECORDS', 'BATCH_SIZE']),
      DEFAULT_MAX_BATCH_RECORDS,
      1,
      1_000_000,
    ),
    maxBatchBytes: integer(
      pick(env, ['ELB_OTLP_MAX_BATCH_BYTES']),
      DEFAULT_MAX_BATCH_BYTES,
      1024,
      MAX_BATCH_BYTES_LIMIT,
    ),
    concurrency: integer(
      pick(env, ['ELB_OTLP_EXPORT_CONCURRENCY']),
      DEFAULT_CONCURRENCY,
      1,
      MAX_CONCURRENCY,
    ),
    maxRetryTimeMs:
      retrySetting === undefined ? DEFAULT_MAX_RETRY_TIME_MS : parseDuration(retrySetting),
    ...(plainHttpWarning !== undefined && { plainHttpWarning }),
  };
}

/** The first of `names` that is set; empty values count as unset, as the OpenTelemetry rules say. */
function pick(env: Env, names: string[]): Setting | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return [name, value];
  }
  return undefined;
}

function endpoint(
  env: Env,
  override: string | undefined,
  signal: OtlpSignal,
): { url: string; urlSetting: string } {
  if (override !== undefined) {
    // A bare collector address gets the signal's path, as a base endpoint does.
    const url = checkedUrl('--endpoint', override);
    return {
      url: url.pathname.endsWith(`/v1/${signal}`) ? url.href : appendSignalPath(url, signal),
      urlSetting: '--endpoint',
    };
  }
  const specific = pick(env, [`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`]);
  if (specific !== undefined) {
    return { url: checkedUrl(...specific).href, urlSetting: specific[0] };
  }
  const base = pick(env, ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_ENDPOINT']);
  if (base !== undefined) {
    return { url: appendSignalPath(checkedUrl(...base), signal), urlSetting: base[0] };
  }
  throw new ExportConfigError(
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'no OTLP endpoint is set: give --endpoint, or set OTEL_EXPORTER_OTLP_ENDPOINT (for example http://localhost:4318)',
  );
}

function checkedUrl(setting: string, text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Without the cause: Node's URL error carries the whole text as its `input`.
    throw new ExportConfigError(setting, `not a URL: ${JSON.stringify(printableUrl(text))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ExportConfigError(
      setting,
      `expected an http:// or https:// URL, got ${url.protocol}`,
    );
  }
  if (url.username || url.password) {
    throw new ExportConfigError(
      setting,
      'credentials in the URL would be logged with it; pass them as a header instead',
    );
  }
  return url;
}

/** `http://collector:4318/prefix` → `http://collector:4318/prefix/v1/logs`. */
function appendSignalPath(url: URL, signal: OtlpSignal): string {
  const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  const result = new URL(url.href);
  result.pathname = `${path}v1/${signal}`;
  return result.href;
}

function oneOf<T extends string>(
  setting: Setting | undefined,
  allowed: readonly T[],
  fallback: T,
  grpcHint?: string,
): T {
  if (setting === undefined) return fallback;
  const value = setting[1].toLowerCase();
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const hint = value === 'grpc' && grpcHint !== undefined ? `${grpcHint}; ` : '';
  throw new ExportConfigError(
    setting[0],
    `${hint}expected one of ${allowed.join(', ')}, got ${JSON.stringify(setting[1])}`,
  );
}

function headers(
  env: Env,
  cli: string[],
  secret: HeaderSecret | undefined,
  SIGNAL: string,
): MergedHeaders {
  const lists = ['OTEL_EXPORTER_OTLP_HEADERS', `OTEL_EXPORTER_OTLP_${SIGNAL}_HEADERS`]
    .map((name) => pick(env, [name]))
    .filter((setting) => setting !== undefined);
  const seed = pick(env, ['OTEL_HEADERS']);
  return mergeHeaders({ ...(seed && { seed }), lists, ...(secret && { secret }), cli });
}

function timeout(env: Env, SIGNAL: string): number {
  const ms = pick(env, [`OTEL_EXPORTER_OTLP_${SIGNAL}_TIMEOUT`, 'OTEL_EXPORTER_OTLP_TIMEOUT']);
  if (ms !== undefined) return integer(ms, DEFAULT_TIMEOUT_MS, 0, 24 * 60 * 60 * 1000);
  const seconds = pick(env, ['REQUEST_TIMEOUT']);
  if (seconds === undefined) return DEFAULT_TIMEOUT_MS;
  const value = Number(seconds[1]);
  if (!Number.isFinite(value) || value < 0) {
    throw new ExportConfigError(
      seconds[0],
      `expected seconds (like 5 or 2.5), got ${JSON.stringify(seconds[1])}`,
    );
  }
  return Math.round(value * 1000);
}

/** `true` or `false`, in any case; a switch that guards secrets takes nothing vaguer. */
function boolean(setting: Setting | undefined, fallback: boolean): boolean {
  if (setting === undefined) return fallback;
  const value = setting[1].toLowerCase();
  if (value === 'true' || value === 'false') return value === 'true';
  throw new ExportConfigError(
    setting[0],
    `expected true or false, got ${JSON.stringify(setting[1])}`,
  );
}

function integer(setting: Setting | undefined, fallback: number, min: number, max: number): number {
  if (setting === undefined) return fallback;
  const [name, text] = setting;
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ExportConfigError(
      name,
      `expected a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `90s`, `2m`, `1h`; a bare number is seconds. */
export function parseDuration([name, text]: Setting): number {
  const match = DURATION.exec(text.trim());
  if (match === null) {
    throw new ExportConfigError(
      name,
      `expected a duration like 90s, 2m or 500ms, got ${JSON.stringify(text)}`,
    );
  }
  return Math.round(Number(match[1]) * UNIT_MS[match[2] ?? 's']);
}
