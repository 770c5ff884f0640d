import { describe, expect, it } from 'vitest';
import { ExportConfigError } from '../../shared/config/config-error.ts';
import { type ExportOverrides, loadExportConfig } from '../../shared/config/export-config.ts';
import { isLoopbackHost } from '../../shared/config/plain-http.ts';

const REMOTE = 'http://collector.example.com:4318';
const SECRET = { setting: 'OTLP_HEADERS_SECRET_ARN', text: 'authorization=Bearer s3cret' };

describe('plain http:// with headers', () => {
  it.each<[string, Record<string, string>, ExportOverrides, 'logs' | 'metrics', string]>([
    [
      'OTEL_EXPORTER_OTLP_HEADERS',
      { OTEL_EXPORTER_OTLP_ENDPOINT: REMOTE, OTEL_EXPORTER_OTLP_HEADERS: 'api-key=s3cret' },
      {},
      'logs',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
    ],
    [
      'OTEL_EXPORTER_OTLP_LOGS_HEADERS',
      {
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${REMOTE}/v1/logs?api_key=s3cret`,
        OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'api-key=s3cret',
      },
      {},
      'logs',
      'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT',
    ],
    [
      'OTEL_EXPORTER_OTLP_METRICS_HEADERS',
      { OTEL_ENDPOINT: REMOTE, OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'api-key=s3cret' },
      {},
      'metrics',
      'OTEL_ENDPOINT',
    ],
    [
      'OTEL_HEADERS (the seed guide’s)',
      { OTEL_EXPORTER_OTLP_ENDPOINT: REMOTE, OTEL_HEADERS: '{"api-key": "s3cret"}' },
      {},
      'logs',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
    ],
    ['--header', {}, { endpoint: REMOTE, headers: ['api-key=s3cret'] }, 'logs', '--endpoint'],
    [
      'OTLP_HEADERS_SECRET_ARN',
      { OTEL_EXPORTER_OTLP_ENDPOINT: REMOTE, ELB_OTLP_ALLOW_INSECURE: 'false' },
      { secretHeaders: SECRET },
      'metrics',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
    ],
  ])(
    'is refused to another host with headers from %s, naming the URL’s setting',
    (source, env, overrides, signal, setting) => {
      let caught: unknown;
      try {
        loadExportConfig(env, overrides, signal);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ExportConfigError);
      expect((caught as ExportConfigError).setting).toBe(setting);
      const message = (caught as Error).message;
      expect(message).toContain(`${setting}: ${REMOTE}/v1/`);
      expect(message).toContain(`the headers from ${source.split(' ')[0]} would cross`);
      expect(message).toContain('use https://, or set ELB_OTLP_ALLOW_INSECURE=true');
      expect(message).not.toContain('s3cret');
    },
  );

  it('is allowed with ELB_OTLP_ALLOW_INSECURE=true, with a warning naming the headers', () => {
    const config = loadExportConfig(
      { OTEL_EXPORTER_OTLP_HEADERS: 'api-key=s3cret', ELB_OTLP_ALLOW_INSECURE: 'TRUE' },
      { endpoint: REMOTE, secretHeaders: SECRET },
    );
    expect(config.headers).toEqual({ 'api-key': 's3cret', authorization: 'Bearer s3cret' });
    expect(config.plainHttpWarning).toBe(
      `--endpoint: ${REMOTE}/v1/logs is plain http://: records and the headers from OTEL_EXPORTER_OTLP_HEADERS, OTLP_HEADERS_SECRET_ARN cross the network unencrypted (ELB_OTLP_ALLOW_INSECURE=true allows it)`,
    );
  });

  it('refuses an ELB_OTLP_ALLOW_INSECURE that is neither true nor false', () => {
    expect(() =>
      loadExportConfig({ ELB_OTLP_ALLOW_INSECURE: 'yes' }, { endpoint: 'https://c.example.com' }),
    ).toThrow('ELB_OTLP_ALLOW_INSECURE: expected true or false, got "yes"');
  });
});

describe('plain http:// without headers', () => {
  it('is allowed to another host, with a warning that prints the URL without secrets', () => {
    const config = loadExportConfig({
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${REMOTE}/v1/logs?api_key=s3cret`,
    });
    expect(config.plainHttpWarning).toBe(
      `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: ${REMOTE}/v1/logs?api_key=REDACTED is plain http://: records cross the network unencrypted; use https://`,
    );
  });
});

describe('what needs no warning', () => {
  it.each([
    ['https:// with headers', 'https://collector.example.com:4318'],
    ['localhost', 'http://localhost:4318'],
    ['127.0.0.1', 'http://127.0.0.1:4318'],
    ['the rest of 127.0.0.0/8', 'http://127.10.20.30:4318'],
    ['127.1, which is 127.0.0.1', 'http://127.1:4318'],
    ['::1', 'http://[::1]:4318'],
    ['::1 written long', 'http://[0:0:0:0:0:0:0:1]:4318'],
  ])('%s, even with headers', (_name, endpoint) => {
    const config = loadExportConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key=s3cret' }, { endpoint });
    expect(config.plainHttpWarning).toBeUndefined();
    expect(config.headers).toEqual({ 'api-key': 's3cret' });
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['localhost', true],
    ['LOCALHOST', true],
    ['127.0.0.1', true],
    ['127.255.255.254', true],
    ['[::1]', true],
    ['::1', true],
    ['128.0.0.1', false],
    ['127.0.0.1.nip.io', false],
    ['localhost.example.com', false],
    ['10.0.0.1', false],
    ['[::2]', false],
    ['0.0.0.0', false],
  ])('%s: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});
