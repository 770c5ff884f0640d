/**
 * The plan of a reprocessing run, in three steps so that millions of objects
 * are listed by several workers at once (docs/design.md#planning):
 *
 * 1. {@link beginPlan}: cuts the listing into parts (listing-parts.ts) and
 *    writes them to the run's files, or plans a run of given keys (or a
 *    re-run of a report) whole.
 * 2. {@link planWorker}, once per plan worker and at the same time: lists its
 *    share of the parts, keeps the objects the run's filters select, cuts each
 *    into chunks, packs the chunks into work units (units.ts) and writes its
 *    part of the unit manifest (JSONL, one unit item a line).
 * 3. {@link addPlanParts}: adds the workers' counts up.
 *
 * Each answers counts and where the files are, never the chunks themselves,
 * so its answer stays small for millions of objects.
 */

import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { VendedSettings } from '../config/mapping-config.ts';
import {
  type ChunkItem,
  PLAN_WORKERS,
  type PlanPart,
  type PlanSummary,
  type RetryInput,
  type RunInput,
  type SkipReason,
  UNITS_PER_PLAN_WORKER,
  type UnitItem,
  zeroSkipped,
} from '../contract/state-machine.ts';
import {
  CLASSIC_LOG_INTERVAL_MS,
  LOG_INTERVAL_MS,
  parseLoadBalancerId,
  parseS3Key,
} from '../formats/s3-key.ts';
import { type ContentVerdict, logByContent } from '../pipeline/log-content.ts';
import { mapBounded } from '../s3/bounded-calls.ts';
import { JsonlUpload } from '../s3/jsonl-upload.ts';
import { isGone } from '../s3/key-presence.ts';
import type { ListedObject } from '../s3/listing.ts';
import { httpStatus, objectUrl } from '../s3/s3-errors.ts';
import { type ListingPart, listingParts, listPart } from './listing-parts.ts';
import { chunksByName, chunksOfObject } from './object-chunks.ts';
import { planRetry } from './plan-retry.ts';
import { ledgerOf, runFiles, type WorkLocation } from './run-files.ts';
import { type RunPolicy, requireDeletionAllowed, withinLogScope } from './run-policy.ts';
import { UnitPacker } from './units.ts';

/** Objects whose size (HEAD) or gzip trailer is read at once. */
const LOOKUP_CONCURRENCY = 16;
/**
 * Parts one plan worker lists at once: with {@link PLAN_WORKERS} workers,
 * 128 listings in flight hide S3's 30–100 ms a page (docs/design.md#planning).
 */
const LISTINGS_PER_WORKER = 8;
const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * How long before its delivery an object without a time in its name may
 * hold requests: the longest interval (60 minutes) and 15 minutes of ELB's
 * delivery. Its date folder is the day it was delivered; its LastModified
 * when (for a copy: when it was copied; give copies their date folders, or
 * run them without a window).
 */
const BEFORE_DELIVERY_MS = CLASSIC_LOG_INTERVAL_MS + 15 * 60 * 1000;

/** A listed object as the plan holds it: marked once its name was read and found not ELB's. */
type PlannedObject = ListedObject & { byContent?: true };

export interface AnyRunPlanOptions {
  client: S3Client;
  /** A validated execution input: a run, or a re-run (`retryFrom`). */
  input: RunInput | RetryInput;
  runId: string;
  work: WorkLocation;
  policy: RunPolicy;
  /** The clock: when the plan is made. */
  now: () => Date;
  /** What the content check needs of vended `plain` deliveries (docs/vended-logs.md). */
  vended?: VendedSettings;
}

/**
 * Begins the plan of either kind of run within what the deployment allows:
 * a run outside its logs, or one asking for deletion where deletion is not
 * allowed, is refused with `InputValidationError` before anything is listed.
 * A listed run answers its plan workers (`planWorkers`), the others their
 * whole plan.
 */
