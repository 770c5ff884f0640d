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

const conn = fixtureCases('alb-connection.txt');
const nlb = fixtureCases('nlb-access.txt');
const clb = fixtureCases('clb-access.txt');
const health = fixtureCases('alb-health.txt');
const NLB_CERT =
  'arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99';
const SNI = 'my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com';
const SUBJECT = 'CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US';

const table = [
  {
    name: 'ALB connection log: a successful mutual-TLS connection',
    format: 'alb-conn',
    line: conn[0].line,
    time: '2023-10-04T17:05:15.514108Z',
    severity: [9, 'INFO'],
    attributes: [
      s('client.address', '203.0.113.1'),
      i('client.port', 36280),
      i('server.port', 443),
      s('tls.protocol.version', '1.2'),
      s('tls.cipher', 'ECDHE-RSA-AES128-GCM-SHA256'),
      d('aws.elb.tls_handshake_latency', 4.036),
      s('tls.client.subject', SUBJECT),
      s('tls.client.not_before', '2023-09-21T22:43:21Z'),
      s('tls.client.not_after', '2026-06-17T22:43:21Z'),
      s('aws.elb.leaf_client_cert_serial_number', 'FEF257372D5C14D4'),
      s('aws.elb.tls_verify_status', 'Success'),
      s('aws.elb.conn_trace_id', 'TID_3180a73013c8ca4bac2f731159d4b0fe'),
    ],
  },
  {
    name: 'ALB connection log: a failed verification is a WARN',
    format: 'alb-conn',
    line: conn[1].line,
    time: '2023-10-04T17:05:15.514108Z',
    severity: [13, 'WARN'],
    attributes: [
      s('client.address', '203.0.113.1'),
      i('client.port', 36280),
      i('server.port', 443),
      s('tls.protocol.version', '1.2'),
      s('tls.cipher', 'ECDHE-RSA-AES128-GCM-SHA256'),
      s('tls.client.subject', SUBJECT),
      s('tls.client.not_before', '2023-09-21T22:43:21Z'),
      s('tls.client.not_after', '2026-06-17T22:43:21Z'),
      s('aws.elb.leaf_client_cert_serial_number', 'FEF257372D5C14D4'),
      s('aws.elb.tls_verify_status', 'Failed:ClientCertUntrusted'),
      s('aws.elb.conn_trace_id', 'TID_1c71a68d70587445ad5127ff8b2687d7'),
    ],
  },
  {
    name: 'NLB access log without ALPN: time without fraction or zone, tlsv12 as 1.2',
    format: 'nlb',
    line: nlb[0].line,
    time: '2018-12-20T02:59:40Z',
    severity: [9, 'INFO'],
    attributes: [
      s('aws.elb.type', 'tls'),
      s('aws.elb.version', '2.0'),
      s('aws.elb.listener', 'g3d4b5e8bb8464cd'),
      s('client.address', '72.21.218.154'),
      i('client.port', 51341),
      s('destination.address', '172.100.100.185'),
      i('destination.port', 443),
      d('aws.elb.connection_time', 5),
      d('aws.elb.tls_handshake_time', 2),
      i('aws.elb.received_bytes', 98),
      i('aws.elb.sent_bytes', 246),
      s('aws.elb.chosen_cert_arn', NLB_CERT),
      s('tls.cipher', 'ECDHE-RSA-AES128-SHA'),
      s('tls.protocol.version', '1.2'),
      s('aws.elb.domain_name', SNI),
    ],
  },
  {
    name: 'NLB access log with ALPN: the quoted preference list becomes an array',
    format: 'nlb',
    line: nlb[1].line,
    time: '2020-04-01T08:51:42Z',
    severity: [9, 'INFO'],
    attributes: [
      s('aws.elb.type', 'tls'),
      s('aws.elb.version', '2.0'),
      s('aws.elb.listener', 'g3d4b5e8bb8464cd'),
      s('client.address', '72.21.218.154'),
      i('client.port', 51341),
      s('destination.address', '172.100.100.185'),
      i('destination.port', 443),
      d('aws.elb.connection_time', 5),
      d('aws.elb.tls_handshake_time', 2),
      i('aws.elb.received_bytes', 98),
      i('aws.elb.sent_bytes', 246),
      s('aws.elb.chosen_cert_arn', NLB_CERT),
      s('tls.cipher', 'ECDHE-RSA-AES128-SHA'),
      s('tls.protocol.version', '1.2'),
      s('aws.elb.domain_name', SNI),
      s('aws.elb.alpn_fe_protocol', 'h2'),
      s('aws.elb.alpn_be_protocol', 'h2'),
      a('aws.elb.alpn_client_preference_list', ['h2', 'http/1.1']),
    ],
  },
  {
    name: 'Classic ELB HTTP entry: byte counts are body sizes',
    format: 'clb',
    line: clb[0].line,
    time: '2015-05-13T23:39:43.945958Z',
    severity: [9, 'INFO'],
    attributes: [
      s('client.address', '192.168.131.39'),
      i('client.port', 2817),
      s('destination.address', '10.0.0.1'),
      i('destination.port', 80),
      d('aws.elb.request_processing_time', 0.000073),
      d('aws.elb.backend_processing_time', 0.001048),
      d('aws.elb.response_processing_time', 0.000057),
      i('http.response.status_code', 200),
      i('aws.elb.backend_status_code', 200),
      i('http.request.body.size', 0),
      i('http.response.body.size', 29),
      s('http.request.method', 'GET'),
      s('url.full', 'http://www.example.com:80/'),
      s('url.scheme', 'http'),
      s('url.path', '/'),
      s('server.address', 'www.example.com'),
      i('server.port', 80),
      s('network.protocol.name', 'http'),
      s('network.protocol.version', '1.1'),
      s('user_agent.original', 'curl/7.38.0'),
    ],
  },
  {
    name: 'Classic ELB SSL entry: no HTTP request, raw byte counts, TLS kept',
    format: 'clb',
    line: clb[3].line,
    time: '2015-05-13T23:39:43.945958Z',
    severity: [9, 'INFO'],
    attributes: [
      s('client.address', '192.168.131.39'),
      i('client.port', 2817),
      s('destination.address', '10.0.0.1'),
      i('destination.port', 80),
      d('aws.elb.request_processing_time', 0.001065),
      d('aws.elb.backend_processing_time', 0.000015),
      d('aws.elb.response_processing_time', 0.000023),
      i('aws.elb.received_bytes', 57),
      i('aws.elb.sent_bytes', 502),
      s('tls.cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256'),
      s('tls.protocol.version', '1.2'),
    ],
  },
  {
    name: 'ALB health-check log: a passing check',
    format: 'alb-health',
    line: health[0].line,
    time: '2025-11-19T21:47:10.123456Z',
    severity: [9, 'INFO'],
    attributes: [
      s('aws.elb.type', 'http'),
      d('aws.elb.latency', 0.019584011),
      s('destination.address', '10.0.1.15'),
      i('destination.port', 8080),
      s('aws.elb.target_group_id', 'my-targets'),
      s('aws.elb.status', 'PASS'),
      i('http.response.status_code', 200),
      s('aws.elb.ip_address', '10.0.0.1'),
    ],
  },
  {
    name: 'ALB health-check log: a failing Lambda check is a WARN with the ARN kept',
    format: 'alb-health',
    line: health[1].line,
    time: '2025-11-19T21:47:12.000001Z',
    severity: [13, 'WARN'],
    attributes: [
      s('aws.elb.type', 'lambda'),
      d('aws.elb.latency', 5),
      s('aws.elb.target_addr', 'arn:aws:lambda:us-east-2:123456789012:function:my-function'),
      s('aws.elb.target_group_id', 'my-lambda-targets'),
      s('aws.elb.status', 'FAIL'),
      s('aws.elb.reason_code', 'TimedOut'),
      s('aws.elb.ip_address', '10.0.0.1'),
    ],
  },
];

