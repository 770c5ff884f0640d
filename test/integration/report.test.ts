/**
 * The report step against s3rver: ResultWriter's file layout (written here as
 * AWS documents it: manifest.json, SUCCEEDED_n.json and FAILED_n.json with
 * JSON-string Input/Output), totals, failed chunks, deletion of exactly the
 * fully shipped objects, report.json and the re-run input.
 */

import { gzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ChunkItem,
  ChunkResult,
  PlanSummary,
  UnitItem,
} from '../../shared/contract/state-machine.ts';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { runReprocessLocally } from '../../shared/local/run-reprocess.ts';
import { planRun } from '../../shared/reprocess/plan.ts';
import { createWholePlan } from '../../shared/reprocess/plan-step.ts';
import { reportRun } from '../../shared/reprocess/report.ts';
import {
  createNextPass,
  createReport,
  isNextPassCall,
} from '../../shared/reprocess/report-step.ts';
import { parseRunInput } from '../../shared/reprocess/run-input.ts';
import { startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';
import { type StrictS3, startStrictS3 } from '../helpers/strict-s3.ts';

const ROOT = 'logs/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/';
const name = (time: string) =>
  `${ROOT}123456789012_elasticloadbalancing_us-east-2_app.web.50dc6c495c0c9188_${time}_10.0.0.1_abcd.log.gz`;
const KEYS = [name('20261101T0005Z'), name('20261101T0010Z'), name('20261101T0015Z')];
const OUTSIDE = 'other/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/x.log.gz';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3();
  for (const [i, key] of [...KEYS, OUTSIDE].entries()) {
    await s3.put(key, gzipSync(`${[...generateAlbLines(10, { seed: i })].join('\n')}\n`));
  }
});
afterAll(async () => {
  await s3.close();
});

async function text(key: string): Promise<string> {
  const answer = await s3.client.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: key }));
  return (answer.Body as { transformToString(): Promise<string> }).transformToString();
}

const result = (item: ChunkItem, counts: Partial<ChunkResult> = {}): ChunkResult => ({
  key: item.key,
  start: item.start,
  end: item.end,
  lines: 10,
  accepted: 10,
  rejected: 0,
  failed: 0,
  parseErrors: 0,
  batches: 1,
  retries: 0,
  bytesIn: 700,
  durationMs: 40,
  done: true,
  ...counts,
});

/**
 * The chunk items of a plan made with `unitBytes: 1` (a unit each), and the
 * child records ResultWriter writes for them: `Input` the unit, `Output`
 * the finished unit's answer.
 */
/** Plans run `runId` of `input` (a run's execution input), its files under `work/<runId>/`. */
function planFor(runId: string, input: unknown): Promise<PlanSummary> {
  return planRun({
    client: s3.client,
    input: parseRunInput(input),
    runId,
    work: { bucket: TEST_BUCKET, prefix: `work/${runId}/` },
    now: () => new Date(),
  });
}

/** A plan's manifest files, one after the other. */
async function manifestText(plan: PlanSummary): Promise<string> {
  const texts = await Promise.all(plan.manifest.Keys.map((key) => text(key)));
  return texts.join('');
}

async function plannedItems(plan: PlanSummary): Promise<ChunkItem[]> {
  const units = (await manifestText(plan))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as UnitItem);
  expect(units.every((unit) => unit.chunks.length === 1)).toBe(true);
  unitOf.clear();
  for (const unit of units) unitOf.set(unit.chunks[0], unit);
  return units.map((unit) => unit.chunks[0]);
}
const unitOf = new Map<ChunkItem, UnitItem>();
const unitInput = (item: ChunkItem) => JSON.stringify(unitOf.get(item));
const unitOutput = ({ key: _k, start: _s, end: _e, cursor: _c, ...compact }: ChunkResult) => {
  const unit = [...unitOf.values()].find((u) => u.chunks[0].key === _k);
  return JSON.stringify({
    unit: unit?.unit,
    chunks: unit?.chunks,
    done: true,
    carryOn: false,
    results: [compact],
  });
};

/** The keys the report's per-object detail says were deleted (or found gone). */
async function deletedKeys(reportKey: string): Promise<string[]> {
  const report = JSON.parse(await text(reportKey));
  const detail = (report.objectsDetail as string).replace(`s3://${TEST_BUCKET}/`, '');
  return (await text(detail))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { key: string; deletion?: unknown })
    .filter((object) => object.deletion === 'deleted' || object.deletion === 'gone')
    .map((object) => object.key)
    .sort();
}

