import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { NOT_A_LOG } from '../helpers/not-a-log.ts';
import { parquetOf } from '../helpers/parquet.ts';
import { fixtureCases } from '../helpers/records.ts';
import { row, SAMPLES } from '../helpers/vended-samples.ts';

const dir = mkdtempSync(join(tmpdir(), 'elb-otlp-parse-'));
const lines = fixtureCases('alb-access.txt').map((c) => c.line);
const text = `${lines.join('\n')}\n`;
const NAME =
  '123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20180702T2225Z_10.0.0.1_2soosksg.log';

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function run(args: string[], stdin?: Buffer | string) {
  return runCli(args, { stdin, env: { OTEL_SERVICE_NAME: '' } });
}

function records(stdout: string) {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

describe('elb-otlp parse', () => {
  const plain = file(NAME, text);
  const gzip = file(`${NAME}.gz`, gzipSync(text));

  it('prints one OTLP/JSON {resource, logRecord} per line, reading the ELB file name', async () => {
    const { code, stdout, stderr } = await run(['parse', plain]);
    expect(code).toBe(0);
    const out = records(stdout);
    expect(out).toHaveLength(lines.length);
    expect(out[0].resource.attributes).toContainEqual({
      key: 'cloud.resource_id',
      value: {
        stringValue:
          'arn:aws:elasticloadbalancing:us-east-2:123456789012:loadbalancer/app/my-loadbalancer/50dc6c495c0c9188',
      },
    });
    expect(out[0].logRecord.timeUnixNano).toBe('1530570180186641000');
    expect(out[0].logRecord.traceId).toBe('5833726236d228ad5d99923122bbe354');
    expect(out[0].logRecord.attributes).toContainEqual({
      key: 'http.response.status_code',
      value: { intValue: '200' },
    });
    expect(stderr).toContain(`${lines.length} lines, 0 parse errors, format alb`);
  });

  it('gives the same records for the gzip file and for stdin', async () => {
    const uidOf = (r: { logRecord: { attributes: { key: string; value: object }[] } }) =>
      r.logRecord.attributes.find((a) => a.key === 'log.record.uid')?.value;
    // Record ids name the file: two files, two sets of ids; everything else is equal.
    const strip = (stdout: string) =>
      records(stdout).map((r) => ({
        ...r,
        logRecord: {
          ...r.logRecord,
          observedTimeUnixNano: 0,
          attributes: r.logRecord.attributes.filter(
            (a: { key: string }) => a.key !== 'log.record.uid',
          ),
        },
      }));
    const plainOut = (await run(['parse', plain])).stdout;
    const gzipOut = (await run(['parse', gzip])).stdout;
    const fromPlain = strip(plainOut);
    expect(strip(gzipOut).map((r) => r.logRecord)).toStrictEqual(fromPlain.map((r) => r.logRecord));
    expect(uidOf(records(gzipOut)[0])).not.toEqual(uidOf(records(plainOut)[0]));
    const fromStdin = await run(
      [
        'parse',
        '-',
        '--key',
        `s3://my-logs/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2018/07/02/${NAME}.gz`,
      ],
      gzipSync(text),
    );
    expect(fromStdin.code).toBe(0);
    const first = records(fromStdin.stdout)[0];
    expect(first.resource.attributes).toContainEqual({
      key: 'aws.s3.bucket',
      value: { stringValue: 'my-logs' },
    });
    expect(strip(fromStdin.stdout).map((r) => r.logRecord.body)).toStrictEqual(
      fromPlain.map((r) => r.logRecord.body),
    );
  });

  it('prints the lines before a truncated gzip stream, then fails naming the damage', async () => {
    const whole = gzipSync(`${text}${text}${text}`);
    const cut = file('truncated.log.gz', whole.subarray(0, whole.length - 12));
    const { code, stdout, stderr } = await run(['parse', cut]);
    expect(code).toBe(1);
    expect(records(stdout).length).toBeGreaterThan(0);
    expect(stderr).toMatch(/truncated\.log\.gz: gzip data is corrupt or truncated/);
  });

  it.each([
    {
      name: 'an unknown format name',
      args: ['parse', '--format', 'elb'],
      code: 2,
      message: /unknown --format "elb"/,
    },
    {
      name: 'an unknown option',
      args: ['parse', '--bogus'],
      code: 2,
      message: /Unknown option '--bogus'/,
    },
    {
      name: 'a missing file',
      args: ['parse', join(dir, 'nope.log')],
      code: 1,
      message: /nope\.log: no such file/,
    },
    {
      name: 'an unknown command',
      args: ['frobnicate'],
      code: 2,
      message: /unknown command "frobnicate"/,
    },
    {
      name: 'a bad setting',
      args: ['parse', plain],
      code: 2,
      message: /ELB_OTLP_INCLUDE_BODY/,
      env: true,
    },
  ])('exits non-zero with a clear message for $name', async ({ args, code, message, env }) => {
    const result = env
      ? await runCli(args, { env: { ELB_OTLP_INCLUDE_BODY: 'maybe' } })
      : await run(args);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
  });

  it('prints no query secret, in attributes, bodies or parse errors', async () => {
    const secret = 'pr1nted-n0where';
    const withSecrets = [
      lines[0].replace('http://www.example.com:80/', `http://www.example.com:80/?token=${secret}`),
      lines[0].replace(
        '"-" "-" 10.0.0.1:80',
        `"https://x.example.com/?sig=${secret}" "-" 10.0.0.1:80`,
      ),
      `not a log line "GET /?password=${secret} HTTP/1.1"`,
    ];
    expect(withSecrets.filter((line) => line.includes(secret))).toHaveLength(3);
    const { code, stdout, stderr } = await run([
      'parse',
      file('with-secrets.log', `${withSecrets.join('\n')}\n`),
    ]);
    expect(code).toBe(0);
    expect(records(stdout)).toHaveLength(3);
    expect(stdout).toContain('REDACTED');
    expect(stdout + stderr).not.toContain(secret);
  });

  it.each(NOT_A_LOG)('refuses $what with exit 1 and $error, printing nothing', async (input) => {
    const path = file(`${input.what.replaceAll(' ', '-')}.log`, input.body);
    const { code, stdout, stderr } = await run(['parse', path]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`elb-otlp parse: ${input.error}: ${path} `);
    expect(stderr).toMatch(input.message);
  });

  it('refuses lines that do not parse in the format forced, naming what they look like', async () => {
    const { code, stdout, stderr } = await run(['parse', plain, '--format', 'nlb']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(
      `NotAnElbLogError: ${plain} is not an ELB log: none of its ${lines.length} lines parses in the format forced (NLB access log); they look like ALB access log lines`,
    );
  });

  it('prints nothing for an empty file and succeeds', async () => {
    const { code, stdout } = await run(['parse', file('empty.log', '')]);
    expect(code).toBe(0);
    expect(stdout).toBe('');
  });

  it('has --help for the command and the program', async () => {
    const command = await run(['parse', '--help']);
    expect(command.code).toBe(0);
    expect(command.stdout).toContain('Usage: elb-otlp parse');
    const program = await run(['--help']);
    expect(program.stdout).toContain('parse [FILE|-]');
  });
});

describe('elb-otlp parse of vended deliveries', () => {
  const access = SAMPLES.filter((s) => s.logType === 'ALB_ACCESS_LOGS');
  const fields = Object.keys(access[0].record);

  it('reads a plain delivery of a subset with --fields and --delimiter, and refuses it without', async () => {
    const subset = ['time', 'elb', 'request_line', 'elb_status_code'];
    const path = file(
      'plain-delivery.log',
      `${access.map((s) => row(s.record, subset, ',')).join('\n')}\n`,
    );
    const given = await run([
      'parse',
      path,
      '--format',
      'plain',
      '--fields',
      subset.join(','),
      '--delimiter',
      'comma',
    ]);
    expect(given.code).toBe(0);
    expect(records(given.stdout)).toHaveLength(access.length);
    expect(given.stderr).toMatch(/2 lines, 0 parse errors, format alb/);
    const missing = await run(['parse', path, '--format', 'plain']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--format plain needs the delivery's fields/);
    const unnamed = await run(['parse', path]);
    expect(unnamed.code).toBe(1);
    expect(unnamed.stderr).toMatch(/NotAnElbLogError/);
    const wrong = await run(['parse', path, '--fields', 'foo,bar']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--fields names no ALB or NLB log type's fields/);
  });

  it('reads a Parquet file row group by row group, and refuses --format parquet for another file', async () => {
    const path = file(
      'delivery.parquet',
      parquetOf(
        access.map((s) => s.record),
        1,
      ),
    );
    const { code, stdout, stderr } = await run(['parse', path]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/2 rows, 0 parse errors, format alb \(parquet\)/);
    const printed = records(stdout);
    expect(printed.map((p) => JSON.parse(p.logRecord.body.stringValue))).toEqual(
      access.map((s) => expect.objectContaining({ time: s.record.time, elb: s.record.elb })),
    );
    expect(stdout).not.toContain('s3cr3t');
    const json = file('delivery.json', `${JSON.stringify(access[0].record)}\n`);
    const refused = await run(['parse', json, '--format', 'parquet']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/does not begin with PAR1/);
    expect(fields).toContain('request_line');
  });
});
