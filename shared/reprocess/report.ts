/**
 * The report step of a reprocessing run: reads what the Distributed Map's
 * ResultWriter wrote (`manifest.json`, then `SUCCEEDED_n.json` and
 * `FAILED_n.json`, whose `Input`/`Output` are JSON strings) and the run's chunk
 * manifest, adds up the counts per object and in total, checks that every chunk
 * conserves its lines (docs/design.md#counts-and-conservation), deletes the
 * objects that were fully shipped when the run asked for it (only in the run's
 * bucket and under its prefix, only the version shipped), writes `report.json`
 * whatever the deletions came to, and answers a short summary with the run's
 * throughput.
 */

import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import {
  addLineCounts,
  addShipCounts,
  type LineCounts,
  type ShipCounts,
  zeroLineCounts,
  zeroShipCounts,
} from '../contract/counts.ts';
import { ReportInputError } from '../contract/errors.ts';
import type { Estimate } from '../contract/estimate.ts';
import { describeProblems, type Problem, parseOrThrow } from '../contract/parse.ts';
import {
  type ChildExecution,
  type ChunkItem,
  type ChunkResult,
  childExecutionSchema,
  type FailedChunk,
  type ReportInput,
  resultManifestSchema,
} from '../contract/state-machine.ts';
import { type ActualFigures, actualFigures } from '../cost/estimate.ts';
import {
  type DeleteFailure,
  type DeletionResult,
  deleteShippedObjects,
} from '../s3/conditional-delete.ts';

/** Failed chunks listed in the answer (all of them are in report.json). */
const LISTED_FAILURES = 20;

export interface ObjectStatus extends LineCounts {
  key: string;
  /** The version the run read (deletion is pinned to it). */
  etag: string;
  chunks: number;
  /** Every chunk ended done, with nothing failed or rejected and no error. */
  shipped: boolean;
}

export interface ReportSummary extends ShipCounts {
  runId: string;
  objects: number;
  chunks: number;
  /** Chunks that did not ship all their lines (an error, `failed > 0`, or no result). */
  failedChunks: number;
  shippedObjects: number;
  /** Objects deleted (or found already gone) after shipping whole. */
  deleted: number;
  /** Shipped objects kept because they changed since they were read (another ETag). */
  keptChanged: number;
  /** Shipped objects the run asked to delete and could not: the run fails after writing its report. */
  deleteFailed: number;
  /** The first failed chunks; report.json lists them all. */
  failures: FailedChunk[];
  report: string;
  /** The execution input that re-runs only what failed, when something did. */
  retry?: { retryFrom: string };
  throughput: Throughput;
  /** The plan's cost estimate (docs/performance.md#cost), when it has one. */
  estimate?: Estimate;
  /** Beside it, what the results tell: the children that answered and the workers' time. */
  actual?: ActualFigures;
}

/** How fast the run went, from its plan to its report. */
export interface Throughput {
  /** Wall-clock seconds since the plan was made. */
  seconds: number;
  linesPerSecond: number;
  /**
   * MiB read from S3 per second, as stored (compressed for gzip objects,
   * whose later chunks read the object from its start again).
   */
  mibPerSecond: number;
  /** Seconds the chunk workers spent, all added up (what the Lambda bill counts). */
  chunkSeconds: number;
}

export interface ReportOptions {
  /** Whether this deployment lets runs delete (`ELB_OTLP_ALLOW_DELETE`); a run asking otherwise deletes nothing. */
  allowDelete: boolean;
  now?: () => number;
}

/**
 * Builds the run's report, deletes what may go (each object pinned to the
 * ETag it was shipped from), and writes report.json whatever the deletions
 * came to: a deletion that failed is counted in `deleteFailed` and named in
 * the report, never thrown.
 */
