/**
 * An S3 stand-in for planning at scale: a log bucket whose listing is
 * synthesised (millions of ELB keys in ELB's layout, sorted as S3 sorts them,
 * no object stored) and answered after a set latency per request, and a work
 * bucket kept in memory (the manifest parts, plan files and results a run
 * writes, multipart uploads included). It speaks only what a plan and a
 * report send: ListObjectsV2 (Prefix, Delimiter, StartAfter,
 * ContinuationToken, MaxKeys), Put/Get/Head/DeleteObject and multipart
 * uploads. Signatures are not checked.
 *
 * Run as a process of its own (`node bench/listing-s3.ts '<options json>'`),
 * it prints `{"port": N}` when it listens, so the process benchmarked does
 * not share its CPU time or memory.
 */

import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SyntheticFleet {
  /** The bucket whose listing is synthesised. */
  bucket: string;
  /** The bucket kept in memory. */
  workBucket: string;
  accounts: string[];
  regions: string[];
  /** First day (YYYY-MM-DD) and how many days follow it. */
  firstDay: string;
  days: number;
  loadBalancers: number;
  /** Load balancer nodes, each writing an object every 5 minutes. */
  nodes: number;
  /** Stored size of every object. */
  objectBytes: number;
  /** Milliseconds a listing of the log bucket waits before it answers. */
  latencyMs: number;
  /** Prefix of every key of the log bucket (before `AWSLogs/`). */
  prefix?: string;
  /** A finished run's files in the work bucket, made as they are read (see {@link SyntheticRun}). */
  run?: SyntheticRun;
}

/**
 * A run whose every unit shipped, as the report reads it: under `prefix`,
 * `manifest/part-00.jsonl` (the units) and `results/map/manifest.json` with
 * `SUCCEEDED_<n>.jsonl` files of `unitsPerFile` units each (COMPACT: each
 * line a unit's answer, naming its chunks), every object of one chunk.
 */
export interface SyntheticRun {
  prefix: string;
  units: number;
  chunksPerUnit: number;
  unitsPerFile: number;
}

/** Lines each synthetic chunk shipped. */
const SYNTHETIC_LINES = 250;

/** The chunk items of synthetic unit `unit`, as JSON text. */
function syntheticChunks(bucket: string, run: SyntheticRun, unit: number): string {
  const items: string[] = [];
  for (let at = 0; at < run.chunksPerUnit; at++) {
    const n = unit * run.chunksPerUnit + at;
    const key = `AWSLogs/123456789012/elasticloadbalancing/eu-west-1/2026/01/01/123456789012_elasticloadbalancing_eu-west-1_app.web.50dc6c495c0c9188_20260101T0005Z_10.0.0.1_${n.toString(36).padStart(8, '0')}.log.gz`;
    items.push(
      `{"bucket":"${bucket}","key":"${key}","etag":"\\"${n.toString(16).padStart(32, '0')}\\"","size":20000,"compression":"gzip","start":0,"end":9007199254740991}`,
    );
  }
  return `[${items.join(',')}]`;
}

const SYNTHETIC_RESULT = `{"lines":${SYNTHETIC_LINES},"accepted":${SYNTHETIC_LINES},"rejected":0,"failed":0,"parseErrors":0,"batches":1,"retries":0,"bytesIn":20000,"durationMs":120,"done":true}`;