export async function beginPlan(options: AnyRunPlanOptions): Promise<PlanSummary> {
  const { client, input, runId, work, policy, now } = options;
  if ('retryFrom' in input) return planRetry({ client, retry: input, runId, work, policy, now });
  const run = runWithin(input, policy);
  const summary = emptySummary(run, runId, work, now);
  if (run.keys !== undefined) {
    const skipped = zeroSkipped();
    const part = await planObjects(client, run, work, 0, {
      sources: givenKeys(client, run, skipped),
      skipped,
      vended: options.vended,
    });
    return addPlanParts(summary, [part]);
  }
  const parts = await listingParts(client, run.bucket, run.prefix);
  const workers = Math.min(PLAN_WORKERS, parts.length);
  await client.send(
    new PutObjectCommand({
      Bucket: work.bucket,
      Key: runFiles(work).parts,
      ContentType: 'application/json',
      Body: JSON.stringify({ workers, parts }),
    }),
  );
  return {
    ...summary,
    listingParts: parts.length,
    planWorkers: Array.from({ length: workers }, (_, worker) => worker),
  };
}

/** The run's input within the deployment's logs, deletion allowed if asked for. */
export function runWithin(input: RunInput, policy: RunPolicy): RunInput {
  const run = policy.scope === undefined ? input : withinLogScope(input, policy.scope);
  requireDeletionAllowed(run.deleteProcessed, policy);
  return run;
}

/** A plan of nothing yet. */
function emptySummary(
  run: RunInput,
  runId: string,
  work: WorkLocation,
  now: () => Date,
): PlanSummary {
  const files = runFiles(work);
  return {
    runId,
    plannedAt: now().toISOString(),
    bucket: run.bucket,
    prefix: run.prefix,
    dryRun: run.dryRun,
    deleteProcessed: run.deleteProcessed,
    maxConcurrency: run.maxConcurrency,
    objects: 0,
    emptyObjects: 0,
    chunks: 0,
    units: 0,
    unitBytes: run.unitBytes,
    bytes: 0,
    skipped: zeroSkipped(),
    manifest: { Bucket: work.bucket, Prefix: files.manifest, Keys: [] },
    listingParts: 0,
    planWorkers: [],
    results: { Bucket: work.bucket, Prefix: files.results },
  };
}

const partsFileSchema = z.object({
  workers: z.number().int().min(1).max(PLAN_WORKERS),
  parts: z.array(z.object({ prefix: z.string(), direct: z.literal(true).optional() })),
});

export interface PlanWorkerOptions {
  client: S3Client;
  /** The run's input, as {@link runWithin} answered it. */
  input: RunInput;
  work: WorkLocation;
  worker: number;
  /** Keys a listing page (S3's own maximum, 1000, by default). */
  pageSize?: number;
  /** What the content check needs of vended `plain` deliveries (docs/vended-logs.md). */
  vended?: VendedSettings;
}

/**
 * Plans one worker's share of a listed run: every `workers`-th part of the
 * listing, from its `worker`-th, {@link LISTINGS_PER_WORKER} at a time.
 */
export async function planWorker(options: PlanWorkerOptions): Promise<PlanPart> {
  const { client, input, work, worker } = options;
  const partsKey = runFiles(work).parts;
  const answer = await client.send(new GetObjectCommand({ Bucket: work.bucket, Key: partsKey }));
  const text = await (answer.Body as { transformToString(): Promise<string> }).transformToString();
  const file = partsFileSchema.safeParse(JSON.parse(text));
  if (!file.success) throw new Error(`s3://${work.bucket}/${partsKey}: not a plan's parts`);
  const { workers, parts } = file.data;
  const mine = parts.filter((_, at) => at % workers === worker) as ListingPart[];
  const skipped = zeroSkipped();
  const select = selector(input);
  async function* pages(): AsyncGenerator<AsyncIterable<ListedObject[]>> {
    for (const part of mine)
      yield selected(listPart(client, input.bucket, part, options.pageSize), select, skipped);
  }
  return planObjects(client, input, work, worker, {
    sources: pages(),
    skipped,
    atOnce: LISTINGS_PER_WORKER,
    vended: options.vended,
  });
}

