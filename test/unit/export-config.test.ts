import { describe, expect, it } from 'vitest';
import { ExportConfigError } from '../../shared/config/config-error.ts';
import {
  DEFAULT_MAX_RETRY_TIME_MS,
  DEFAULT_TIMEOUT_MS,
  loadExportConfig,
} from '../../shared/config/export-config.ts';
import { parseRetryAfter } from '../../shared/otlp/http-transport.ts';

const BASE = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
/** Headers go to another host over HTTPS only. */
const TLS = { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:4318' };

describe('loadExportConfig', () => {
  it.each([
    ['appends v1/logs to a base endpoint', BASE, 'http://collector:4318/v1/logs'],
    [
      'keeps a base endpoint’s path',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://gw.example.com/otlp/' },
      'https://gw.example.com/otlp/v1/logs',
    ],
    [
      'uses the logs endpoint as is, over the base one',
      { ...BASE, OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://other:9999/custom/logs' },
      'http://other:9999/custom/logs',
    ],
    [
      'accepts the seed guide’s OTEL_ENDPOINT as a base endpoint',
      { OTEL_ENDPOINT: 'http://old:4318' },
      'http://old:4318/v1/logs',
    ],
    [
      'treats an empty variable as unset',
      { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: ' ', ...BASE },
      'http://collector:4318/v1/logs',
    ],
  ])('%s', (_name, env, url) => {
    expect(loadExportConfig(env).url).toBe(url);
  });

  it.each([
    ['a bare address', 'http://127.0.0.1:4318', 'http://127.0.0.1:4318/v1/logs'],
    ['a full logs URL', 'http://127.0.0.1:4318/v1/logs', 'http://127.0.0.1:4318/v1/logs'],
  ])('takes --endpoint as %s', (_name, endpoint, url) => {
    const config = loadExportConfig(BASE, { endpoint });
    expect(config.url).toBe(url);
    expect(config.urlSetting).toBe('--endpoint');
  });

  it('has the documented defaults', () => {
    expect(loadExportConfig(BASE)).toMatchObject({
      protocol: 'http/protobuf',
      compression: 'gzip',
      headers: {},
      timeoutMs: DEFAULT_TIMEOUT_MS,
      maxBatchRecords: 8192,
      maxBatchBytes: 4 * 1024 * 1024,
      concurrency: 4,
      maxRetryTimeMs: DEFAULT_MAX_RETRY_TIME_MS,
    });
  });

  it('merges headers: seed JSON, then the generic list, then the logs list, then --header', () => {
    const config = loadExportConfig(
      {
        ...TLS,
        OTEL_HEADERS: '{"X-Seed": "s", "Authorization": "seed"}',
        OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Basic%20abc%3D,x-team=edge',
        OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'x-team=logs',
      },
      { headers: ['x-cli=1=2'] },
    );
    expect(config.headers).toEqual({
      'x-seed': 's',
      authorization: 'Basic abc=',
      'x-team': 'logs',
      'x-cli': '1=2',
    });
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_TIMEOUT', { OTEL_EXPORTER_OTLP_TIMEOUT: '2500' }, 2500],
    [
      'the logs timeout over the generic one',
      { OTEL_EXPORTER_OTLP_TIMEOUT: '2500', OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '700' },
      700,
    ],
    ['the seed’s REQUEST_TIMEOUT in seconds', { REQUEST_TIMEOUT: '2.5' }, 2500],
    ['0 for no per-attempt limit', { OTEL_EXPORTER_OTLP_TIMEOUT: '0' }, 0],
  ])('reads the timeout from %s', (_name, env, timeoutMs) => {
    expect(loadExportConfig({ ...BASE, ...env }).timeoutMs).toBe(timeoutMs);
  });

  it.each([
    ['BATCH_SIZE (the seed’s name)', { BATCH_SIZE: '100' }, { maxBatchRecords: 100 }],
    ['ELB_OTLP_MAX_BATCH_BYTES', { ELB_OTLP_MAX_BATCH_BYTES: '65536' }, { maxBatchBytes: 65536 }],
    ['ELB_OTLP_EXPORT_CONCURRENCY', { ELB_OTLP_EXPORT_CONCURRENCY: '8' }, { concurrency: 8 }],
    [
      'ELB_OTLP_MAX_RETRY_TIME in minutes',
      { ELB_OTLP_MAX_RETRY_TIME: '5m' },
      { maxRetryTimeMs: 300_000 },
    ],
    [
      'ELB_OTLP_MAX_RETRY_TIME as bare seconds',
      { ELB_OTLP_MAX_RETRY_TIME: '45' },
      { maxRetryTimeMs: 45_000 },
    ],
    [
      'protocol in any case',
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'HTTP/JSON' },
      { protocol: 'http/json' },
    ],
    ['zstd compression', { OTEL_EXPORTER_OTLP_LOGS_COMPRESSION: 'zstd' }, { compression: 'zstd' }],
  ])('reads %s', (_name, env, expected) => {
    expect(loadExportConfig({ ...BASE, ...env })).toMatchObject(expected);
  });

  it('lets command-line options win over the environment', () => {
    const config = loadExportConfig(
      { ...BASE, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_COMPRESSION: 'none' },
      { protocol: 'http/protobuf', compression: 'zstd', maxRetryTime: '500ms' },
    );
    expect(config).toMatchObject({
      protocol: 'http/protobuf',
      compression: 'zstd',
      maxRetryTimeMs: 500,
    });
  });

  it.each([
    ['no endpoint at all', {}, {}, 'OTEL_EXPORTER_OTLP_ENDPOINT', /no OTLP endpoint is set/],
    [
      'an endpoint that is not a URL',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318x' },
      {},
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      /http:\/\/ or https:\/\//,
    ],
    [
      'a logs endpoint that is not a URL',
      { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'nope' },
      {},
      'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT',
      /not a URL/,
    ],
    [
      'credentials in the endpoint',
      {},
      { endpoint: 'http://user:secret@h:4318' },
      '--endpoint',
      /pass them as a header/,
    ],
    [
      'grpc',
      { ...BASE, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      {},
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      /grpc is not supported/,
    ],
    [
      'an unknown compression',
      { ...BASE },
      { compression: 'brotli' },
      '--compression',
      /gzip, zstd, none/,
    ],
    [
      'headers without =',
      { ...BASE, OTEL_EXPORTER_OTLP_HEADERS: 'api-key' },
      {},
      'OTEL_EXPORTER_OTLP_HEADERS',
      /pair 1: expected NAME=VALUE \(value not shown\)/,
    ],
    [
      'bad percent-encoding in headers',
      { ...BASE, OTEL_EXPORTER_OTLP_HEADERS: 'k=%zz' },
      {},
      'OTEL_EXPORTER_OTLP_HEADERS',
      /percent-encoding/,
    ],
    [
      'a header name with a space',
      { ...BASE },
      { headers: ['bad name=1'] },
      '--header',
      /not a valid header name/,
    ],
    [
      'seed headers that are not JSON',
      { ...BASE, OTEL_HEADERS: 'k=v' },
      {},
      'OTEL_HEADERS',
      /not valid JSON/,
    ],
    [
      'seed headers with a number value',
      { ...BASE, OTEL_HEADERS: '{"k": 1}' },
      {},
      'OTEL_HEADERS',
      /not a string/,
    ],
    [
      'a negative timeout',
      { ...BASE, OTEL_EXPORTER_OTLP_TIMEOUT: '-5' },
      {},
      'OTEL_EXPORTER_OTLP_TIMEOUT',
      /whole number/,
    ],
    ['a batch size of zero', { ...BASE, BATCH_SIZE: '0' }, {}, 'BATCH_SIZE', /from 1 to/],
    [
      'batches over the OTLP size cap',
      { ...BASE, ELB_OTLP_MAX_BATCH_BYTES: '100000000' },
      {},
      'ELB_OTLP_MAX_BATCH_BYTES',
      /to 67108864/,
    ],
    [
      'a retry time without a number',
      { ...BASE },
      { maxRetryTime: 'forever' },
      '--max-retry-time',
      /duration like 90s/,
    ],
  ])('refuses %s, naming the setting', (_name, env, overrides, setting, message) => {
    let caught: unknown;
    try {
      loadExportConfig(env as Record<string, string>, overrides);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ExportConfigError);
    expect((caught as ExportConfigError).name).toBe('ExportConfigError');
    expect((caught as ExportConfigError).setting).toBe(setting);
    expect((caught as Error).message).toMatch(message);
  });

  it('never puts a header value in an error message', () => {
    expect(() =>
      loadExportConfig({
        ...BASE,
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=secret-token\r\nx: y',
      }),
    ).toThrow(/^(?!.*secret-token).*line break/);
  });

  it.each<[string, Record<string, string>, string[], string, string]>([
    [
      'a --header with a colon instead of =',
      {},
      ['Authorization: Bearer s3cret'],
      '--header',
      '--header: expected NAME=VALUE, not NAME: VALUE (value not shown)',
    ],
    [
      'a --header whose token holds the only =',
      {},
      ['Authorization: Bearer s3cret=='],
      '--header',
      '--header: not a valid header name (letters, digits and -, no spaces or colons); expected NAME=VALUE (value not shown)',
    ],
    [
      'the second of several --header options',
      {},
      ['x-team=edge', 'Bearer s3cret'],
      '--header',
      '--header: --header 2: expected NAME=VALUE (value not shown)',
    ],
    [
      'a pair of a list without =',
      { OTEL_EXPORTER_OTLP_HEADERS: 'x-team=edge,Authorization: Bearer s3cret' },
      [],
      'OTEL_EXPORTER_OTLP_HEADERS',
      'OTEL_EXPORTER_OTLP_HEADERS: pair 2: expected NAME=VALUE, not NAME: VALUE (value not shown)',
    ],
    [
      'a value with bad percent-encoding',
      { OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'authorization=s3cret%zz' },
      [],
      'OTEL_EXPORTER_OTLP_LOGS_HEADERS',
      'OTEL_EXPORTER_OTLP_LOGS_HEADERS: bad percent-encoding in the value of header "authorization" (value not shown)',
    ],
    [
      'seed headers that are not JSON',
      { OTEL_HEADERS: '{"Authorization": Bearer s3cret}' },
      [],
      'OTEL_HEADERS',
      'OTEL_HEADERS: is not valid JSON (expected {"NAME": "VALUE", …}; value not shown)',
    ],
    [
      'a seed header whose name is a whole header line',
      { OTEL_HEADERS: '{"Authorization: Bearer s3cret": ""}' },
      [],
      'OTEL_HEADERS',
      'OTEL_HEADERS: header 1: not a valid header name (letters, digits and -, no spaces or colons); expected NAME=VALUE (value not shown)',
    ],
  ])('names the setting but never echoes %s', (_name, env, headers, setting, message) => {
    let caught: unknown;
    try {
      loadExportConfig({ ...BASE, ...env }, { headers });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ExportConfigError);
    expect((caught as ExportConfigError).setting).toBe(setting);
    expect((caught as Error).message).toBe(message);
    // Not even in the cause, which a logger may print.
    expect(String((caught as Error).cause ?? '')).not.toContain('s3cret');
  });

  it.each([
    [
      'not a URL',
      'collector.example.com:4318/v1/logs?api_key=s3cret',
      'OTEL_EXPORTER_OTLP_ENDPOINT: expected an http:// or https:// URL, got collector.example.com:',
    ],
    [
      'a URL with a space in its host',
      'https://user:s3cret@collector example.com/v1/logs?api_key=s3cret#s3cret',
      'OTEL_EXPORTER_OTLP_ENDPOINT: not a URL: "https://REDACTED@collector example.com/v1/logs?api_key=REDACTED"',
    ],
  ])('names an endpoint that is %s without its secrets', (_name, endpoint, message) => {
    let caught: unknown;
    try {
      loadExportConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).message).toBe(message);
    expect((caught as Error).cause).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-25T10:00:00Z');
  it.each([
    ['delay seconds', '7', 7000],
    ['zero seconds', '0', 0],
    ['an HTTP date in the future', 'Wed, 25 Nov 2026 10:01:30 GMT', 90_000],
    ['an HTTP date in the past', 'Wed, 25 Nov 2026 09:00:00 GMT', 0],
    ['nothing', undefined, undefined],
    ['garbage', 'soon', undefined],
    ['a negative number', '-3', undefined],
  ])('reads %s', (_name, value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
});
