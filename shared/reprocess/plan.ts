/**
 * The plan step of a reprocessing run: lists the log objects of the run,
 * keeps those its filters select, cuts each into chunks, packs the chunks
 * into work units (units.ts) and writes the unit manifest (JSONL, one unit
 * item a line) to the run's work location. It
 * returns counts and where the manifest is, never the chunks themselves, so
 * its answer stays small for millions of objects.
 */

import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { InputValidationError } from '../contract/errors.ts';
import {
  type ChunkItem,
  type Compression,
  type PlanSummary,
  type RetryInput,
  type RunInput,
  type SkipReason,
  type UnitItem,
  zeroSkipped,
} from '../contract/state-machine.ts';
import { parseS3Key } from '../formats/s3-key.ts';
import { mapBounded } from '../s3/bounded-calls.ts';
import { isGone } from '../s3/key-presence.ts';
import { httpStatus, objectUrl } from '../s3/s3-errors.ts';
import { parseRetryReport } from './run-input.ts';
import {
  type RunPolicy,
  reportWithinLogScope,
  requireDeletionAllowed,
  withinLogScope,
} from './run-policy.ts';
import { packUnits, UnitPacker } from './units.ts';

/**
 * The `end` of an object's last chunk when its content size is not known
 * exactly (gzip): the chunk reads to the end of the content, whatever it is.
 */
export const TO_THE_END = Number.MAX_SAFE_INTEGER;
/**
 * No ELB log compresses better than this; a gzip object smaller than
 * `chunkBytes / MAX_GZIP_RATIO` fits one chunk without reading its trailer.
 */
export const MAX_GZIP_RATIO = 20;
/** Objects whose size (HEAD) or gzip trailer is read at once. */
const LOOKUP_CONCURRENCY = 16;
/** A 5-minute log interval, which the time in an object's name ends. */
const INTERVAL_MS = 5 * 60 * 1000;

export interface WorkLocation {
  bucket: string;
  /** Key prefix of this run's files (manifest, results, report), ending in `/`. */
  prefix: string;
}

interface ListedObject {
  key: string;
  size: number;
  etag: string;
}

export interface PlanOptions {
  client: S3Client;
  input: RunInput;
  runId: string;
  work: WorkLocation;
  /** The clock: when the plan is made. */
  now: () => Date;
  /** Keys per listing page (S3's own maximum, 1000, by default). */
  listPageSize?: number;
}

/** Lists, filters and chunks the run's objects and writes the manifest. */
export async function planRun(options: PlanOptions): Promise<PlanSummary> {
  const { client, input, runId, work, now } = options;
  const summary: PlanSummary = {
    runId,
    plannedAt: now().toISOString(),
    bucket: input.bucket,
    prefix: input.prefix,
    dryRun: input.dryRun,
    deleteProcessed: input.deleteProcessed,
    maxConcurrency: input.maxConcurrency,
    objects: 0,
    emptyObjects: 0,
    chunks: 0,
    units: 0,
    unitBytes: input.unitBytes,
    bytes: 0,
    skipped: zeroSkipped(),
    manifest: { Bucket: work.bucket, Key: `${work.prefix}manifest.jsonl` },
    results: { Bucket: work.bucket, Prefix: `${work.prefix}results` },
  };
  const select = selector(input);
  const packer = new UnitPacker(input.unitBytes);
  const lines = (units: UnitItem[]) => units.map((unit) => `${JSON.stringify(unit)}\n`).join('');

  async function* manifestLines(): AsyncGenerator<string> {
    for await (const page of listedPages(client, input, summary, options.listPageSize)) {
      const chosen: ListedObject[] = [];
      for (const object of page) {
        const reason = select(object.key);
        if (reason === undefined) chosen.push(object);
        else summary.skipped[reason]++;
      }
      const planned = await mapBounded(chosen, LOOKUP_CONCURRENCY, (object) =>
        chunksOfObject(client, input, object),
      );
      for (let i = 0; i < chosen.length; i++) {
        summary.objects++;
        summary.bytes += chosen[i].size;
        if (chosen[i].size === 0) summary.emptyObjects++;
        summary.chunks += planned[i].length;
        const units = lines(packer.add(planned[i]));
        if (units !== '') yield units;
      }
    }
    const last = lines(packer.finish());
    if (last !== '') yield last;
    summary.units = packer.units;
  }

  await new Upload({
    client,
    params: {
      Bucket: summary.manifest.Bucket,
      Key: summary.manifest.Key,
      Body: Readable.from(manifestLines()),
      ContentType: 'application/jsonl',
    },
  }).done();
  return summary;
}

export interface RetryPlanOptions {
  client: S3Client;
  retry: RetryInput;
  runId: string;
  work: WorkLocation;
  policy: RunPolicy;
  /** The clock: when the plan is made. */
  now: () => Date;
}