/** Writes ResultWriter's layout under `prefix/<map run id>/` and returns the Map's output. */
async function writeResults(plan: PlanSummary, succeeded: object[], failed: object[]) {
  const dir = `${plan.results.Prefix}/0f6c-test-run`;
  const put = (key: string, body: unknown) =>
    s3.client.send(
      new PutObjectCommand({ Bucket: TEST_BUCKET, Key: key, Body: JSON.stringify(body) }),
    );
  await put(`${dir}/SUCCEEDED_0.json`, succeeded);
  await put(`${dir}/FAILED_0.json`, failed);
  await put(`${dir}/manifest.json`, {
    DestinationBucket: TEST_BUCKET,
    MapRunArn: 'arn:aws:states:us-east-1:123456789012:mapRun:reprocess/ShipUnits:0f6c-test-run',
    ResultFiles: {
      SUCCEEDED: [{ Key: `${dir}/SUCCEEDED_0.json`, Size: 1 }],
      FAILED: [{ Key: `${dir}/FAILED_0.json`, Size: 1 }],
      PENDING: [],
    },
  });
  return {
    MapRunArn: 'arn:aws:states:us-east-1:123456789012:mapRun:reprocess/ShipUnits:0f6c-test-run',
    ResultWriterDetails: { Bucket: TEST_BUCKET, Key: `${dir}/manifest.json` },
  };
}

