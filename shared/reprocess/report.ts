/**
 * The report step of a reprocessing run (docs/design.md#report): reads what
 * became of each work unit in every pass of the Distributed Map
 * (unit-outcomes.ts; each answer names its chunks) and, for the units with
 * no outcome, the run's unit manifest, all as streams; adds up the counts per
 * object and in total (run-tally.ts), checks that every chunk conserves its
 * lines (docs/design.md#counts-and-conservation), deletes the objects split
 * across units that were fully shipped when the run asked for it (the
 * workers delete the others: docs/design.md#deletion; only in the run's
 * bucket and under its prefix, only the version shipped), writes the
 * per-object detail (`objects.jsonl`) and `report.json` whatever the
 * deletions came to, and answers a short summary with the run's throughput.
 */

import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ShipCounts } from '../contract/counts.ts';
import { ReportInputError } from '../contract/errors.ts';
import type { Estimate } from '../contract/estimate.ts';
import { describeProblems, parseOrThrow } from '../contract/parse.ts';
import {
  type ChunkError,
  type FailedChunk,
  type ReportInput,
  type UnitItem,
  unitItemSchema,
} from '../contract/state-machine.ts';
import { type ActualFigures, actualFigures } from '../cost/estimate.ts';
import { type DeletionResult, deleteShippedObjects } from '../s3/conditional-delete.ts';
import { JsonlUpload } from '../s3/jsonl-upload.ts';
import { objectLines } from '../s3/object-lines.ts';
import { runFiles, runFolderOf } from './run-files.ts';
import { type Deletion, RunTally } from './run-tally.ts';
import { lastOutcomes, type UnitOutcome } from './unit-outcomes.ts';

