import { describe, expect, it } from 'vitest';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import { detectFormatFromLine } from '../../shared/formats/detect.ts';
import { parseS3Key } from '../../shared/formats/s3-key.ts';
import { LineTokens, TOKENIZED, tokenize } from '../../shared/formats/tokenizer.ts';
import { parseDecimal, parseTimestamp, splitHostPort } from '../../shared/formats/values.ts';
import { fixtureCases } from '../helpers/records.ts';

describe('timestamps', () => {
  it.each([
    { text: '2018-07-02T22:23:00.186641Z', nanos: 1530570180186641000n },
    { text: '2018-12-20T02:59:40', nanos: 1545274780000000000n },
    { text: '2024-02-29T23:59:59.999999999Z', nanos: 1709251199999999999n },
    { text: '1970-01-01T00:00:00.000001Z', nanos: 1000n },
  ])('reads $text exactly', ({ text, nanos }) => {
    expect(parseTimestamp(text)).toBe(nanos);
  });

  it.each([
    '2018-07-02 22:23:00Z',
    '2023-02-29T00:00:00Z',
    '2018-07-02T24:00:00Z',
    '2018-07-02T22:23:00.Z',
    '2018-07-02T22:23:00+01:00',
    '-',
  ])('rejects %s', (text) => {
    expect(parseTimestamp(text)).toBeUndefined();
  });
});

describe('numbers and addresses', () => {
  it('reads decimals exactly as Number() does', () => {
    for (const text of [
      '0.000',
      '0.001',
      '-1',
      '4.036',
      '0.019584011',
      '123456.789',
      '0.1',
      '0.3',
    ]) {
      expect(parseDecimal(text)).toBe(Number(text));
    }
    for (let n = 0; n < 2000; n++) {
      const text = (n / 1000).toFixed(3);
      expect(parseDecimal(text)).toBe(Number(text));
    }
  });

  it.each(['', '-', '1e3', '1.', '.5', 'NaN', '1.2.3'])('rejects %j as a decimal', (text) => {
    expect(parseDecimal(text)).toBeNaN();
  });

  it.each([
    { text: '192.168.131.39:2817', expected: { address: '192.168.131.39', port: 2817 } },
    { text: '2001:db8::1:443', expected: { address: '2001:db8::1', port: 443 } },
    { text: '[2001:db8::1]:443', expected: { address: '2001:db8::1', port: 443 } },
    { text: '10.0.0.1', expected: undefined },
    { text: '10.0.0.1:', expected: undefined },
    { text: '10.0.0.1:70000', expected: undefined },
  ])('splits $text', ({ text, expected }) => {
    expect(splitHostPort(text)).toStrictEqual(expected);
  });
});

describe('tokenizer', () => {
  it('keeps quoted spaces together and marks absent fields', () => {
    const tokens = new LineTokens(2);
    expect(tokenize('a "b c" - "-" "" "x\\x22y" z', tokens)).toBe(TOKENIZED);
    expect(Array.from({ length: tokens.count }, (_, i) => tokens.value(i))).toStrictEqual([
      'a',
      'b c',
      undefined,
      undefined,
      undefined,
      'x"y',
      'z',
    ]);
    expect(tokens.raw(5)).toBe('"x\\x22y"');
  });

  it('reports the index of a field without a closing quote', () => {
    expect(tokenize('a "b c', new LineTokens())).toBe(1);
  });
});

