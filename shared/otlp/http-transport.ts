/**
 * One OTLP/HTTP attempt: POST a request body, classify the answer. Knows
 * nothing of retries; {@link createOtlpExporter} decides what to do with a
 * `retryable` outcome.
 *
 * Uses undici over keep-alive connections (one per request in flight).
 * TLS certificates are always verified.
 *
 * @see https://opentelemetry.io/docs/specs/otlp/#otlphttp-response
 */

import { Agent, request } from 'undici';
import packageJson from '../../package.json' with { type: 'json' };
import { ExportConfigError } from '../config/config-error.ts';
import { printableUrl, secretScrubber, urlSecretScrubber } from '../config/printable-url.ts';
import { ExportRejectedError } from './export-errors.ts';
import { readErrorMessage, readPartialSuccess } from './otlp-response.ts';

/** The OTLP limit on a response body a client parses; more is not a valid answer. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
/** Enough of an error body for its message. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** Idle keep-alive connections close after this; a run sends far more often. */
const KEEP_ALIVE_MS = 30_000;
const USER_AGENT = `elb-otlp/${packageJson.version}`;

/** Statuses OTLP says to retry. */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/** What one attempt came to. */
export type AttemptOutcome =
  | { status: 'success'; rejected: number; rejectionMessage?: string }
  | { status: 'retryable'; reason: string; retryAfterMs?: number }
  | {
      status: 'failure';
      error: ExportRejectedError | ExportConfigError;
      /** The receiver's status, when it answered one. */
      httpStatus?: number;
    };

export interface SendRequest {
  body: Uint8Array;
  contentType: string;
  /** `gzip`, `zstd`, or undefined for an uncompressed body. */
  contentEncoding?: string;
  /** Abandon the attempt after this long; `0` means no limit. */
  timeoutMs: number;
  /** The configured headers (authentication); the transport adds its own. */
  headers: Readonly<Record<string, string>>;
}

/** Sends one request body; never throws for what the network or receiver does. */
export interface OtlpTransport {
  send(request: SendRequest): Promise<AttemptOutcome>;
  close(): Promise<void>;
}

export interface HttpTransportOptions {
  url: string;
  /** Which setting gave the URL, named when the receiver says it is wrong. */
  urlSetting: string;
  /** The settings that gave the headers, named when the receiver refuses them. */
  headerSources: readonly string[];
  /** Connections kept open: the number of requests in flight at once. */
  connections: number;
  /** For `Retry-After` given as an HTTP date. */
  now: () => number;
}

/**
 * Words of a header value at least this long are scrubbed on their own too:
 * long enough for any key or token, short enough to keep `Bearer` or `Basic`.
 */
const MIN_SECRET_WORD = 8;