describe('connection, NLB, Classic and health-check logs', () => {
  it.each(table)('$name', async ({ line, format, time, severity, attributes }) => {
    const parsed = await parseObject(line);
    expect(parsed.format).toBe(format);
    expect(parsed.records).toStrictEqual([
      {
        timeUnixNano: nanos(time),
        observedTimeUnixNano: OBSERVED_JSON,
        severityNumber: severity[0],
        severityText: severity[1],
        body: { stringValue: line },
        attributes: [...attributes, uid(0)],
      },
    ]);
  });

  it('takes a Classic ELB TCP entry as a connection without HTTP attributes', async () => {
    const { records } = await parseObject(clb[2].line);
    const keys = records[0].attributes.map((attribute) => attribute.key);
    expect(keys).toStrictEqual([
      'client.address',
      'client.port',
      'destination.address',
      'destination.port',
      'aws.elb.request_processing_time',
      'aws.elb.backend_processing_time',
      'aws.elb.response_processing_time',
      'aws.elb.received_bytes',
      'aws.elb.sent_bytes',
      'log.record.uid',
    ]);
  });

  it('builds the NLB resource from the line when there is no key', async () => {
    const { resource } = await parseObject(nlb[0].line);
    expect(resource).toStrictEqual({
      attributes: [
        s('cloud.provider', 'aws'),
        s('cloud.resource_id', 'net/my-network-loadbalancer/c6e77e28c25b2234'),
        s('aws.elb.name', 'my-network-loadbalancer'),
        s('service.name', 'my-network-loadbalancer'),
      ],
    });
  });

  it('reads the 15-field connection log with elb and node IP', async () => {
    const line = `${conn[0].line} secp256r1 app/my-loadbalancer/50dc6c495c0c9188 10.0.0.1`;
    const { records, resource } = await parseObject(line);
    expect(records[0].attributes.slice(-4)).toStrictEqual([
      s('aws.elb.conn_trace_id', 'TID_3180a73013c8ca4bac2f731159d4b0fe'),
      s('aws.elb.tls_keyexchange', 'secp256r1'),
      s('aws.elb.ip_address', '10.0.0.1'),
      uid(0),
    ]);
    expect(resource?.attributes).toContainEqual(
      s('cloud.resource_id', 'app/my-loadbalancer/50dc6c495c0c9188'),
    );
  });
});
