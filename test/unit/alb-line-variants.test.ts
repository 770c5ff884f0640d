/**
 * ALB access log lines as they come in the wild: every era's field count,
 * unknown trailing fields, escapes, IPv6, requests never dispatched, WAF
 * blocks, odd request fields, the redaction and body settings, each mapped to
 * the record it should give.
 */

import { describe, expect, it } from 'vitest';
import { a, fixtureCases, OBSERVED_JSON, parseObject, s, uid } from '../helpers/records.ts';

// The documented 29-field HTTP entry; shorter eras cut it, newer ones extend it.
const BASE = fixtureCases('alb-access.txt')[0].line;
const fields = BASE.split(' ');
const first = (n: number) => fields.slice(0, n + 2).join(' '); // the request field holds 3 spaces
const TAIL_33 =
  'TID_3180a73013c8ca4bac2f731159d4b0fe "example.internal" "/rewritten?a=1" "TransformSuccess"';

function withRequest(request: string): string {
  return BASE.replace('"GET http://www.example.com:80/ HTTP/1.1"', request);
}

async function attributes(line: string) {
  const { records } = await parseObject(line);
  expect(records).toHaveLength(1);
  return records[0].attributes;
}

function keysOf(list: { key: string }[]): string[] {
  return list.map((attribute) => attribute.key);
}

describe('ALB line lengths of every era', () => {
  it.each([
    { era: '25 fields (2018-11 to 2019-11)', line: first(25), last: 'aws.elb.actions_executed' },
    { era: '27 fields (to 2020-08)', line: first(27), last: 'aws.elb.target_status_code_list' },
    { era: '29 fields (to 2024-05)', line: BASE, last: 'aws.elb.target_status_code_list' },
    {
      era: '30 fields (conn_trace_id)',
      line: `${BASE} TID_3180a73013c8ca4bac2f731159d4b0fe`,
      last: 'aws.elb.conn_trace_id',
    },
    {
      era: '33 fields (transforms)',
      line: `${BASE} ${TAIL_33}`,
      last: 'aws.elb.request_transform_status',
    },
    {
      era: '36 fields (node IP and pre-release "-")',
      line: `${BASE} ${TAIL_33} 10.0.0.1 "-" "-"`,
      last: 'aws.elb.extra_fields',
    },
  ])('parses $era', async ({ line, last }) => {
    const list = await attributes(line);
    expect(keysOf(list)).not.toContain('elb_otlp.parse_error');
    expect(list.at(-2)?.key).toBe(last);
  });

  it('keeps the transform fields of a 33-field line', async () => {
    const list = await attributes(`${BASE} ${TAIL_33}`);
    expect(list.slice(-5, -1)).toStrictEqual([
      s('aws.elb.conn_trace_id', 'TID_3180a73013c8ca4bac2f731159d4b0fe'),
      s('aws.elb.transformed_host', 'example.internal'),
      s('aws.elb.transformed_uri', '/rewritten?a=1'),
      s('aws.elb.request_transform_status', 'TransformSuccess'),
    ]);
  });

  it('keeps unknown trailing fields in aws.elb.extra_fields, dashes included', async () => {
    const list = await attributes(`${BASE} ${TAIL_33} 10.0.0.1 "-" - "new value"`);
    expect(list.at(-2)).toStrictEqual(
      a('aws.elb.extra_fields', ['10.0.0.1', '-', '-', 'new value']),
    );
  });

  it('fails a line shorter than the oldest layout, naming the first missing field', async () => {
    const line = first(13);
    const { records } = await parseObject(line);
    expect(records).toStrictEqual([
      {
        observedTimeUnixNano: OBSERVED_JSON,
        severityNumber: 9,
        severityText: 'INFO',
        body: { stringValue: line },
        attributes: [
          s(
            'elb_otlp.parse_error',
            'user_agent: missing: the line has 13 fields; ALB access log lines have at least 20',
          ),
          uid(0),
        ],
      },
    ]);
  });
});

