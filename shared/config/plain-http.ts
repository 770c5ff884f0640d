/**
 * Plain `http://` endpoints. Records and headers sent over plain HTTP cross
 * the network readable by anyone on the path, so headers (an API key, a
 * bearer token) go to another host only over HTTPS unless the deployment
 * says otherwise (`ELB_OTLP_ALLOW_INSECURE=true`, parameter `allowInsecure`);
 * records without headers may go, with a warning. Loopback never leaves the
 * machine: a Collector beside the shipper (a sidecar, `npm start`, tests)
 * needs no TLS.
 */

import { ExportConfigError } from './config-error.ts';
import { printableUrl } from './printable-url.ts';

/**
 * True for a host that is this machine: `localhost`, `127.0.0.0/8`, `::1`.
 * `hostname` is a URL's, already normalised (`127.1` → `127.0.0.1`,
 * `[0:0::1]` → `[::1]`).
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return (
    host === 'localhost' ||
    host === '[::1]' ||
    host === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}

export interface EndpointSecurity {
  url: string;
  /** The setting that gave {@link url}. */
  urlSetting: string;
  /** The settings that gave headers; empty when none are sent. */
  headerSources: readonly string[];
  /** `ELB_OTLP_ALLOW_INSECURE=true`. */
  allowInsecure: boolean;
}

/**
 * Checks an endpoint's scheme against the headers sent to it.
 *
 * @returns a warning to print once (plain HTTP to another host), or
 *   `undefined` for HTTPS and loopback.
 * @throws ExportConfigError naming the URL's setting when headers would go
 *   over plain HTTP to another host and that was not allowed.
 */
export function checkPlainHttp(endpoint: EndpointSecurity): string | undefined {
  const url = new URL(endpoint.url);
  if (url.protocol !== 'http:' || isLoopbackHost(url.hostname)) return undefined;
  const shown = printableUrl(url);
  const sources = endpoint.headerSources.join(', ');
  if (endpoint.headerSources.length === 0) {
    return `${endpoint.urlSetting}: ${shown} is plain http://: records cross the network unencrypted; use https://`;
  }
  if (!endpoint.allowInsecure) {
    throw new ExportConfigError(
      endpoint.urlSetting,
      `${shown} is plain http:// to another host, and the headers from ${sources} would cross the network unencrypted: use https://, or set ELB_OTLP_ALLOW_INSECURE=true (deployment parameter allowInsecure) to send them anyway`,
    );
  }
  return `${endpoint.urlSetting}: ${shown} is plain http://: records and the headers from ${sources} cross the network unencrypted (ELB_OTLP_ALLOW_INSECURE=true allows it)`;
}
