import { describe, expect, it } from 'vitest';
import { decodeProtobufRequest } from '../../receiver/otlp-decoder.ts';
import type { OtlpProtocol } from '../../shared/config/export-config.ts';
import {
  createBatchEncoder,
  type EncodedBatch,
  ProtobufBatchEncoder,
} from '../../shared/otlp/batch-encoder.ts';
import { logRecordToJson, resourceToJson } from '../../shared/otlp/otlp-json.ts';
import { ProtobufWriter } from '../../shared/otlp/protobuf-writer.ts';
import { SCOPE } from '../../shared/otlp/scope.ts';
import type { Attribute, LogRecord, Resource } from '../../shared/records/model.ts';

function decode(body: Uint8Array, protocol: OtlpProtocol) {
  return protocol === 'http/json'
    ? JSON.parse(Buffer.from(body).toString('utf8'))
    : decodeProtobufRequest(body);
}

const resource: Resource = {
  attributes: [
    { key: 'cloud.provider', type: 'string', value: 'aws' },
    { key: 'service.name', type: 'string', value: 'my-loadbalancer' },
  ],
};

const record = (attributes: Attribute[], extra: Partial<LogRecord> = {}): LogRecord => ({
  timeUnixNano: 1_530_570_180_186_641_000n,
  observedTimeUnixNano: 1_764_000_000_123_000_000n,
  severityNumber: 9,
  severityText: 'INFO',
  body: 'raw line',
  attributes,
  ...extra,
});

const PROTOCOLS: OtlpProtocol[] = ['http/protobuf', 'http/json'];

const cases: [string, LogRecord][] = [
  ['a plain record', record([{ key: 'http.request.method', type: 'string', value: 'GET' }])],
  [
    'int64 values beyond 32 bits and negative ones',
    record([
      { key: 'http.response.size', type: 'int', value: 2 ** 40 + 3 },
      { key: 'aws.elb.negative', type: 'int', value: -1 },
      { key: 'zero', type: 'int', value: 0 },
    ]),
  ],
  [
    'doubles that are whole numbers stay doubles',
    record([
      { key: 'aws.elb.request_processing_time', type: 'double', value: 0 },
      { key: 'aws.elb.target_processing_time', type: 'double', value: -1 },
      { key: 'aws.elb.response_processing_time', type: 'double', value: 0.000123 },
    ]),
  ],
  [
    'UTF-8 text, including characters outside the BMP',
    record([{ key: 'user_agent.original', type: 'string', value: 'naïve 浏览器 🚀' }]),
  ],
  [
    'strings long enough to need two- and three-byte lengths',
    record(
      [
        { key: 'url.full', type: 'string', value: `https://x/${'a'.repeat(300)}` },
        { key: 'url.query', type: 'string', value: `q=${'é'.repeat(9000)}` },
      ],
      { body: 'b'.repeat(20_000) },
    ),
  ],
  ['empty strings', record([{ key: 'aws.elb.empty', type: 'string', value: '' }])],
  [
    'string arrays',
    record([
      { key: 'aws.elb.actions_executed', type: 'strings', value: ['waf', 'forward'] },
      { key: 'aws.elb.extra_fields', type: 'strings', value: [] },
    ]),
  ],
  [
    'a trace id',
    record([], {
      traceId: '5759e988bd862e3fe1be46a994272793',
      severityNumber: 17,
      severityText: 'ERROR',
    }),
  ],
  ['an unknown time and no body', record([], { timeUnixNano: 0n, body: undefined })],
];

