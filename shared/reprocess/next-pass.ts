/**
 * The next-pass step of a reprocessing run (docs/design.md#passes): reads
 * what the pass that just ran wrote, and writes the units it did not finish
 * (each with its cursor and the results before it: the answer or input
 * that carries it on) as the next pass's manifest, streamed as they are
 * read. A unit whose worker or child failed in this pass and in the one
 * before, both times from the same place, is not carried on: it would fail
 * again in every pass left, and its chunks fail with the error instead. Its
 * answer tells the definition whether to run another pass and keeps where
 * every pass wrote its results, for the report.
 */

import type { S3Client } from '@aws-sdk/client-s3';
import type { NextPassInput, Pass } from '../contract/state-machine.ts';
import { JsonlUpload } from '../s3/jsonl-upload.ts';
import { runFiles, runFolderOf } from './run-files.ts';
import { passOutcomes, type UnitOutcome } from './unit-outcomes.ts';

/** The pass after `input.pass`: its number, its manifest and how many units it carries on. */
export async function nextPass(client: S3Client, input: NextPassInput): Promise<Pass> {
  const { plan, pass, results } = input;
  const number = pass.number + 1;
  const passes = [...pass.results, results];
  const before = pass.results.at(-1);
  /** Where each unit that failed in the pass before failed from. */
  const failedBefore = new Map<number, string>();
  if (before !== undefined) {
    for await (const outcome of passOutcomes(client, before)) {
      if (outcome.ended === 'failed') failedBefore.set(outcome.unit, failedFrom(outcome));
    }
  }
  const prefix = runFiles({
    bucket: plan.manifest.Bucket,
    prefix: runFolderOf(plan.manifest.Prefix),
  }).pass(number);
  const key = `${prefix}part-00.jsonl`;
  const manifest = new JsonlUpload(client, plan.manifest.Bucket, key);
  let carried = 0;
  try {
    for await (const outcome of passOutcomes(client, results)) {
      if (outcome.next === undefined) continue;
      const again =
        outcome.ended === 'failed' && failedBefore.get(outcome.unit) === failedFrom(outcome);
      if (again) continue;
      await manifest.write(outcome.next);
      carried++;
    }
    await manifest.end();
  } catch (error) {
    await manifest.abort(error);
    throw error;
  }
  if (carried === 0) {
    return { number, manifest: pass.manifest, unfinished: 0, results: passes };
  }
  return {
    number,
    manifest: { Bucket: plan.manifest.Bucket, Prefix: prefix, Keys: [key] },
    unfinished: carried,
    results: passes,
  };
}

/** Where a failed unit failed from: its cursor and how many results it had. */
function failedFrom(outcome: UnitOutcome): string {
  return `${JSON.stringify(outcome.cursor)}/${outcome.results.length}`;
}
