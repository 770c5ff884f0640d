import { describe, expect, it } from 'vitest';
import {
  a,
  d,
  fixtureCases,
  i,
  nanos,
  OBSERVED_JSON,
  parseObject,
  s,
  uid,
} from '../helpers/records.ts';

const cases = fixtureCases('alb-access.txt');
const line = (n: number) => cases[n].line;
const TG =
  'arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067';
const CERT = 'arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012';

const table = [
  {
    name: 'maps the documented HTTP entry',
    line: line(0),
    severity: [9, 'INFO'],
    traceId: '5833726236d228ad5d99923122bbe354',
    attributes: [
      s('aws.elb.type', 'http'),
      s('client.address', '192.168.131.39'),
      i('client.port', 2817),
      s('destination.address', '10.0.0.1'),
      i('destination.port', 80),
      d('aws.elb.request_processing_time', 0),
      d('aws.elb.target_processing_time', 0.001),
      d('aws.elb.response_processing_time', 0),
      i('http.response.status_code', 200),
      i('aws.elb.target_status_code', 200),
      i('http.request.size', 34),
      i('http.response.size', 366),
      s('http.request.method', 'GET'),
      s('url.full', 'http://www.example.com:80/'),
      s('url.scheme', 'http'),
      s('url.path', '/'),
      s('server.address', 'www.example.com'),
      i('server.port', 80),
      s('network.protocol.name', 'http'),
      s('network.protocol.version', '1.1'),
      s('user_agent.original', 'curl/7.46.0'),
      s('aws.elb.target_group_arn', TG),
      s('aws.elb.trace_id', 'Root=1-58337262-36d228ad5d99923122bbe354'),
      i('aws.elb.matched_rule_priority', 0),
      s('aws.elb.request_creation_time', '2018-07-02T22:22:48.364000Z'),
      a('aws.elb.actions_executed', ['forward']),
      a('aws.elb.target_port_list', ['10.0.0.1:80']),
      a('aws.elb.target_status_code_list', ['200']),
    ],
  },
  {
    name: 'maps the documented HTTPS entry with TLS, SNI, certificate and two actions',
    line: line(1),
    severity: [9, 'INFO'],
    traceId: '583372811d84f3d73c47ec4e58577259',
    attributes: [
      s('aws.elb.type', 'https'),
      s('client.address', '192.168.131.39'),
      i('client.port', 2817),
      s('destination.address', '10.0.0.1'),
      i('destination.port', 80),
      d('aws.elb.request_processing_time', 0.086),
      d('aws.elb.target_processing_time', 0.048),
      d('aws.elb.response_processing_time', 0.037),
      i('http.response.status_code', 200),
      i('aws.elb.target_status_code', 200),
      i('http.request.size', 0),
      i('http.response.size', 57),
      s('http.request.method', 'GET'),
      s('url.full', 'https://www.example.com:443/'),
      s('url.scheme', 'https'),
      s('url.path', '/'),
      s('server.address', 'www.example.com'),
      i('server.port', 443),
      s('network.protocol.name', 'http'),
      s('network.protocol.version', '1.1'),
      s('user_agent.original', 'curl/7.46.0'),
      s('tls.cipher', 'ECDHE-RSA-AES128-GCM-SHA256'),
      s('tls.protocol.version', '1.2'),
      s('aws.elb.target_group_arn', TG),
      s('aws.elb.trace_id', 'Root=1-58337281-1d84f3d73c47ec4e58577259'),
      s('aws.elb.domain_name', 'www.example.com'),
      s('aws.elb.chosen_cert_arn', CERT),
      i('aws.elb.matched_rule_priority', 1),
      s('aws.elb.request_creation_time', '2018-07-02T22:22:48.364000Z'),
      a('aws.elb.actions_executed', ['authenticate', 'forward']),
      a('aws.elb.target_port_list', ['10.0.0.1:80']),
      a('aws.elb.target_status_code_list', ['200']),
    ],
  },
  {
    name: 'maps the documented HTTP/2 redirect with version 2',
    line: line(2),
    severity: [9, 'INFO'],
    traceId: '5833732772bd00b0343d75b906739c42',
    attributes: [
      s('aws.elb.type', 'h2'),
      s('client.address', '10.0.1.252'),
      i('client.port', 48160),
      s('destination.address', '10.0.0.66'),
      i('destination.port', 9000),
      d('aws.elb.request_processing_time', 0),
      d('aws.elb.target_processing_time', 0.002),
      d('aws.elb.response_processing_time', 0),
      i('http.response.status_code', 200),
      i('aws.elb.target_status_code', 200),
      i('http.request.size', 5),
      i('http.response.size', 257),
      s('http.request.method', 'GET'),
      s('url.full', 'https://10.0.2.105:773/'),
      s('url.scheme', 'https'),
      s('url.path', '/'),
      s('server.address', '10.0.2.105'),
      i('server.port', 773),
      s('network.protocol.name', 'http'),
      s('network.protocol.version', '2'),
      s('user_agent.original', 'curl/7.46.0'),
      s('tls.cipher', 'ECDHE-RSA-AES128-GCM-SHA256'),
      s('tls.protocol.version', '1.2'),
      s('aws.elb.target_group_arn', TG),
      s('aws.elb.trace_id', 'Root=1-58337327-72bd00b0343d75b906739c42'),
      i('aws.elb.matched_rule_priority', 1),
      s('aws.elb.request_creation_time', '2018-07-02T22:22:48.364000Z'),
      a('aws.elb.actions_executed', ['redirect']),
      s('aws.elb.redirect_url', 'https://example.com:80/'),
      a('aws.elb.target_port_list', ['10.0.0.66:9000']),
      a('aws.elb.target_status_code_list', ['200']),
    ],
  },
  {
    name: 'maps a failed Lambda target: no target, 502 is an ERROR, error reason kept',
    line: line(6),
    severity: [17, 'ERROR'],
    traceId: '5833736423a8c76965a2ef7629b185e3',
    attributes: [
      s('aws.elb.type', 'http'),
      s('client.address', '192.168.131.39'),
      i('client.port', 2817),
      d('aws.elb.request_processing_time', 0),
      d('aws.elb.target_processing_time', 0.001),
      d('aws.elb.response_processing_time', 0),
      i('http.response.status_code', 502),
      i('http.request.size', 34),
      i('http.response.size', 366),
      s('http.request.method', 'GET'),
      s('url.full', 'http://www.example.com:80/'),
      s('url.scheme', 'http'),
      s('url.path', '/'),
      s('server.address', 'www.example.com'),
      i('server.port', 80),
      s('network.protocol.name', 'http'),
      s('network.protocol.version', '1.1'),
      s('user_agent.original', 'curl/7.46.0'),
      s('aws.elb.target_group_arn', TG),
      s('aws.elb.trace_id', 'Root=1-58337364-23a8c76965a2ef7629b185e3'),
      i('aws.elb.matched_rule_priority', 0),
      s('aws.elb.request_creation_time', '2018-11-30T22:22:48.364000Z'),
      a('aws.elb.actions_executed', ['forward']),
      s('aws.elb.error_reason', 'LambdaInvalidResponse'),
    ],
  },
];

