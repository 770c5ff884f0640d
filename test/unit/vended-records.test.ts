/**
 * Vended ELB records (docs/vended-logs.md) give the record their classic
 * line gives: every constructed sample, as JSON lines, W3C and plain rows,
 * all fields or a chosen subset, with each delimiter, through the real line
 * reader and object parser. Only the body and `log.record.uid` may differ;
 * the ALB access log's node IP is `aws.elb.ip_address` where the classic
 * line has it as its first extra field.
 */

import { describe, expect, it } from 'vitest';
import type { JsonKeyValue, JsonLogRecord } from '../../shared/otlp/otlp-json.ts';
import { type ParseOptions, parseObject } from '../helpers/records.ts';
import {
  classicWith,
  DELIMITERS,
  row,
  SAMPLES,
  subsetOf,
  type VendedSample,
  w3cObject,
  withNodeIpNamed,
} from '../helpers/vended-samples.ts';

const KEY = 'AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/09/10/delivery-0001.log.gz';
const OPTIONS: ParseOptions = { bucket: 'logs', key: KEY, etag: '"e"' };

/** What a vended record must equal: the classic record, its uid and body aside, node IP named. */
function comparable(record: JsonLogRecord): JsonLogRecord {
  const { body: _body, ...rest } = record;
  return { ...rest, attributes: withNodeIpNamed(record.attributes) };
}

async function classicRecord(sample: VendedSample, line = sample.classic) {
  // Forced: a line with most fields `-` is not always recognisable by itself.
  const parsed = await parseObject(`${line}\n`, { ...OPTIONS, format: sample.format });
  expect(parsed.format).toBe(sample.format);
  expect(parsed.records).toHaveLength(1);
  expect(parsed.records[0].attributes[0].key).not.toBe('elb_otlp.parse_error');
  return { resource: parsed.resource, record: comparable(parsed.records[0]) };
}

async function vendedRecords(text: string, sample: VendedSample, options: ParseOptions = {}) {
  const parsed = await parseObject(text, { ...OPTIONS, ...options });
  expect(parsed.refusal).toBeUndefined();
  expect(parsed.format).toBe(sample.format);
  return {
    resource: parsed.resource,
    records: parsed.records.map((r) => comparable(r)),
    bodies: parsed.records.map((r) => r.body?.stringValue ?? ''),
  };
}

describe.each(SAMPLES.map((sample) => [`${sample.logType}: ${sample.what}`, sample] as const))(
  '%s',
  (_, sample) => {
    const names = Object.keys(sample.record);

    it('has every field of its log type, and its classic line is the same request', async () => {
      const rebuilt = await classicRecord(sample, classicWith(sample.record, names));
      expect(rebuilt).toEqual(await classicRecord(sample));
    });

    it('as a JSON line gives the classic record, its secrets redacted in the body too', async () => {
      const classic = await classicRecord(sample);
      const vended = await vendedRecords(`${JSON.stringify(sample.record)}\n`, sample);
      expect(vended.records).toEqual([classic.record]);
      expect(vended.resource).toEqual(classic.resource);
      const body = JSON.parse(vended.bodies[0]);
      expect(Object.keys(body)).toEqual(names);
      for (const secret of ['s3cr3t', 'token=abc', 'sig=abc', 'Signature=abc']) {
        expect(vended.bodies[0]).not.toContain(secret);
      }
    });

    it.each(Object.entries(DELIMITERS))(
      'as W3C rows separated by %s gives the classic record',
      async (_, delimiter) => {
        const classic = await classicRecord(sample);
        const text = w3cObject([sample.record, sample.record], names, delimiter);
        const vended = await vendedRecords(text, sample);
        expect(vended.records).toEqual([classic.record, classic.record]);
        expect(vended.resource).toEqual(classic.resource);
      },
    );

    it.each(Object.entries(DELIMITERS))(
      'as plain rows of every field, in order, separated by %s, gives the classic record',
      async (name, delimiter) => {
        const classic = await classicRecord(sample);
        const text = `${row(sample.record, names, delimiter)}\n`;
        const env = { ELB_OTLP_VENDED_FIELDS: names.join(','), ELB_OTLP_VENDED_DELIMITER: name };
        const vended = await vendedRecords(text, sample, { env });
        expect(vended.records).toEqual([classic.record]);
      },
    );

    it.each(Object.entries(DELIMITERS))(
      'as plain rows of a chosen subset, separated by %s, gives the classic line with the rest absent',
      async (name, delimiter) => {
        const subset = subsetOf(sample.record);
        const classic = await classicRecord(sample, classicWith(sample.record, subset));
        const text = `${row(sample.record, subset, delimiter)}\n`;
        const env = { ELB_OTLP_VENDED_FIELDS: subset.join(' '), ELB_OTLP_VENDED_DELIMITER: name };
        const vended = await vendedRecords(text, sample, { env });
        expect(vended.records).toEqual([classic.record]);
        // The delimiter, when not given, is told from the row.
        const told = await vendedRecords(text, sample, {
          env: { ELB_OTLP_VENDED_FIELDS: subset.join(',') },
        });
        expect(told.records).toEqual([classic.record]);
      },
    );
  },
);

