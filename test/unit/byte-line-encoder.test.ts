import { describe, expect, it } from 'vitest';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import type { LogFormatId } from '../../shared/formats/field-spec.ts';
import { FORMATS } from '../../shared/formats/formats.ts';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { createBufferLineEncoder } from '../../shared/otlp/buffer-line-encoder.ts';
import { createByteLineEncoder } from '../../shared/otlp/byte-line-encoder.ts';
import { createLineEncoder } from '../../shared/otlp/line-encoder.ts';
import {
  LINE_ELB_KEY,
  type LineMapperOptions,
  RECORD_UID_KEY,
} from '../../shared/otlp/line-parser.ts';
import { SCOPE_LOGS_LOG_RECORDS } from '../../shared/otlp/otlp-protobuf.ts';
import { ProtobufWriter } from '../../shared/otlp/protobuf-writer.ts';
import { fixtureCases, OBSERVED } from '../helpers/records.ts';

/**
 * The byte-level fast path must write exactly what the string path writes
 * (which `line-encoder.test.ts` ties to the record path and the decoder tests
 * to the schema), or decline and write nothing. Lines are laid out in one
 * buffer, as the line reader hands them over, so offsets and neighbours are
 * real.
 */

const FIXTURES: [LogFormatId, string][] = [
  ['alb', 'alb-access.txt'],
  ['alb-conn', 'alb-connection.txt'],
  ['alb-health', 'alb-health.txt'],
  ['nlb', 'nlb-access.txt'],
  ['clb', 'clb-access.txt'],
];

const ALB_LINE = fixtureCases('alb-access.txt')[0].line;
const REQUEST = '"GET http://www.example.com:80/ HTTP/1.1"';

function options(format: LogFormatId | undefined, env: Record<string, string> = {}) {
  return {
    format: format === undefined ? undefined : FORMATS[format],
    config: loadMappingConfig(env),
    uidPrefix: '0123456789abcdef',
    resourceLoadBalancerId: 'app/my-loadbalancer/50dc6c495c0c9188',
  } satisfies LineMapperOptions;
}

function fastPath(lineOptions: LineMapperOptions) {
  const { format, config } = lineOptions;
  if (format === undefined) return undefined;
  return createByteLineEncoder({
    format,
    includeBody: config.includeBody,
    redactQuery: config.redactQueryBytes,
    uidPrefix: lineOptions.uidPrefix,
    resourceLoadBalancerId: lineOptions.resourceLoadBalancerId,
    uidKey: RECORD_UID_KEY,
    lineElbKey: LINE_ELB_KEY,
  });
}

/** `lines` joined by newlines, with a line of other bytes first, and where each line lies. */
function layOut(lines: string[]) {
  const parts = [Buffer.from('héader line with \\ and ünicode\n')];
  const starts: number[] = [];
  const ends: number[] = [];
  let at = parts[0].length;
  for (const line of lines) {
    const bytes = Buffer.from(`${line}\n`);
    starts.push(at);
    ends.push(at + bytes.length - 1);
    parts.push(bytes);
    at += bytes.length;
  }
  return { source: Buffer.concat(parts), starts, ends };
}

/**
 * Encodes every line by the string path and by the buffer path, expecting
 * the same bytes; returns how many lines the fast path took.
 */
function expectSameBytes(lines: string[], lineOptions: LineMapperOptions): number {
  const text = createLineEncoder(lineOptions);
  const bytes = createBufferLineEncoder(lineOptions);
  const fast = fastPath(lineOptions);
  const { source, starts, ends } = layOut(lines);
  const expected = new ProtobufWriter(64);
  const actual = new ProtobufWriter(64);
  const probe = new ProtobufWriter(64);
  let taken = 0;
  lines.forEach((line, n) => {
    expected.reset();
    actual.reset();
    probe.reset();
    const offset = starts[n];
    const parsed = text(line, offset, OBSERVED, expected, SCOPE_LOGS_LOG_RECORDS);
    expect(
      bytes(source, starts[n], ends[n], offset, OBSERVED, actual, SCOPE_LOGS_LOG_RECORDS),
    ).toBe(parsed);
    if (!actual.bytes().equals(expected.bytes())) {
      expect(actual.bytes().toString('hex'), `line ${n}: ${line.slice(0, 80)}`).toBe(
        expected.bytes().toString('hex'),
      );
    }
    if (fast?.(source, starts[n], ends[n], offset, OBSERVED, probe, SCOPE_LOGS_LOG_RECORDS)) {
      taken++;
      expect(probe.bytes().equals(expected.bytes())).toBe(true);
    } else {
      // A declined line leaves nothing behind.
      expect(probe.length).toBe(0);
    }
  });
  return taken;
}

