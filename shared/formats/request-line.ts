/**
 * The `"request"` field of ALB and Classic ELB access logs:
 * `METHOD scheme://host:port/uri HTTP/x.y`, logged "as is".
 *
 * Real logs bend that shape: URIs with unencoded spaces (`SpaceInUri`),
 * malformed requests logged as `- http://host:80- -` (the `-` after the port
 * stands for the missing URI), a missing version with a trailing space, and any
 * method token a client sent. Nothing here throws: a request that cannot be
 * split is kept whole in `aws.elb.request`.
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html#access-log-entry-syntax
 */

import type { AttributeSink } from '../records/model.ts';
import {
  type QueryRedactor,
  REDACTED,
  redactQueriesIn,
  withRedactedParts,
} from '../records/redaction.ts';
import { splitUrl } from '../records/url-parts.ts';

/** Methods the HTTP semantic conventions know; any other is reported as `_OTHER`. */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'QUERY',
  'TRACE',
]);

/** Attribute names this module writes, in the order it writes them. */
export const REQUEST_ATTRIBUTES = [
  'http.request.method',
  'http.request.method_original',
  'url.full',
  'url.scheme',
  'url.path',
  'url.query',
  'server.address',
  'server.port',
  'network.protocol.name',
  'network.protocol.version',
] as const;

/**
 * Maps a request line to OpenTelemetry HTTP and URL attributes, appending
 * them to `out`. Returns the request line as the record's body holds it when
 * something was redacted from its URL (credentials, sensitive query values;
 * the rest as logged), else `undefined`.
 *
 * @example
 * mapRequestLine('GET https://example.com:443/a?b=1 HTTP/1.1', attrs, keepQuery);
 * // http.request.method=GET, url.full=https://example.com:443/a?b=1, url.scheme=https,
 * // url.path=/a, url.query=b=1, server.address=example.com, server.port=443,
 * // network.protocol.name=http, network.protocol.version=1.1
 */
export function mapRequestLine(
  request: string,
  out: AttributeSink,
  redact: QueryRedactor,
): string | undefined {
  const firstSpace = request.indexOf(' ');
  if (firstSpace <= 0) {
    const kept = redactQueriesIn(request, redact);
    out.string('aws.elb.request', kept);
    return kept === request ? undefined : kept;
  }
  const loggedMethod = request.slice(0, firstSpace);
  // Classic ELB TCP/SSL listeners log the request as `- - - `: no HTTP at all.
  if (loggedMethod === '-' && /^[- ]*$/.test(request)) return undefined;
  const urlEnd = requestUrlEnd(request, firstSpace);
  const url = request.slice(firstSpace + 1, urlEnd);
  // A query string or credentials outside the URL (a client's odd method or version): redacted too.
  const method = redactQueriesIn(loggedMethod, redact);
  const loggedTail = request.slice(urlEnd);
  const tail = redactQueriesIn(loggedTail, redact);
  const version = tail === '' ? undefined : httpVersion(tail.slice(1));

  if (method !== '-') {
    if (KNOWN_METHODS.has(method)) {
      out.string('http.request.method', method);
    } else {
      out.string('http.request.method', '_OTHER');
      out.string('http.request.method_original', method);
    }
  }
  const kept = mapUrl(url, out, redact);
  if (version !== undefined) {
    out.string('network.protocol.name', 'http');
    out.string('network.protocol.version', version);
  }
  if (kept === undefined && method === loggedMethod && tail === loggedTail) return undefined;
  return `${method} ${kept ?? url}${tail}`;
}

/**
 * Where the URL of a request line ends: at its last space when a version
 * (`HTTP/…`) or a placeholder (`-`, nothing) follows, else at the end.
 */
function requestUrlEnd(request: string, firstSpace: number): number {
  const lastSpace = request.lastIndexOf(' ');
  if (lastSpace > firstSpace) {
    const protocol = request.slice(lastSpace + 1);
    if (protocol.startsWith('HTTP/') || protocol === '-' || protocol === '') return lastSpace;
  }
  return request.length;
}

