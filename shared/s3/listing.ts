/**
 * ListObjectsV2 pages, read fast: the SDK sends each request (signing,
 * endpoints, retries, errors all its own), but a successful answer's XML is
 * read here instead of by the SDK's deserializer, which spends about 35 µs a
 * key (BENCHMARKS.md, "Scale": 155 CPU-seconds to plan 3.1 M objects, half
 * of it reading listings). Only what a plan needs is read: each key with its
 * size and ETag, the common prefixes, and where the next page starts. The
 * SDK's deserializer then reads an empty listing, and every error answer
 * (a 403, a 503 SlowDown…) stays the SDK's to read and retry.
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 */

import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** One key of a listing. */
export interface ListedObject {
  key: string;
  size: number;
  etag: string;
  /** When it was written, ISO 8601 as S3 says it; the plan's time filter reads it when the name has no time. */
  lastModified?: string;
}

/** One page: its keys and, with a delimiter, its common prefixes. */
export interface ListingPage {
  objects: ListedObject[];
  prefixes: string[];
}

export interface ListingRequest {
  Bucket: string;
  Prefix?: string;
  Delimiter?: string;
  StartAfter?: string;
  /** Keys a page (S3's own maximum, 1000, by default). */
  MaxKeys?: number;
}

/** The answer the SDK's deserializer is left to read once the real one has been read here. */
const EMPTY_LISTING = new TextEncoder().encode(
  '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>',
);

/** Every page of a listing, in order. */
export async function* listPages(
  client: S3Client,
  request: ListingRequest,
): AsyncGenerator<ListingPage> {
  let token: string | undefined;
  do {
    const page = await listPage(client, request, token);
    token = page.next;
    yield page;
  } while (token !== undefined);
}

/** One page of a listing, from `token` (a page's `next`) or the start. */
async function listPage(
  client: S3Client,
  request: ListingRequest,
  token?: string,
): Promise<ListingPage & { next?: string }> {
  const command = new ListObjectsV2Command({
    ...request,
    ...(token !== undefined && { ContinuationToken: token }),
  });
  let read: (ListingPage & { next?: string }) | undefined;
  command.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const response = result.response as {
        statusCode?: number;
        body?: unknown;
      };
      if (response.statusCode === 200) {
        const text = await bodyText(response.body);
        read = parseListing(text, request.Bucket);
        response.body = EMPTY_LISTING;
      }
      return result;
    },
    // The innermost deserialize step: it sees the raw answer before the SDK reads it.
    { step: 'deserialize', priority: 'low', name: 'elbOtlpListingReader' },
  );
  await client.send(command);
  if (read === undefined) throw new Error(`s3://${request.Bucket}: a listing answered no page`);
  return read;
}

async function bodyText(body: unknown): Promise<string> {
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A ListObjectsV2 answer's keys, sizes, ETags, common prefixes and
 * continuation token; throws naming the bucket when the answer does not
 * add up (its KeyCount against what was read), rather than plan a page
 * partly.
 */
export function parseListing(xml: string, bucket: string): ListingPage & { next?: string } {
  const objects: ListedObject[] = [];
  const prefixes: string[] = [];
  let at = 0;
  for (;;) {
    const start = xml.indexOf('<Contents>', at);
    if (start < 0) break;
    const end = xml.indexOf('</Contents>', start);
    if (end < 0) break;
    objects.push({
      key: unescapeXml(element(xml, 'Key', start, end) ?? ''),
      size: Number(element(xml, 'Size', start, end) ?? 'NaN'),
      etag: unescapeXml(element(xml, 'ETag', start, end) ?? ''),
      lastModified: element(xml, 'LastModified', start, end),
    });
    at = end + 11;
  }
  at = 0;
  for (;;) {
    const start = xml.indexOf('<CommonPrefixes>', at);
    if (start < 0) break;
    const end = xml.indexOf('</CommonPrefixes>', start);
    if (end < 0) break;
    prefixes.push(unescapeXml(element(xml, 'Prefix', start, end) ?? ''));
    at = end + 17;
  }
  const truncated = element(xml, 'IsTruncated', 0, xml.length) === 'true';
  const token = element(xml, 'NextContinuationToken', 0, xml.length);
  const keyCount = Number(element(xml, 'KeyCount', 0, xml.length) ?? 'NaN');
  const bad = objects.find((o) => o.key === '' || !Number.isSafeInteger(o.size) || o.etag === '');
  if (
    bad !== undefined ||
    // S3 counts the common prefixes in KeyCount; some stand-ins do not.
    (keyCount !== objects.length + prefixes.length && keyCount !== objects.length) ||
    (truncated && token === undefined)
  ) {
    throw new Error(
      `s3://${bucket}: a listing page does not add up (KeyCount ${keyCount}, ${objects.length} keys and ${prefixes.length} prefixes read${bad === undefined ? '' : `, ${JSON.stringify(bad.key)} without a size or ETag`}${truncated && token === undefined ? ', truncated without a continuation token' : ''})`,
    );
  }
  return {
    objects,
    prefixes,
    ...(truncated && token !== undefined && { next: unescapeXml(token) }),
  };
}

/** The text of the first `<name>` element between `from` and `to`. */
function element(xml: string, name: string, from: number, to: number): string | undefined {
  const open = xml.indexOf(`<${name}>`, from);
  if (open < 0 || open >= to) return undefined;
  const start = open + name.length + 2;
  const close = xml.indexOf(`</${name}>`, start);
  return close < 0 || close > to ? undefined : xml.slice(start, close);
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML text with its entity and character references replaced. */
function unescapeXml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(?:#x([0-9a-fA-F]+)|#(\d+)|(\w+));/g, (whole, hex, decimal, name) => {
    if (hex !== undefined) return String.fromCodePoint(Number.parseInt(hex, 16));
    if (decimal !== undefined) return String.fromCodePoint(Number.parseInt(decimal, 10));
    return NAMED[name] ?? whole;
  });
}
