/**
 * The plan of a re-run of an earlier run's failed chunks, read from its
 * report.json (`{"retryFrom": "s3://…/report.json"}`): made whole in the
 * plan's first step, since a report lists its chunks and nothing is listed.
 */

import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { InputValidationError } from '../contract/errors.ts';
import {
  type ChunkItem,
  type PlanSummary,
  type RetryInput,
  zeroSkipped,
} from '../contract/state-machine.ts';
import { ledgerOf, runFiles, type WorkLocation } from './run-files.ts';
import { parseRetryReport } from './run-input.ts';
import { type RunPolicy, reportWithinLogScope, requireDeletionAllowed } from './run-policy.ts';
import { packUnits } from './units.ts';

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
  const units = packUnits(
    objectsOf(items),
    unitBytes,
    deleteProcessed && !retry.dryRun ? ledgerOf(work) : undefined,
  );
  const sizes = new Map(items.map((item) => [item.key, item.size]));
  const files = runFiles(work);
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
    manifest: {
      Bucket: work.bucket,
      Prefix: files.manifest,
      Keys: units.length === 0 ? [] : [files.manifestPart(0)],
    },
    listingParts: 0,
    planWorkers: [],
    results: { Bucket: work.bucket, Prefix: files.results },
    retryOf: report.runId ?? retry.retryFrom,
  };
  if (units.length === 0) return summary;
  await new Upload({
    client,
    params: {
      Bucket: summary.manifest.Bucket,
      Key: files.manifestPart(0),
      Body: units.map((unit) => `${JSON.stringify(unit)}\n`).join(''),
      ContentType: 'application/jsonl',
    },
  }).done();
  return summary;
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