/** `HTTP/1.1` → `1.1`, `HTTP/2.0` → `2`, as the semantic conventions spell versions; `undefined` for no version. */
function httpVersion(protocol: string): string | undefined {
  if (!protocol.startsWith('HTTP/')) return undefined;
  if (protocol === 'HTTP/1.1') return '1.1';
  const version = protocol.slice(5);
  if (version === '2.0') return '2';
  if (version === '3.0') return '3';
  return version;
}

/**
 * Maps an absolute or relative URL. Returns it as `redactUrl` gives it when
 * something was redacted (credentials, sensitive query values; the rest as
 * logged), else `undefined`.
 */
function mapUrl(url: string, out: AttributeSink, redact: QueryRedactor): string | undefined {
  if (url === '' || url === '-') return undefined;
  const parts = splitUrl(url);
  const rawQuery = parts.queryStart === -1 ? undefined : url.slice(parts.queryStart + 1);
  const query = rawQuery === undefined ? undefined : redact(rawQuery);
  if (parts.schemeEnd === -1) {
    // Not absolute: keep what can be said about it without inventing an origin.
    pushPathAndQuery(url, 0, parts.queryStart, query, out);
    return query === rawQuery ? undefined : withRedactedParts(url, parts, query);
  }
  const { schemeEnd, authorityStart, authorityEnd, credentialsEnd, queryStart } = parts;
  const hadCredentials = credentialsEnd !== -1;
  const authority = url.slice(hadCredentials ? credentialsEnd + 1 : authorityStart, authorityEnd);

  let host = authority;
  let port = -1;
  let placeholder = false;
  const colon =
    authority.charCodeAt(0) === 0x5b
      ? authority.indexOf(':', authority.indexOf(']'))
      : authority.lastIndexOf(':');
  if (colon !== -1) {
    let end = colon + 1;
    let value = 0;
    while (end < authority.length) {
      const c = authority.charCodeAt(end);
      if (c < 0x30 || c > 0x39) break;
      value = value * 10 + (c - 0x30);
      end++;
    }
    if (end > colon + 1 && end - colon <= 6) {
      host = authority.slice(0, colon);
      port = value;
      // `http://host:80-` is how ALB writes a request whose URI it could not read.
      placeholder = end === authority.length - 1 && authority.charCodeAt(end) === 0x2d;
    }
  }
  if (host.charCodeAt(0) === 0x5b && host.charCodeAt(host.length - 1) === 0x5d) {
    host = host.slice(1, -1);
  }

  const redacted = hadCredentials || query !== rawQuery;
  let full = url;
  if (redacted || placeholder) {
    const origin = `${url.slice(0, authorityStart)}${hadCredentials ? `${REDACTED}:${REDACTED}@` : ''}${placeholder ? authority.slice(0, -1) : authority}`;
    const path = url.slice(authorityEnd, queryStart === -1 ? url.length : queryStart);
    full = `${origin}${path}${query === undefined ? '' : `?${query}`}`;
  }
  out.string('url.full', full);
  out.string('url.scheme', url.slice(0, schemeEnd));
  pushPathAndQuery(url, authorityEnd, queryStart, query, out);
  if (host !== '') out.string('server.address', host);
  if (port >= 0) out.int('server.port', port);
  // As logged but for what was redacted: the placeholder `-` of an unread URI stays.
  return redacted ? withRedactedParts(url, parts, query) : undefined;
}

function pushPathAndQuery(
  url: string,
  pathStart: number,
  queryStart: number,
  query: string | undefined,
  out: AttributeSink,
): void {
  const pathEnd = queryStart === -1 ? url.length : queryStart;
  if (pathEnd > pathStart) {
    out.string('url.path', url.slice(pathStart, pathEnd));
  }
  if (query !== undefined && query !== '') {
    out.string('url.query', query);
  }
}
