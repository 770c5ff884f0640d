/**
 * Deterministic, realistic ALB access-log lines for benchmarks, tests and the
 * demo: a mix of methods, statuses, paths with query strings, TLS and plain
 * listeners, Lambda targets, redirects and WAF blocks, in the current 33-field
 * layout with the node IP and pre-release `"-"` that 2026 objects carry.
 */

/** Small, fast, seedable PRNG (mulberry32): the same seed gives the same lines. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const METHODS = ['GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'];
const PATHS = [
  '/',
  '/api/v1/orders',
  '/api/v1/orders/8843',
  '/static/app.3f9c2d.js',
  '/login',
  '/search',
  '/health',
  '/images/banner%20large.png',
];
const QUERIES = [
  '',
  '',
  '',
  '?page=2&limit=50',
  '?q=load+balancer',
  '?token=abc123&lang=en',
  '?X-Amz-Signature=0a1b2c&X-Amz-Expires=300',
];
const STATUSES = [
  200, 200, 200, 200, 200, 201, 204, 301, 302, 304, 400, 403, 404, 404, 500, 502, 503, 504,
];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'curl/8.11.1',
  'okhttp/4.12.0',
  'python-requests/2.32.3',
];

export interface AlbLineOptions {
  /** PRNG seed. */
  seed: number;
  /** Load balancer name; its id is derived from it. */
  loadBalancer?: string;
  /** Epoch milliseconds of the first line; lines advance a few ms each. */
  startMs?: number;
}

function hex(random: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}

function seconds(random: () => number): string {
  return (random() * 0.2).toFixed(3);
}

/** Yields `count` lines. */
export function* generateAlbLines(count: number, options: AlbLineOptions): Generator<string> {
  const random = createRandom(options.seed);
  const name = options.loadBalancer ?? 'my-loadbalancer';
  const elb = `app/${name}/50dc6c495c0c9188`;
  let ms = options.startMs ?? Date.UTC(2026, 10, 1, 0, 0, 0);
  for (let i = 0; i < count; i++) {
    ms += Math.floor(random() * 5);
    const micros = Math.floor(random() * 1000);
    const time = `${new Date(ms).toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
    const created = `${new Date(ms - 40).toISOString().slice(0, 23)}000Z`;
    const tls = random() < 0.7;
    const status = STATUSES[Math.floor(random() * STATUSES.length)];
    const lambda = random() < 0.05;
    const waf = !lambda && random() < 0.02;
    const method = METHODS[Math.floor(random() * METHODS.length)];
    const path =
      PATHS[Math.floor(random() * PATHS.length)] + QUERIES[Math.floor(random() * QUERIES.length)];
    const client = `${Math.floor(random() * 223) + 1}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}:${Math.floor(random() * 60000) + 1024}`;
    const target =
      lambda || waf
        ? '-'
        : `10.0.${Math.floor(random() * 4)}.${Math.floor(random() * 250) + 2}:8080`;
    const elbStatus = waf ? 403 : status;
    const targetStatus = lambda || waf ? '-' : String(status);
    const host = tls ? 'www.example.com:443' : 'www.example.com:80';
    const scheme = tls ? 'https' : 'http';
    const actions = waf ? 'waf' : status === 301 || status === 302 ? 'redirect' : 'forward';
    const redirect = actions === 'redirect' ? `"https://www.example.com:443${path}"` : '"-"';
    const trace = `Root=1-${Math.floor(ms / 1000).toString(16)}-${hex(random, 24)}`;
    const agent = AGENTS[Math.floor(random() * AGENTS.length)];
    yield [
      tls ? (random() < 0.3 ? 'h2' : 'https') : 'http',
      time,
      elb,
      client,
      target,
      waf ? '-1' : seconds(random),
      waf ? '-1' : seconds(random),
      waf ? '-1' : seconds(random),
      elbStatus,
      targetStatus,
      Math.floor(random() * 2000) + 100,
      Math.floor(random() * 60000) + 200,
      `"${method} ${scheme}://${host}${path} ${tls && random() < 0.3 ? 'HTTP/2.0' : 'HTTP/1.1'}"`,
      `"${agent}"`,
      tls ? 'ECDHE-RSA-AES128-GCM-SHA256' : '-',
      tls ? 'TLSv1.2' : '-',
      waf
        ? '-'
        : 'arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067',
      `"${trace}"`,
      tls ? '"www.example.com"' : '"-"',
      tls
        ? '"arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012"'
        : '"-"',
      Math.floor(random() * 10),
      created,
      `"${actions}"`,
      redirect,
      lambda && status >= 500 ? '"LambdaUnhandled"' : '"-"',
      target === '-' ? '"-"' : `"${target}"`,
      target === '-' ? '"-"' : `"${targetStatus}"`,
      '"-"',
      '"-"',
      `TID_${hex(random, 32)}`,
      '"-"',
      '"-"',
      '"-"',
      '10.0.0.1',
      '"-"',
      '"-"',
    ].join(' ');
  }
}

const TLS_CHOICES: [protocol: string, cipher: string, keyExchange: string][] = [
  ['TLSv1.3', 'TLS_AES_128_GCM_SHA256', 'x25519'],
  ['TLSv1.3', 'TLS_AES_256_GCM_SHA384', 'x25519'],
  ['TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256', 'secp256r1'],
];
const VERIFY_FAILURES = ['Failed:ClientCertUntrusted', 'Failed:ClientCertExpired'];

/**
 * Yields `count` ALB connection-log lines in the current 15-field layout
 * (mutual TLS verify mode: about one in ten clients present a certificate,
 * a few of which fail verification).
 */
export function* generateAlbConnectionLines(
  count: number,
  options: AlbLineOptions,
): Generator<string> {
  const random = createRandom(options.seed);
  const name = options.loadBalancer ?? 'my-loadbalancer';
  const elb = `app/${name}/50dc6c495c0c9188`;
  let ms = options.startMs ?? Date.UTC(2026, 10, 1, 0, 0, 0);
  for (let i = 0; i < count; i++) {
    ms += Math.floor(random() * 5);
    const micros = Math.floor(random() * 1000);
    const time = `${new Date(ms).toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
    const [protocol, cipher, keyExchange] = TLS_CHOICES[Math.floor(random() * TLS_CHOICES.length)];
    const withCert = random() < 0.1;
    const verify = !withCert
      ? 'Success'
      : random() < 0.2
        ? VERIFY_FAILURES[Math.floor(random() * VERIFY_FAILURES.length)]
        : 'Success';
    yield [
      time,
      `${Math.floor(random() * 223) + 1}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`,
      Math.floor(random() * 60000) + 1024,
      443,
      protocol,
      cipher,
      verify === 'Success' ? (random() * 0.05).toFixed(3) : '-',
      withCert ? `"CN=client-${Math.floor(random() * 100)}.example.com,O=Example,C=US"` : '-',
      withCert ? 'NotBefore=2026-01-01T00:00:00Z;NotAfter=2027-01-01T00:00:00Z' : '-',
      withCert ? hex(random, 16).toUpperCase() : '-',
      verify,
      `TID_${hex(random, 32)}`,
      keyExchange,
      elb,
      '10.0.0.1',
    ].join(' ');
  }
}
