import { describe, expect, it } from 'vitest';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import type { LogFormatId } from '../../shared/formats/field-spec.ts';
import { FORMATS } from '../../shared/formats/formats.ts';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { createLineEncoder } from '../../shared/otlp/line-encoder.ts';
import { createLineMapper } from '../../shared/otlp/line-mapper.ts';
import { type LineMapperOptions, PARSE_ERROR_KEY } from '../../shared/otlp/line-parser.ts';
import { SCOPE_LOGS_LOG_RECORDS, writeLogRecord } from '../../shared/otlp/otlp-protobuf.ts';
import { ProtobufWriter } from '../../shared/otlp/protobuf-writer.ts';
import { fixtureCases, OBSERVED } from '../helpers/records.ts';

/**
 * The parse-and-encode path must write exactly the bytes of the path through
 * records (which the decoder tests check against the schema): every fixture
 * line of every format, lines that fail to parse, and the settings that change
 * records.
 */

const FIXTURES: [LogFormatId, string][] = [
  ['alb', 'alb-access.txt'],
  ['alb-conn', 'alb-connection.txt'],
  ['alb-health', 'alb-health.txt'],
  ['nlb', 'nlb-access.txt'],
  ['clb', 'clb-access.txt'],
];

const ALB_LINE = fixtureCases('alb-access.txt')[0].line;

/** Lines that fail in each way a line can, and lines at the edges of the framing. */
const AWKWARD_LINES = [
  'x',
  '',
  ALB_LINE.slice(0, 80),
  ALB_LINE.replace('"GET', '"GET-unterminated').replace(/"[^"]*$/, '"unterminated'),
  ALB_LINE.replace(/^(\S+ )\S+/, '$1not-a-time'),
  ALB_LINE.replace(' 0.000 ', ' zero '),
  ALB_LINE.replace(
    '"GET http://www.example.com:80/ HTTP/1.1"',
    `"GET http://h/${'p'.repeat(20_000)} HTTP/1.1"`,
  ),
  ALB_LINE.replace(
    '"GET http://www.example.com:80/ HTTP/1.1"',
    '"GET http://h/caf\\xC3\\xA9?q=\\xE2\\x9C\\x93 HTTP/1.1"',
  ),
  `${ALB_LINE} "naïve 浏览器 🚀" extra`,
];

function options(format: LogFormatId | undefined, env: Record<string, string> = {}) {
  return {
    format: format === undefined ? undefined : FORMATS[format],
    config: loadMappingConfig(env),
    uidPrefix: '0123456789abcdef',
    resourceLoadBalancerId: 'app/my-loadbalancer/50dc6c495c0c9188',
  } satisfies LineMapperOptions;
}

/** Both paths over the same lines; returns how many lines were parse errors. */
function expectSameBytes(lines: string[], lineOptions: LineMapperOptions): number {
  const map = createLineMapper(lineOptions);
  const encode = createLineEncoder(lineOptions);
  const viaRecords = new ProtobufWriter(64);
  const direct = new ProtobufWriter(64);
  let errors = 0;
  lines.forEach((line, n) => {
    viaRecords.reset();
    direct.reset();
    const record = map(line, n * 1000, OBSERVED);
    writeLogRecord(viaRecords, SCOPE_LOGS_LOG_RECORDS, record);
    const parsed = encode(line, n * 1000, OBSERVED, direct, SCOPE_LOGS_LOG_RECORDS);
    expect(parsed).toBe(record.attributes[0]?.key !== PARSE_ERROR_KEY);
    if (!parsed) errors++;
    // Buffer.equals first: a deep comparison of every byte of every line is slow.
    if (!direct.bytes().equals(viaRecords.bytes())) {
      expect(direct.bytes().toString('hex'), `line ${n}: ${line.slice(0, 60)}`).toBe(
        viaRecords.bytes().toString('hex'),
      );
    }
  });
  return errors;
}

describe('createLineEncoder', () => {
  it.each(FIXTURES)('writes the bytes of the record path for every %s fixture line', (id, file) => {
    const lines = fixtureCases(file).map((c) => c.line);
    expect(lines.length).toBeGreaterThan(0);
    expectSameBytes(lines, options(id));
  });

  it('writes the bytes of the record path for generated ALB lines', () => {
    expect(expectSameBytes([...generateAlbLines(2000, { seed: 11 })], options('alb'))).toBe(0);
  });

  it('writes parse errors, huge, escaped and non-ASCII lines as the record path does', () => {
    // The first four fail (too short, unterminated quote, bad time, bad number).
    expect(expectSameBytes(AWKWARD_LINES, options('alb'))).toBeGreaterThanOrEqual(5);
  });

  it('follows the body and redaction settings as the record path does', () => {
    const lines = [...AWKWARD_LINES, ...generateAlbLines(200, { seed: 5 })];
    expectSameBytes(lines, options('alb', { ELB_OTLP_INCLUDE_BODY: 'false' }));
    expectSameBytes(lines, options('alb', { ELB_OTLP_REDACT_QUERY_PARAMS: 'q,token,page' }));
  });

  it('writes every line of an unrecognised object as a parse error', () => {
    expect(expectSameBytes(['a b c', ALB_LINE], options(undefined))).toBe(2);
  });

  it('leaves what was written before a failed line untouched', () => {
    const encode = createLineEncoder(options('alb'));
    const writer = new ProtobufWriter(64);
    writer.string(1, 'kept');
    const kept = Buffer.from(writer.bytes());
    encode(ALB_LINE.replace(' 0.000 ', ' zero '), 0, OBSERVED, writer, SCOPE_LOGS_LOG_RECORDS);
    expect(writer.bytes().subarray(0, kept.length)).toEqual(kept);
  });
});