/**
 * Plans a re-run of an earlier run's failed chunks, read from its
 * report.json, packed into units again: the same chunk items (from where
 * an unfinished one stopped) (an object changed since then fails its
 * chunks with ObjectChangedError), the earlier bucket and prefix, and its
 * settings unless the input gives new ones. The report is validated and
 * scope-checked as an execution input is.
 */
export async function planRetry({
  client,
  retry,
  runId,
  work,
  policy,
  now,
}: RetryPlanOptions): Promise<PlanSummary> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(retry.retryFrom) as RegExpExecArray;
  let text: string;
  try {
    const answer = await client.send(new GetObjectCommand({ Bucket: match[1], Key: match[2] }));
    const body = answer.Body as { transformToString(): Promise<string> };
    text = await body.transformToString();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputValidationError(`retryFrom: cannot read ${retry.retryFrom}: ${reason}`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InputValidationError(`retryFrom: ${retry.retryFrom} is not JSON`);
  }
  let report = parseRetryReport(json, retry.retryFrom);
  if (policy.scope !== undefined)
    report = reportWithinLogScope(report, policy.scope, retry.retryFrom);
  const deleteProcessed = retry.deleteProcessed ?? report.deleteProcessed;
  requireDeletionAllowed(deleteProcessed, policy, retry);
  const items = report.retryItems;
  const unitBytes = retry.unitBytes ?? report.unitBytes;
  const units = packUnits(objectsOf(items), unitBytes);
  const sizes = new Map(items.map((item) => [item.key, item.size]));
  const summary: PlanSummary = {
    runId,
    plannedAt: now().toISOString(),
    bucket: report.bucket,
    prefix: report.prefix,
    dryRun: retry.dryRun,
    deleteProcessed,
    maxConcurrency: retry.maxConcurrency ?? report.maxConcurrency,
    objects: sizes.size,
    emptyObjects: [...sizes.values()].filter((size) => size === 0).length,
    chunks: items.length,
    units: units.length,
    unitBytes,
    bytes: [...sizes.values()].reduce((sum, size) => sum + size, 0),
    skipped: zeroSkipped(),
    manifest: { Bucket: work.bucket, Key: `${work.prefix}manifest.jsonl` },
    results: { Bucket: work.bucket, Prefix: `${work.prefix}results` },
    retryOf: report.runId ?? retry.retryFrom,
  };
  await new Upload({
    client,
    params: {
      Bucket: summary.manifest.Bucket,
      Key: summary.manifest.Key,
      Body: units.map((unit) => `${JSON.stringify(unit)}\n`).join(''),
      ContentType: 'application/jsonl',
    },
  }).done();
  return summary;
}

export interface AnyRunPlanOptions {
  client: S3Client;
  /** A validated execution input: a run, or a re-run (`retryFrom`). */
  input: RunInput | RetryInput;
  runId: string;
  work: WorkLocation;
  policy: RunPolicy;
  /** The clock: when the plan is made. */
  now: () => Date;
}

/**
 * Plans either kind of run within what the deployment allows: a run outside
 * its logs, or one asking for deletion where deletion is not allowed, is
 * refused with `InputValidationError` before anything is listed.
 */
export async function planAnyRun(options: AnyRunPlanOptions): Promise<PlanSummary> {
  const { client, input, runId, work, policy, now } = options;
  if ('retryFrom' in input) return planRetry({ client, retry: input, runId, work, policy, now });
  const run = policy.scope === undefined ? input : withinLogScope(input, policy.scope);
  requireDeletionAllowed(run.deleteProcessed, policy);
  return planRun({ client, input: run, runId, work, now });
}

/** Chunk items grouped by object, in order: what the packer takes. */
function objectsOf(items: readonly ChunkItem[]): ChunkItem[][] {
  const objects: ChunkItem[][] = [];
  for (const item of items) {
    const last = objects.at(-1);
    if (last !== undefined && last[0].key === item.key) last.push(item);
    else objects.push([item]);
  }
  return objects;
}

/** The reason an object is left out, or `undefined` when it is in the run. */
function selector(input: RunInput): (key: string) => SkipReason | undefined {
  const from = input.from === undefined ? undefined : Date.parse(input.from);
  const to = input.to === undefined ? undefined : Date.parse(input.to);
  const names = input.loadBalancers === undefined ? undefined : new Set(input.loadBalancers);
  return (key) => {
    const info = parseS3Key(key);
    if (!info.isLog) return info.kind === 'test-file' ? 'testFile' : 'notALog';
    if (from !== undefined || to !== undefined) {
      const end = intervalEnd(info.endTime);
      // The object holds requests of the 5 minutes before the time in its name.
      if (end === undefined) return 'outsideWindow';
      if (from !== undefined && end <= from) return 'outsideWindow';
      if (to !== undefined && end - INTERVAL_MS >= to) return 'outsideWindow';
    }
    if (names !== undefined && !names.has(info.loadBalancer?.name ?? '')) {
      return 'otherLoadBalancer';
    }
    return undefined;
  };
}

