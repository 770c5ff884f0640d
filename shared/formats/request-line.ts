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

import type { AttributeSink } from '../otlp/model.ts';
import { type QueryRedactor, REDACTED } from '../otlp/redaction.ts';

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

const SLASH = 0x2f;
const QUESTION = 0x3f;

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
 * Maps a request line to OpenTelemetry HTTP and URL attributes, appending them to `out`.
 *
 * @example
 * mapRequestLine('GET https://example.com:443/a?b=1 HTTP/1.1', attrs, keepQuery);
 * // http.request.method=GET, url.full=https://example.com:443/a?b=1, url.scheme=https,
 * // url.path=/a, url.query=b=1, server.address=example.com, server.port=443,
 * // network.protocol.name=http, network.protocol.version=1.1
 */
export function mapRequestLine(request: string, out: AttributeSink, redact: QueryRedactor): void {
  const firstSpace = request.indexOf(' ');
  if (firstSpace <= 0) {
    out.string('aws.elb.request', request);
    return;
  }
  const method = request.slice(0, firstSpace);
  // Classic ELB TCP/SSL listeners log the request as `- - - `: no HTTP at all.
  if (method === '-' && /^[- ]*$/.test(request)) return;
  const lastSpace = request.lastIndexOf(' ');
  let url: string;
  let version: string | undefined;
  if (lastSpace > firstSpace) {
    const protocol = request.slice(lastSpace + 1);
    if (protocol.startsWith('HTTP/')) {
      url = request.slice(firstSpace + 1, lastSpace);
      version = protocolVersion(protocol);
    } else if (protocol === '-' || protocol === '') {
      url = request.slice(firstSpace + 1, lastSpace);
    } else {
      url = request.slice(firstSpace + 1);
    }
  } else {
    url = request.slice(firstSpace + 1);
  }

  if (method !== '-') {
    if (KNOWN_METHODS.has(method)) {
      out.string('http.request.method', method);
    } else {
      out.string('http.request.method', '_OTHER');
      out.string('http.request.method_original', method);
    }
  }
  mapUrl(url, out, redact);
  if (version !== undefined) {
    out.string('network.protocol.name', 'http');
    out.string('network.protocol.version', version);
  }
}

/** `HTTP/1.1` → `1.1`, `HTTP/2.0` → `2`, as the semantic conventions spell versions. */
function protocolVersion(protocol: string): string {
  if (protocol === 'HTTP/1.1') return '1.1';
  const version = protocol.slice(5);
  if (version === '2.0') return '2';
  if (version === '3.0') return '3';
  return version;
}

function mapUrl(url: string, out: AttributeSink, redact: QueryRedactor): void {
  if (url === '' || url === '-') return;
  const schemeEnd = url.indexOf('://');
  if (schemeEnd <= 0) {
    // Not absolute: keep what can be said about it without inventing an origin.
    mapPathAndQuery(url, 0, out, redact);
    return;
  }
  const authorityStart = schemeEnd + 3;
  let authorityEnd = authorityStart;
  while (authorityEnd < url.length) {
    const c = url.charCodeAt(authorityEnd);
    if (c === SLASH || c === QUESTION) break;
    authorityEnd++;
  }
  let authority = url.slice(authorityStart, authorityEnd);
  const at = authority.lastIndexOf('@');
  const hadCredentials = at !== -1;
  if (hadCredentials) authority = authority.slice(at + 1);

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

  const queryStart = url.indexOf('?', authorityEnd);
  const rawQuery = queryStart === -1 ? undefined : url.slice(queryStart + 1);
  const query = rawQuery === undefined ? undefined : redact(rawQuery);
  let full = url;
  if (hadCredentials || placeholder || query !== rawQuery) {
    const origin = `${url.slice(0, authorityStart)}${hadCredentials ? `${REDACTED}:${REDACTED}@` : ''}${placeholder ? authority.slice(0, -1) : authority}`;
    const path = url.slice(authorityEnd, queryStart === -1 ? url.length : queryStart);
    full = `${origin}${path}${query === undefined ? '' : `?${query}`}`;
  }
  out.string('url.full', full);
  out.string('url.scheme', url.slice(0, schemeEnd));
  pushPathAndQuery(url, authorityEnd, queryStart, query, out);
  if (host !== '') out.string('server.address', host);
  if (port >= 0) out.int('server.port', port);
}

function mapPathAndQuery(url: string, from: number, out: AttributeSink, redact: QueryRedactor) {
  const queryStart = url.indexOf('?', from);
  const query = queryStart === -1 ? undefined : redact(url.slice(queryStart + 1));
  pushPathAndQuery(url, from, queryStart, query, out);
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