describe('report', () => {
  it('adds up the chunks, names the failed ones and deletes only what was fully shipped', async () => {
    const plan = await planFor('run-report', {
      bucket: TEST_BUCKET,
      prefix: ROOT,
      deleteProcessed: true,
      unitBytes: 1,
    });
    const items = await plannedItems(plan);
    expect(items.map((i) => i.key).sort()).toEqual([...KEYS].sort());
    const [ok, rejected, crashed] = KEYS.map(
      (key) => items.find((i) => i.key === key) as ChunkItem,
    );
    const child = (item: ChunkItem, output: ChunkResult) => ({
      ExecutionArn: `arn:aws:states:us-east-1:123456789012:execution:reprocess/ShipUnits:${item.start}`,
      Input: unitInput(item),
      Output: unitOutput(output),
      Status: 'SUCCEEDED',
    });
    const results = await writeResults(
      plan,
      [child(ok, result(ok)), child(rejected, result(rejected, { accepted: 8, rejected: 2 }))],
      [
        {
          ExecutionArn: 'arn:aws:states:us-east-1:123456789012:execution:reprocess/ShipUnits:x',
          Input: unitInput(crashed),
          Error: 'States.Timeout',
          Cause: 'The child execution timed out',
          Status: 'FAILED',
        },
      ],
    );

    const summary = await reportRun(s3.client, { plan, passes: [results] }, { allowDelete: true });
    expect(summary).toMatchObject({
      objects: 3,
      chunks: 3,
      lines: 20,
      accepted: 18,
      rejected: 2,
      failed: 0,
      failedChunks: 2,
      shippedObjects: 1,
      deleted: 1,
      report: `s3://${TEST_BUCKET}/work/run-report/report.json`,
      retry: { retryFrom: `s3://${TEST_BUCKET}/work/run-report/report.json` },
    });
    expect(summary.failures.map((f) => [f.key, f.error.name]).sort()).toEqual(
      [
        [rejected.key, 'RecordsRejected'],
        [crashed.key, 'States.Timeout'],
      ].sort(),
    );
    expect(await s3.exists(ok.key)).toBe(false);
    expect(await s3.exists(rejected.key)).toBe(true);
    expect(await s3.exists(crashed.key)).toBe(true);
    expect(await s3.exists(OUTSIDE)).toBe(true);
    const report = JSON.parse(await text('work/run-report/report.json'));
    expect(report.changedKeys).toEqual([]);
    expect(await deletedKeys('work/run-report/report.json')).toEqual([ok.key]);
    expect(report.failures).toHaveLength(2);

    // Its retryFrom input plans exactly the failed chunks, with the run's settings.
    const plan2 = createWholePlan(() => ({
      s3: s3.client,
      work: { bucket: TEST_BUCKET, prefix: 'work/' },
      logger: { info: () => {} },
      allowDelete: true,
      now: () => new Date(),
    }));
    const again = await plan2({ runId: 'run-retry', input: summary.retry });
    expect(again).toMatchObject({
      bucket: TEST_BUCKET,
      prefix: ROOT,
      deleteProcessed: true,
      objects: 2,
      chunks: 2,
    });
    const retried = (await manifestText(again))
      .split('\n')
      .filter(Boolean)
      .flatMap((line) => (JSON.parse(line) as UnitItem).chunks);
    expect(retried.sort((a, b) => a.key.localeCompare(b.key))).toEqual(
      [rejected, crashed].sort((a, b) => a.key.localeCompare(b.key)),
    );
    await expect(
      plan2({ runId: 'run-retry-2', input: { retryFrom: `s3://${TEST_BUCKET}/work/none.json` } }),
    ).rejects.toThrow(/retryFrom: cannot read/);
  });

  it('re-runs an unfinished chunk from its cursor only when nothing before the cursor was rejected or failed', async () => {
    const plan = await planFor('run-partial', {
      bucket: TEST_BUCKET,
      prefix: ROOT,
      deleteProcessed: true,
      unitBytes: 1,
    });
    const items = await plannedItems(plan);
    const [clean, rejecting] = items;
    const CURSOR = 100;
    // Both units stalled past every pass in their first chunk, at content byte 100.
    const stalled = (item: ChunkItem, counts: Partial<ChunkResult>) => ({
      ExecutionArn: `arn:aws:states:us-east-1:123456789012:execution:reprocess/ShipUnits:${item.key}`,
      Input: unitInput(item),
      Output: JSON.stringify({
        ...unitOf.get(item),
        done: false,
        carryOn: false,
        cursor: {
          chunk: 0,
          chunkCursor: { ...result(item, counts), done: undefined, offset: CURSOR },
        },
        results: [],
        stalled: { name: 'ExportRetryableError', message: 'the Collector stayed unavailable' },
      }),
      Status: 'SUCCEEDED',
    });
    const results = await writeResults(
      plan,
      [
        stalled(clean, { lines: 3, accepted: 3 }),
        stalled(rejecting, { lines: 3, accepted: 1, rejected: 2 }),
      ],
      [],
    );
    const summary = await reportRun(s3.client, { plan, passes: [results] }, { allowDelete: true });
    expect(summary).toMatchObject({ failedChunks: items.length, deleted: 0 });
    const report = JSON.parse(await text('work/run-partial/report.json'));
    const retryOf = (key: string) =>
      (report.retryItems as ChunkItem[]).find((retry) => retry.key === key);
    // The clean chunk goes again from its cursor; the one whose rejected lines
    // lie before the cursor goes again whole, so those lines are sent again.
    expect(retryOf(clean.key)).toEqual({ ...clean, start: CURSOR });
    expect(retryOf(rejecting.key)).toEqual(rejecting);
    for (const item of items) expect(await s3.exists(item.key)).toBe(true);
  });

  it('deletes nothing when the run did not ask for it, and counts a chunk without a result as failed', async () => {
    const plan = await planFor('run-keep', { bucket: TEST_BUCKET, prefix: ROOT, unitBytes: 1 });
    const items = await plannedItems(plan);
    const [first, ...rest] = items;
    const results = await writeResults(
      plan,
      rest.map((item) => ({ Input: unitInput(item), Output: unitOutput(result(item)) })),
      [],
    );
    const logged: string[] = [];
    const report = createReport(() => ({
      s3: s3.client,
      logger: { info: (m: string) => logged.push(m), error: (m: string) => logged.push(m) },
      allowDelete: true,
    }));
    const summary = await report({ plan, passes: [results] });
    expect(logged).toEqual(['run ended with failed chunks']);
    expect(summary).toMatchObject({
      failedChunks: 1,
      deleted: 0,
      shippedObjects: items.length - 1,
    });
    expect(summary.failures[0]).toMatchObject({ key: first.key, error: { name: 'NoResult' } });
    for (const item of items) expect(await s3.exists(item.key)).toBe(true);
  });
});

