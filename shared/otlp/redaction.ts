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
  const lowered = [...new Set(names.map((name) => name.toLowerCase()))];
  const wanted = new Set(lowered);
  return (query) => {
    // Cheap pre-check: most queries hold none of the names.
    const lower = query.toLowerCase();
    let candidate = false;
    for (const name of lowered) {
      if (lower.includes(name)) {
        candidate = true;
        break;
      }
    }
    if (!candidate) return query;
    let changed = false;
    const parts = query.split('&');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      const eq = part.indexOf('=');
      if (eq <= 0 || eq === part.length - 1) continue;
      if (wanted.has(decodeKey(part.slice(0, eq)).toLowerCase())) {
        parts[i] = `${part.slice(0, eq + 1)}${REDACTED}`;
        changed = true;
      }
    }
    return changed ? parts.join('&') : query;
  };
}

function decodeKey(key: string): string {
  if (!key.includes('%') && !key.includes('+')) return key;
  try {
    return decodeURIComponent(key.replaceAll('+', ' '));
  } catch {
    return key;
  }
}
