/**
 * The ListObjectsV2 reader (shared/s3/listing.ts) on answers written as S3
 * writes them (API_ListObjectsV2.html): what it reads of a page, and the
 * pages it refuses rather than plan in part.
 */

import { describe, expect, it } from 'vitest';
import { parseListing } from '../../shared/s3/listing.ts';

const page = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>logs</Name>${body}</ListBucketResult>`;
const MODIFIED = '2026-01-01T00:00:00.000Z';
const contents = (key: string, size = 10, etag = '&quot;abc&quot;') =>
  `<Contents><Key>${key}</Key><LastModified>${MODIFIED}</LastModified><ETag>${etag}</ETag><Size>${size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;

describe('the listing reader', () => {
  it('reads keys with their sizes, ETags and LastModified, common prefixes and the next token, entities decoded', () => {
    const read = parseListing(
      page(
        `<KeyCount>3</KeyCount><IsTruncated>true</IsTruncated><NextContinuationToken>1a&amp;b=</NextContinuationToken>${contents('a/x&amp;y&#13;z.gz', 20_000)}${contents('a/&#x65E5;.gz', 0)}<CommonPrefixes><Prefix>a/b&lt;c/</Prefix></CommonPrefixes>`,
      ),
      'logs',
    );
    expect(read).toEqual({
      objects: [
        { key: 'a/x&y\rz.gz', size: 20_000, etag: '"abc"', lastModified: MODIFIED },
        { key: 'a/日.gz', size: 0, etag: '"abc"', lastModified: MODIFIED },
      ],
      prefixes: ['a/b<c/'],
      next: '1a&b=',
    });
  });

  it('reads the last page, and an empty one', () => {
    expect(
      parseListing(
        page(`<KeyCount>1</KeyCount><IsTruncated>false</IsTruncated>${contents('k')}`),
        'logs',
      ),
    ).toEqual({
      objects: [{ key: 'k', size: 10, etag: '"abc"', lastModified: MODIFIED }],
      prefixes: [],
    });
    expect(
      parseListing(page('<KeyCount>0</KeyCount><IsTruncated>false</IsTruncated>'), 'logs'),
    ).toEqual({
      objects: [],
      prefixes: [],
    });
  });

  it.each([
    [
      'keys missing from what KeyCount says',
      `<KeyCount>2</KeyCount><IsTruncated>false</IsTruncated>${contents('k')}`,
      /KeyCount 2, 1 keys/,
    ],
    [
      'a key without its size',
      `<KeyCount>1</KeyCount><IsTruncated>false</IsTruncated><Contents><Key>k</Key><ETag>"e"</ETag></Contents>`,
      /"k" without a size or ETag/,
    ],
    [
      'a truncated page without a token',
      `<KeyCount>1</KeyCount><IsTruncated>true</IsTruncated>${contents('k')}`,
      /truncated without a continuation token/,
    ],
  ])('refuses a page with %s, naming the bucket', (_, body, problem) => {
    expect(() => parseListing(page(body), 'logs')).toThrow(
      /^s3:\/\/logs: a listing page does not add up/,
    );
    expect(() => parseListing(page(body), 'logs')).toThrow(problem);
  });
});
