import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { runCli } from '../helpers/cli.ts';
import { lineCount, NOT_A_LOG } from '../helpers/not-a-log.ts';
import { type Fault, type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { parseObject } from '../helpers/records.ts';
import { inLineOrder, uids } from '../helpers/ship.ts';

const dir = mkdtempSync(join(tmpdir(), 'elb-otlp-ship-'));
const NAME =
  '123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20261101T0000Z_10.0.0.1_2soosksg.log.gz';
const LINES = 1200;
const TEXT = `${[...generateAlbLines(LINES, { seed: 5 })].join('\n')}\n`;
const FILE = join(dir, NAME);
writeFileSync(FILE, gzipSync(TEXT));
/** Three batches of 400. */
const BATCHED = { ELB_OTLP_MAX_BATCH_RECORDS: '400', ELB_OTLP_EXPORT_CONCURRENCY: '1' };

const SUMMARY_KEYS = [
  'lines',
  'accepted',
  'rejected',
  'failed',
  'parseErrors',
  'batches',
  'retries',
  'bytesIn',
  'durationMs',
];

let receiver: OtlpReceiver;
beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await receiver.close();
});

function summary(stdout: string) {
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  const parsed = JSON.parse(lines[0]);
  expect(Object.keys(parsed)).toEqual(SUMMARY_KEYS);
  expect(parsed.lines).toBe(parsed.accepted + parsed.rejected + parsed.failed);
  return parsed;
}

