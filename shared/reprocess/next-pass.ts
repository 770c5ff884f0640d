/**
 * The next-pass step of a reprocessing run (docs/design.md#passes): reads
 * what the pass that just ran wrote, and writes the units it did not finish
 * (each with its cursor and the results before it: the answer or input
 * that carries it on) as the next pass's manifest. A unit whose worker or
 * child failed in this pass and in the one before, both times from the same
 * place, is not carried on: it would fail again in every pass left, and its
 * chunks fail with the error instead. Its answer tells the definition
 * whether to run another pass and keeps where every pass wrote its results,
 * for the report.
 */

import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { NextPassInput, Pass } from '../contract/state-machine.ts';
import { runFiles, runFolderOf } from './run-files.ts';
import { readPass, type UnitOutcome } from './unit-outcomes.ts';

/** The pass after `input.pass`: its number, its manifest and how many units it carries on. */
export async function nextPass(client: S3Client, input: NextPassInput): Promise<Pass> {
  const { plan, pass, results } = input;
  const number = pass.number + 1;
  const passes = [...pass.results, results];
  const before = pass.results.at(-1);
  const failedBefore = new Map<number, UnitOutcome>();
  if (before !== undefined) {
    for (const outcome of await readPass(client, before)) {
      if (outcome.ended === 'failed') failedBefore.set(outcome.unit, outcome);
    }
  }
  const carried = (await readPass(client, results)).flatMap((outcome) =>
    outcome.next === undefined || failedAgain(outcome, failedBefore.get(outcome.unit))
      ? []
      : [outcome.next],
  );
  if (carried.length === 0) {
    return { number, manifest: pass.manifest, unfinished: 0, results: passes };
  }
  const prefix = runFiles({
    bucket: plan.manifest.Bucket,
    prefix: runFolderOf(plan.manifest.Prefix),
  }).pass(number);
  const manifest = {
    Bucket: plan.manifest.Bucket,
    Prefix: prefix,
    Keys: [`${prefix}part-00.jsonl`],
  };
  await client.send(
    new PutObjectCommand({
      Bucket: manifest.Bucket,
      Key: manifest.Keys[0],
      ContentType: 'application/jsonl',
      Body: carried.map((item) => `${JSON.stringify(item)}\n`).join(''),
    }),
  );
  return { number, manifest, unfinished: carried.length, results: passes };
}

/** Whether `outcome` is a failure from the same place as the pass before's (`before`). */
function failedAgain(outcome: UnitOutcome, before: UnitOutcome | undefined): boolean {
  return (
    outcome.ended === 'failed' &&
    before !== undefined &&
    JSON.stringify(outcome.cursor) === JSON.stringify(before.cursor) &&
    outcome.results.length === before.results.length
  );
}
