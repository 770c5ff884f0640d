/**
 * Redaction of sensitive query-string values in `url.full` and `url.query`.
 *
 * The HTTP semantic conventions ask instrumentations to replace the values of
 * signature and credential parameters with `REDACTED`; access logs of
 * presigned URLs and token-carrying links are full of them.
 *
 * @see https://opentelemetry.io/docs/specs/semconv/registry/attributes/url/
 */

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
