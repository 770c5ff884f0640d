/**
 * Deletion at scale (docs/design.md#deletion): in a run that deletes, each
 * unit worker deletes the objects it shipped whole, pinned to the ETag it
 * read, before it answers; the report deletes only the objects split across
 * units. Whole runs on this machine (the state machine's ASL, the local
 * Distributed Map, the real steps), S3 through s3rver behind the
 * conditional-delete stand-in, which records every delete asked for.
 */

import { gzipSync } from 'node:zlib';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkItem, UnitItem, UnitResult } from '../../shared/contract/state-machine.ts';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { SYSTEM_CLOCK } from '../../shared/otlp/exporter.ts';
import type { ChunkContext } from '../../shared/reprocess/chunk-step.ts';
import { type LocalRun, runLocally } from '../helpers/local-run.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';
import { contextFor, steppingClock, unitWorker } from '../helpers/ship.ts';
import { type StrictS3, startStrictS3 } from '../helpers/strict-s3.ts';

const day = (run: string) =>
  `${run}/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/`;
const name = (run: string, n: number) =>
  `${day(run)}123456789012_elasticloadbalancing_us-east-2_app.web.50dc6c495c0c9188_20261101T${String(n).padStart(4, '0')}Z_10.0.0.${n}_r${n}.log.gz`;
const access = (count: number, seed: number) =>
  `${[...generateAlbLines(count, { seed })].join('\n')}\n`;
/** 1 MiB, the smallest chunk a run allows: the large object is cut into several. */
const CHUNK = 1024 * 1024;

let s3: TestS3;
let strict: StrictS3;
let receiver: OtlpReceiver;

/** Puts six small objects and one large one under `run/`; answers each key's ETag. */
async function putRun(run: string): Promise<Map<string, string>> {
  const etags = new Map<string, string>();
  for (let n = 1; n <= 6; n++) {
    etags.set(name(run, n), await s3.put(name(run, n), gzipSync(access(30 + n, n))));
  }
  const big = name(run, 99);
  etags.set(big, await s3.put(big, gzipSync(access(9000, 99))));
  return etags;
}

/** Each record's `log.record.uid` the receiver accepted, once however often it came. */
function acceptedUids(): Set<string> {
  const uids = new Set<string>();
  for (const request of receiver.requests) {
    if (request.fault.kind !== 'ok' || request.body === undefined) continue;
    for (const resourceLogs of request.body.resourceLogs) {
      for (const scope of resourceLogs.scopeLogs) {
        for (const record of scope.logRecords) {
          const uid = record.attributes?.find((a) => a.key === 'log.record.uid');
          uids.add(uid?.value.stringValue as string);
        }
      }
    }
  }
  return uids;
}

/** A run that deletes, of everything under `run/`, through the stand-in, each worker call through `worker`. */
function deletingRun(run: string, worker: NonNullable<LocalRun['worker']>) {
  return runLocally({
    s3,
    client: s3.clientFor(strict.url),
    receiver,
    input: { bucket: TEST_BUCKET, prefix: `${run}/`, deleteProcessed: true, chunkBytes: CHUNK },
    runId: `${run}-run`,
    concurrency: 2,
    worker,
  });
}

beforeAll(async () => {
  s3 = await startS3();
  strict = await startStrictS3(s3.endpoint, s3.client);
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
  await strict.close();
  await s3.close();
});

/** Four plain objects under `run/`, as a deleting unit's whole chunks. */
async function deletingUnit(run: string): Promise<UnitItem> {
  const chunks: ChunkItem[] = [];
  for (let n = 1; n <= 4; n++) chunks.push(await s3.putWholeChunk(name(run, n), access(200, n)));
  return { unit: 7, chunks, deleteShipped: `s3://${TEST_BUCKET}/work/${run}-run/deletions/` };
}

/** A unit's calls until it is done, each with the answer before (as the child's loop makes them). */
async function untilDone(
  run: ReturnType<typeof unitWorker>['run'],
  item: UnitItem,
  context: () => ChunkContext,
): Promise<UnitResult[]> {
  const answers: UnitResult[] = [];
  let input: unknown = item;
  for (let call = 0; call < 50; call++) {
    const answer = await run({ item: input }, context());
    answers.push(answer);
    if (answer.done) return answers;
    input = answer;
  }
  throw new Error('the unit did not finish in 50 calls');
}

/** A deleting worker's one call of the unit, with a whole Lambda's 15 minutes. */
async function oneCall(item: UnitItem): Promise<UnitResult> {
  const { run, close } = unitWorker({
    s3: s3.client,
    endpoint: receiver.url,
    clock: SYSTEM_CLOCK,
    rangeBytes: 1 << 20,
    allowDelete: true,
  });
  try {
    return await run({ item }, contextFor(SYSTEM_CLOCK, 900_000));
  } finally {
    await close();
  }
}