describe('vended records beyond the samples', () => {
  const access = SAMPLES[0];
  const health = SAMPLES.find((s) => s.logType === 'ALB_HEALTH_CHECK_LOGS') as VendedSample;

  it('reads the names in any spelling that normalises to the catalogue’s', async () => {
    const classic = await classicRecord(access);
    const spelled = Object.fromEntries(
      Object.entries(access.record).map(([name, value], i) => [
        i % 3 === 0 ? name.toUpperCase() : i % 3 === 1 ? name.replaceAll('_', '-') : name,
        value,
      ]),
    );
    spelled['client:port'] = spelled.CLIENT_PORT ?? spelled['client-port'] ?? spelled.client_port;
    delete spelled.CLIENT_PORT;
    delete spelled['client-port'];
    const vended = await vendedRecords(`${JSON.stringify(spelled)}\n`, access);
    expect(vended.records).toEqual([classic.record]);
  });

  it('reads JSON numbers, lists and null as the classic line writes them', async () => {
    const classic = await classicRecord(access);
    const typed: Record<string, unknown> = { ...access.record };
    typed.elb_status_code = 200;
    typed.request_processing_time = 0.086;
    typed.matched_rule_priority = 1;
    typed.actions_executed = ['authenticate', 'forward'];
    typed.target_status_code_list = [200];
    typed.redirect_url = null;
    const vended = await vendedRecords(`${JSON.stringify(typed)}\n`, access);
    expect(vended.records).toEqual([classic.record]);
  });

  it('keeps a name without a classic field as aws.elb.<name>, redacted as any field holding a URL', async () => {
    const record = { ...health.record, probe_url: 'https://t.example/h?token=s3cr3t' };
    const parsed = await parseObject(`${JSON.stringify(record)}\n`, OPTIONS);
    const attributes = parsed.records[0].attributes;
    expect(attributes).toContainEqual({
      key: 'aws.elb.probe_url',
      value: { stringValue: 'https://t.example/h?token=REDACTED' },
    });
    expect(parsed.records[0].body?.stringValue).not.toContain('s3cr3t');
  });

  it('makes a record without its time a parse error naming time, shipped, not lost', async () => {
    const { time: _time, ...rest } = health.record;
    const text = `${JSON.stringify(health.record)}\n${JSON.stringify(rest)}\n`;
    const parsed = await parseObject(text, OPTIONS);
    expect(parsed.records).toHaveLength(2);
    expect(parsed.records[1].attributes[0]).toEqual({
      key: 'elb_otlp.parse_error',
      value: {
        stringValue: 'time: missing: ALB health-check log records cannot do without it',
      },
    });
    expect(parsed.records[1].body?.stringValue).toBe(JSON.stringify(rest));
  });

  it('names a bad value by the name the record gave it', async () => {
    const text = `${JSON.stringify({ ...health.record, status_code: 'abc' })}\n`;
    const parsed = await parseObject(text, OPTIONS);
    expect(parsed.records[0].attributes[0]).toEqual({
      key: 'elb_otlp.parse_error',
      value: { stringValue: 'status_code: not an integer: "abc"' },
    });
  });

  it('takes a W3C header repeated further on, with other fields, for the rows after it', async () => {
    const names = Object.keys(health.record);
    const fewer = names.filter((name) => name !== 'latency' && name !== 'reason_code');
    const classic = await classicRecord(health);
    const fewerClassic = await classicRecord(health, classicWith(health.record, fewer));
    const text = w3cObject([health.record], names, '\t') + w3cObject([health.record], fewer, '\t');
    const vended = await vendedRecords(text, health);
    expect(vended.records).toEqual([classic.record, fewerClassic.record]);
  });

  it('does not take a plain row without the delivery’s fields, nor a JSON object of no log type', async () => {
    const plain = await parseObject(`${row(health.record, Object.keys(health.record), '\t')}\n`, {
      ...OPTIONS,
    });
    expect(plain.refusal?.name).toBe('NotAnElbLogError');
    const other = await parseObject('{"eventVersion":"1.08","eventName":"GetObject"}\n', OPTIONS);
    expect(other.refusal?.name).toBe('NotAnElbLogError');
  });

  it('leaves no secret in the body when a field comes twice, under two spellings or one', async () => {
    const secret = 'GET https://h.example:443/?token=SECRET HTTP/1.1';
    const renamed = `{"time":"${access.record.time}","elb":"${access.record.elb}","type":"https","request_line":"GET https://h.example:443/ HTTP/1.1","request":"${secret}"}`;
    const twice = `{"time":"${access.record.time}","elb":"${access.record.elb}","type":"https","request_line":"${secret}","request_line":"GET https://h.example:443/ HTTP/1.1"}`;
    const header = `#Fields: time elb type request_line request\n${access.record.time}\t${access.record.elb}\thttps\tGET https://h.example:443/ HTTP/1.1\t${secret}\n`;
    for (const text of [`${renamed}\n`, `${twice}\n`, header]) {
      const parsed = await parseObject(text, OPTIONS);
      expect(parsed.records).toHaveLength(1);
      expect(JSON.stringify(parsed.records[0]), text).not.toContain('SECRET');
    }
  });

  it('leaves no secret behind a JSON escape, in a record or in a parse error’s body', async () => {
    const hidden = 'GET https://h.example:443/?a=1\\u0026token=SECRET HTTP/1.1';
    const good = `{"time":"${access.record.time}","elb":"${access.record.elb}","type":"https","request_line":"${hidden}"}`;
    const bad = `{"time":"not a time","elb":"${access.record.elb}","type":"https","request_line":"${hidden}"}`;
    const parsed = await parseObject(`${good}\n${bad}\n`, OPTIONS);
    expect(parsed.records).toHaveLength(2);
    expect(parsed.records[1].attributes[0].key).toBe('elb_otlp.parse_error');
    expect(JSON.stringify(parsed.records)).not.toContain('SECRET');
  });

  it('reads a space-separated plain subset that starts as a classic line does as plain, not classic', async () => {
    const subset = ['type', 'time', 'elb', 'elb_status_code', 'request_line'];
    const classic = await classicRecord(access, classicWith(access.record, subset));
    const text = `${row(access.record, subset, ' ')}\n`;
    const env = { ELB_OTLP_VENDED_FIELDS: subset.join(','), ELB_OTLP_VENDED_DELIMITER: 'space' };
    const vended = await vendedRecords(text, access, { env });
    expect(vended.records).toEqual([classic.record]);
  });

  it('tells comma from space by the row when no delimiter is set, a space coming last', async () => {
    const subset = ['time', 'elb', 'user_agent', 'elb_status_code'];
    const record = { ...access.record, user_agent: 'Mozilla/5.0 (X11; Linux x86_64)' };
    const text = `${row(record, subset, ',')}\n`;
    const parsed = await parseObject(text, {
      ...OPTIONS,
      env: { ELB_OTLP_VENDED_FIELDS: subset.join(',') },
    });
    expect(parsed.refusal).toBeUndefined();
    expect(parsed.records[0].attributes).toContainEqual({
      key: 'user_agent.original',
      value: { stringValue: 'Mozilla/5.0 (X11; Linux x86_64)' },
    });
  });

  it('does not take another service’s JSON logs for ELB records', async () => {
    for (const line of [
      '{"time":"2026-09-10T21:47:10Z","status":"ok","latency":0.1,"msg":"hello","level":"info"}',
      '{"time":"2026-09-10T21:47:10Z","type":"request"}',
    ]) {
      const parsed = await parseObject(`${line}\n`, OPTIONS);
      expect(parsed.refusal?.name, line).toBe('NotAnElbLogError');
    }
  });

  it('reads an object that begins with a byte order mark', async () => {
    const text = `\uFEFF${JSON.stringify(health.record)}\n${JSON.stringify(health.record)}\n`;
    const parsed = await parseObject(text, OPTIONS);
    expect(parsed.records.map((r) => r.attributes[0].key)).not.toContain('elb_otlp.parse_error');
  });
});

