import { describe, expect, it } from 'vitest';
import {
  createQueryRedactor,
  DEFAULT_REDACTED_QUERY_PARAMS,
  redactQueriesIn,
  redactUrl,
} from '../../shared/records/redaction.ts';
import { fixtureCases, parseObject, s } from '../helpers/records.ts';

/**
 * Secrets in URLs must not reach the backend by any road: not in `url.*`, not
 * in the URL-valued fields, not in the body (the line itself), not in a parse
 * error's body or reason. Each case carries the marker `s3cr3t` where a
 * secret stands; no record may hold it anywhere.
 */

const BASE = fixtureCases('alb-access.txt')[0].line;
const REQUEST = '"GET http://www.example.com:80/ HTTP/1.1"';
/** The 33-field tail: conn_trace_id, transformed_host, transformed_uri, request_transform_status. */
const TAIL = (uri: string) =>
  `TID_3180a73013c8ca4bac2f731159d4b0fe "example.internal" "${uri}" "TransformSuccess"`;
const SECRET = 's3cr3t';
const redact = createQueryRedactor(DEFAULT_REDACTED_QUERY_PARAMS);

function line(request: string, redirect = '"-"', transformedUri = '-'): string {
  return `${BASE.replace(REQUEST, request).replace('"forward" "-"', `"redirect" ${redirect}`)} ${TAIL(transformedUri)}`;
}

async function recordOf(text: string, env: Record<string, string> = {}) {
  const { records } = await parseObject(text, { env });
  expect(records).toHaveLength(1);
  return records[0];
}

function attribute(record: { attributes: { key: string; value: unknown }[] }, key: string) {
  return record.attributes.find((a) => a.key === key)?.value;
}