export async function reportRun(
  client: S3Client,
  input: ReportInput,
  options: ReportOptions,
): Promise<ReportSummary> {
  const now = options.now ?? Date.now;
  const { plan, results } = input;
  const bucket = results.ResultWriterDetails.Bucket;
  const manifest = await readJson(client, bucket, results.ResultWriterDetails.Key);
  const files =
    parseOrThrow(
      resultManifestSchema,
      manifest,
      notResults(bucket, results.ResultWriterDetails.Key),
    ).ResultFiles ?? {};

  /** Each planned chunk's result, by `key start end`. */
  const outcomes = new Map<string, ChunkResult | FailedChunk>();
  let children = 0;
  for (const file of files.SUCCEEDED ?? []) {
    for (const child of await readChildren(client, bucket, file.Key)) {
      children++;
      const output = JSON.parse(child.Output ?? 'null') as ChunkResult | null;
      if (output !== null) outcomes.set(chunkId(output), output);
    }
  }
  for (const file of files.FAILED ?? []) {
    for (const child of await readChildren(client, bucket, file.Key)) {
      children++;
      const item = JSON.parse(child.Input ?? '{}') as { key: string; start: number; end: number };
      outcomes.set(chunkId(item), {
        key: item.key,
        start: item.start,
        end: item.end,
        error: { name: child.Error ?? 'ChildExecutionFailed', message: child.Cause ?? '' },
      });
    }
  }

  let totals = zeroShipCounts();
  let chunkMs = 0;
  const objects = new Map<string, ObjectStatus>();
  const failures: FailedChunk[] = [];
  /** The planned items of the failed chunks: what a re-run ships. */
  const retryItems: ChunkItem[] = [];
  let chunks = 0;
  const planned = await readText(client, plan.manifest.Bucket, plan.manifest.Key);
  for (const line of planned.split('\n')) {
    if (line === '') continue;
    const item = JSON.parse(line) as ChunkItem;
    chunks++;
    const status = objects.get(item.key) ?? {
      key: item.key,
      etag: item.etag,
      chunks: 0,
      ...zeroLineCounts(),
      shipped: true,
    };
    objects.set(item.key, status);
    status.chunks++;
    const outcome = outcomes.get(chunkId(item));
    const failure = chunkFailure(item, outcome);
    if (failure !== undefined) {
      failures.push(failure);
      retryItems.push(item);
      status.shipped = false;
    }
    if (outcome !== undefined && 'lines' in outcome) {
      totals = addShipCounts(totals, outcome);
      chunkMs += outcome.durationMs;
      Object.assign(status, addLineCounts(status, outcome));
    }
  }

  const deletable = [...objects.values()]
    .filter((o) => o.shipped && o.key.startsWith(plan.prefix))
    .map(({ key, etag }) => ({ key, etag }));
  const deleting = plan.deleteProcessed && !plan.dryRun && options.allowDelete;
  const reportKey = plan.manifest.Key.replace(/manifest\.jsonl$/, 'report.json');
  const reportUrl = `s3://${plan.manifest.Bucket}/${reportKey}`;
  const writeReport = (deletion: DeletionResult, pending?: string[]) => {
    const summary: ReportSummary = {
      runId: plan.runId,
      ...totals,
      objects: objects.size,
      chunks,
      failedChunks: failures.length,
      shippedObjects: [...objects.values()].filter((o) => o.shipped).length,
      deleted: deletion.deleted.length,
      keptChanged: deletion.changed.length,
      deleteFailed: deletion.failed.length,
      failures: failures.slice(0, LISTED_FAILURES),
      report: reportUrl,
      ...(failures.length > 0 && { retry: { retryFrom: reportUrl } }),
      throughput: throughput(totals, plan.plannedAt, now(), chunkMs),
      ...(plan.estimate !== undefined && {
        estimate: plan.estimate,
        actual: actualFigures(plan.estimate, children, chunkMs),
      }),
    };
    const document = {
      ...summary,
      failures,
      retryItems,
      deleteProcessed: plan.deleteProcessed,
      maxConcurrency: plan.maxConcurrency,
      objects: [...objects.values()],
      ...(pending !== undefined && { pendingDeletes: pending }),
      deletedKeys: deletion.deleted,
      changedKeys: deletion.changed,
      deleteFailures: deletion.failed,
      bucket: plan.bucket,
      prefix: plan.prefix,
    };
    return client
      .send(
        new PutObjectCommand({
          Bucket: plan.manifest.Bucket,
          Key: reportKey,
          ContentType: 'application/json',
          Body: JSON.stringify(document),
        }),
      )
      .then(() => summary);
  };
  const none: DeletionResult = { deleted: [], changed: [], failed: [] };
  if (!deleting) {
    const refused =
      plan.deleteProcessed && !plan.dryRun
        ? { ...none, failed: deletable.map(({ key }) => notAllowed(key)) }
        : none;
    return writeReport(refused);
  }
  // Written first with what is about to be deleted, so no deletion happens
  // without a report that names it; then again with what became of each.
  await writeReport(
    none,
    deletable.map(({ key }) => key),
  );
  return writeReport(await deleteShippedObjects(client, plan.bucket, deletable));
}