/** Creates the transport; close it to release its connections. */
export function createHttpTransport(options: HttpTransportOptions): OtlpTransport {
  const { url, now } = options;
  // Messages name the endpoint as it may be printed, and never repeat what
  // its query or userinfo hold, even where a receiver echoes the request.
  const where: Where = {
    shown: printableUrl(url),
    scrub: urlSecretScrubber(url),
    urlSetting: options.urlSetting,
    headerSources: options.headerSources,
  };
  const agent = new Agent({
    connections: options.connections,
    keepAliveTimeout: KEEP_ALIVE_MS,
    // Timeouts are per attempt, from the request's own signal.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  // Nor what the headers hold: a receiver may echo the key it refused.
  let scrubbedHeaders: Record<string, string> | undefined;
  let scrubbing = where;
  const whereFor = (headers: Record<string, string>): Where => {
    if (headers !== scrubbedHeaders) {
      scrubbedHeaders = headers;
      // Whole values, and their words long enough to be a key (`Bearer <token>` echoed as the token).
      const values = secretScrubber(
        Object.values(headers).flatMap((value) => [
          value,
          ...value.split(/[\s,;]+/).filter((word) => word.length >= MIN_SECRET_WORD),
        ]),
      );
      scrubbing = { ...where, scrub: (text) => values(where.scrub(text)) };
    }
    return scrubbing;
  };
  async function send(req: SendRequest): Promise<AttemptOutcome> {
    const here = whereFor(req.headers);
    const headers: Record<string, string> = {
      ...req.headers,
      'user-agent': USER_AGENT,
      'content-type': req.contentType,
    };
    if (req.contentEncoding !== undefined) headers['content-encoding'] = req.contentEncoding;
    const signal = req.timeoutMs > 0 ? AbortSignal.timeout(req.timeoutMs) : undefined;
    try {
      const response = await request(url, {
        method: 'POST',
        body: req.body,
        headers,
        dispatcher: agent,
        signal,
      });
      const status = response.statusCode;
      const contentType = String(response.headers['content-type'] ?? req.contentType);
      const body = await readCapped(
        response.body,
        status >= 200 && status < 300 ? MAX_RESPONSE_BYTES : MAX_ERROR_BODY_BYTES,
      );
      if (status >= 200 && status < 300) {
        const partial = readPartialSuccess(body, contentType);
        return partial?.message === undefined
          ? { status: 'success', rejected: partial?.rejected ?? 0 }
          : {
              status: 'success',
              rejected: partial.rejected,
              rejectionMessage: here.scrub(partial.message),
            };
      }
      const detail = readErrorMessage(body, contentType);
      const answered = here.scrub(
        `${where.shown} answered ${status}${detail === undefined ? '' : `: ${detail}`}`,
      );
      if (RETRYABLE_STATUSES.has(status)) {
        const retryAfterMs = parseRetryAfter(response.headers['retry-after'], now());
        return retryAfterMs === undefined
          ? { status: 'retryable', reason: answered }
          : { status: 'retryable', reason: answered, retryAfterMs };
      }
      return { status: 'failure', error: statusError(status, answered, here), httpStatus: status };
    } catch (error) {
      return classifyError(error, here, req.timeoutMs);
    }
  }

  return { send, close: () => agent.close() };
}

/** The endpoint and settings a message names. */
interface Where {
  /** The URL as it may be printed. */
  shown: string;
  /** Takes the URL's secrets (and the request's header values) out of any text. */
  scrub: (text: string) => string;
  urlSetting: string;
  headerSources: readonly string[];
}

/** An answer OTLP says not to retry, as the error that names what to fix. */
function statusError(
  status: number,
  answered: string,
  { urlSetting, headerSources }: Where,
): ExportRejectedError | ExportConfigError {
  if (status === 401 || status === 403) {
    // The setting whose headers won the merge; without any, where they belong.
    const setting = headerSources.at(-1) ?? 'OTEL_EXPORTER_OTLP_HEADERS';
    const check =
      headerSources.length === 0
        ? 'no headers are set: the receiver may want credentials in OTEL_EXPORTER_OTLP_HEADERS'
        : `check the authentication headers from ${headerSources.join(', ')}`;
    return new ExportConfigError(setting, `${answered} (${check})`);
  }
  if (status === 404 || status === 405 || (status >= 300 && status < 400)) {
    return new ExportConfigError(urlSetting, `${answered} (check the endpoint URL)`);
  }
  if (status === 415) {
    return new ExportConfigError(
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      `${answered} (the receiver does not take this protocol or compression)`,
    );
  }
  return new ExportRejectedError(answered, status);
}

/** Network errors that a later attempt may not meet. */
function classifyError(error: unknown, where: Where, timeoutMs: number): AttemptOutcome {
  const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code ?? '';
  const { shown: url, urlSetting } = where;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return { status: 'retryable', reason: `${url} did not answer within ${timeoutMs} ms` };
  }
  if (code.startsWith('ERR_TLS_') || /CERT|SELF_SIGNED|SSL/.test(code)) {
    return {
      status: 'failure',
      error: new ExportConfigError(
        urlSetting,
        `TLS with ${url} failed (${code}): the certificate is not trusted or does not match the host`,
        { cause: error },
      ),
    };
  }
  if (code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_URL') {
    return {
      status: 'failure',
      error: new ExportConfigError(urlSetting, where.scrub(`cannot send to ${url}: ${e.message}`), {
        cause: error,
      }),
    };
  }
  const what = code === '' ? (e?.message ?? String(error)) : `${code}: ${e?.message ?? ''}`.trim();
  return { status: 'retryable', reason: where.scrub(`${url} could not be reached (${what})`) };
}

/** Reads at most `cap` bytes of a response body, then lets the rest go. */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }, cap: number) {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of body) {
    if (size + part.length > cap) {
      parts.push(part.subarray(0, cap - size));
      size = cap;
      body.destroy();
      break;
    }
    parts.push(part);
    size += part.length;
  }
  return Buffer.concat(parts, size);
}

/**
 * `Retry-After` as delay-seconds or an HTTP date, in milliseconds from `nowMs`;
 * `undefined` when absent or unreadable.
 *
 * @example
 * parseRetryAfter('120', now); // 120000
 * parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT', Date.parse('Wed, 21 Oct 2026 07:27:00 GMT')); // 60000
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  nowMs: number,
): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date names a weekday and a month; anything else is not one.
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