describe('redaction wherever a URL appears in a record', () => {
  it.each([
    {
      name: 'a token in the request',
      text: line(`"GET https://h.example.com:443/a?token=${SECRET}&page=2 HTTP/1.1"`),
      body: line('"GET https://h.example.com:443/a?token=REDACTED&page=2 HTTP/1.1"'),
    },
    {
      name: 'a presigned URL in the redirect',
      text: line(
        REQUEST,
        `"https://b.example.com:443/k?X-Amz-Signature=${SECRET}&X-Amz-Expires=300"`,
      ),
      body: line(
        REQUEST,
        '"https://b.example.com:443/k?X-Amz-Signature=REDACTED&X-Amz-Expires=300"',
      ),
    },
    {
      name: 'an api key in the transformed URI',
      text: line(REQUEST, '"-"', `/rewritten?api_key=${SECRET}`),
      body: line(REQUEST, '"-"', '/rewritten?api_key=REDACTED'),
    },
    {
      name: 'credentials in the redirect and a token in the request at once',
      text: line(
        `"GET http://h:80/?access_token=${SECRET} HTTP/1.1"`,
        `"https://user:${SECRET}@b.example.com/x"`,
      ),
      body: line(
        '"GET http://h:80/?access_token=REDACTED HTTP/1.1"',
        '"https://REDACTED:REDACTED@b.example.com/x"',
      ),
    },
    {
      name: 'a URL after its own query in a relative URI',
      text: line(REQUEST, '"-"', `/go?token=${SECRET}&next=https://x.example.com/`),
      body: line(REQUEST, '"-"', '/go?token=REDACTED&next=https://x.example.com/'),
    },
    {
      name: 'an escaped request (the string path)',
      text: line(`"GET http://h:80/caf\\xC3\\xA9?password=${SECRET} HTTP/1.1"`),
      body: line('"GET http://h:80/caf\\xC3\\xA9?password=REDACTED HTTP/1.1"'),
    },
    {
      name: 'a key written with an escape',
      text: line(`"GET http://h:80/p?tok\\x65n=${SECRET}&a=1 HTTP/1.1"`),
      body: line('"GET http://h:80/p?token=REDACTED&a=1 HTTP/1.1"'),
    },
    {
      name: 'a separator written with an escape',
      text: line(`"GET http://h:80/p?a=1\\x26token=${SECRET}&b=\\x22 HTTP/1.1"`),
      body: line('"GET http://h:80/p?a=1&token=REDACTED&b=\\x22 HTTP/1.1"'),
    },
    {
      name: 'a query string in the method and the version',
      text: line(`"GET?token=${SECRET} http://h:80/ HTTP/1.1?sig=${SECRET}"`),
      body: line('"GET?token=REDACTED http://h:80/ HTTP/1.1?sig=REDACTED"'),
    },
    {
      name: 'scheme-relative credentials in the user agent',
      text: line(REQUEST).replace('"curl/7.46.0"', `"bot (//u:${SECRET}@b.example.com/)"`),
      body: line(REQUEST).replace('"curl/7.46.0"', '"bot (//REDACTED:REDACTED@b.example.com/)"'),
    },
    {
      name: 'a query string in the user agent',
      text: line(REQUEST).replace(
        '"curl/7.46.0"',
        `"bot (+https://b.example.com/?api_key=${SECRET})"`,
      ),
      // A loose query runs to the next space or quote: the ")" goes with the value.
      body: line(REQUEST).replace(
        '"curl/7.46.0"',
        '"bot (+https://b.example.com/?api_key=REDACTED"',
      ),
    },
    {
      name: 'a URL in a field that shifted (an unquoted field with a space)',
      text: line(REQUEST, `"https://b.example.com/?sig=${SECRET}"`).replace(
        ' - - arn:',
        ' - x - arn:',
      ),
      body: line(REQUEST, '"https://b.example.com/?sig=REDACTED"').replace(
        ' - - arn:',
        ' - x - arn:',
      ),
    },
  ])('redacts $name in the attributes and the body', async ({ text, body }) => {
    const record = await recordOf(text);
    expect(JSON.stringify(record)).not.toContain(SECRET);
    expect(record.body).toStrictEqual({ stringValue: body });
  });

  it('redacts the URL-valued fields as attributes', async () => {
    const record = await recordOf(
      line(REQUEST, `"https://b.example.com/k?sig=${SECRET}"`, `/r?client_secret=${SECRET}&a=1`),
    );
    expect(attribute(record, 'aws.elb.redirect_url')).toStrictEqual(
      s('', 'https://b.example.com/k?sig=REDACTED').value,
    );
    expect(attribute(record, 'aws.elb.transformed_uri')).toStrictEqual(
      s('', '/r?client_secret=REDACTED&a=1').value,
    );
  });

  it('leaves a line without secrets exactly as it was', async () => {
    const text = line('"GET http://h:80/?page=2&q=a HTTP/1.1"', '"https://b/x?y=1"', '/r?a=1');
    expect((await recordOf(text)).body).toStrictEqual({ stringValue: text });
  });

  it.each([
    ['an unparseable line', `garbage "GET /x?token=${SECRET} HTTP/1.1" more`],
    ['a bad field quoting a URL', BASE.replace('0.000 0.001', `https://h/?token=${SECRET} 0.001`)],
    [
      'credentials in a broken line',
      `nothing here but https://u:${SECRET}@h.example.com/ and more`,
    ],
  ])('redacts %s, in the body and in the parse error', async (_name, text) => {
    // After a good line, so the object is an ALB log with one bad line.
    const { records } = await parseObject(`${BASE}\n${text}\n`, {
      env: { ELB_OTLP_INCLUDE_BODY: 'false' },
    });
    expect(records).toHaveLength(2);
    const record = records[1];
    expect(attribute(record, 'elb_otlp.parse_error')).toBeDefined();
    expect(record.body).toBeDefined();
    expect(JSON.stringify(record)).not.toContain(SECRET);
  });

  it('redacts what ELB_OTLP_REDACT_QUERY_PARAMS names in the body too, and nothing with "none"', async () => {
    const text = line('"GET http://h:80/?session=s1&token=t HTTP/1.1"', '"https://b/?session=s2"');
    const custom = await recordOf(text, { ELB_OTLP_REDACT_QUERY_PARAMS: 'session' });
    expect(custom.body).toStrictEqual({
      stringValue: line(
        '"GET http://h:80/?session=REDACTED&token=t HTTP/1.1"',
        '"https://b/?session=REDACTED"',
      ),
    });
    const none = await recordOf(text, { ELB_OTLP_REDACT_QUERY_PARAMS: 'none' });
    expect(none.body).toStrictEqual({ stringValue: text });
  });
});

describe('redactUrl', () => {
  it.each([
    ['https://h/a?token=x&b=1', 'https://h/a?token=REDACTED&b=1'],
    ['https://u:p@h:443/a', 'https://REDACTED:REDACTED@h:443/a'],
    ['https://h/a@b?c=1', 'https://h/a@b?c=1'],
    ['/a?b=http://u:p@h/&sig=x', '/a?b=http://u:p@h/&sig=REDACTED'],
    ['1http://u:p@h/', '1http://u:p@h/'],
    ['-', '-'],
  ])('%s → %s', (url, expected) => {
    expect(redactUrl(url, redact)).toBe(expected);
  });
});

describe('redactQueriesIn', () => {
  it.each([
    ['a?token=x b?sig=y"c', 'a?token=REDACTED b?sig=REDACTED"c'],
    ['see ftp://me:pw@host/ and http://h/', 'see ftp://REDACTED:REDACTED@host/ and http://h/'],
    ['no query here', 'no query here'],
  ])('%s → %s', (text, expected) => {
    expect(redactQueriesIn(text, redact)).toBe(expected);
  });
});