describe('ALB access log, documented examples', () => {
  it.each(table)('$name', async ({ line, severity, traceId, attributes }) => {
    const { records, format } = await parseObject(`${line}\n`);
    expect(format).toBe('alb');
    expect(records).toStrictEqual([
      {
        timeUnixNano: nanos(line.split(' ')[1]),
        observedTimeUnixNano: OBSERVED_JSON,
        severityNumber: severity[0],
        severityText: severity[1],
        body: { stringValue: line },
        attributes: [...attributes, uid(0)],
        traceId,
      },
    ]);
  });

  it.each(cases.map((c) => ({ ...c, name: c.source })))(
    'parses without error: $name',
    async ({ line }) => {
      const { records } = await parseObject(line);
      const keys = records[0].attributes.map((attribute) => attribute.key);
      expect(keys).not.toContain('elb_otlp.parse_error');
      expect(keys).not.toContain('aws.elb.extra_fields');
      expect(records[0].timeUnixNano).toBe(nanos(line.split(' ')[1]));
    },
  );

  it('gives every line of an object its byte offset in log.record.uid', async () => {
    const text = `${line(0)}\n${line(1)}\r\n\n${line(2)}\n`;
    const { records } = await parseObject(text, { key: 'logs/x.log', bucket: 'b', etag: '"e"' });
    const identity = { bucket: 'b', key: 'logs/x.log', etag: '"e"' };
    const offsets = [0, line(0).length + 1, line(0).length + 1 + line(1).length + 3];
    expect(records.map((r) => r.attributes.at(-1))).toStrictEqual(
      offsets.map((o) => uid(o, identity)),
    );
  });
});