describe('deletion pinned to what was shipped (S3 conditional deletes, enforced by a stand-in)', () => {
  // Each run its own day, so its listing holds only its own objects.
  let day = '02';
  const prefix = () => `logs/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/${day}/`;
  const pinned = (n: number) =>
    `${prefix()}123456789012_elasticloadbalancing_us-east-2_app.web.50dc6c495c0c9188_202611${day}T000${n}Z_10.0.0.1_abcd.log.gz`;
  let strict: StrictS3;
  beforeAll(async () => {
    strict = await startStrictS3(s3.endpoint, s3.client);
  });
  afterAll(async () => {
    await strict.close();
  });

  async function shippedRun(runId: string, count: number) {
    for (let n = 1; n <= count; n++) {
      await s3.put(pinned(n), gzipSync(`${[...generateAlbLines(10, { seed: n })].join('\n')}\n`));
    }
    const plan = await planFor(runId, {
      bucket: TEST_BUCKET,
      prefix: prefix(),
      deleteProcessed: true,
      unitBytes: 1,
    });
    const items = await plannedItems(plan);
    const results = await writeResults(
      plan,
      items.map((item) => ({ Input: unitInput(item), Output: unitOutput(result(item)) })),
      [],
    );
    return { plan, items, results };
  }

  it('sends each shipped ETag; keeps what changed, counts what is gone as deleted, and writes the report before failing on a refused delete', async () => {
    const { plan, items, results } = await shippedRun('run-pinned', 4);
    const etags = new Map(items.map((item) => [item.key, item.etag]));
    await s3.put(pinned(2), 'a newer version, not shipped');
    await s3.remove(pinned(3));
    strict.undeletable.add(pinned(4));
    // When the deletes arrive, report.json already names what is about to go.
    let pendingAtDelete: string[] | undefined;
    let objectsAtDelete: number | undefined;
    strict.beforeDelete = async () => {
      const pending = JSON.parse(await text('work/run-pinned/report.json'));
      pendingAtDelete ??= pending.pendingDeletes;
      objectsAtDelete ??= pending.objects;
    };
    const client = s3.clientFor(strict.url);
    const report = createReport(() => ({
      s3: client,
      logger: { info: () => {}, error: () => {} },
      allowDelete: true,
    }));
    const summary = await report({ plan, passes: [results] });
    client.destroy();
    expect(summary).toMatchObject({
      failedChunks: 0,
      shippedObjects: 4,
      deleted: 2,
      keptChanged: 1,
      deleteFailed: 1,
    });
    // Every delete carried the ETag the run shipped, in one DeleteObjects request.
    expect(strict.batchRequests).toBe(1);
    expect(strict.deletes.map((d) => [d.via, d.key, d.etag]).sort()).toEqual(
      items.map((item) => ['batch', item.key, etags.get(item.key)]).sort(),
    );
    expect(pendingAtDelete?.sort()).toEqual(items.map((item) => item.key).sort());
    // Its totals already count every object, the ones about to go too.
    expect(objectsAtDelete).toBe(4);
    strict.beforeDelete = undefined;
    expect(await s3.exists(pinned(1))).toBe(false);
    expect(await s3.exists(pinned(2))).toBe(true);
    expect(await s3.exists(pinned(4))).toBe(true);
    const written = JSON.parse(await text('work/run-pinned/report.json'));
    expect(written.pendingDeletes).toBeUndefined();
    expect(await deletedKeys('work/run-pinned/report.json')).toEqual([pinned(1), pinned(3)]);
    expect(written.changedKeys).toEqual([pinned(2)]);
    expect(written.deleteFailures).toEqual([
      { key: pinned(4), code: 'AccessDenied', message: 'Access Denied' },
    ]);
    strict.undeletable.clear();
  });

  it('counts as deleted a key S3 refuses with 403 that a listing shows is gone (a repeated report step)', async () => {
    day = '04';
    const { plan, results } = await shippedRun('run-repeated', 2);
    await s3.remove(pinned(1));
    strict.denyMissing = true;
    const client = s3.clientFor(strict.url);
    const summary = await reportRun(client, { plan, passes: [results] }, { allowDelete: true });
    client.destroy();
    strict.denyMissing = false;
    expect(summary).toMatchObject({ deleted: 2, deleteFailed: 0 });
    expect(await s3.exists(pinned(2))).toBe(false);
  });

  it('deletes nothing on a deployment that does not allow deletion, and says why', async () => {
    day = '03';
    const { plan, results } = await shippedRun('run-not-allowed', 2);
    const client = s3.clientFor(strict.url);
    const before = strict.deletes.length;
    const summary = await reportRun(client, { plan, passes: [results] }, { allowDelete: false });
    client.destroy();
    expect(summary).toMatchObject({ failedChunks: 0, deleted: 0, deleteFailed: 2 });
    expect(strict.deletes.length).toBe(before);
    for (const n of [1, 2]) expect(await s3.exists(pinned(n))).toBe(true);
    const written = JSON.parse(await text('work/run-not-allowed/report.json'));
    expect(written.deleteFailures.map((f: { code: string }) => f.code)).toEqual([
      'DeletionNotAllowed',
      'DeletionNotAllowed',
    ]);
  });
});

