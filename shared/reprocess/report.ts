/**
 * The report step of a reprocessing run: reads what became of each work
 * unit in every pass of the Distributed Map (unit-outcomes.ts) and the run's
 * unit manifest, gives each planned chunk its result (the unit's result at
 * the chunk's position), adds up the counts per object and in total, checks that every chunk
 * conserves its lines (docs/design.md#counts-and-conservation), deletes the
 * objects that were fully shipped when the run asked for it (only in the run's
 * bucket and under its prefix, only the version shipped), writes `report.json`
 * whatever the deletions came to, and answers a short summary with the run's
 * throughput.
 */

import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
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
import { describeProblems, parseOrThrow } from '../contract/parse.ts';
import {
  type ChunkItem,
  type ChunkResult,
  type FailedChunk,
  type ReportInput,
  type UnitItem,
  unitItemSchema,
} from '../contract/state-machine.ts';
import { type ActualFigures, actualFigures } from '../cost/estimate.ts';
import {
  type DeleteFailure,
  type DeletionResult,
  deleteShippedObjects,
} from '../s3/conditional-delete.ts';
import { objectLines } from '../s3/object-lines.ts';
import { runFiles, runFolderOf } from './run-files.ts';
import { readUnitOutcomes } from './unit-outcomes.ts';

/** Failed chunks listed in the answer (all of them are in report.json). */
const LISTED_FAILURES = 20;
/** A chunk with no result at all. */
const NO_RESULT = {
  name: 'NoResult',
  message: 'the chunk has no result (it never ran, or the run stopped)',
};

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
  /** Work units the chunks were shipped in. */
  units: number;
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
  const { plan, passes } = input;
  const { outcomes, children } = await readUnitOutcomes(client, passes);

  let totals = zeroShipCounts();
  let chunkMs = 0;
  const objects = new Map<string, ObjectStatus>();
  const failures: FailedChunk[] = [];
  /** The planned items of the failed chunks (an unfinished one from where it stopped): what a re-run ships. */
  const retryItems: ChunkItem[] = [];
  let chunks = 0;
  let units = 0;
  /** What the workers' own deletions came to (docs/design.md#deletion). */
  const workerDeletion: DeletionResult = { deleted: [], changed: [], failed: [] };
  const deletedByWorker = new Set<string>();
  const manifestLines = async function* () {
    for (const key of plan.manifest.Keys) {
      for await (const line of objectLines(client, plan.manifest.Bucket, key)) {
        yield parseManifestLine(line, { Bucket: plan.manifest.Bucket, Key: key });
      }
    }
  };
  for await (const unit of manifestLines()) {
    units++;
    const outcome = outcomes.get(unit.unit);
    for (const [at, item] of unit.chunks.entries()) {
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
      const where = { key: item.key, start: item.start, end: item.end };
      const result = outcome?.results[at];
      // A chunk the unit began and did not finish: what it shipped counts, the
      // rest is retried; all of it when a line before the cursor was rejected
      // or failed, since those lines were not accepted either.
      const partial = outcome?.cursor?.chunk === at ? outcome.cursor.chunkCursor : undefined;
      const retryFromCursor =
        partial !== undefined &&
        partial.rejected === 0 &&
        partial.failed === 0 &&
        partial.error === undefined &&
        partial.offset > item.start &&
        partial.offset < item.end;
      const counted = result ?? partial;
      const failure =
        result !== undefined
          ? chunkFailure(where, { ...where, ...result })
          : { ...where, error: outcome?.error ?? NO_RESULT };
      if (failure !== undefined) {
        failures.push(failure);
        retryItems.push(retryFromCursor ? { ...item, start: partial.offset } : item);
        status.shipped = false;
      }
      if (result?.deletion !== undefined && failure === undefined) {
        // The worker shipped it whole and deleted it (or tried to).
        const { deletion } = result;
        if (deletion === 'deleted' || deletion === 'gone') workerDeletion.deleted.push(item.key);
        else if (deletion === 'changed') workerDeletion.changed.push(item.key);
        else
          workerDeletion.failed.push({
            key: item.key,
            code: deletion.name,
            message: deletion.message,
          });
        deletedByWorker.add(item.key);
      }
      if (counted !== undefined) {
        totals = addShipCounts(totals, counted);
        chunkMs += counted.durationMs;
        Object.assign(status, addLineCounts(status, counted));
      }
    }
  }

  // What the workers did not delete themselves: objects split across units.
  const deletable = [...objects.values()]
    .filter((o) => o.shipped && o.key.startsWith(plan.prefix) && !deletedByWorker.has(o.key))
    .map(({ key, etag }) => ({ key, etag }));
  const deleting = plan.deleteProcessed && !plan.dryRun && options.allowDelete;
  const reportKey = runFiles({
    bucket: plan.manifest.Bucket,
    prefix: runFolderOf(plan.manifest.Prefix),
  }).report;
  const reportUrl = `s3://${plan.manifest.Bucket}/${reportKey}`;
  const writeReport = (own: DeletionResult, pending?: string[]) => {
    const deletion: DeletionResult = {
      deleted: [...workerDeletion.deleted, ...own.deleted],
      changed: [...workerDeletion.changed, ...own.changed],
      failed: [...workerDeletion.failed, ...own.failed],
    };
    const summary: ReportSummary = {
      runId: plan.runId,
      ...totals,
      objects: objects.size,
      chunks,
      units,
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
      unitBytes: plan.unitBytes,
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

/** Why a chunk did not ship all its lines, or `undefined` when it did. */
function chunkFailure(
  item: { key: string; start: number; end: number },
  outcome: ChunkResult | FailedChunk | undefined,
): FailedChunk | undefined {
  const where = { key: item.key, start: item.start, end: item.end };
  if (outcome === undefined) return { ...where, error: NO_RESULT };
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

/** A line of the unit manifest, or ReportInputError naming the manifest. */
function parseManifestLine(line: string, manifest: { Bucket: string; Key: string }): UnitItem {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    throw new ReportInputError(`s3://${manifest.Bucket}/${manifest.Key}: a line is not JSON`, {
      cause: error,
    });
  }
  return parseOrThrow(
    unitItemSchema,
    json,
    (problems) =>
      new ReportInputError(
        `s3://${manifest.Bucket}/${manifest.Key}: a line is not a unit item: ${describeProblems(problems)}`,
      ),
  );
}