describe('classic lines beside plain settings', () => {
  const access = SAMPLES[0];

  it('stay classic when the plain fields are the classic order, and plain rows of them read alike', async () => {
    const names = Object.keys(access.record);
    const env = { ELB_OTLP_VENDED_FIELDS: names.join(',') };
    const classic = await parseObject(`${access.classic}\n`, OPTIONS);
    const beside = await parseObject(`${access.classic}\n`, { ...OPTIONS, env });
    expect(beside.records).toEqual(classic.records);
    expect(beside.records[0].attributes.map((a) => a.key)).toContain('aws.elb.extra_fields');
  });

  it('read a plain row after a byte order mark as the row', async () => {
    const health = SAMPLES.find((s) => s.logType === 'ALB_HEALTH_CHECK_LOGS') as VendedSample;
    const names = Object.keys(health.record);
    const env = { ELB_OTLP_VENDED_FIELDS: names.join(','), ELB_OTLP_VENDED_DELIMITER: 'tab' };
    const text = `${row(health.record, names, '\t')}\n`;
    const plain = await vendedRecords(text, health, { env });
    const marked = await vendedRecords(`\uFEFF${text}`, health, { env });
    expect(marked.records).toEqual(plain.records);
    expect(marked.bodies).toEqual(plain.bodies);
  });
});