describe('S3 keys', () => {
  const key = (prefix: string, name: string) =>
    `${prefix}AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/${name}`;
  const alb =
    '123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20261101T0005Z_172.160.001.192_20sg8hgm.log.gz';

  it.each([
    {
      name: 'an ALB access log under a user prefix',
      key: key('my-prefix/', alb),
      expected: {
        kind: 'alb',
        isLog: true,
        prefix: 'my-prefix',
        account: '123456789012',
        region: 'us-east-2',
        loadBalancer: {
          type: 'app',
          name: 'my-loadbalancer',
          id: '50dc6c495c0c9188',
          resourceId: 'app/my-loadbalancer/50dc6c495c0c9188',
        },
        endTime: '20261101T0005Z',
        nodeIp: '172.160.001.192',
        date: '2026-11-01',
      },
    },
    {
      name: 'a connection log without a prefix',
      key: key('', `conn_log_${alb}`),
      expected: { kind: 'alb-conn' },
      absent: ['prefix'],
    },
    {
      name: 'a health-check log',
      key: key('', `health_check_log_${alb}`),
      expected: { kind: 'alb-health' },
    },
    {
      name: 'an NLB log (no node IP)',
      key: key(
        '',
        '123456789012_elasticloadbalancing_us-east-2_net.my-nlb.c6e77e28c25b2234_20261101T0005Z_2soosksg.log.gz',
      ),
      expected: { kind: 'nlb', loadBalancer: { type: 'net', name: 'my-nlb' } },
      absent: ['nodeIp'],
    },
    {
      name: 'a Classic ELB log (plain text)',
      key: key(
        '',
        '123456789012_elasticloadbalancing_us-east-2_my-loadbalancer_20261101T0005Z_172.160.001.192_20sg8hgm.log',
      ),
      expected: {
        kind: 'clb',
        loadBalancer: { type: 'classic', name: 'my-loadbalancer', resourceId: 'my-loadbalancer' },
      },
    },
    {
      name: 'the ELB test object',
      key: 'p/AWSLogs/123456789012/ELBAccessLogTestFile',
      expected: { kind: 'test-file', isLog: false },
    },
    {
      name: 'a CloudTrail object',
      key: 'AWSLogs/123456789012/CloudTrail/us-east-2/2026/11/01/x.json.gz',
      expected: { kind: 'unknown', isLog: false, reason: expect.stringContaining('CloudTrail') },
    },
    {
      name: 'a folder marker',
      key: 'AWSLogs/123456789012/elasticloadbalancing/',
      expected: { isLog: false },
    },
    {
      name: 'a renamed object in ELB’s folders (its content decides; account, Region and day from the folders)',
      key: key('logs/', 'restored-copy.log'),
      expected: {
        kind: 'unknown',
        isLog: true,
        byContent: true,
        prefix: 'logs',
        account: '123456789012',
        region: 'us-east-2',
        date: '2026-11-01',
      },
      absent: ['loadBalancer', 'endTime'],
    },
    {
      name: 'ELB’s name without the T of its end time (load balancer and time from the name)',
      key: key('', alb.replace('T0005Z', '0005Z')),
      expected: {
        isLog: true,
        byContent: true,
        account: '123456789012',
        region: 'us-east-2',
        loadBalancer: { type: 'app', name: 'my-loadbalancer', id: '50dc6c495c0c9188' },
        endTime: '20261101T0005Z',
      },
    },
    {
      name: 'ELB’s name behind a prefix of its own, outside AWS’s folders',
      key: `backup/copy-of-${alb.replace('.log.gz', '.txt')}`,
      expected: {
        isLog: true,
        byContent: true,
        account: '123456789012',
        region: 'us-east-2',
        loadBalancer: { name: 'my-loadbalancer' },
        endTime: '20261101T0005Z',
      },
      absent: ['date'],
    },
    {
      name: 'ELB’s name with seconds in its time and a suffix of its own',
      key: key('', alb.replace('T0005Z', 'T000512Z').replace('.log.gz', '-copy.gz')),
      expected: {
        byContent: true,
        loadBalancer: { name: 'my-loadbalancer' },
        endTime: '20261101T0005Z',
      },
    },
    {
      name: 'a longer run of digits before the account (not read as one)',
      key: `backup/9${alb.replace('T0005Z', '0005Z')}`,
      expected: { byContent: true, endTime: '20261101T0005Z' },
      absent: ['account', 'region', 'loadBalancer'],
    },
    {
      name: 'an organization trail’s folders',
      key: 'AWSLogs/o-exampleorgid/123456789012/CloudTrail/us-east-2/2026/11/01/x.json.gz',
      expected: { isLog: false, reason: expect.stringContaining('CloudTrail') },
    },
    {
      name: 'Hive-style folders of another service',
      key: 'AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-2/x.log.gz',
      expected: { isLog: false, reason: expect.stringContaining('vpcflowlogs') },
    },
    {
      name: 'a time after a dash, with nothing else of ELB’s name',
      key: 'backup/alb-20261130T1300Z.log',
      expected: { byContent: true, endTime: '20261130T1300Z' },
    },
    {
      name: 'a date that is not one (February 30th)',
      key: 'backup/x_20260230T1300Z.log',
      expected: { byContent: true },
      absent: ['endTime'],
    },
    {
      name: 'a Classic load balancer named in digits (its name is no time)',
      key: `backup/123456789012_elasticloadbalancing_us-east-2_202611301200_20261130T1305Z_x.txt`,
      expected: { loadBalancer: { name: '202611301200' }, endTime: '20261130T1305Z' },
    },
    {
      name: 'an account folder without a service folder (no service to skip)',
      key: 'AWSLogs/123456789012/2026/11/30/restored.log',
      expected: { isLog: true, byContent: true },
    },
    {
      name: 'a name with nothing of ELB’s, outside AWS’s folders',
      key: 'manual/2026-11-01.log',
      expected: { kind: 'unknown', isLog: true, byContent: true },
      absent: ['account', 'region', 'loadBalancer', 'endTime', 'date'],
    },
  ] as { name: string; key: string; expected: object; absent?: string[] }[])(
    'reads $name',
    ({ key, expected, absent }) => {
      const info = parseS3Key(key);
      expect(info).toMatchObject(expected);
      for (const property of absent ?? []) expect(info).not.toHaveProperty(property);
    },
  );
});