/** The lines of a synthetic run file, or `undefined` for a key it does not have. */
function syntheticFile(
  bucket: string,
  run: SyntheticRun,
  key: string,
): (() => Generator<string>) | undefined {
  const files = Math.ceil(run.units / run.unitsPerFile);
  if (key === `${run.prefix}manifest/part-00.jsonl`) {
    return function* () {
      for (let unit = 0; unit < run.units; unit++) {
        yield `{"unit":${unit},"chunks":${syntheticChunks(bucket, run, unit)}}\n`;
      }
    };
  }
  if (key === `${run.prefix}results/map/manifest.json`) {
    return function* () {
      const succeeded = Array.from({ length: files }, (_, n) => ({
        Key: `${run.prefix}results/map/SUCCEEDED_${n}.jsonl`,
        Size: 0,
      }));
      yield JSON.stringify({
        DestinationBucket: bucket,
        ResultFiles: { SUCCEEDED: succeeded, FAILED: [], PENDING: [] },
      });
    };
  }
  const file = new RegExp(`^${run.prefix}results/map/SUCCEEDED_(\\d+)\\.jsonl$`).exec(key);
  if (file === null || Number(file[1]) >= files) return undefined;
  const first = Number(file[1]) * run.unitsPerFile;
  return function* () {
    const results = `[${Array(run.chunksPerUnit).fill(SYNTHETIC_RESULT).join(',')}]`;
    for (let unit = first; unit < Math.min(run.units, first + run.unitsPerFile); unit++) {
      yield `{"unit":${unit},"chunks":${syntheticChunks(bucket, run, unit)},"done":true,"carryOn":false,"results":${results}}\n`;
    }
  };
}

/** Objects a fleet holds: accounts × Regions × days × load balancers × nodes × 288. */
export function fleetObjects(fleet: SyntheticFleet): number {
  return (
    fleet.accounts.length *
    fleet.regions.length *
    fleet.days *
    fleet.loadBalancers *
    fleet.nodes *
    INTERVALS_PER_DAY
  );
}

const INTERVALS_PER_DAY = 288;
const DAY_MS = 86_400_000;
/** Above every character of the keys here: `x + HIGH` sorts after every key under `x`. */
const HIGH = '~';

/** The day folders of the fleet, sorted, and the keys of each, made when asked. */
class SyntheticListing {
  readonly folders: string[] = [];
  readonly #fleet: SyntheticFleet;
  readonly #cache = new Map<string, string[]>();

  constructor(fleet: SyntheticFleet) {
    this.#fleet = fleet;
    const first = Date.parse(`${fleet.firstDay}T00:00:00Z`);
    for (const account of [...fleet.accounts].sort()) {
      for (const region of [...fleet.regions].sort()) {
        for (let day = 0; day < fleet.days; day++) {
          const date = new Date(first + day * DAY_MS).toISOString().slice(0, 10).replace(/-/g, '/');
          this.folders.push(
            `${fleet.prefix ?? ''}AWSLogs/${account}/elasticloadbalancing/${region}/${date}/`,
          );
        }
      }
    }
    this.folders.sort();
  }

