/**
 * Redaction of sensitive query-string values and URL credentials, wherever a
 * URL appears in a record: `url.full`, `url.query`, the URL-valued fields
 * (`aws.elb.redirect_url`, `aws.elb.transformed_uri`), and the body, which is
 * the line itself (its request and URL fields as in the attributes; in a line
 * that could not be parsed, whatever looks like a query string).
 *
 * The HTTP semantic conventions ask instrumentations to replace the values of
 * signature and credential parameters with `REDACTED`; access logs of
 * presigned URLs and token-carrying links are full of them.
 *
 * @see https://opentelemetry.io/docs/specs/semconv/registry/attributes/url/
 */

import { splitUrl, type UrlParts } from './url-parts.ts';

export const REDACTED = 'REDACTED';

/**
 * Parameters whose values are replaced by default: the semantic conventions'
 * list plus the token and secret names that commonly travel in query strings.
 */
export const DEFAULT_REDACTED_QUERY_PARAMS: readonly string[] = [
  'AWSAccessKeyId',
  'Signature',
  'sig',
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
  'X-Goog-Signature',
  'token',
  'access_token',
  'id_token',
  'refresh_token',
  'client_secret',
  'api_key',
  'apikey',
  'password',
];

/** Rewrites a query string (without `?`), returning the same string when nothing matched. */
export type QueryRedactor = (query: string) => string;

/** A redactor that changes nothing. */
export const keepQuery: QueryRedactor = (query) => query;

/**
 * Builds a redactor for the given parameter names, matched case-insensitively
 * (over-redacting `Token` is safer than leaking it).
 *
 * @example
 * createQueryRedactor(['sig'])('a=1&sig=abc'); // 'a=1&sig=REDACTED'
 */
export function createQueryRedactor(names: readonly string[]): QueryRedactor {
  if (names.length === 0) return keepQuery;
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  const lengths = new Set(names.map((name) => name.length));
  const maxLength = Math.max(...lengths);
  return (query) => {
    let parts: string[] | undefined;
    let index = 0;
    let start = 0;
    // Walk the keys without allocating; only a key of a wanted length is compared.
    while (start <= query.length) {
      let end = query.indexOf('&', start);
      if (end === -1) end = query.length;
      const eq = query.indexOf('=', start);
      if (eq > start && eq < end - 1) {
        const length = eq - start;
        if (
          length <= maxLength * 3 &&
          (lengths.has(length) || hasEscape(query, start, eq)) &&
          wanted.has(decodeKey(query.slice(start, eq)).toLowerCase())
        ) {
          parts ??= query.split('&');
          parts[index] = `${query.slice(start, eq + 1)}${REDACTED}`;
        }
      }
      start = end + 1;
      index++;
    }
    return parts === undefined ? query : parts.join('&');
  };
}

/**
 * A URL with its credentials replaced by `REDACTED:REDACTED@` and its
 * sensitive query values by `REDACTED`; everything else as it was. The same
 * string when nothing was redacted.
 *
 * @example
 * redactUrl('https://u:p@h/a?token=x&b=1', createQueryRedactor(['token']));
 * // 'https://REDACTED:REDACTED@h/a?token=REDACTED&b=1'
 */
export function redactUrl(url: string, redact: QueryRedactor): string {
  if (url.indexOf('?') === -1 && url.indexOf('@') === -1) return url;
  const parts = splitUrl(url);
  const rawQuery = parts.queryStart === -1 ? undefined : url.slice(parts.queryStart + 1);
  const query = rawQuery === undefined ? undefined : redact(rawQuery);
  if (parts.credentialsEnd === -1 && query === rawQuery) return url;
  return withRedactedParts(url, parts, query);
}

/**
 * `url` (split into `parts`) as logged but for its credentials, which become
 * `REDACTED:REDACTED@`, and its query, which becomes `query` (already
 * redacted): what {@link redactUrl} gives once it knows something changed.
 */
export function withRedactedParts(url: string, parts: UrlParts, query: string | undefined): string {
  const pathEnd = parts.queryStart === -1 ? url.length : parts.queryStart;
  const origin =
    parts.credentialsEnd === -1
      ? url.slice(0, pathEnd)
      : `${url.slice(0, parts.authorityStart)}${REDACTED}:${REDACTED}@${url.slice(parts.credentialsEnd + 1, pathEnd)}`;
  return query === undefined ? origin : `${origin}?${query}`;
}

/**
 * Credentials in a URL's authority: a scheme and `://` (or a scheme-relative
 * `//`), and everything up to the authority's last `@`.
 */
