import { describe, expect, it } from 'vitest';
import { printableUrl, urlSecretScrubber } from '../../shared/config/printable-url.ts';

describe('printableUrl', () => {
  it.each([
    [
      'keeps a URL without secrets as it is',
      'https://collector.example.com:4318/v1/logs',
      'https://collector.example.com:4318/v1/logs',
    ],
    [
      'replaces every query value, keeping the names',
      'https://collector.example.com/v1/logs?api_key=s3cret&tenant=acme',
      'https://collector.example.com/v1/logs?api_key=REDACTED&tenant=REDACTED',
    ],
    [
      'replaces a bare query word, which may be a token itself',
      'https://collector.example.com/v1/logs?s3cret',
      'https://collector.example.com/v1/logs?REDACTED',
    ],
    [
      'replaces percent-encoded values whole',
      'https://collector.example.com/v1/logs?token=a%20b%26c',
      'https://collector.example.com/v1/logs?token=REDACTED',
    ],
    [
      'replaces user and password',
      'https://me:s3cret@collector.example.com/v1/logs',
      'https://REDACTED:REDACTED@collector.example.com/v1/logs',
    ],
    [
      'replaces a user without a password',
      'https://s3cret@collector.example.com/v1/logs',
      'https://REDACTED@collector.example.com/v1/logs',
    ],
    [
      'drops the fragment',
      'https://collector.example.com/v1/logs#s3cret',
      'https://collector.example.com/v1/logs',
    ],
    ['drops an empty query', 'http://127.0.0.1:4318/v1/logs?', 'http://127.0.0.1:4318/v1/logs'],
    [
      'cuts text that is not a URL by hand',
      'https://me:s3cret@bad host/v1/logs?api_key=s3cret#s3cret',
      'https://REDACTED@bad host/v1/logs?api_key=REDACTED',
    ],
    ['leaves a word that is not a URL alone', 'nope', 'nope'],
  ])('%s', (_name, url, printed) => {
    expect(printableUrl(url)).toBe(printed);
    expect(printableUrl(url)).not.toContain('s3cret');
  });
});

describe('urlSecretScrubber', () => {
  it.each([
    [
      'takes a query value out of what a receiver echoed',
      'https://c.example.com/v1/logs?api_key=s3cret-key&v=1',
      'no route for POST /v1/logs?api_key=s3cret-key&v=1',
      'no route for POST /v1/logs?api_key=REDACTED&v=1',
    ],
    [
      'takes out the decoded form too',
      'https://c.example.com/v1/logs?token=s3cret%2Fkey',
      'bad token "s3cret/key"',
      'bad token "REDACTED"',
    ],
    [
      'leaves text alone when the URL holds nothing to hide',
      'https://c.example.com/v1/logs',
      'POST /v1/logs answered 1234',
      'POST /v1/logs answered 1234',
    ],
  ])('%s', (_name, url, text, scrubbed) => {
    expect(urlSecretScrubber(url)(text)).toBe(scrubbed);
  });
});