/** A small seeded generator, so a failing mutation can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Characters that matter to the parsers: separators, signs, digits, escapes, non-ASCII. */
const MUTATIONS = [' ', '"', '-', ':', '?', '&', '=', '/', '.', ',', '[', '@', '%', '+', '0', '9'];
const RARE_MUTATIONS = ['\\', 'é', 'Z', 'T', '', '  ', '-1', 'token=x', 'HTTP/2.0'];

function mutate(line: string, next: () => number): string {
  let out = line;
  const edits = 1 + Math.floor(next() * 3);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * out.length);
    const pool = next() < 0.85 ? MUTATIONS : RARE_MUTATIONS;
    const insert = pool[Math.floor(next() * pool.length)];
    const replace = next() < 0.5 ? 1 : 0;
    out = out.slice(0, at) + insert + out.slice(at + replace);
  }
  return out;
}

describe('the byte-level fast path', () => {
  it.each(FIXTURES)('writes the bytes of the string path for every %s fixture line', (id, file) => {
    const lines = fixtureCases(file).map((c) => c.line);
    expect(lines.length).toBeGreaterThan(0);
    expectSameBytes(lines, options(id));
  });

  it('takes every generated ALB line, and writes them as the string path does', () => {
    const lines = [...generateAlbLines(3000, { seed: 21 })];
    expect(expectSameBytes(lines, options('alb'))).toBe(lines.length);
  });

  it.each(FIXTURES)('takes every plain %s fixture line', (id, file) => {
    const plain = fixtureCases(file)
      .map((c) => c.line)
      .filter((line) => !/[\\\u0080-\uffff]/.test(line));
    expect(plain.length).toBeGreaterThan(0);
    expect(expectSameBytes(plain, options(id))).toBe(plain.length);
  });

  it('matches the string path or declines on thousands of mutated lines', () => {
    const next = random(7);
    const alb = [...generateAlbLines(2500, { seed: 3 })].map((line) => mutate(line, next));
    const taken = expectSameBytes(alb, options('alb'));
    // Most mutations leave a line the fast path can still read.
    expect(taken).toBeGreaterThan(alb.length / 3);
    for (const [id, file] of FIXTURES) {
      const lines = fixtureCases(file).flatMap((c) =>
        Array.from({ length: 40 }, () => mutate(c.line, next)),
      );
      expectSameBytes(lines, options(id));
    }
  });

  it.each([
    ['no redaction', { ELB_OTLP_REDACT_QUERY_PARAMS: 'none' }],
    ['custom names', { ELB_OTLP_REDACT_QUERY_PARAMS: 'q,Page,TOKEN' }],
    ['no body', { ELB_OTLP_INCLUDE_BODY: 'false' }],
  ])('follows the settings as the string path does: %s', (_name, env) => {
    const next = random(11);
    const lines = [...generateAlbLines(400, { seed: 9 })];
    expectSameBytes([...lines, ...lines.map((line) => mutate(line, next))], options('alb', env));
  });

  it('redacts query values byte for byte, and leaves escaped keys to the string path', () => {
    const queries = [
      'token=abc&lang=en',
      'TOKEN=abc',
      'sig=1&sig=2&x=3',
      'token=&a=1',
      '=token&token',
      'a=1&&token=x&',
      'X-Amz-Signature=0a1b&X-Amz-Credential=AK%2F1&X-Amz-Expires=300',
      '%74oken=abc',
      'to+ken=abc',
      'password=a=b',
      'q',
      '',
    ];
    const lines = queries.map((query) =>
      ALB_LINE.replace(REQUEST, `"GET https://example.com:443/p?${query} HTTP/1.1"`),
    );
    const taken = expectSameBytes(lines, options('alb'));
    expect(taken).toBe(queries.length - 2);
  });

  it('redacts the body and the URL fields byte for byte, in any combination', () => {
    const requests = [
      REQUEST,
      '"GET https://h:443/p?token=abc&b=1 HTTP/1.1"',
      '"GET http://h:80/?sig= HTTP/1.1"',
    ];
    const redirects = [
      '"-"',
      '"https://b.example.com:443/k?X-Amz-Signature=0a&X-Amz-Expires=3"',
      '"https://b/?page=2"',
      '"https://u:p@b/?token=x"',
      '"https://b/?%74oken=x"',
      '"/relative?api_key=k&next=http://x/"',
      '"1x://b/?token=x"',
    ];
    const uris = ['-', '/r?client_secret=c&a=1', '/r?a=1', '/r', '/r?token=a=b'];
    const lines: string[] = [];
    for (const request of requests)
      for (const redirect of redirects)
        for (const uri of uris)
          lines.push(
            `${ALB_LINE.replace(REQUEST, request).replace('"forward" "-"', `"redirect" ${redirect}`)} TID_1 "h" "${uri}" "TransformSuccess"`,
          );
    const taken = expectSameBytes(lines, options('alb'));
    // Only credentials and escaped keys are left to the string path.
    expect(taken).toBe(lines.length - (2 * lines.length) / redirects.length);
    for (const env of [
      { ELB_OTLP_REDACT_QUERY_PARAMS: 'none' } as Record<string, string>,
      { ELB_OTLP_INCLUDE_BODY: 'false' },
    ]) {
      expectSameBytes(lines, options('alb', env));
    }
  });

  it.each([
    [
      'a query in the user agent',
      (l: string) => l.replace('"curl/7.46.0"', '"bot/1 (+https://b/?sig=x)"'),
      0,
    ],
    [
      'an @ in the user agent',
      (l: string) => l.replace('"curl/7.46.0"', '"bot/1 (me@example.com)"'),
      0,
    ],
    ['a query in a field AWS appended', (l: string) => `${l} "https://b/?token=x"`, 0],
    ['a query in the method', (l: string) => l.replace('"GET ', '"GET?sig=x '), 0],
    ['an @ in the version', (l: string) => l.replace(' HTTP/1.1"', ' HTTP/1.1@x"'), 0],
    [
      'a query in the request only',
      (l: string) => l.replace(REQUEST, '"GET http://h:80/?token=x HTTP/1.1"'),
      1,
    ],
  ])('leaves to the string path a line with %s outside its URL fields', (_name, edit, taken) => {
    expect(expectSameBytes([edit(ALB_LINE)], options('alb'))).toBe(taken);
  });

  it.each([
    ['a URL after a relative path', '"GET /a?token=x&u=http://h/ HTTP/1.1"'],
    ['a scheme that is not one', '"GET 1http://h:80/?token=x HTTP/1.1"'],
  ])('maps a request with %s as the string path does', (_name, request) => {
    expectSameBytes([ALB_LINE.replace(REQUEST, request)], options('alb'));
  });

  it.each([
    ['a URL without a port', '"GET https://example.com/a?b=1 HTTP/2.0"'],
    ['an unknown method', '"BREW http://pot:80/ HTTP/1.1"'],
    ['HTTP/3.0 and a port of five digits', '"GET https://h:65535/ HTTP/3.0"'],
    ['an empty URL', '"GET  HTTP/1.1"'],
    ['no version', '"GET http://h:80/ -"'],
    ['a relative URL', '"GET /index.html HTTP/1.1"'],
    ['credentials', '"GET http://user:pw@h:80/ HTTP/1.1"'],
    ['an IPv6 host', '"GET http://[::1]:80/ HTTP/1.1"'],
    ['the placeholder of an unreadable URI', '"- http://h:80- -"'],
    ['a space in the URI', '"GET http://h:80/a b HTTP/1.1"'],
    ['a port that is not one', '"GET http://h:8x/ HTTP/1.1"'],
  ])('maps a request with %s as the string path does', (_name, request) => {
    expectSameBytes([ALB_LINE.replace(REQUEST, request)], options('alb'));
  });

  it('stays inside the room it asks for on lines that expand the most', () => {
    const manyParams = Array.from({ length: 2000 }, (_, i) => `token=${i % 10}`).join('&');
    const lines = [
      ALB_LINE.replace(REQUEST, `"GET https://h:443/?${manyParams} HTTP/1.1"`),
      `${ALB_LINE.replace(REQUEST, `"GET https://h:443/?${manyParams} HTTP/1.1"`).replace('"forward" "-"', `"redirect" "https://h/?${manyParams}"`)} TID_1 "h" "/?${manyParams}" "-"`,
      ALB_LINE.replace('"forward"', `"${','.repeat(5000)}"`),
      ALB_LINE.replace(' 0.000 ', ' -1 ').replace(' 200 200 ', ' 200 -1 '),
      `${ALB_LINE}${' -'.repeat(3000)}`,
      ALB_LINE.replace(REQUEST, `"GET http://h/${'p'.repeat(70_000)} HTTP/1.1"`),
    ];
    // A writer that starts tiny must grow for each record, never be overrun.
    expectSameBytes(lines, options('alb'));
  });

  it('sizes the four-byte lengths of a field over 2 MiB as the string path does', () => {
    // 2^21 bytes and more take a four-byte varint length, up to 2^28.
    const path = 'p'.repeat(3 * 1024 * 1024);
    const line = ALB_LINE.replace(REQUEST, `"GET http://h/${path} HTTP/1.1"`);
    expect(expectSameBytes([line], options('alb'))).toBe(1);
  });

  it('reads a line of ASCII among non-ASCII lines of the same buffer', () => {
    const lines = [`${ALB_LINE} "naïve"`, ALB_LINE, ALB_LINE.replace('Root=', 'Root\\x3d')];
    expect(expectSameBytes(lines, options('alb'))).toBe(1);
  });

  it('finds a backslash in a line that comes before the lines already read', () => {
    const escaped = ALB_LINE.replace('Root=', 'Root\\x3d');
    const { source, starts, ends } = layOut([escaped, ALB_LINE]);
    const fast = fastPath(options('alb'));
    const writer = new ProtobufWriter(64);
    // The later, plain line first: its search for backslashes starts after the escaped line.
    expect(fast?.(source, starts[1], ends[1], 0, OBSERVED, writer, SCOPE_LOGS_LOG_RECORDS)).toBe(
      true,
    );
    expect(fast?.(source, starts[0], ends[0], 0, OBSERVED, writer, SCOPE_LOGS_LOG_RECORDS)).toBe(
      false,
    );
  });

  it('gives the line its own elb when it is not the resource load balancer', () => {
    const other = ALB_LINE.replace('app/my-loadbalancer/50dc6c495c0c9188', 'app/other/1');
    expect(expectSameBytes([other, ALB_LINE], options('alb'))).toBe(2);
    const withoutResource = { ...options('alb'), resourceLoadBalancerId: undefined };
    expect(expectSameBytes([ALB_LINE], withoutResource)).toBe(1);
  });

  it.each([
    ['ALPN parts with and without quotes', '"h2","http/1.1"', 3],
    ['an ALPN part that is one quote', '"h2",","', 3],
    ['an escaped ALPN part (the string path decodes it)', '"h%32","http/1.1"', 1],
  ])('writes %s as the string path does', (_name, alpn, taken) => {
    const nlb = fixtureCases('nlb-access.txt')
      .map((c) => c.line)
      .filter((line) => line.endsWith('"h2","http/1.1"'));
    expect(nlb.length).toBeGreaterThan(0);
    const line = nlb[0].replace(/"h2","http\/1\.1"$/, alpn);
    expect(expectSameBytes([line, nlb[0], line], options('nlb'))).toBe(taken);
  });

  it.each([
    ['no NotAfter', 'NotBefore=2023-09-21T22:43:21Z', 0],
    ['empty times', 'NotBefore=;NotAfter=', 1],
    ['a semicolon in NotAfter', 'NotBefore=a;NotAfter=b;c', 1],
  ])('reads a certificate validity with %s as the string path does', (_name, validity, taken) => {
    const line = fixtureCases('alb-connection.txt')[0].line.replace(/NotBefore=\S*/, validity);
    expect(expectSameBytes([line], options('alb-conn'))).toBe(taken);
  });
});