const LOOSE_CREDENTIALS = /((?:[A-Za-z][A-Za-z0-9+.-]*:)?\/\/)[^\s"/?]*@/g;
/** A query string: from a `?` to the next space, double quote or the end. */
const LOOSE_QUERY = /\?([^\s"]*)/g;

/**
 * Redacts whatever looks like a URL's credentials or query string anywhere
 * in `text` (a line that could not be parsed, a parse error's reason): each
 * `?` starts a query that runs to the next space, double quote or the end.
 * The same string when nothing was redacted.
 *
 * @example
 * redactQueriesIn('junk "GET /x?token=abc HTTP/1.1" junk', createQueryRedactor(['token']));
 * // 'junk "GET /x?token=REDACTED HTTP/1.1" junk'
 */
export function redactQueriesIn(text: string, redact: QueryRedactor): string {
  let out = text;
  if (out.indexOf('@') !== -1) out = out.replace(LOOSE_CREDENTIALS, `$1${REDACTED}:${REDACTED}@`);
  if (out.indexOf('?') !== -1)
    out = out.replace(LOOSE_QUERY, (_, query: string) => `?${redact(query)}`);
  return out === text ? text : out;
}

/**
 * {@link createQueryRedactor} for a query string held as ASCII bytes
 * `[start, end)` (without `?`), for a byte-level encoder: it gives the same
 * bytes the string redactor gives, or declines.
 */
export interface ByteQueryRedactor {
  /**
   * The length of the redacted query, or -1 when a key has `%` or `+`
   * escapes (the string redactor decodes them; this one does not). Sets
   * {@link hits}.
   */
  measure(bytes: Uint8Array, start: number, end: number): number;
  /** How many values the last {@link measure} found to redact (0: the query stays as it is). */
  readonly hits: number;
  /** Writes the redacted query (as measured) into `out` at `at`; returns the position after it. */
  write(bytes: Uint8Array, start: number, end: number, out: Uint8Array, at: number): number;
}

const AMPERSAND = 0x26;
const EQUALS = 0x3d;
const REDACTED_BYTES = Buffer.from(REDACTED);

/** The byte redactor for the same names; `undefined` when nothing is redacted. */
export function createByteQueryRedactor(names: readonly string[]): ByteQueryRedactor | undefined {
  if (names.length === 0) return undefined;
  // As the string redactor, a key must have the length of a name as given and match one lowercased.
  const lengths = new Set(names.map((name) => name.length));
  const wanted = [...new Set(names.map((name) => name.toLowerCase()))]
    .filter((name) => lengths.has(name.length))
    .map((name) => Buffer.from(name));
  /** Where the value of the parameter at `[from, to)` starts if it is to be redacted; -1 if not; -2 to decline. */
  const redactedValue = (bytes: Uint8Array, from: number, to: number): number => {
    let escaped = false;
    for (let k = from; k < to; k++) {
      const c = bytes[k];
      if (c === EQUALS) {
        // As the string redactor: a key and a non-empty value, else the part is left alone.
        if (k === from || k === to - 1) return -1;
        if (escaped) return -2;
        return matchesName(wanted, bytes, from, k) ? k + 1 : -1;
      }
      if (c === 0x25 || c === 0x2b) escaped = true;
    }
    return -1;
  };
  let lastHits = 0;
  return {
    get hits() {
      return lastHits;
    },
    measure(bytes, start, end) {
      let length = end - start;
      let hits = 0;
      let from = start;
      while (from <= end) {
        let to = from;
        while (to < end && bytes[to] !== AMPERSAND) to++;
        const value = redactedValue(bytes, from, to);
        if (value === -2) return -1;
        if (value >= 0) {
          length += REDACTED_BYTES.length - (to - value);
          hits++;
        }
        from = to + 1;
      }
      lastHits = hits;
      return length;
    },
    write(bytes, start, end, out, at) {
      let from = start;
      while (from <= end) {
        let to = from;
        while (to < end && bytes[to] !== AMPERSAND) to++;
        const value = redactedValue(bytes, from, to);
        const copyEnd = value >= 0 ? value : to;
        for (let k = from; k < copyEnd; k++) out[at++] = bytes[k];
        if (value >= 0)
          for (let k = 0; k < REDACTED_BYTES.length; k++) out[at++] = REDACTED_BYTES[k];
        if (to < end) out[at++] = AMPERSAND;
        from = to + 1;
      }
      return at;
    },
  };
}

/** Whether `bytes[start, end)`, lowercased as ASCII, is one of `names`. */
function matchesName(names: readonly Buffer[], bytes: Uint8Array, start: number, end: number) {
  for (const name of names) {
    if (name.length !== end - start) continue;
    let k = 0;
    while (k < name.length) {
      const c = bytes[start + k];
      if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== name[k]) break;
      k++;
    }
    if (k === name.length) return true;
  }
  return false;
}

function hasEscape(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 || c === 0x2b) return true;
  }
  return false;
}

function decodeKey(key: string): string {
  if (!key.includes('%') && !key.includes('+')) return key;
  try {
    return decodeURIComponent(key.replaceAll('+', ' '));
  } catch {
    return key;
  }
}