describe.each(PROTOCOLS)('%s batch encoder', (protocol) => {
  it.each(cases)('round-trips %s', (_name, input) => {
    const encoder = createBatchEncoder(protocol, resource, SCOPE, {
      maxRecords: 100,
      maxBytes: 1024 * 1024,
    });
    expect(encoder.add(input)).toBeUndefined();
    const batch = encoder.flush();
    expect(batch?.records).toBe(1);
    const decoded = decode(batch?.body ?? new Uint8Array(), protocol);
    expect(decoded).toEqual({
      resourceLogs: [
        {
          resource: resourceToJson(resource),
          scopeLogs: [
            {
              scope: { name: 'elb-otlp', version: SCOPE.version },
              logRecords: [logRecordToJson(input)],
            },
          ],
        },
      ],
    });
  });

  it('keeps every batch within the byte bound and loses no record at the split', () => {
    const maxBytes = 8 * 1024;
    const encoder = createBatchEncoder(protocol, resource, SCOPE, { maxRecords: 1000, maxBytes });
    const inputs = Array.from({ length: 200 }, (_, n) =>
      record([{ key: 'log.record.uid', type: 'string', value: `uid:${n}` }], {
        body: 'x'.repeat(100 + ((n * 37) % 400)),
      }),
    );
    const batches = inputs.map((r) => encoder.add(r)).filter((b) => b !== undefined);
    const last = encoder.flush();
    if (last !== undefined) batches.push(last);
    expect(batches.length).toBeGreaterThan(5);
    const uids: string[] = [];
    for (const batch of batches) {
      expect(batch.body.length).toBeLessThanOrEqual(maxBytes);
      const records = decode(batch.body, protocol).resourceLogs[0].scopeLogs[0].logRecords;
      expect(records).toHaveLength(batch.records);
      for (const r of records) uids.push(r.attributes[0].value.stringValue);
    }
    expect(uids).toEqual(inputs.map((_, n) => `uid:${n}`));
  });

  it('ends a batch at the record bound', () => {
    const encoder = createBatchEncoder(protocol, resource, SCOPE, {
      maxRecords: 3,
      maxBytes: 1024 * 1024,
    });
    const results = [1, 2, 3, 4].map(() => encoder.add(record([])));
    expect(results.map((b) => b?.records)).toEqual([undefined, undefined, 3, undefined]);
    expect(encoder.flush()?.records).toBe(1);
    expect(encoder.flush()).toBeUndefined();
  });

  it('sends a record larger than the byte bound alone', () => {
    const encoder = createBatchEncoder(protocol, resource, SCOPE, {
      maxRecords: 100,
      maxBytes: 2048,
    });
    expect(encoder.add(record([]))).toBeUndefined();
    const before = encoder.add(record([], { body: 'z'.repeat(5000) }));
    expect(before?.records).toBe(1);
    const alone = encoder.flush() ?? encoder.add(record([]));
    expect(alone?.records).toBe(1);
    expect(
      decode(alone?.body ?? new Uint8Array(), protocol).resourceLogs[0].scopeLogs[0].logRecords[0]
        .body,
    ).toEqual({
      stringValue: 'z'.repeat(5000),
    });
  });
});