  /** The keys of one day folder, sorted. */
  keys(folder: string): string[] {
    const cached = this.#cache.get(folder);
    if (cached !== undefined) return cached;
    const [account, , region, year, month, day] = folder
      .slice((this.#fleet.prefix ?? '').length + 'AWSLogs/'.length)
      .split('/');
    const start = Date.UTC(Number(year), Number(month) - 1, Number(day));
    const keys: string[] = [];
    for (let lb = 0; lb < this.#fleet.loadBalancers; lb++) {
      const name = `app.web-${String(lb).padStart(4, '0')}.${createHash('md5').update(String(lb)).digest('hex').slice(0, 16)}`;
      for (let interval = 1; interval <= INTERVALS_PER_DAY; interval++) {
        const end = new Date(start + interval * 300_000).toISOString();
        const time = `${end.slice(0, 4)}${end.slice(5, 7)}${end.slice(8, 10)}T${end.slice(11, 13)}${end.slice(14, 16)}Z`;
        for (let node = 0; node < this.#fleet.nodes; node++) {
          keys.push(
            `${folder}${account}_elasticloadbalancing_${region}_${name}_${time}_10.0.${node >> 8}.${node & 255}_${(lb * 7919 + interval * 104729 + node).toString(36).padStart(8, '0')}.log.gz`,
          );
        }
      }
    }
    keys.sort();
    if (this.#cache.size >= 64) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(folder, keys);
    return keys;
  }

  /**
   * Keys (or, with a delimiter, common prefixes) under `prefix` after
   * `after`, in order, at most `max`; and whether more follow.
   */
  list(
    prefix: string,
    after: string,
    delimiter: string | undefined,
    max: number,
  ): { keys: string[]; prefixes: string[]; truncated: boolean; last: string } {
    const keys: string[] = [];
    const prefixes: string[] = [];
    let from = after > prefix ? after : prefix;
    let last = after;
    let folderAt = lowerBound(this.folders, (folder) => folder + HIGH > from);
    while (folderAt < this.folders.length) {
      const folder = this.folders[folderAt];
      if (!folder.startsWith(prefix) && !prefix.startsWith(folder) && folder > prefix) break;
      const names = this.keys(folder);
      let at = lowerBound(names, (key) => key > from);
      let jumped = false;
      for (; at < names.length; at++) {
        const key = names[at];
        if (!key.startsWith(prefix)) {
          if (key > prefix) return { keys, prefixes, truncated: false, last };
          continue;
        }
        if (keys.length + prefixes.length >= max) return { keys, prefixes, truncated: true, last };
        const slash = delimiter === undefined ? -1 : key.indexOf(delimiter, prefix.length);
        if (slash >= 0) {
          const common = key.slice(0, slash + 1);
          prefixes.push(common);
          last = common;
          from = common + HIGH;
          jumped = true;
          break;
        }
        keys.push(key);
        last = key;
      }
      if (jumped) folderAt = lowerBound(this.folders, (f) => f + HIGH > from);
      else folderAt++;
    }
    return { keys, prefixes, truncated: false, last };
  }
}

/** The first index whose element passes `test` (which is false, then true, along the array). */
function lowerBound<T>(items: readonly T[], test: (item: T) => boolean): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (test(items[middle])) high = middle;
    else low = middle + 1;
  }
  return low;
}

const escapeXml = (text: string) =>
  text.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c,
  );