describe('elb-otlp ship', () => {
  it('ships a gzip file and prints one JSON summary', async () => {
    const { code, stdout, stderr } = await runCli(['ship', FILE, '--endpoint', receiver.url], {
      env: BATCHED,
    });
    expect(stderr).toMatch(/1,200 lines .* 1,200 accepted, 0 rejected, 0 failed/);
    expect(code).toBe(0);
    expect(summary(stdout)).toMatchObject({
      lines: LINES,
      accepted: LINES,
      rejected: 0,
      failed: 0,
      parseErrors: 0,
      batches: 3,
      retries: 0,
      bytesIn: gzipSync(TEXT).length,
    });
    const expected = await parseObject(TEXT, { nameHint: NAME });
    const delivered = inLineOrder(receiver.deliveredRecords());
    expect(delivered.map(({ observedTimeUnixNano: _, ...rest }) => rest)).toEqual(
      expected.records.map(({ observedTimeUnixNano: _, ...rest }) => rest),
    );
    // The file name is an ELB object name: the resource comes from it.
    expect(receiver.requests[0].body?.resourceLogs[0].resource).toEqual(expected.resource);
  });

  it('uses --key for the resource and sends --header values', async () => {
    const plain = join(dir, 'downloaded.log');
    writeFileSync(plain, TEXT);
    const key = `AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/${NAME}`;
    const { code } = await runCli(
      [
        'ship',
        plain,
        '--endpoint',
        `${receiver.url}/v1/logs`,
        '--key',
        `s3://my-logs/${key}`,
        '--header',
        'x-api-key=s3cr%3Dt',
      ],
      { env: BATCHED },
    );
    expect(code).toBe(0);
    expect(receiver.requests[0].headers['x-api-key']).toBe('s3cr=t');
    expect(receiver.requests[0].headers['user-agent']).toMatch(/^elb-otlp\//);
    const attributes = receiver.requests[0].body?.resourceLogs[0].resource?.attributes;
    expect(attributes).toContainEqual({ key: 'aws.s3.key', value: { stringValue: key } });
    expect(attributes).toContainEqual({ key: 'aws.s3.bucket', value: { stringValue: 'my-logs' } });
  });

  it('takes the endpoint and protocol from the OpenTelemetry variables', async () => {
    const { code } = await runCli(['ship', FILE], {
      env: {
        ...BATCHED,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
      },
    });
    expect(code).toBe(0);
    expect(receiver.requests[0].headers['content-type']).toBe('application/json');
    expect(receiver.requests[0].headers['content-encoding']).toBeUndefined();
  });

  it('gives the same record ids on every run of the same file', async () => {
    await runCli(['ship', FILE, '--endpoint', receiver.url], { env: BATCHED });
    const first = uids(inLineOrder(receiver.deliveredRecords()));
    receiver.requests.length = 0;
    await runCli(['ship', FILE, '--endpoint', receiver.url]);
    expect(uids(inLineOrder(receiver.deliveredRecords()))).toEqual(first);
    expect(new Set(first).size).toBe(LINES);
  });

  it.each<[string, Fault[], number, object, RegExp]>([
    [
      'exits 3 when the receiver rejected some records',
      [{ kind: 'partial', rejected: 5, message: 'too old' }],
      3,
      { accepted: LINES - 5, rejected: 5, failed: 0 },
      /receiver rejected records: too old/,
    ],
    [
      'exits 4 when a batch was refused',
      [{ kind: 'status', status: 400, message: 'malformed' }],
      4,
      { accepted: 800, rejected: 0, failed: 400 },
      /ExportRejectedError: .*answered 400: malformed/,
    ],
    [
      'exits 4 and names the setting when credentials are refused',
      [{ kind: 'status', status: 403 }],
      4,
      { accepted: 0, failed: LINES, batches: 1 },
      /ExportConfigError: OTEL_EXPORTER_OTLP_HEADERS: .* answered 403/,
    ],
    [
      'exits 0 after riding out a 503',
      [{ kind: 'status', status: 503, retryAfter: '0' }],
      0,
      { accepted: LINES, failed: 0, retries: 1 },
      /1,200 accepted/,
    ],
  ])('%s', async (_name, faults, exitCode, counts, message) => {
    receiver.script(...faults);
    const { code, stdout, stderr } = await runCli(['ship', FILE, '--endpoint', receiver.url], {
      env: BATCHED,
    });
    expect(stderr).toMatch(message);
    expect(code).toBe(exitCode);
    expect(summary(stdout)).toMatchObject({ lines: LINES, ...counts });
  });

  it('gives up on a receiver that never comes back within --max-retry-time', async () => {
    receiver.script(...Array.from({ length: 200 }, (): Fault => ({ kind: 'status', status: 503 })));
    const started = Date.now();
    const { code, stdout, stderr } = await runCli(
      ['ship', FILE, '--endpoint', receiver.url, '--max-retry-time', '1s'],
      { env: BATCHED },
    );
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(code).toBe(4);
    expect(summary(stdout)).toMatchObject({ lines: LINES, accepted: 0, failed: LINES });
    expect(stderr).toMatch(
      /ExportRetryableError: gave up on a batch of 400 records after \d+ attempts/,
    );
  });

  it.each<[string, string[], Record<string, string>, number, RegExp]>([
    ['no endpoint anywhere', ['ship', FILE], {}, 2, /no OTLP endpoint is set: give --endpoint/],
    [
      'a bad protocol',
      ['ship', FILE, '--endpoint', 'http://127.0.0.1:1', '--protocol', 'grpc'],
      {},
      2,
      /--protocol: grpc is not supported/,
    ],
    [
      'a missing file',
      ['ship', join(dir, 'nope.log.gz'), '--endpoint', 'http://127.0.0.1:1'],
      {},
      1,
      /nope\.log\.gz: no such file/,
    ],
    ['no FILE', ['ship', '--endpoint', 'http://127.0.0.1:1'], {}, 2, /expected one FILE/],
  ])('refuses %s', async (_name, args, env, exitCode, message) => {
    const { code, stderr } = await runCli(args, { env });
    expect(stderr).toMatch(message);
    expect(code).toBe(exitCode);
  });

  it('exits 1 on a truncated gzip file after shipping the lines before the damage', async () => {
    const bytes = gzipSync(TEXT);
    const cut = join(dir, 'cut.log.gz');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const { code, stdout, stderr } = await runCli(['ship', cut, '--endpoint', receiver.url]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/gzip data is corrupt or truncated/);
    const counts = summary(stdout);
    expect(counts.lines).toBeGreaterThan(0);
    expect(counts.accepted).toBe(counts.lines);
    expect(receiver.deliveredRecords()).toHaveLength(counts.lines);
  });

  it.each<[string, (url: string) => string, Fault[], string[], number, RegExp]>([
    [
      'in the summary of a run that succeeded',
      (url) => `${url}/v1/logs?api_key=s3cret-query`,
      [],
      [],
      0,
      /1,200 lines .* to http:\/\/127\.0\.0\.1:\d+\/v1\/logs\?api_key=REDACTED:/,
    ],
    [
      'in an error, even where the receiver echoes the request',
      (url) => `${url}/v1/logs?api_key=s3cret-query`,
      [{ kind: 'status', status: 400, message: 'no such tenant in /v1/logs?api_key=s3cret-query' }],
      [],
      4,
      /ExportRejectedError: http:\/\/127\.0\.0\.1:\d+\/v1\/logs\?api_key=REDACTED answered 400: no such tenant in \/v1\/logs\?api_key=REDACTED/,
    ],
    [
      'in an error about the headers',
      (url) => `${url}?token=s3cret-query`,
      [{ kind: 'status', status: 401 }],
      ['--header', 'x-api-key=s3cret-header'],
      4,
      /ExportConfigError: --header: http:\/\/127\.0\.0\.1:\d+\/v1\/logs\?token=REDACTED answered 401: .*\(check the authentication headers from --header\)/,
    ],
    [
      'in an error where the receiver echoes the key it refused',
      (url) => url,
      [{ kind: 'status', status: 401, message: 'unknown key s3cret-header for tenant edge' }],
      ['--header', 'x-api-key=s3cret-header'],
      4,
      /ExportConfigError: --header: http:\/\/127\.0\.0\.1:\d+\/v1\/logs answered 401: unknown key REDACTED for tenant edge/,
    ],
    [
      'in an error where the receiver echoes only the token of the header',
      (url) => url,
      [{ kind: 'status', status: 401, message: 'token s3cret-bearer-token has expired' }],
      ['--header', 'Authorization=Bearer s3cret-bearer-token'],
      4,
      /ExportConfigError: --header: .* answered 401: token REDACTED has expired/,
    ],
    [
      'of a receiver that cannot be reached',
      () => 'http://127.0.0.1:1/v1/logs?api_key=s3cret-query',
      [],
      ['--max-retry-time', '1s'],
      4,
      /ExportRetryableError: .*http:\/\/127\.0\.0\.1:1\/v1\/logs\?api_key=REDACTED could not be reached/,
    ],
  ])(
    'never prints the secret of an endpoint or header %s',
    async (_name, endpoint, faults, args, exitCode, message) => {
      receiver.script(...faults);
      const { code, stdout, stderr } = await runCli(
        ['ship', FILE, '--endpoint', endpoint(receiver.url), ...args],
        { env: BATCHED },
      );
      expect(stderr).toMatch(message);
      expect(code).toBe(exitCode);
      expect(`${stdout}${stderr}`).not.toMatch(/s3cret/);
    },
  );

  it.each<[string, string[], Record<string, string>, string]>([
    [
      'a --header written as a header line',
      ['--header', 'Authorization: Bearer s3cret-header'],
      {},
      '--header: expected NAME=VALUE, not NAME: VALUE (value not shown)',
    ],
    [
      'a --header written as a header line, with an = in its token',
      ['--header', 'Authorization: Bearer s3cret-header=='],
      {},
      '--header: not a valid header name (letters, digits and -, no spaces or colons); expected NAME=VALUE (value not shown)',
    ],
    [
      'a pair of OTEL_EXPORTER_OTLP_HEADERS without =',
      [],
      { OTEL_EXPORTER_OTLP_HEADERS: 'x-team=edge,Bearer s3cret-header' },
      'OTEL_EXPORTER_OTLP_HEADERS: pair 2: expected NAME=VALUE (value not shown)',
    ],
    [
      'an endpoint that is not a URL',
      ['--endpoint', 'https://collector example.com/v1/logs?api_key=s3cret-query'],
      {},
      '--endpoint: not a URL: "https://collector example.com/v1/logs?api_key=REDACTED"',
    ],
  ])('refuses %s without echoing it', async (_name, args, env, message) => {
    const { code, stdout, stderr } = await runCli(
      ['ship', FILE, '--endpoint', receiver.url, ...args],
      { env },
    );
    expect(stderr).toBe(`elb-otlp ship: ${message}\n`);
    expect(code).toBe(2);
    expect(`${stdout}${stderr}`).not.toMatch(/s3cret/);
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses to send headers over plain http:// to another host, saying how to allow it', async () => {
    const { code, stdout, stderr } = await runCli([
      'ship',
      FILE,
      '--endpoint',
      'http://collector.example.com:4318?api_key=s3cret-query',
      '--header',
      'x-api-key=s3cret-header',
    ]);
    expect(stderr).toBe(
      'elb-otlp ship: --endpoint: http://collector.example.com:4318/v1/logs?api_key=REDACTED is plain http:// to another host, and the headers from --header would cross the network unencrypted: use https://, or set ELB_OTLP_ALLOW_INSECURE=true (deployment parameter allowInsecure) to send them anyway\n',
    );
    expect(code).toBe(2);
    expect(stdout).toBe('');
  });

  it.each<[string, Record<string, string>, string[], string]>([
    [
      'without headers',
      {},
      [],
      'elb-otlp ship: warning: --endpoint: http://collector.example.com:4318/v1/logs?api_key=REDACTED is plain http://: records cross the network unencrypted; use https://',
    ],
    [
      'with headers that ELB_OTLP_ALLOW_INSECURE lets through',
      { ELB_OTLP_ALLOW_INSECURE: 'true', OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cret-header' },
      [],
      'elb-otlp ship: warning: --endpoint: http://collector.example.com:4318/v1/logs?api_key=REDACTED is plain http://: records and the headers from OTEL_EXPORTER_OTLP_HEADERS cross the network unencrypted (ELB_OTLP_ALLOW_INSECURE=true allows it)',
    ],
  ])(
    'warns once on stderr about plain http:// to another host %s',
    async (_name, env, args, warning) => {
      // A file that is not there: the run stops before it would connect anywhere.
      const { code, stderr } = await runCli(
        [
          'ship',
          join(dir, 'nope.log.gz'),
          '--endpoint',
          'http://collector.example.com:4318?api_key=s3cret-query',
          ...args,
        ],
        { env },
      );
      expect(stderr.split('\n')).toEqual([
        warning,
        `elb-otlp ship: ${join(dir, 'nope.log.gz')}: no such file`,
        '',
      ]);
      expect(code).toBe(1);
    },
  );

  it.each(NOT_A_LOG)('exits 1 on $what, naming $error, and ships nothing', async (input) => {
    const path = join(dir, `${input.what.replaceAll(' ', '-')}.log`);
    writeFileSync(path, input.body);
    const { code, stdout, stderr } = await runCli(['ship', path, '--endpoint', receiver.url]);
    expect(code).toBe(1);
    expect(stderr).toContain(`  input: ${input.error}: ${path} `);
    expect(stderr).toMatch(input.message);
    expect(stderr).toContain('; nothing of it was shipped');
    // Every line counted, as failed; none sent.
    const lines = await lineCount(input.content);
    expect(lines).toBeGreaterThan(0);
    expect(summary(stdout)).toMatchObject({ lines, accepted: 0, failed: lines, batches: 0 });
    expect(receiver.requests).toHaveLength(0);
  });

  it('ships every line of a log with a few bad lines, the bad ones with parse_error', async () => {
    const good = [...generateAlbLines(30, { seed: 9 })];
    const bad = ['garbage', 'http 2018-07-02T22:23:00Z truncated', '\u0000\u0001binary'];
    const mixed = [good[0], bad[0], ...good.slice(1, 15), bad[1], ...good.slice(15), bad[2]];
    const path = join(dir, 'mixed.log');
    writeFileSync(path, `${mixed.join('\n')}\n`);
    const { code, stdout } = await runCli(['ship', path, '--endpoint', receiver.url]);
    expect(code).toBe(0);
    expect(summary(stdout)).toMatchObject({ lines: 33, accepted: 33, parseErrors: 3 });
    const delivered = inLineOrder(receiver.deliveredRecords());
    const failed = delivered.filter((r) => r.attributes?.[0]?.key === 'elb_otlp.parse_error');
    expect(failed.map((r) => r.body)).toEqual(bad.map((line) => ({ stringValue: line })));
  });

  it('lists ship in the command help', async () => {
    expect((await runCli(['--help'])).stdout).toMatch(/ship FILE/);
    expect((await runCli(['ship', '--help'])).stdout).toMatch(/--max-retry-time/);
  });
});
