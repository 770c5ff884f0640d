/**
 * The local Distributed Map adapter (shared/local/run-reprocess.ts) holds
 * items and answers to Step Functions' 256 KiB as AWS does: an item over it
 * fails the run, a worker's input or state output over it fails its child
 * even though the child's Catch would take any other error. The definition runs through
 * aws-local-stepfunctions against s3rver; the plan, worker and report tasks
 * are stand-ins that write or answer the sizes under test.
 */

import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_PAYLOAD_BYTES } from '../../shared/contract/state-machine.ts';
import { DATA_LIMIT_EXCEEDED, runReprocessLocally } from '../../shared/local/run-reprocess.ts';
import { startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3.close();
});

/** A plan task that writes `lines` as the manifest of run `runId`. */
function planWriting(runId: string, lines: string[]) {
  return async () => {
    const key = `runs/${runId}/manifest/part-00.jsonl`;
    const manifest = { Bucket: TEST_BUCKET, Prefix: `runs/${runId}/manifest/`, Keys: [key] };
    await s3.client.send(
      new PutObjectCommand({
        Bucket: TEST_BUCKET,
        Key: key,
        Body: lines.map((line) => `${line}\n`).join(''),
      }),
    );
    // Answered to each plan step alike: no plan workers, so the plan is whole at once.
    return {
      runId,
      dryRun: false,
      maxConcurrency: 2,
      planWorkers: [],
      manifest,
      results: { Bucket: TEST_BUCKET, Prefix: `runs/${runId}/results` },
    };
  };
}

/** A report task that answers what the Map's ResultWriter wrote, for the test to read. */
async function reportOfChildren(event: unknown) {
  const [results] = (event as { passes: { ResultWriterDetails: { Key: string } }[] }).passes;
  const text = async (key: string) => {
    const answer = await s3.client.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: key }));
    return (answer.Body as { transformToString(): Promise<string> }).transformToString();
  };
  // JSON Lines: a succeeded child's output a line (COMPACT), a failed one's record.
  const lines = async (key: string) =>
    (await text(key))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line));
  const manifest = JSON.parse(await text(results.ResultWriterDetails.Key));
  return {
    failedChunks: 0,
    deleteFailed: 0,
    succeeded: await lines(manifest.ResultFiles.SUCCEEDED[0].Key),
    failed: await lines(manifest.ResultFiles.FAILED[0].Key),
  };
}

/** The step between passes: none needed here, every child ends done or failed. */
function noMorePasses(event: unknown) {
  const { pass, results } = event as {
    pass: { manifest: unknown; results: unknown[] };
    results: unknown;
  };
  return { number: 1, manifest: pass.manifest, unfinished: 0, results: [...pass.results, results] };
}

/** An item whose JSON line is `bytes` long. */
const itemOf = (bytes: number, n: number) => {
  const frame = JSON.stringify({ n, pad: '' }).length;
  return JSON.stringify({ n, pad: 'x'.repeat(bytes - frame) });
};

describe('the local Distributed Map', () => {
  it('fails the run on an item over 256 KiB, naming it, before any child runs', async () => {
    let calls = 0;
    const outcome = await runReprocessLocally({
      input: {},
      runId: 'big-item',
      s3: s3.client,
      plan: planWriting('big-item', [itemOf(1000, 0), itemOf(STATE_PAYLOAD_BYTES + 1, 1)]),
      processChunk: () => {
        calls++;
        return { done: true, carryOn: false };
      },
      nextPass: noMorePasses,
      report: reportOfChildren,
      concurrency: 2,
    });
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error?.name).toBe(DATA_LIMIT_EXCEEDED);
    expect(outcome.error?.message).toMatch(
      new RegExp(
        `item 1 of s3://${TEST_BUCKET}/runs/big-item/manifest/part-00.jsonl is ${STATE_PAYLOAD_BYTES + 1} bytes`,
      ),
    );
    expect(calls).toBe(0);
  });

  it('reads an item of exactly 256 KiB', async () => {
    const outcome = await runReprocessLocally({
      input: {},
      runId: 'full-item',
      s3: s3.client,
      plan: planWriting('full-item', [itemOf(STATE_PAYLOAD_BYTES, 0)]),
      processChunk: () => ({ done: true, carryOn: false }),
      nextPass: noMorePasses,
      report: reportOfChildren,
      concurrency: 1,
    });
    // Read, and failed only where AWS would fail it too: the worker's input
    // is the item with the child's start time, over the limit.
    expect(outcome.status).toBe('SUCCEEDED');
    const { failed } = outcome.output as { failed: { Error: string; Cause: string }[] };
    expect(failed.map((child) => child.Error)).toEqual([DATA_LIMIT_EXCEEDED]);
    expect(failed[0].Cause).toMatch(/the worker's input is 2622\d\d bytes/);
  });

  it('fails a child whose answer is over 256 KiB, past its Catch', async () => {
    const outcome = await runReprocessLocally({
      input: {},
      runId: 'big-answer',
      s3: s3.client,
      plan: planWriting('big-answer', [itemOf(100, 0), itemOf(100, 1)]),
      processChunk: (input) => {
        const { n } = (input as { item: { n: number } }).item;
        return n === 1
          ? { n, done: true, carryOn: false, pad: 'x'.repeat(STATE_PAYLOAD_BYTES) }
          : { n, done: true, carryOn: false };
      },
      nextPass: noMorePasses,
      report: reportOfChildren,
      concurrency: 2,
    });
    expect(outcome.status).toBe('SUCCEEDED');
    const { succeeded, failed } = outcome.output as {
      succeeded: { n: number }[];
      failed: { Input: string; Error: string; Cause: string }[];
    };
    expect(succeeded.map((output) => output.n)).toEqual([0]);
    expect(failed).toHaveLength(1);
    expect(JSON.parse(failed[0].Input).n).toBe(1);
    expect(failed[0].Error).toBe(DATA_LIMIT_EXCEEDED);
    expect(failed[0].Cause).toMatch(/the worker's state output is \d+ bytes, over the 262144/);
  });
});