describe('format detection from a line', () => {
  it.each([
    { file: 'alb-access.txt', format: 'alb' },
    { file: 'alb-connection.txt', format: 'alb-conn' },
    { file: 'alb-health.txt', format: 'alb-health' },
    { file: 'nlb-access.txt', format: 'nlb' },
    { file: 'clb-access.txt', format: 'clb' },
  ])('recognises every line of $file as $format', ({ file, format }) => {
    for (const { line } of fixtureCases(file)) expect(detectFormatFromLine(line)).toBe(format);
  });

  it('recognises nothing in a line that is not a log', () => {
    expect(detectFormatFromLine('hello world, this is not a log')).toBeUndefined();
  });
});

describe('mapping settings', () => {
  it.each([
    { env: { ELB_OTLP_INCLUDE_BODY: 'yes' }, message: /ELB_OTLP_INCLUDE_BODY/ },
    {
      env: { OTEL_RESOURCE_ATTRIBUTES: 'team=%zz' },
      message: /OTEL_RESOURCE_ATTRIBUTES: bad percent-encoding/,
    },
    {
      env: { OTEL_RESOURCE_ATTRIBUTES: 'novalue' },
      message: /OTEL_RESOURCE_ATTRIBUTES: expected key=value/,
    },
    { env: { ELB_OTLP_REDACT_QUERY_PARAMS: ' , ' }, message: /ELB_OTLP_REDACT_QUERY_PARAMS/ },
  ])('names the bad setting in $env', ({ env, message }) => {
    expect(() => loadMappingConfig(env)).toThrow(message);
  });

  it('takes OTEL_SERVICE_NAME and decoded OTEL_RESOURCE_ATTRIBUTES', () => {
    const config = loadMappingConfig({
      OTEL_SERVICE_NAME: 'edge',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,team=edge%20infra',
    });
    expect(config.serviceName).toBe('edge');
    expect(config.resourceAttributes).toStrictEqual([
      { key: 'deployment.environment.name', type: 'string', value: 'prod' },
      { key: 'team', type: 'string', value: 'edge infra' },
    ]);
  });
});