function listXml(
  bucket: string,
  query: URLSearchParams,
  answer: { keys: string[]; prefixes: string[]; truncated: boolean; last: string },
  object: (key: string) => { size: number; etag: string },
): string {
  const parts = [
    '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
    `<Name>${escapeXml(bucket)}</Name><Prefix>${escapeXml(query.get('prefix') ?? '')}</Prefix>`,
    `<KeyCount>${answer.keys.length + answer.prefixes.length}</KeyCount><MaxKeys>${query.get('max-keys') ?? 1000}</MaxKeys>`,
    `<IsTruncated>${answer.truncated}</IsTruncated>`,
  ];
  if (answer.truncated) {
    parts.push(
      `<NextContinuationToken>${Buffer.from(answer.last).toString('base64')}</NextContinuationToken>`,
    );
  }
  for (const key of answer.keys) {
    const { size, etag } = object(key);
    parts.push(
      `<Contents><Key>${escapeXml(key)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>${escapeXml(etag)}</ETag><Size>${size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    );
  }
  for (const common of answer.prefixes) {
    parts.push(`<CommonPrefixes><Prefix>${escapeXml(common)}</Prefix></CommonPrefixes>`);
  }
  parts.push('</ListBucketResult>');
  return parts.join('');
}

/** Where a listing starts: after its StartAfter, or after the key its token names. */
function listStart(query: URLSearchParams): string {
  const token = query.get('continuation-token');
  if (token !== null) {
    const last = Buffer.from(token, 'base64').toString();
    // A common prefix given last: carry on after everything under it.
    return last.endsWith('/') ? last + HIGH : last;
  }
  return query.get('start-after') ?? '';
}

export interface ListingS3 {
  url: string;
  /** Listing requests answered, by bucket. */
  listings: Map<string, number>;
  /** The work bucket's objects. */
  stored: Map<string, Buffer>;
  close(): Promise<void>;
}

/** Starts the stand-in on loopback. */
export async function startListingS3(fleet: SyntheticFleet): Promise<ListingS3> {
  const listing = new SyntheticListing(fleet);
  const stored = new Map<string, Buffer>();
  const uploads = new Map<string, Map<number, Buffer>>();
  const listings = new Map<string, number>();
  const synthetic = (key: string) => ({
    size: fleet.objectBytes,
    etag: `"${createHash('md5').update(key).digest('hex')}"`,
  });
  const etagOf = (body: Buffer) => `"${createHash('md5').update(body).digest('hex')}"`;

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const [, bucket, ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const query = url.searchParams;
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const send = (status: number, text = '', headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/xml', ...headers });
      response.end(text);
    };
    const notFound = () =>
      send(
        404,
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>${escapeXml(key)}</Key></Error>`,
      );

    if (request.method === 'GET' && key === '' && query.get('list-type') === '2') {
      listings.set(bucket, (listings.get(bucket) ?? 0) + 1);
      const max = Math.min(1000, Number(query.get('max-keys') ?? 1000));
      const prefix = query.get('prefix') ?? '';
      const delimiter = query.get('delimiter') ?? undefined;
      if (bucket === fleet.bucket) {
        await new Promise((resolve) => setTimeout(resolve, fleet.latencyMs));
        const answer = listing.list(prefix, listStart(query), delimiter, max);
        return send(200, listXml(bucket, query, answer, synthetic));
      }
      const start = listStart(query);
      const all = [...stored.keys()].filter((k) => k.startsWith(prefix) && k > start).sort();
      const answer = {
        keys: all.slice(0, max),
        prefixes: [],
        truncated: all.length > max,
        last: all[Math.min(max, all.length) - 1] ?? '',
      };
      return send(
        200,
        listXml(bucket, query, answer, (k) => {
          const object = stored.get(k) as Buffer;
          return { size: object.length, etag: etagOf(object) };
        }),
      );
    }
    if (bucket !== fleet.workBucket) return notFound();
    const generated =
      fleet.run === undefined || request.method !== 'GET'
        ? undefined
        : syntheticFile(bucket, fleet.run, key);
    if (generated !== undefined) {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      for (const text of generated()) {
        if (!response.write(text)) await once(response, 'drain');
      }
      response.end();
      return;
    }
    if (request.method === 'POST' && query.has('uploads')) {
      const uploadId = createHash('md5').update(`${key}${Math.random()}`).digest('hex');
      uploads.set(uploadId, new Map());
      return send(
        200,
        `<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
      );
    }
    if (request.method === 'PUT' && query.has('uploadId')) {
      uploads.get(query.get('uploadId') as string)?.set(Number(query.get('partNumber')), body);
      return send(200, '', { etag: etagOf(body) });
    }
    if (request.method === 'POST' && query.has('uploadId')) {
      const parts = uploads.get(query.get('uploadId') as string) ?? new Map();
      const whole = Buffer.concat(
        [...parts.entries()].sort((a, b) => a[0] - b[0]).map((p) => p[1]),
      );
      uploads.delete(query.get('uploadId') as string);
      stored.set(key, whole);
      return send(
        200,
        `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${escapeXml(key)}</Key><ETag>${escapeXml(etagOf(whole))}</ETag></CompleteMultipartUploadResult>`,
      );
    }
    if (request.method === 'DELETE' && query.has('uploadId')) {
      uploads.delete(query.get('uploadId') as string);
      return send(204);
    }
    if (request.method === 'PUT') {
      stored.set(key, body);
      return send(200, '', { etag: etagOf(body) });
    }
    const object = stored.get(key);
    if (request.method === 'DELETE') {
      stored.delete(key);
      return send(204);
    }
    if (object === undefined) return request.method === 'HEAD' ? send(404) : notFound();
    const headers = {
      'content-type': 'application/octet-stream',
      'content-length': String(object.length),
      etag: etagOf(object),
      'last-modified': new Date(0).toUTCString(),
    };
    if (request.method === 'HEAD') {
      response.writeHead(200, headers);
      return response.end();
    }
    response.writeHead(200, headers);
    response.end(object);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    listings,
    stored,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const fleet = JSON.parse(process.argv[2] ?? '{}') as SyntheticFleet;
  const s3 = await startListingS3(fleet);
  process.stdout.write(`${JSON.stringify({ port: Number(new URL(s3.url).port) })}\n`);
  process.on('SIGTERM', () => {
    s3.close().then(() => process.exit(0));
  });
}
