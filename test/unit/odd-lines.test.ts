/**
 * Lines the parser cannot take as written (a bad field, a short line, an odd
 * first line, an empty object, a 1 MB line) give parse-error records, or none,
 * without failing the object; only a line over the reader's limit stops it,
 * with an error naming where.
 */

import { describe, expect, it } from 'vitest';
import { fixtureCases, OBSERVED_JSON, parseObject, s, uid } from '../helpers/records.ts';

// The documented 29-field HTTP entry.
const BASE = fixtureCases('alb-access.txt')[0].line;

function keysOf(list: { key: string }[]): string[] {
  return list.map((attribute) => attribute.key);
}

describe('odd lines of a log never fail the object', () => {
  it.each([
    {
      name: 'a bad timestamp',
      line: BASE.replace('2018-07-02T22:23:00.186641Z', '2018-13-02T22:23:00Z'),
      error: 'time: not an ISO 8601 time: "2018-13-02T22:23:00Z"',
    },
    {
      name: 'a client without a port',
      line: BASE.replace('192.168.131.39:2817', '192.168.131.39'),
      error: 'client:port: expected address:port, got "192.168.131.39"',
    },
    {
      name: 'a non-numeric status',
      line: BASE.replace(' 200 200 34 ', ' OK 200 34 '),
      error: 'elb_status_code: not an integer: "OK"',
    },
    {
      name: 'an unterminated quote',
      line: BASE.slice(0, -1),
      error: 'classification_reason: quoted field has no closing quote',
    },
  ])('makes a parse-error record for $name, between good lines', async ({ line, error }) => {
    const text = `${BASE}\n${line}\n${BASE}\n`;
    const { records } = await parseObject(text);
    expect(records).toHaveLength(3);
    expect(records[1]).toStrictEqual({
      observedTimeUnixNano: OBSERVED_JSON,
      severityNumber: 9,
      severityText: 'INFO',
      body: { stringValue: line },
      attributes: [s('elb_otlp.parse_error', error), uid(BASE.length + 1)],
    });
    expect(keysOf(records[2].attributes)).not.toContain('elb_otlp.parse_error');
  });

  it('parses a line of 1 MB', async () => {
    const agent = 'A'.repeat(1024 * 1024);
    const line = BASE.replace('"curl/7.46.0"', `"${agent}"`);
    const { records } = await parseObject(`${line}\n`, { pieceBytes: 4096 });
    expect(records).toHaveLength(1);
    expect(records[0].attributes).toContainEqual(s('user_agent.original', agent));
  });

  it('yields no record for an empty file, and a resource from the key', async () => {
    const key =
      'AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/123456789012_elasticloadbalancing_us-east-2_app.my-lb.50dc6c495c0c9188_20261101T0005Z_10.0.0.1_2soosksg.log.gz';
    const { records, resource, format } = await parseObject('', { key, bucket: 'logs' });
    expect(records).toStrictEqual([]);
    expect(format).toBe('alb');
    expect(resource).toStrictEqual({
      attributes: [
        s('cloud.provider', 'aws'),
        s('cloud.account.id', '123456789012'),
        s('cloud.region', 'us-east-2'),
        s(
          'cloud.resource_id',
          'arn:aws:elasticloadbalancing:us-east-2:123456789012:loadbalancer/app/my-lb/50dc6c495c0c9188',
        ),
        s('aws.elb.name', 'my-lb'),
        s('aws.s3.bucket', 'logs'),
        s('aws.s3.key', key),
        s('service.name', 'my-lb'),
      ],
    });
  });

  it('skips an odd first line when detecting the format', async () => {
    const { records, format } = await parseObject(`not a log line\n${BASE}\n`);
    expect(format).toBe('alb');
    expect(records[0].attributes[0]).toStrictEqual(
      s(
        'elb_otlp.parse_error',
        'target:port: missing: the line has 4 fields; ALB access log lines have at least 20',
      ),
    );
    expect(keysOf(records[1].attributes)).not.toContain('elb_otlp.parse_error');
  });
});

describe('line reader limits', () => {
  it('stops with an error naming the offset when a line exceeds 16 MiB', async () => {
    const { readLines, lineText, LineTooLongError, MAX_LINE_BYTES } = await import(
      '../../shared/pipeline/line-reader.ts'
    );
    const head = Buffer.from('first line\n');
    async function* pieces() {
      yield head;
      for (let sent = 0; sent <= MAX_LINE_BYTES; sent += 1024 * 1024)
        yield Buffer.alloc(1024 * 1024, 0x41);
    }
    const seen: string[] = [];
    const reading = (async () => {
      for await (const batch of readLines(pieces())) {
        for (let i = 0; i < batch.starts.length; i++) seen.push(lineText(batch, i));
      }
    })();
    await expect(reading).rejects.toThrow(LineTooLongError);
    await expect(reading).rejects.toThrow(`the line at byte ${head.length} is longer than`);
    expect(seen).toStrictEqual(['first line']);
  });
});