describe('deletion at scale', () => {
  it('deletes nothing when the deletion ledger refuses its record, and says why in each result', async () => {
    const item = {
      ...(await deletingUnit('no-ledger')),
      deleteShipped: 's3://no-such-bucket/runs/r/deletions/',
    };
    const answer = await oneCall(item);
    expect(answer.done).toBe(true);
    for (const result of answer.results) {
      expect(result.error).toBeUndefined();
      expect(result.deletion).toMatchObject({ name: 'NoSuchBucket' });
    }
    for (const chunk of item.chunks) expect(await s3.exists(chunk.key), chunk.key).toBe(true);
  });

  it('deletes what each call of a pausing unit shipped whole, the unit still deleting in its later calls', async () => {
    const item = await deletingUnit('paused');
    const clock = steppingClock(400);
    const { run, close } = unitWorker({
      s3: s3.client,
      endpoint: receiver.url,
      clock,
      rangeBytes: 4096,
      allowDelete: true,
    });
    const answers = await untilDone(run, item, () => contextFor(clock, 120_000));
    await close();
    expect(answers.length).toBeGreaterThan(1);
    for (const answer of answers.slice(0, -1)) {
      expect(answer).toMatchObject({ done: false, deleteShipped: item.deleteShipped });
    }
    const last = answers.at(-1) as UnitResult;
    expect(last.results.map((result) => result.deletion)).toEqual(Array(4).fill('deleted'));
    for (const chunk of item.chunks) expect(await s3.exists(chunk.key), chunk.key).toBe(false);
    // Recorded before they went, one file a call that deleted.
    const ledger = await s3.client.send(
      new ListObjectsV2Command({ Bucket: TEST_BUCKET, Prefix: 'work/paused-run/deletions/7-' }),
    );
    expect(ledger.KeyCount).toBeGreaterThan(1);
  });

  it('fails an object found gone that the run did not delete (no record of it), and deletes the rest', async () => {
    const item = await deletingUnit('vanished');
    // Removed by someone else (a lifecycle rule, a person) after the plan.
    await s3.remove(item.chunks[1].key);
    const answer = await oneCall(item);
    expect(answer.done).toBe(true);
    expect(answer.results[1]).toMatchObject({ error: { name: 'ObjectNotFoundError' } });
    expect(answer.results[1].deletion).toBeUndefined();
    expect(answer.results.map((result) => result.deletion)).toEqual([
      'deleted',
      undefined,
      'deleted',
      'deleted',
    ]);
  });

  it('deletes each fully shipped object once, pinned to its ETag: the workers what they shipped whole, the report the object split across units', async () => {
    const etags = await putRun('whole');
    const refused = name('whole', 50);
    etags.set(refused, await s3.put(refused, gzipSync(access(20, 50))));
    receiver.rule((body) =>
      JSON.stringify(body.resourceLogs[0].resource).includes(refused)
        ? { kind: 'status', status: 400, message: 'refused by the test' }
        : { kind: 'ok' },
    );
    const deletedByWorkers: string[] = [];
    const ran = await deletingRun('whole', async (call, ship) => {
      const answer = (await ship(call)) as UnitResult;
      const { chunks } = (call as { item: { chunks: { key: string }[] } }).item;
      answer.results.forEach((result, at) => {
        if (result.deletion === 'deleted') deletedByWorkers.push(chunks[at].key);
      });
      return answer;
    });
    receiver.rule(undefined);

    const big = name('whole', 99);
    const small = [...etags.keys()].filter((key) => key !== big && key !== refused);
    expect(ran.plan.chunks).toBeGreaterThan(ran.plan.objects);
    expect(ran.report).toMatchObject({ objects: 8, failedChunks: 1, deleted: 7, deleteFailed: 0 });
    // The workers deleted the six they shipped whole; the report the one split across units.
    expect(deletedByWorkers.sort()).toEqual(small.sort());
    // Each once, with the ETag it was read with; the refused object kept.
    const deletes = strict.deletes.filter((d) => d.key.startsWith('whole/'));
    expect(deletes.map((d) => d.key).sort()).toEqual([...small, big].sort());
    for (const { key, etag } of deletes) expect(etag, key).toBe(etags.get(key));
    for (const key of etags.keys()) expect(await s3.exists(key), key).toBe(key === refused);
  });

  it('counts an object a repeated child finds already deleted as shipped and deleted, not failed', async () => {
    const etags = await putRun('again');
    const before = acceptedUids().size;
    const answers: UnitResult[] = [];
    // Every worker call made twice, the first answer lost: as a child run twice would.
    const ran = await deletingRun('again', async (call, ship) => {
      await ship(call);
      const answer = (await ship(call)) as UnitResult;
      answers.push(answer);
      return answer;
    });
    expect(ran.outcome.status).toBe('SUCCEEDED');
    expect(ran.report).toMatchObject({
      objects: 7,
      failedChunks: 0,
      shippedObjects: 7,
      deleted: 7,
      deleteFailed: 0,
    });
    // The second call of the small objects' unit found each gone: nothing read twice.
    const whole = answers.find((answer) => answer.results.length === 6);
    expect(whole?.results.map((result) => result.deletion)).toEqual(Array(6).fill('gone'));
    expect(whole?.results.every((result) => result.lines === 0 && result.done)).toBe(true);
    // Every key deleted once, pinned; every line delivered (the split object's twice, same uids).
    const deletes = strict.deletes.filter((d) => d.key.startsWith('again/'));
    expect(deletes.map((d) => d.key).sort()).toEqual([...etags.keys()].sort());
    for (const { key, etag } of deletes) expect(etag, key).toBe(etags.get(key));
    const lines = 9000 + [1, 2, 3, 4, 5, 6].reduce((sum, n) => sum + 30 + n, 0);
    expect(acceptedUids().size - before).toBe(lines);
    for (const key of etags.keys()) expect(await s3.exists(key), key).toBe(false);
  });
});