/** The pages of a listing with the objects the run leaves out counted, not kept. */
async function* selected(
  pages: AsyncIterable<{ objects: ListedObject[] }>,
  select: (object: PlannedObject) => SkipReason | undefined,
  skipped: Record<SkipReason, number>,
): AsyncGenerator<PlannedObject[]> {
  for await (const page of pages) {
    const chosen: PlannedObject[] = [];
    for (const object of page.objects) {
      const reason = select(object);
      if (reason === undefined) chosen.push(object);
      else skipped[reason]++;
    }
    yield chosen;
  }
}

/**
 * Chunks and packs the objects of `sources` (each a run of pages, `atOnce`
 * of them read at the same time; what they leave out counted in `skipped`,
 * the part's count) and writes them as manifest part `worker`:
 * its units numbered from `worker × UNITS_PER_PLAN_WORKER`. The file is begun
 * with the first unit, so a worker that plans nothing writes none.
 */
async function planObjects(
  client: S3Client,
  input: RunInput,
  work: WorkLocation,
  worker: number,
  {
    sources,
    skipped,
    atOnce = 1,
    vended,
  }: {
    sources: AsyncIterable<AsyncIterable<PlannedObject[]>>;
    skipped: Record<SkipReason, number>;
    atOnce?: number;
    vended?: VendedSettings | undefined;
  },
): Promise<PlanPart> {
  const part: PlanPart = {
    worker,
    objects: 0,
    emptyObjects: 0,
    chunks: 0,
    units: 0,
    bytes: 0,
    skipped,
  };
  const first = worker * UNITS_PER_PLAN_WORKER;
  const deleting = input.deleteProcessed && !input.dryRun;
  const packer = new UnitPacker(input.unitBytes, first, deleting ? ledgerOf(work) : undefined);
  const key = runFiles(work).manifestPart(worker);
  // Begun with the first unit: a worker that plans nothing writes no file.
  const manifest = new JsonlUpload(client, work.bucket, key);
  const write = async (units: UnitItem[]) => {
    if (units.length === 0) return;
    if (packer.units - first > UNITS_PER_PLAN_WORKER) {
      throw new Error(
        `plan worker ${worker}: more than ${UNITS_PER_PLAN_WORKER} units; give a larger unitBytes or a narrower prefix`,
      );
    }
    await manifest.writeText(units.map((unit) => `${JSON.stringify(unit)}\n`).join(''));
  };
  /** The first error of a listing: the others stop at their next page. */
  let failure: { error: unknown } | undefined;
  const plan = async (pages: AsyncIterable<PlannedObject[]>) => {
    for await (const page of pages) {
      if (failure !== undefined) return;
      const chunks = await mapBounded(page, LOOKUP_CONCURRENCY, (object) =>
        chunksOf(client, input, object, vended),
      );
      for (const [at, object] of page.entries()) {
        const planned = chunks[at];
        if (typeof planned === 'string') {
          skipped[planned]++;
          continue;
        }
        part.objects++;
        part.bytes += object.size;
        if (object.size === 0) part.emptyObjects++;
        part.chunks += planned.length;
        await write(packer.add(planned));
      }
    }
  };
  try {
    const running = new Set<Promise<void>>();
    for await (const pages of sources) {
      if (failure !== undefined) break;
      const listing: Promise<void> = plan(pages)
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => running.delete(listing));
      running.add(listing);
      if (running.size >= atOnce) await Promise.race(running);
    }
    await Promise.all(running);
    if (failure !== undefined) throw failure.error;
    await write(packer.finish());
    await manifest.end();
  } catch (error) {
    await manifest.abort(error);
    throw error;
  }
  part.units = packer.units - first;
  return { ...part, ...(manifest.started && { manifestKey: key }) };
}