/** The start of a unit manifest line: its unit's number. */
const UNIT_NUMBER = /^\{"unit":(\d+),/;

/** Failed chunks listed in the answer (all of them are in report.json). */
const LISTED_FAILURES = 20;

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

/** What report.json holds beyond the report step's answer (`failures` there lists every failed chunk). */
interface ReportOnly {
  retryItems: unknown[];
  deleteProcessed: boolean;
  maxConcurrency: number;
  unitBytes: number;
  objectsDetail: string;
  pendingDeletes?: string[];
  changedKeys: unknown[];
  deleteFailures: unknown[];
  bucket: string;
  prefix: string;
}

const REPORT_ONLY: Record<keyof ReportOnly, true> = {
  retryItems: true,
  deleteProcessed: true,
  maxConcurrency: true,
  unitBytes: true,
  objectsDetail: true,
  pendingDeletes: true,
  changedKeys: true,
  deleteFailures: true,
  bucket: true,
  prefix: true,
};

/**
 * The report step's answer, read back from the report.json it wrote: what
 * a run followed from outside prints last, as a local run prints the answer.
 */
export function summaryFromReport(document: Record<string, unknown>): ReportSummary {
  const summary = Object.fromEntries(
    Object.entries(document).filter(([key]) => !(key in REPORT_ONLY)),
  );
  summary.failures = ((document.failures ?? []) as FailedChunk[]).slice(0, LISTED_FAILURES);
  return summary as unknown as ReportSummary;
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
 * Builds the run's report, deletes what the workers left to it (objects
 * split across units, each pinned to the ETag it was shipped from), and
 * writes report.json whatever the deletions came to: a deletion that failed
 * is counted in `deleteFailed` and named in the report, never thrown.
 * Everything is read and written as streams (docs/design.md#report).
 */
export async function reportRun(
  client: S3Client,
  input: ReportInput,
  options: ReportOptions,
): Promise<ReportSummary> {
  const now = options.now ?? Date.now;
  const { plan, passes } = input;
  const workBucket = plan.manifest.Bucket;
  const files = runFiles({ bucket: workBucket, prefix: runFolderOf(plan.manifest.Prefix) });
  const asked = plan.deleteProcessed && !plan.dryRun;
  const detail = new JsonlUpload(client, workBucket, files.objects);
  const tally = new RunTally(detail, asked);
  let units = 0;
  const count = { children: 0 };
  try {
    // Every unit's last outcome, each naming its chunks; then, from the
    // manifest, the units that have none (or were refused: no chunks named).
    const seen = new Set<number>();
    const refused = new Map<number, UnitOutcome>();
    for await (const outcome of lastOutcomes(client, passes, seen, count)) {
      if (outcome.chunks.length === 0) refused.set(outcome.unit, outcome);
      else await tally.unit(outcome.chunks, outcome);
    }
    for (const key of plan.manifest.Keys) {
      for await (const line of objectLines(client, workBucket, key)) {
        units++;
        // A line begins with its unit's number (the plan writes it first):
        // a unit already reported is passed over without reading the rest.
        const number = UNIT_NUMBER.exec(line);
        if (number !== null && seen.has(Number(number[1])) && !refused.has(Number(number[1]))) {
          continue;
        }
        const unit = parseManifestLine(line, { Bucket: workBucket, Key: key });
        if (!seen.has(unit.unit) || refused.has(unit.unit)) {
          await tally.unit(unit.chunks, refused.get(unit.unit));
        }
      }
    }
  } catch (error) {
    await detail.abort(error);
    throw error;
  }

  const reportUrl = `s3://${workBucket}/${files.report}`;
  const writeReport = async (pending?: string[]) => {
    const { failures } = tally;
    const summary: ReportSummary = {
      runId: plan.runId,
      ...tally.totals,
      // Held objects too: the report written before deleting has them all.
      objects: tally.objectsSoFar.objects,
      chunks: tally.chunks,
      units,
      failedChunks: failures.length,
      shippedObjects: tally.objectsSoFar.shippedObjects,
      deleted: tally.deleted,
      keptChanged: tally.changedKeys.length,
      deleteFailed: tally.deleteFailures.length,
      failures: failures.slice(0, LISTED_FAILURES),
      report: reportUrl,
      ...(failures.length > 0 && { retry: { retryFrom: reportUrl } }),
      throughput: throughput(tally.totals, plan.plannedAt, now(), tally.chunkMs),
      ...(plan.estimate !== undefined && {
        estimate: plan.estimate,
        actual: actualFigures(plan.estimate, count.children, tally.chunkMs),
      }),
    };
    const document: ReportSummary & ReportOnly = {
      ...summary,
      failures,
      retryItems: tally.retryItems,
      deleteProcessed: plan.deleteProcessed,
      maxConcurrency: plan.maxConcurrency,
      unitBytes: plan.unitBytes,
      objectsDetail: `s3://${workBucket}/${files.objects}`,
      ...(pending !== undefined && { pendingDeletes: pending }),
      changedKeys: tally.changedKeys,
      deleteFailures: tally.deleteFailures,
      bucket: plan.bucket,
      prefix: plan.prefix,
    };
    await client.send(
      new PutObjectCommand({
        Bucket: workBucket,
        Key: files.report,
        ContentType: 'application/json',
        Body: JSON.stringify(document),
      }),
    );
    return summary;
  };

  // What the workers left: objects split across units (docs/design.md#deletion).
  const deletable = tally.toDelete(plan.prefix);
  if (deletable.length > 0) {
    if (options.allowDelete) {
      // Written first with what is about to be deleted, so no deletion by
      // the report happens without a report that names it.
      await writeReport(deletable.map(({ key }) => key));
      tally.deletedByReport(outcomesOf(await deleteShippedObjects(client, plan.bucket, deletable)));
    } else {
      tally.deletedByReport(new Map(deletable.map(({ key }) => [key, notAllowed()])));
    }
  }
  try {
    await tally.finish();
    await detail.end();
  } catch (error) {
    await detail.abort(error);
    throw error;
  }
  return writeReport();
}

/** What became of each key of a deletion, as the per-object detail records it. */
function outcomesOf(result: DeletionResult): Map<string, Deletion> {
  const outcomes = new Map<string, Deletion>();
  for (const key of result.deleted) outcomes.set(key, 'deleted');
  for (const key of result.changed) outcomes.set(key, 'changed');
  for (const { key, code, message } of result.failed) outcomes.set(key, { name: code, message });
  return outcomes;
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

function notAllowed(): ChunkError {
  return {
    name: 'DeletionNotAllowed',
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
