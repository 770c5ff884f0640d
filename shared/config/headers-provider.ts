/**
 * The headers each OTLP request carries, and how they are renewed. Headers
 * given in the environment or on a command line cannot change while a
 * process runs; headers read from a secret store can (a rotated API key), so
 * the exporter asks for them once per batch — a cached value, not a read —
 * and after a 401/403 asks for them to be read again.
 */

/** Request headers, names lowercased. */
export type Headers = Readonly<Record<string, string>>;

export interface HeadersProvider {
  /**
   * The setting a re-read reads again (`OTLP_HEADERS_SECRET_ARN`…);
   * undefined when the headers cannot change, so a refused request is not
   * worth repeating.
   */
  readonly renewable?: string;
  /** The headers to send now. */
  current(): Promise<Headers>;
  /**
   * The headers read again, bypassing any cache, after the receiver refused
   * `refused`. When they were read again since `refused` was handed out (by
   * another request in flight), answers those without another read.
   *
   * @throws what reading the store throws (ExportConfigError, ExportRetryableError).
   */
  refresh(refused: Headers): Promise<Headers>;
}

/** Headers that never change (the environment, `--header`). */
export function fixedHeaders(headers: Headers): HeadersProvider {
  return { current: async () => headers, refresh: async () => headers };
}

export interface RenewingHeadersOptions {
  /** The setting whose store is read, for messages and {@link HeadersProvider.renewable}. */
  setting: string;
  /** The headers read at start-up. */
  initial: Headers;
  /** Reads the store and merges its headers with the rest, as at start-up. */
  read: () => Promise<Headers>;
  /** Milliseconds since the epoch (injected: tests move it). */
  now: () => number;
  /** How long a value is used before {@link HeadersProvider.current} reads it again. */
  maxAgeMs: number;
  /** After a failed re-read, how long the last value is used before the next attempt. */
  retryMs: number;
  /** Told when a re-read after the max age failed and the last value is kept. */
  onStale?: (error: unknown) => void;
}

/**
 * Headers from a store, kept `maxAgeMs` and then read again. Reads are
 * shared: requests that find the value expired, or refused, at the same
 * time wait for one read.
 *
 * A re-read that fails when the value merely aged keeps the last value (the
 * receiver has not refused it, and a store that is briefly down should not
 * stop the export) and tries again `retryMs` later; a re-read asked for after
 * a refusal throws, since the last value is known to be bad.
 */
export function renewingHeaders(options: RenewingHeadersOptions): HeadersProvider {
  const { now, maxAgeMs } = options;
  let headers = options.initial;
  let expiresAt = now() + maxAgeMs;
  let reading: Promise<Headers> | undefined;
  let renewing: Promise<Headers> | undefined;

  function read(): Promise<Headers> {
    reading ??= options
      .read()
      .then((fresh) => {
        headers = fresh;
        expiresAt = now() + maxAgeMs;
        return fresh;
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  }

  return {
    renewable: options.setting,
    async current() {
      if (now() < expiresAt) return headers;
      renewing ??= read()
        .catch((error: unknown) => {
          expiresAt = now() + options.retryMs;
          options.onStale?.(error);
          return headers;
        })
        .finally(() => {
          renewing = undefined;
        });
      return renewing;
    },
    async refresh(refused) {
      if (refused !== headers) return headers;
      return read();
    },
  };
}
