/**
 * Input that is not an ELB log: magic numbers of other compressions, in the
 * stored bytes and inside gzip, and the parser's look-ahead, which refuses
 * an object whose first lines hold no ELB line and passes no line of it on.
 */

import { gzipSync, zstdCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { decompressed } from '../../shared/pipeline/decompress.ts';
import { DETECTION_BYTES, DETECTION_LINES } from '../../shared/pipeline/object-parser.ts';
import { foreignCompression } from '../../shared/s3/compression.ts';
import { NGINX_LINES, NOT_A_LOG, SAMPLE_LOG } from '../helpers/not-a-log.ts';
import { fixtureCases, parseObject } from '../helpers/records.ts';

const ALB = fixtureCases('alb-access.txt')[0].line;
const NLB = fixtureCases('nlb-access.txt')[0].line;
const bytes = (...values: number[]) => Buffer.from(values);

describe('foreignCompression', () => {
  it.each([
    { name: 'a zstd frame', head: zstdCompressSync(SAMPLE_LOG), format: 'zstd' },
    { name: 'a bzip2 stream', head: NOT_A_LOG[1].body, format: 'bzip2' },
    { name: 'an xz stream', head: NOT_A_LOG[2].body, format: 'xz' },
    { name: 'a zip archive', head: Buffer.from('PK\x03\x04\x14\x00'), format: 'zip' },
    { name: 'an empty zip archive', head: Buffer.from('PK\x05\x06\x00\x00'), format: 'zip' },
    { name: 'a 7z archive', head: bytes(0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c), format: '7z' },
    { name: 'an lz4 frame', head: bytes(0x04, 0x22, 0x4d, 0x18, 0x64), format: 'lz4' },
  ])('recognises $name as $format', ({ head, format }) => {
    expect(foreignCompression(head)).toBe(format);
  });

  it.each([
    { name: 'gzip, which elb-otlp reads', head: gzipSync(SAMPLE_LOG) },
    { name: 'an ELB log', head: SAMPLE_LOG },
    { name: '"BZh" without a block size', head: Buffer.from('BZhello world') },
    { name: 'the start of a magic number only', head: bytes(0x28, 0xb5, 0x2f) },
  ])('finds no other compression in $name', ({ head }) => {
    expect(foreignCompression(head)).toBeUndefined();
  });
});

async function content(
  stored: Buffer,
  compression: 'gzip' | 'none' | undefined,
  options: { atObjectStart?: boolean; pieceBytes?: number } = {},
) {
  const found: [string, boolean][] = [];
  const size = options.pieceBytes ?? stored.length;
  async function* pieces() {
    for (let at = 0; at < stored.length; at += size) yield stored.subarray(at, at + size);
  }
  const out: Buffer[] = [];
  for await (const piece of decompressed(pieces(), compression, {
    ...(options.atObjectStart !== undefined && { atObjectStart: options.atObjectStart }),
    onForeign: (format, inside) => {
      // Told before any byte is yielded.
      expect(out).toEqual([]);
      found.push([format, inside]);
    },
  })) {
    out.push(piece);
  }
  return { found, content: Buffer.concat(out) };
}

describe('decompressed tells other compressions apart', () => {
  const zstd = zstdCompressSync(SAMPLE_LOG);
  it.each([
    { name: 'zstd, its compression unknown', stored: zstd, compression: undefined },
    { name: 'zstd planned as gzip by its name', stored: zstd, compression: 'gzip' as const },
    { name: 'zstd planned as plain text', stored: zstd, compression: 'none' as const },
  ])('reports $name and yields the bytes as stored', async ({ stored, compression }) => {
    const got = await content(stored, compression);
    expect(got.found).toEqual([['zstd', false]]);
    expect(got.content).toEqual(stored);
  });

  it.each([
    { name: 'zstd inside gzip', inner: zstd, found: [['zstd', true]] },
    { name: 'gzip inside gzip', inner: gzipSync(SAMPLE_LOG), found: [['gzip', true]] },
    { name: 'an ELB log inside gzip', inner: SAMPLE_LOG, found: [] },
  ])('reports $name and yields the gunzipped content', async ({ inner, found }) => {
    const got = await content(gzipSync(inner), undefined);
    expect(got.found).toEqual(found);
    expect(got.content).toEqual(inner);
  });

  it('finds zstd inside gzip when the gzip arrives a byte at a time', async () => {
    const got = await content(gzipSync(zstd), 'gzip', { pieceBytes: 1 });
    expect(got.found).toEqual([['zstd', true]]);
    expect(got.content).toEqual(zstd);
  });

  it('does not read a magic number in the middle of a plain object', async () => {
    const got = await content(zstd, 'none', { atObjectStart: false });
    expect(got.found).toEqual([]);
  });
});

const lines = (...list: string[]) => `${list.join('\n')}\n`;
const other = (n: number) => Array.from({ length: n }, (_, i) => `not an ELB line ${i}`);

describe('the look-ahead refuses what is not an ELB log', () => {
  it.each([
    {
      name: 'nginx access lines',
      input: lines(...NGINX_LINES),
      refused: NGINX_LINES.length,
      message:
        'x.log is not an ELB log: none of its first 20 lines is a line of an ALB, NLB or Classic ELB log (the first reads "192.0.2.1 - - [02/Jul/2018:22:23:00 +0000] \\"GET /index.html?…")',
    },
    {
      name: 'binary garbage',
      input: bytes(0x00, 0xff, 0xfe, 0x20, 0x41, 0x0a, 0x80, 0x81, 0x0a),
      refused: 2,
      message:
        'x.log is not an ELB log: its 2 lines hold binary data (control bytes such as NUL), not text',
    },
    {
      name: 'an object of one line',
      input: 'hello world\n',
      refused: 1,
      message:
        'x.log is not an ELB log: its only line is not a line of an ALB, NLB or Classic ELB log (it reads "hello world")',
    },
    {
      name: `an ELB line after the ${DETECTION_LINES}-line look-ahead`,
      input: lines(...other(DETECTION_LINES), ALB),
      refused: DETECTION_LINES + 1,
      message: /none of its first 20 lines is a line of an ALB/,
    },
    {
      name: `an ELB line after ${DETECTION_BYTES} bytes of long lines`,
      input: lines(...other(3).map((line) => line.padEnd(DETECTION_BYTES / 2, '.')), ALB),
      refused: 4,
      message: /none of its first 2 lines is a line of an ALB/,
    },
    {
      name: 'NLB lines forced as ALB',
      input: lines(NLB, NLB),
      format: 'alb' as const,
      refused: 2,
      message:
        'x.log is not an ELB log: none of its 2 lines parses in the format forced (ALB access log); they look like NLB access log lines',
    },
    {
      name: 'other lines forced as ALB',
      input: lines(...other(3)),
      format: 'alb' as const,
      refused: 3,
      message:
        'x.log is not an ELB log: none of its 3 lines parses in the format forced (ALB access log)',
    },
  ])('refuses $name, passing on no line', async ({ input, format, refused, message }) => {
    const parsed = await parseObject(input, { nameHint: 'x.log', format: format ?? 'auto' });
    expect(parsed.records).toEqual([]);
    expect(parsed.refusal?.name).toBe('NotAnElbLogError');
    if (typeof message === 'string') expect(parsed.refusal?.message).toBe(message);
    else expect(parsed.refusal?.message).toMatch(message);
    expect(parsed.refusedLines).toBe(refused);
  });

  it('ships an object its key names ALB whose lines parse as ALB with a type AWS added since', async () => {
    const h3 = ALB.replace(/^http /, 'h3 ');
    const key =
      '123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20180702T2225Z_10.0.0.1_2soosksg.log';
    const named = await parseObject(lines(h3, h3), { nameHint: key });
    expect(named.refusal).toBeUndefined();
    expect(named.records).toHaveLength(2);
    expect(named.records[0].attributes).toContainEqual({
      key: 'aws.elb.type',
      value: { stringValue: 'h3' },
    });
    // Without a key that names the format, nothing says what the lines are.
    expect((await parseObject(lines(h3, h3), { nameHint: 'x.log' })).refusal?.name).toBe(
      'NotAnElbLogError',
    );
  });

  it('quotes the first line with its query values redacted', async () => {
    const parsed = await parseObject('GET /login?token=s3cr3t-t0ken&next=/ 200\n', {
      nameHint: 'x.log',
    });
    expect(parsed.refusal?.message).toContain('(it reads "GET /login?token=REDACTED&next=/ 200")');
    expect(parsed.refusal?.message).not.toContain('s3cr3t');
  });

  it('names the byte the look-ahead started from', async () => {
    const parsed = await parseObject(`\n\n${lines(...other(2))}`, { nameHint: 'x.log' });
    expect(parsed.refusal?.message).toContain('its 2 lines from byte 2 is');
  });

  it.each([
    {
      name: `an ELB line last in the ${DETECTION_LINES}-line look-ahead`,
      input: lines(...other(DETECTION_LINES - 1), ALB),
      records: DETECTION_LINES,
      parseErrors: DETECTION_LINES - 1,
    },
    {
      name: 'a log with a few bad lines',
      input: lines(ALB, 'garbage', ...generateAlbLines(5, { seed: 3 }), '\u0000binary\u0001'),
      records: 8,
      parseErrors: 2,
    },
    {
      name: 'a forced format whose second line parses',
      input: lines('garbage', ALB),
      format: 'alb' as const,
      records: 2,
      parseErrors: 1,
    },
    { name: 'an empty object', input: '', records: 0, parseErrors: 0 },
    { name: 'blank lines only', input: '\n \n\t\n', records: 0, parseErrors: 0 },
  ])('ships every line of $name', async ({ input, format, records, parseErrors }) => {
    const parsed = await parseObject(input, { format: format ?? 'auto' });
    expect(parsed.refusal).toBeUndefined();
    expect(parsed.records).toHaveLength(records);
    const errors = parsed.records.filter((r) => r.attributes[0].key === 'elb_otlp.parse_error');
    expect(errors).toHaveLength(parseErrors);
  });
});