function throughput(
  totals: ShipCounts,
  plannedAt: string,
  nowMs: number,
  chunkMs: number,
): Throughput {
  // A plan without a time (or a clock that went back) still gives finite numbers.
  const ms = Math.max(1, nowMs - (Date.parse(plannedAt) || nowMs));
  const perSecond = (count: number) => Math.round((count * 1000) / ms);
  return {
    seconds: Math.round(ms) / 1000,
    linesPerSecond: perSecond(totals.lines),
    mibPerSecond: Math.round((totals.bytesIn * 1000 * 100) / ms / 1048576) / 100,
    chunkSeconds: Math.round(chunkMs) / 1000,
  };
}

function chunkId(chunk: { key: string; start: number; end: number }): string {
  return `${chunk.key}\n${chunk.start}\n${chunk.end}`;
}

/** Why a chunk did not ship all its lines, or `undefined` when it did. */
function chunkFailure(
  item: { key: string; start: number; end: number },
  outcome: ChunkResult | FailedChunk | undefined,
): FailedChunk | undefined {
  const where = { key: item.key, start: item.start, end: item.end };
  if (outcome === undefined) {
    return {
      ...where,
      error: {
        name: 'NoResult',
        message: 'the chunk has no result (it never ran, or the run stopped)',
      },
    };
  }
  if (!('lines' in outcome)) return outcome;
  if (outcome.error !== undefined) return { ...where, error: outcome.error };
  if (outcome.lines !== outcome.accepted + outcome.rejected + outcome.failed) {
    return {
      ...where,
      error: {
        name: 'CountsNotConserved',
        message: `lines ${outcome.lines} ≠ accepted ${outcome.accepted} + rejected ${outcome.rejected} + failed ${outcome.failed}`,
      },
    };
  }
  if (outcome.failed > 0 || outcome.rejected > 0 || outcome.done !== true) {
    return {
      ...where,
      error: {
        name:
          outcome.failed > 0
            ? 'RecordsFailed'
            : outcome.rejected > 0
              ? 'RecordsRejected'
              : 'NotDone',
        message: `${outcome.failed} failed, ${outcome.rejected} rejected of ${outcome.lines} lines`,
      },
    };
  }
  return undefined;
}

function notAllowed(key: string): DeleteFailure {
  return {
    key,
    code: 'DeletionNotAllowed',
    message: 'this deployment does not allow deletion (its allowDeleteProcessed parameter)',
  };
}

const childExecutionsSchema = z.array(childExecutionSchema);

/** The child executions of one ResultWriter file. */
async function readChildren(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<ChildExecution[]> {
  const children = await readJson(client, bucket, key);
  return parseOrThrow(childExecutionsSchema, children, notResults(bucket, key));
}

/** The error for a ResultWriter file that is not one, naming it and every bad field. */
function notResults(bucket: string, key: string) {
  return (problems: Problem[]) =>
    new ReportInputError(
      `s3://${bucket}/${key} is not a Distributed Map result file: ${describeProblems(problems)}`,
    );
}

async function readJson(client: S3Client, bucket: string, key: string): Promise<unknown> {
  const text = await readText(client, bucket, key);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ReportInputError(`s3://${bucket}/${key} is not JSON`, { cause: error });
  }
}

async function readText(client: S3Client, bucket: string, key: string): Promise<string> {
  const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (answer.Body as { transformToString(): Promise<string> }).transformToString();
}