describe('the report step refuses input that is not a plan and the Map output', () => {
  /** A plan of no objects, its (empty) manifest written, as the report would be handed it. */
  async function emptyPlan(runId: string): Promise<PlanSummary> {
    return planFor(runId, { bucket: TEST_BUCKET, prefix: 'nothing-here/' });
  }
  const dependencies = () => ({
    s3: s3.client,
    logger: { info: () => {}, error: () => {} },
    allowDelete: false,
  });
  /** The report function's two steps, as its handler tells them apart. */
  const refuse = (event: unknown) =>
    isNextPassCall(event) ? createNextPass(dependencies)(event) : createReport(dependencies)(event);

  it.each<[string, (plan: PlanSummary, results: object) => unknown, string[]]>([
    ['nothing at all', () => undefined, ['plan', 'passes']],
    [
      'a plan without its manifest',
      (_, results) => ({ plan: { runId: 'r' }, passes: [results] }),
      ['plan.manifest'],
    ],
    [
      'a Map output without its ResultWriter details',
      (plan) => ({ plan, passes: [{ MapRunArn: 'arn:x' }] }),
      ['passes.0.ResultWriterDetails'],
    ],
    [
      'a plan whose counts are not numbers',
      (plan, results) => ({ plan: { ...plan, chunks: 'many' }, passes: [results] }),
      ['plan.chunks'],
    ],
  ])('names the fields of %s with ReportInputError', async (_, event, fields) => {
    const plan = await emptyPlan('run-bad-input');
    const attempt = refuse(event(plan, await writeResults(plan, [], [])));
    await expect(attempt).rejects.toMatchObject({ name: 'ReportInputError' });
    const message = await attempt.catch((error: Error) => error.message);
    for (const field of fields) expect(message).toContain(`${field}:`);
  });

  it('names a result file that is not one', async () => {
    const plan = await emptyPlan('run-bad-results');
    const results = await writeResults(plan, [], []);
    await s3.client.send(
      new PutObjectCommand({
        Bucket: TEST_BUCKET,
        Key: results.ResultWriterDetails.Key,
        Body: JSON.stringify({ ResultFiles: { SUCCEEDED: 'not a list' } }),
      }),
    );
    await expect(refuse({ plan, passes: [results] })).rejects.toMatchObject({
      name: 'ReportInputError',
      message: expect.stringContaining(
        `s3://${TEST_BUCKET}/${results.ResultWriterDetails.Key} is not a Distributed Map result file: ResultFiles.SUCCEEDED:`,
      ),
    });
  });

  it('fails as the deployed handler (middy, Powertools) with ReportInputError', async () => {
    const { handler } = await import('../../functions/report.ts');
    const context = {
      functionName: 'report',
      awsRequestId: 'test-request',
      getRemainingTimeInMillis: () => 60_000,
    } as unknown as Parameters<typeof handler>[1];
    await expect(handler({ plan: {}, passes: [] }, context)).rejects.toMatchObject({
      name: 'ReportInputError',
      message: expect.stringContaining('plan.manifest:'),
    });
  });

  it('ends the execution with ReportInputError through the definition (a plan without runId)', async () => {
    const { runId: _, ...plan } = await emptyPlan('run-bad-asl');
    const outcome = await runReprocessLocally({
      input: { bucket: TEST_BUCKET, prefix: 'nothing-here/' },
      runId: 'run-bad-asl',
      s3: s3.client,
      plan: () => plan,
      processChunk: () => {
        throw new Error('no chunks to process');
      },
      nextPass: refuse,
      report: refuse,
      concurrency: 1,
    });
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toMatchObject({
      name: 'ReportInputError',
      message: expect.stringContaining('plan.runId:'),
    });
  });
});