describe('protobuf batches and their buffers', () => {
  const limits = { maxRecords: 10, maxBytes: 1024 * 1024 };
  const numbered = (uid: string) => record([{ key: 'log.record.uid', type: 'string', value: uid }]);
  const uidsOf = (body: Uint8Array) =>
    decodeProtobufRequest(body).resourceLogs[0].scopeLogs[0].logRecords.map(
      (r) => r.attributes?.[0].value.stringValue,
    );

  it('carries a later batch in a released buffer, once, and never touches the others', () => {
    const encoder = createBatchEncoder('http/protobuf', resource, SCOPE, limits);
    const tenFrom = (from: number) => Array.from({ length: 10 }, (_, n) => `uid:${from + n}`);
    const batchFrom = (from: number) => {
      let batch: EncodedBatch | undefined;
      for (const uid of tenFrom(from)) batch = encoder.add(numbered(uid)) ?? batch;
      if (batch === undefined) throw new Error('no batch after ten records');
      return batch;
    };
    const a = batchFrom(0);
    expect(uidsOf(a.body)).toEqual(tenFrom(0));
    a.release?.();
    a.release?.();
    const b = batchFrom(10);
    const c = batchFrom(20);
    const d = batchFrom(30);
    expect(c.body.buffer).toBe(a.body.buffer);
    expect(d.body.buffer).not.toBe(a.body.buffer);
    expect(b.body.buffer).not.toBe(a.body.buffer);
    expect(uidsOf(b.body)).toEqual(tenFrom(10));
    expect(uidsOf(c.body)).toEqual(tenFrom(20));
    expect(uidsOf(d.body)).toEqual(tenFrom(30));
  });

  it("gives its buffers back when closed: the next object's encoder writes into them", () => {
    // Limits of their own, so no other test's spare buffers are of this size.
    const own = { maxRecords: 10, maxBytes: 3 * 1024 * 1024 };
    const first = new ProtobufBatchEncoder(resource, SCOPE, own);
    for (let n = 0; n < 3; n++) first.add(numbered(`first:${n}`));
    const last = first.flush();
    if (last === undefined) throw new Error('no batch');
    first.add(numbered('after'));
    expect(() => first.close()).toThrow(/not flushed/);
    const afterBatch = first.flush();
    if (afterBatch === undefined) throw new Error('no batch');
    const writerBuffer = first.writer.bytes().buffer;
    afterBatch.release?.();
    last.release?.();
    first.close();
    const firstBuffers = [last.body.buffer, afterBatch.body.buffer, writerBuffer];
    const second = new ProtobufBatchEncoder(resource, SCOPE, own);
    second.add(numbered('second:0'));
    const next = second.flush();
    const third = new ProtobufBatchEncoder(resource, SCOPE, own);
    third.add(numbered('third:0'));
    const after = third.flush();
    expect(firstBuffers).toContain(next?.body.buffer);
    expect(firstBuffers).toContain(after?.body.buffer);
    expect(uidsOf(next?.body ?? new Uint8Array())).toEqual(['second:0']);
    expect(uidsOf(after?.body ?? new Uint8Array())).toEqual(['third:0']);
  });

  it('shares spare buffers between objects whose resources differ in length', () => {
    const own = { maxRecords: 10, maxBytes: 3 * 1024 * 1024 - 32 * 1024 };
    const short = new ProtobufBatchEncoder({ attributes: [] }, SCOPE, own);
    short.add(numbered('short:0'));
    short.flush()?.release?.();
    const writerBuffer = short.writer.bytes().buffer;
    short.close();
    const long = new ProtobufBatchEncoder(
      { attributes: [{ key: 'aws.s3.key', type: 'string', value: 'k'.repeat(300) }] },
      SCOPE,
      own,
    );
    long.add(numbered('long:0'));
    const next = long.flush();
    // The buffer the short one's writer held last is the long one's first.
    expect(next?.body.buffer === writerBuffer).toBe(true);
    expect(uidsOf(next?.body ?? new Uint8Array())).toEqual(['long:0']);
  });
});

describe('ProtobufWriter', () => {
  it.each([
    [0, [0x00]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [300, [0xac, 0x02]],
    [2 ** 35, [0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
  ])('writes the varint %d as the specification does', (value, bytes) => {
    const writer = new ProtobufWriter(16);
    writer.varint(value);
    expect([...writer.bytes()]).toEqual(bytes);
  });

  it('writes a negative int64 as ten bytes of two’s complement', () => {
    const writer = new ProtobufWriter(16);
    writer.int64(-1);
    expect([...writer.bytes()]).toEqual([...Array(9).fill(0xff), 0x01]);
  });

  it('grows its buffer without losing what was written', () => {
    const writer = new ProtobufWriter(8);
    const mark = writer.begin(1);
    writer.string(2, 'grow '.repeat(100));
    writer.end(mark);
    const inner = Buffer.concat([
      Buffer.from([0x12, 0xf4, 0x03]),
      Buffer.from('grow '.repeat(100)),
    ]);
    expect(writer.bytes()).toEqual(Buffer.concat([Buffer.from([0x0a, 0xf7, 0x03]), inner]));
  });
});