/** `20261101T0005Z` → ms since the epoch. */
function intervalEnd(text: string | undefined): number | undefined {
  const m = text === undefined ? null : /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z$/.exec(text);
  if (m === null) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
}

/** The objects of the run, a page at a time: listed under the prefix, or the given keys. */
async function* listedPages(
  client: S3Client,
  input: RunInput,
  summary: PlanSummary,
  pageSize: number | undefined,
): AsyncGenerator<ListedObject[]> {
  if (input.keys !== undefined) {
    const keys = [...new Set(input.keys)];
    for (let at = 0; at < keys.length; at += 1000) {
      const heads = await mapBounded(keys.slice(at, at + 1000), LOOKUP_CONCURRENCY, (key) =>
        headObject(client, input.bucket, key),
      );
      const page: ListedObject[] = [];
      for (const head of heads) {
        if (head === undefined) summary.skipped.missing++;
        else page.push(head);
      }
      yield page;
    }
    return;
  }
  for await (const page of paginateListObjectsV2(
    { client, ...(pageSize !== undefined && { pageSize }) },
    { Bucket: input.bucket, Prefix: input.prefix },
  )) {
    yield (page.Contents ?? []).map((object) => ({
      key: object.Key as string,
      size: object.Size ?? 0,
      etag: object.ETag as string,
    }));
  }
}

async function headObject(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<ListedObject | undefined> {
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { key, size: head.ContentLength ?? 0, etag: head.ETag as string };
  } catch (error) {
    // A 404, or a 403 for a key a listing does not show (S3's answer without s3:ListBucket).
    if (await isGone(client, bucket, key, error)) return undefined;
    throw new Error(`${objectUrl(bucket, key)}: cannot be read: ${describeError(error)}`, {
      cause: error,
    });
  }
}

/** The chunks of one object; reads the gzip trailer only when it may need several. */
async function chunksOfObject(
  client: S3Client,
  input: RunInput,
  object: ListedObject,
): Promise<ChunkItem[]> {
  const compression: Compression = object.key.endsWith('.gz') ? 'gzip' : 'none';
  let contentSize: number | undefined = object.size;
  if (compression === 'gzip') {
    contentSize =
      object.size >= 18 && object.size * MAX_GZIP_RATIO > input.chunkBytes
        ? await gzipContentSize(client, input.bucket, object)
        : undefined;
  }
  return chunkItems(
    { bucket: input.bucket, ...object, compression },
    contentSize,
    input.chunkBytes,
  );
}

/**
 * The content size a gzip trailer gives (ISIZE: the last member's size,
 * modulo 2^32), or `undefined` when it cannot be right (smaller than the
 * stored object: not gzip, or over 4 GiB). Only a hint for where to cut: the
 * last chunk reads to the end of the content, so a wrong hint unbalances the
 * chunks but loses nothing.
 */
async function gzipContentSize(
  client: S3Client,
  bucket: string,
  object: ListedObject,
): Promise<number | undefined> {
  const answer = await client.send(
    new GetObjectCommand({
      Bucket: bucket,
      Key: object.key,
      Range: `bytes=${object.size - 4}-${object.size - 1}`,
      IfMatch: object.etag,
    }),
  );
  const body = answer.Body as { transformToByteArray(): Promise<Uint8Array> };
  const trailer = Buffer.from(await body.transformToByteArray());
  const size = trailer.length === 4 ? trailer.readUInt32LE(0) : 0;
  return size >= object.size ? size : undefined;
}

/**
 * Cuts an object into chunks of `chunkBytes` of content: exact for plain
 * objects; for gzip, by `contentSize` when known, with the last chunk reading
 * to the end. An empty object gets one chunk, so the run accounts for it.
 */
export function chunkItems(
  object: Omit<ChunkItem, 'start' | 'end'>,
  contentSize: number | undefined,
  chunkBytes: number,
): ChunkItem[] {
  if (object.size === 0) return [{ ...object, start: 0, end: 1 }];
  const exact = object.compression === 'none';
  const total = contentSize ?? 0;
  const chunks: ChunkItem[] = [];
  let start = 0;
  while (start + chunkBytes < total) {
    chunks.push({ ...object, start, end: start + chunkBytes });
    start += chunkBytes;
  }
  chunks.push({ ...object, start, end: exact ? Math.max(total, start + 1) : TO_THE_END });
  return chunks;
}

/** S3's answer in words; a HEAD's 403 has no body, so the SDK cannot name it. */
function describeError(error: unknown): string {
  const status = httpStatus(error);
  if (status === 403) {
    return 'access denied (HTTP 403) although a listing shows it: the role needs s3:GetObject on it';
  }
  if (!(error instanceof Error)) return String(error);
  return `${error.name}${status === undefined ? '' : ` (HTTP ${status})`}: ${error.message}`;
}