describe('vended settings', () => {
  it('refuse fields without the time every record has, naming the setting', async () => {
    const { loadMappingConfig } = await import('../../shared/config/mapping-config.ts');
    expect(() =>
      loadMappingConfig({ ELB_OTLP_VENDED_FIELDS: 'elb,request_line,elb_status_code' }),
    ).toThrow(/ELB_OTLP_VENDED_FIELDS: lists no time, which every ALB access log record has/);
    expect(() => loadMappingConfig({ ELB_OTLP_VENDED_DELIMITER: '"' })).toThrow(
      /ELB_OTLP_VENDED_DELIMITER/,
    );
  });
});

describe('the keys of a vended delivery', () => {
  it('give account, Region and day from the Hive-compatible folders AWS documents', async () => {
    const { parseS3Key } = await import('../../shared/formats/s3-key.ts');
    expect(
      parseS3Key(
        'AWSLogs/aws-account-id=111122223333/elasticloadbalancing/region=us-east-1/year=2026/month=09/day=10/delivery.log.gz',
      ),
    ).toEqual({
      kind: 'unknown',
      isLog: true,
      byContent: true,
      account: '111122223333',
      region: 'us-east-1',
      date: '2026-09-10',
    });
    // A suffix path of the user's own replaces the Region's folder.
    expect(
      parseS3Key(
        'AWSLogs/aws-account-id=111122223333/elasticloadbalancing/myFolder/year=2026/month=09/day=10/d.log.gz',
      ),
    ).toMatchObject({ account: '111122223333', date: '2026-09-10' });
    // Another service's Hive folders stay skipped.
    expect(
      parseS3Key('AWSLogs/aws-account-id=111122223333/aws-service=cloudfront/d.log.gz').isLog,
    ).toBe(false);
  });
});