/**
 * An object's chunks, or why it is left out after all. A name that is not
 * ELB's is read at its start (log-content.ts): kept only when its content is
 * an ELB log (`notALog` otherwise), gzip when its content is, and, when the
 * run asks for load balancers and the name says none, only when its first
 * line's `elb` is one of them (`otherLoadBalancer`). One that is gone since
 * the listing is `missing`; one that cannot be read is planned as its name
 * says, so that its chunk fails naming it and why, as any unreadable log does.
 */
async function chunksOf(
  client: S3Client,
  input: RunInput,
  object: PlannedObject,
  vended: VendedSettings | undefined,
): Promise<ChunkItem[] | SkipReason> {
  if (!object.byContent) return chunksOfObject(client, input.bucket, object, input.chunkBytes);
  let content: ContentVerdict;
  try {
    content = await logByContent(client, input.bucket, object, vended);
  } catch (error) {
    if (await isGone(client, input.bucket, object.key, error)) return 'missing';
    return chunksByName(input.bucket, object, input.chunkBytes);
  }
  if (!content.log) return 'notALog';
  // The selector kept it without a load balancer only when its name says none.
  if (
    input.loadBalancers !== undefined &&
    parseS3Key(object.key).loadBalancer === undefined &&
    !input.loadBalancers.includes(parseLoadBalancerId(content.elb ?? '').name)
  ) {
    return 'otherLoadBalancer';
  }
  return chunksOfObject(client, input.bucket, object, input.chunkBytes, content.compression);
}

/**
 * The plan with every worker's counts added and its manifest files named:
 * whole, with no worker left.
 */
export function addPlanParts(plan: PlanSummary, parts: readonly PlanPart[]): PlanSummary {
  const summary: PlanSummary = {
    ...plan,
    skipped: { ...plan.skipped },
    manifest: { ...plan.manifest, Keys: [...plan.manifest.Keys] },
    planWorkers: [],
  };
  for (const part of [...parts].sort((a, b) => a.worker - b.worker)) {
    summary.objects += part.objects;
    summary.emptyObjects += part.emptyObjects;
    summary.chunks += part.chunks;
    summary.units += part.units;
    summary.bytes += part.bytes;
    summary.skipped = addSkipped(summary.skipped, part.skipped);
    if (part.manifestKey !== undefined) summary.manifest.Keys.push(part.manifestKey);
  }
  return summary;
}

function addSkipped(
  a: Record<SkipReason, number>,
  b: Partial<Record<SkipReason, number>>,
): Record<SkipReason, number> {
  const sum = { ...a };
  for (const reason of Object.keys(sum) as SkipReason[]) sum[reason] += b[reason] ?? 0;
  return sum;
}

/**
 * A whole plan in this process: begun, every worker's share planned (all at
 * once), added up. The state machine runs the same steps as states.
 */
export async function planRun(
  options: Omit<AnyRunPlanOptions, 'policy'> & { policy?: RunPolicy; listPageSize?: number },
): Promise<PlanSummary> {
  const policy = options.policy ?? { allowDelete: true };
  const begun = await beginPlan({ ...options, policy });
  if (begun.planWorkers.length === 0 || 'retryFrom' in options.input) return begun;
  const input = runWithin(options.input, policy);
  const parts = await Promise.all(
    begun.planWorkers.map((worker) =>
      planWorker({
        client: options.client,
        input,
        work: options.work,
        worker,
        ...(options.listPageSize !== undefined && { pageSize: options.listPageSize }),
        ...(options.vended !== undefined && { vended: options.vended }),
      }),
    ),
  );
  return addPlanParts(begun, parts);
}

/**
 * The reason an object is left out, or `undefined` when it is in the run
 * (then marked `byContent` when its name is not ELB's, so the key is read
 * once).
 */