describe('ALB field edge cases', () => {
  it('decodes \\xHH escapes, including multi-byte UTF-8 and an escaped quote', async () => {
    const line = withRequest(
      '"GET http://www.example.com:80/?q=\\x22caf\\xC3\\xA9\\x22 HTTP/1.1"',
    ).replace('"curl/7.46.0"', '"agent \\x5Cv1\\x5C"');
    const list = await attributes(line);
    expect(list).toContainEqual(s('url.query', 'q="café"'));
    expect(list).toContainEqual(s('user_agent.original', 'agent \\v1\\'));
  });

  it('splits unbracketed IPv6 client and target addresses at the last colon', async () => {
    const line = BASE.replace('192.168.131.39:2817', '2001:db8::1:443').replace(
      ' 10.0.0.1:80 0.000',
      ' 2600:1f18:abc::12:8080 0.000',
    );
    const list = await attributes(line);
    expect(list.slice(1, 5)).toStrictEqual([
      s('client.address', '2001:db8::1'),
      { key: 'client.port', value: { intValue: '443' } },
      s('destination.address', '2600:1f18:abc::12'),
      { key: 'destination.port', value: { intValue: '8080' } },
    ]);
  });

  it('keeps -1 processing times of a request never dispatched', async () => {
    const line = BASE.replace('0.000 0.001 0.000', '-1 -1 -1');
    const list = await attributes(line);
    expect(list.filter((attribute) => attribute.key.endsWith('_processing_time'))).toStrictEqual([
      { key: 'aws.elb.request_processing_time', value: { doubleValue: -1 } },
      { key: 'aws.elb.target_processing_time', value: { doubleValue: -1 } },
      { key: 'aws.elb.response_processing_time', value: { doubleValue: -1 } },
    ]);
  });

  it('maps a WAF block: no target, 403 is a WARN, both actions listed', async () => {
    const line = BASE.replace(' 10.0.0.1:80 0.000 0.001 0.000 200 200 ', ' - -1 -1 -1 403 - ')
      .replace('"forward"', '"waf"')
      .replace(' 10.0.0.1:80 200 "-" "-"', ' "-" "-" "-" "-"');
    const { records } = await parseObject(line);
    expect(records[0].severityNumber).toBe(13);
    expect(keysOf(records[0].attributes)).not.toContain('destination.address');
    expect(records[0].attributes).toContainEqual(a('aws.elb.actions_executed', ['waf']));
  });

  it.each([
    {
      name: 'a malformed request logged as "- http://host:80- -"',
      request: '"- http://www.example.com:80- -"',
      expected: [
        s('url.full', 'http://www.example.com:80'),
        s('url.scheme', 'http'),
        s('server.address', 'www.example.com'),
        { key: 'server.port', value: { intValue: '80' } },
      ],
    },
    {
      name: 'spaces in the URI (SpaceInUri)',
      request: '"GET http://www.example.com:80/a b/c HTTP/1.1"',
      expected: [
        s('http.request.method', 'GET'),
        s('url.full', 'http://www.example.com:80/a b/c'),
        s('url.scheme', 'http'),
        s('url.path', '/a b/c'),
        s('server.address', 'www.example.com'),
        { key: 'server.port', value: { intValue: '80' } },
        s('network.protocol.name', 'http'),
        s('network.protocol.version', '1.1'),
      ],
    },
    {
      name: 'a method the conventions do not know',
      request:
        '"SSTP_DUPLEX_POST https://www.example.com:443/sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1"',
      expected: [
        s('http.request.method', '_OTHER'),
        s('http.request.method_original', 'SSTP_DUPLEX_POST'),
        s('url.full', 'https://www.example.com:443/sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/'),
        s('url.scheme', 'https'),
        s('url.path', '/sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/'),
        s('server.address', 'www.example.com'),
        { key: 'server.port', value: { intValue: '443' } },
        s('network.protocol.name', 'http'),
        s('network.protocol.version', '1.1'),
      ],
    },
    {
      name: 'signatures and tokens in the query',
      request:
        '"GET https://b.example.com:443/k?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=abc&part=2&token=t0k HTTP/1.1"',
      expected: [
        s('http.request.method', 'GET'),
        s(
          'url.full',
          'https://b.example.com:443/k?X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&part=2&token=REDACTED',
        ),
        s('url.scheme', 'https'),
        s('url.path', '/k'),
        s('url.query', 'X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&part=2&token=REDACTED'),
        s('server.address', 'b.example.com'),
        { key: 'server.port', value: { intValue: '443' } },
        s('network.protocol.name', 'http'),
        s('network.protocol.version', '1.1'),
      ],
    },
    {
      name: 'credentials in the authority',
      request: '"GET http://user:secret@www.example.com:80/ HTTP/1.0"',
      expected: [
        s('http.request.method', 'GET'),
        s('url.full', 'http://REDACTED:REDACTED@www.example.com:80/'),
        s('url.scheme', 'http'),
        s('url.path', '/'),
        s('server.address', 'www.example.com'),
        { key: 'server.port', value: { intValue: '80' } },
        s('network.protocol.name', 'http'),
        s('network.protocol.version', '1.0'),
      ],
    },
  ])('maps $name', async ({ request, expected }) => {
    const list = await attributes(withRequest(request));
    const from = list.findIndex((attribute) => attribute.key === 'http.response.size') + 1;
    const to = list.findIndex((attribute) => attribute.key === 'user_agent.original');
    expect(list.slice(from, to)).toStrictEqual(expected);
  });

  it('redacts what ELB_OTLP_REDACT_QUERY_PARAMS names, and nothing with "none"', async () => {
    const line = withRequest('"GET http://www.example.com:80/?session=s1&token=t HTTP/1.1"');
    const custom = await parseObject(line, { env: { ELB_OTLP_REDACT_QUERY_PARAMS: 'session' } });
    expect(custom.records[0].attributes).toContainEqual(s('url.query', 'session=REDACTED&token=t'));
    const none = await parseObject(line, { env: { ELB_OTLP_REDACT_QUERY_PARAMS: 'none' } });
    expect(none.records[0].attributes).toContainEqual(s('url.query', 'session=s1&token=t'));
  });

  it('drops the body when ELB_OTLP_INCLUDE_BODY=false but keeps it for parse errors', async () => {
    const { records } = await parseObject(`${BASE}\ngarbage\n`, {
      env: { ELB_OTLP_INCLUDE_BODY: 'false' },
    });
    expect(records[0].body).toBeUndefined();
    expect(records[1].body).toStrictEqual({ stringValue: 'garbage' });
  });
});
