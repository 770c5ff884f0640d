import { describe, expect, it } from 'vitest';
import { OTLP_SCHEMA } from '../../receiver/otlp-decoder.ts';
import { countLogRecords } from '../../receiver/otlp-record-counter.ts';
import { createBatchEncoder } from '../../shared/otlp/batch-encoder.ts';
import { SCOPE } from '../../shared/otlp/scope.ts';
import type { LogRecord } from '../../shared/records/model.ts';

// Requests are written with protobufjs from the specification's schema, not
// with elb-otlp's encoder, except where the encoder's own output is the point.
const RequestType = OTLP_SCHEMA.lookupType('otlp.ExportLogsServiceRequest');
const encode = (request: object): Uint8Array =>
  RequestType.encode(RequestType.fromObject(request)).finish();

const STATUS = 'http.response.status_code';
const string = (key: string, value: string) => ({ key, value: { stringValue: value } });
const int = (key: string, value: number | string) => ({ key, value: { intValue: value } });
const record = (...attributes: object[]) => ({
  timeUnixNano: '1795564800003324000',
  severityNumber: 9,
  severityText: 'INFO',
  body: { stringValue: 'a line' },
  attributes,
  traceId: Buffer.alloc(16, 1),
});
const resource = (name: string) => ({
  attributes: [string('aws.elb.name', name), int('aws.elb.port', 443)],
});

/** The counts in plain objects, for toEqual. */
const counted = (bytes: Uint8Array, intAttribute?: string) =>
  countLogRecords(bytes, { intAttribute }).map((count) => ({
    resource: Object.fromEntries(count.resource),
    records: count.records,
    byIntValue: Object.fromEntries(count.byIntValue),
  }));

describe('countLogRecords', () => {
  it('counts the records of every resource over all its scopes, with its string attributes', () => {
    const bytes = encode({
      resourceLogs: [
        {
          resource: resource('shop-frontend'),
          scopeLogs: [
            { scope: { name: 'elb-otlp' }, logRecords: [record(), record(), record()] },
            { scope: { name: 'other' }, logRecords: [record()] },
          ],
        },
        { resource: resource('payments-api'), scopeLogs: [{ logRecords: [record(), record()] }] },
        { resource: resource('admin-internal'), scopeLogs: [] },
      ],
    });
    expect(counted(bytes)).toEqual([
      { resource: { 'aws.elb.name': 'shop-frontend' }, records: 4, byIntValue: {} },
      { resource: { 'aws.elb.name': 'payments-api' }, records: 2, byIntValue: {} },
      { resource: { 'aws.elb.name': 'admin-internal' }, records: 0, byIntValue: {} },
    ]);
  });

  it('counts records by the integer value of the attribute asked for, null when absent', () => {
    const bytes = encode({
      resourceLogs: [
        {
          resource: resource('shop-frontend'),
          scopeLogs: [
            {
              logRecords: [
                record(string('url.path', '/'), int(STATUS, 200)),
                record(int(STATUS, 200), int('aws.elb.target_status_code', 502)),
                record(int(STATUS, 503)),
                record(string(STATUS, '200')),
                record(int('http.response.status_codes', 404)),
                record(),
                record(int(STATUS, '1099511627779')),
                record(int(STATUS, -1)),
              ],
            },
          ],
        },
      ],
    });
    const [count] = countLogRecords(bytes, { intAttribute: STATUS });
    expect(count.records).toBe(8);
    expect([...count.byIntValue].sort()).toEqual(
      [
        [200, 2],
        [503, 1],
        [null, 3],
        [2 ** 40 + 3, 1],
        [-1, 1],
      ].sort(),
    );
  });

  it('counts what elb-otlp encodes as the decoder reads it', () => {
    const encoder = createBatchEncoder(
      'http/protobuf',
      { attributes: [{ key: 'aws.elb.name', type: 'string', value: 'lb' }] },
      SCOPE,
      { maxRecords: 10_000, maxBytes: 16 * 1024 * 1024 },
    );
    const statuses = [200, 301, 404, 503, 200, 200, undefined];
    for (let n = 0; n < 700; n++) {
      const status = statuses[n % statuses.length];
      const input: LogRecord = {
        timeUnixNano: 1_795_564_800_003_324_000n,
        observedTimeUnixNano: 1_795_564_800_003_324_000n,
        severityNumber: 9,
        severityText: 'INFO',
        body: `line ${n} ${'x'.repeat(n)}`,
        attributes: [
          { key: 'url.path', type: 'string', value: `/${n}` },
          ...(status === undefined ? [] : [{ key: STATUS, type: 'int' as const, value: status }]),
        ],
      };
      expect(encoder.add(input)).toBeUndefined();
    }
    const body = encoder.flush()?.body as Uint8Array;
    const decoded = RequestType.toObject(RequestType.decode(body), { longs: Number }) as {
      resourceLogs: {
        scopeLogs: {
          logRecords: { attributes: { key: string; value: { intValue?: number } }[] }[];
        }[];
      }[];
    };
    const records = decoded.resourceLogs[0].scopeLogs[0].logRecords;
    const expected = new Map<number | null, number>();
    for (const r of records) {
      const status = r.attributes.find((a) => a.key === STATUS)?.value.intValue ?? null;
      expected.set(status, (expected.get(status) ?? 0) + 1);
    }
    const [count] = countLogRecords(body, { intAttribute: STATUS });
    expect(count.records).toBe(700);
    expect(count.byIntValue).toEqual(expected);
  });

  it('skips fields it does not know, of every wire type', () => {
    const known = encode({
      resourceLogs: [{ resource: resource('lb'), scopeLogs: [{ logRecords: [record()] }] }],
    });
    // Field 15 as varint, fixed64, bytes and fixed32, before the request's own field.
    const unknown = Buffer.from([
      0x78, 0x96, 0x01, 0x79, 1, 2, 3, 4, 5, 6, 7, 8, 0x7a, 2, 0xff, 0xff, 0x7d, 1, 2, 3, 4,
    ]);
    expect(counted(Buffer.concat([unknown, known]))).toEqual(counted(known));
  });

  it('counts an empty request as no resources', () => {
    expect(countLogRecords(new Uint8Array(0))).toEqual([]);
  });

  const valid = encode({
    resourceLogs: [{ resource: resource('lb'), scopeLogs: [{ logRecords: [record(), record()] }] }],
  });
  it.each([
    ['a body cut short', valid.subarray(0, valid.length - 5), /runs past its message/],
    ['a length past the end', Buffer.from([0x0a, 0x10, 0x12, 0x00]), /runs past its message/],
    ['a wire type OTLP does not use', Buffer.from([0x0b, 0x00]), /wire type 3/],
    ['a varint that never ends', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff]), /varint/],
  ])('refuses %s instead of guessing a count', (_name, bytes, error) => {
    expect(() => countLogRecords(bytes, { intAttribute: STATUS })).toThrow(error);
  });
});