function selector(input: RunInput): (object: PlannedObject) => SkipReason | undefined {
  const from = input.from === undefined ? undefined : Date.parse(input.from);
  const to = input.to === undefined ? undefined : Date.parse(input.to);
  const names = input.loadBalancers === undefined ? undefined : new Set(input.loadBalancers);
  return (object) => {
    const info = parseS3Key(object.key);
    if (!info.isLog) return info.kind === 'test-file' ? 'testFile' : 'notALog';
    if (from !== undefined || to !== undefined) {
      const [start, end] = requestTimes(info, object.lastModified);
      if (end === undefined) return 'outsideWindow';
      if (from !== undefined && end <= from) return 'outsideWindow';
      if (to !== undefined && start >= to) return 'outsideWindow';
    }
    if (names !== undefined) {
      const named = info.loadBalancer?.name;
      // A name that is not ELB's and says no load balancer: its first line decides (chunksOf).
      if (named === undefined ? !info.byContent : !names.has(named)) return 'otherLoadBalancer';
    }
    if (info.byContent) object.byContent = true;
    return undefined;
  };
}

/**
 * When an object's requests may have been made, `[start, end]` in ms since
 * the epoch (docs/design.md#planning): the interval before the time in its
 * name (5 minutes; 60 for a Classic load balancer's, which may be either,
 * or a name that says no load balancer); else, for a name without one, the
 * day of its date folder (to its LastModified, when earlier) and the
 * {@link BEFORE_DELIVERY_MS} before it; else the {@link BEFORE_DELIVERY_MS}
 * before it was written. Nothing known: `[NaN, undefined]`.
 */
function requestTimes(
  info: ReturnType<typeof parseS3Key>,
  lastModified: string | undefined,
): [number, number | undefined] {
  const end = intervalEnd(info.endTime);
  if (end !== undefined) {
    // A name that says no ALB or NLB may be a Classic load balancer's.
    const long =
      info.kind === 'clb' ||
      info.loadBalancer?.type === 'classic' ||
      (info.byContent === true && info.loadBalancer === undefined);
    return [end - (long ? CLASSIC_LOG_INTERVAL_MS : LOG_INTERVAL_MS), end];
  }
  const modified = lastModified === undefined ? Number.NaN : Date.parse(lastModified);
  if (info.date !== undefined) {
    const day = Date.parse(`${info.date}T00:00:00Z`);
    // Nothing in it was requested after it was written.
    const last = Number.isNaN(modified) ? day + DAY_MS : Math.min(day + DAY_MS, modified);
    if (!Number.isNaN(day)) return [day - BEFORE_DELIVERY_MS, last];
  }
  if (!Number.isNaN(modified)) return [modified - BEFORE_DELIVERY_MS, modified];
  return [Number.NaN, undefined];
}

/** `20261101T0005Z` → ms since the epoch. */
function intervalEnd(text: string | undefined): number | undefined {
  const m = text === undefined ? null : /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z$/.exec(text);
  if (m === null) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
}

/** The run's given keys (each once), a thousand at a time, found with HEAD; missing ones counted. */
async function* givenKeys(
  client: S3Client,
  input: RunInput,
  skipped: Record<SkipReason, number>,
): AsyncGenerator<AsyncIterable<ListedObject[]>> {
  const select = selector(input);
  async function* pages(): AsyncGenerator<{ objects: ListedObject[] }> {
    const keys = [...new Set(input.keys)];
    for (let at = 0; at < keys.length; at += 1000) {
      const heads = await mapBounded(keys.slice(at, at + 1000), LOOKUP_CONCURRENCY, (key) =>
        headObject(client, input.bucket, key),
      );
      const objects: ListedObject[] = [];
      for (const head of heads) {
        if (head === undefined) skipped.missing++;
        else objects.push(head);
      }
      yield { objects };
    }
  }
  yield selected(pages(), select, skipped);
}

async function headObject(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<ListedObject | undefined> {
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return {
      key,
      size: head.ContentLength ?? 0,
      etag: head.ETag as string,
      ...(head.LastModified !== undefined && { lastModified: head.LastModified.toISOString() }),
    };
  } catch (error) {
    // A 404, or a 403 for a key a listing does not show (S3's answer without s3:ListBucket).
    if (await isGone(client, bucket, key, error)) return undefined;
    throw new Error(`${objectUrl(bucket, key)}: cannot be read: ${describeError(error)}`, {
      cause: error,
    });
  }
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
