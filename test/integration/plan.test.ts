/**
 * The plan step against s3rver: validation, listing with pagination, the
 * filters and their skip counts, chunk items (gzip cut by the trailer's size,
 * plain cut exactly, empty objects kept), and a manifest whose chunks, each
 * shipped, deliver every line of every planned object once.
 */

import { gzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExportConfig } from '../../shared/config/export-config.ts';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import { InputValidationError } from '../../shared/contract/errors.ts';
import {
  type ChunkItem,
  type PlanSummary,
  unitItemSchema,
} from '../../shared/contract/state-machine.ts';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { createOtlpExporter } from '../../shared/otlp/exporter.ts';
import { shipChunk } from '../../shared/pipeline/ship-chunk.ts';
import { TO_THE_END } from '../../shared/reprocess/object-chunks.ts';
import { planRun } from '../../shared/reprocess/plan.ts';
import { createWholePlan } from '../../shared/reprocess/plan-step.ts';
import { parseRunInput } from '../../shared/reprocess/run-input.ts';
import { startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { OBSERVED } from '../helpers/records.ts';
import { startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';
import { fakeClock, uids } from '../helpers/ship.ts';
import { startStrictS3 } from '../helpers/strict-s3.ts';

const ROOT = 'logs/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/';
const alb = (lb: string, time: string, node: string) =>
  `${ROOT}123456789012_elasticloadbalancing_us-east-2_app.${lb}.50dc6c495c0c9188_${time}_10.0.0.${node}_abcd.log.gz`;
const lines = (count: number, seed: number) =>
  `${[...generateAlbLines(count, { seed })].join('\n')}\n`;

/** 1 MiB, the smallest chunk the input allows. */
const CHUNK = 1024 * 1024;
const BIG = lines(6000, 1);

const OBJECTS: [string, Buffer | string][] = [
  [alb('web', '20261101T0005Z', '1'), gzipSync(lines(40, 2))],
  [alb('web', '20261101T0010Z', '2'), gzipSync(BIG)],
  [alb('web', '20261101T0015Z', '3'), gzipSync(lines(10, 3))],
  [alb('api', '20261101T0010Z', '4'), gzipSync(lines(20, 4))],
  [alb('web', '20261101T0100Z', '5'), gzipSync(lines(5, 5))],
  [alb('web', '20261101T0010Z', '6'), Buffer.alloc(0)],
  [`${ROOT}123456789012_elasticloadbalancing_us-east-2_web_20261101T0010Z_10.0.0.7_abcd.log`, BIG],
  ['logs/AWSLogs/123456789012/ELBAccessLogTestFile', 'Enable AccessLog for ELB: web'],
  [`${ROOT}notes.txt`, 'not a log'],
  ['elsewhere/AWSLogs/123456789012/x.log.gz', gzipSync(lines(3, 6))],
];

/**
 * Objects at every border a listing's parts have: directly under the
 * prefix, in folders above the day folders, in day folders and below one, in
 * folders whose names begin another's (`0/`, `10/`, `11/`), and more in one
 * folder than a page holds.
 */
const BORDERS_DAYS = 'borders/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/';
const borderName = (n: number) =>
  `123456789012_elasticloadbalancing_us-east-2_app.web.50dc6c495c0c9188_20261101T${String(n).padStart(4, '0')}Z_10.0.0.1_abcd.log.gz`;
const BORDER_FOLDERS: [string, number][] = [
  ['borders/', 2],
  ['borders/AWSLogs/', 3],
  ['borders/AWSLogs/123456789012/', 1],
  [`${BORDERS_DAYS}0/`, 2],
  [`${BORDERS_DAYS}10/`, 2],
  [`${BORDERS_DAYS}11/`, 2],
  [`${BORDERS_DAYS}11/01/`, 2],
  [`${BORDERS_DAYS}11/01/late/`, 1],
  [`${BORDERS_DAYS}11/02/`, 3],
  [`${BORDERS_DAYS}12/31/`, 22],
];
const BORDER_KEYS = BORDER_FOLDERS.flatMap(([folder, count], at) =>
  Array.from({ length: count }, (_, n) => `${folder}${borderName(at * 100 + n)}`),
);

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3();
  for (const [key, body] of OBJECTS) await s3.put(key, body);
  for (const key of BORDER_KEYS) await s3.put(key, gzipSync('x\n'));
});
afterAll(async () => {
  await s3.close();
});

/** The planners' clock: every plan is made at this time. */
const PLANNED_AT = new Date('2026-11-02T03:04:05.678Z');

function planner(scope?: { bucket: string; prefix: string }, allowDelete = true) {
  return createWholePlan(() => ({
    s3: s3.client,
    work: { bucket: TEST_BUCKET, prefix: 'work/' },
    logger: { info: () => {} },
    ...(scope !== undefined && { scope }),
    allowDelete,
    now: () => PLANNED_AT,
  }));
}

/** The chunk item of a whole object, as a report's retryItems hold it. */
async function itemOf(key: string): Promise<ChunkItem> {
  const head = await s3.client.send(new HeadObjectCommand({ Bucket: TEST_BUCKET, Key: key }));
  const size = head.ContentLength ?? 0;
  return {
    bucket: TEST_BUCKET,
    key,
    etag: head.ETag as string,
    size,
    compression: 'gzip',
    start: 0,
    end: TO_THE_END,
  };
}

/** Writes a report.json under work/ (as an earlier run would have) and returns its address. */
async function putReport(name: string, report: object): Promise<string> {
  const key = `work/${name}/report.json`;
  await s3.client.send(
    new PutObjectCommand({
      Bucket: TEST_BUCKET,
      Key: key,
      Body: JSON.stringify({ runId: 'earlier-run', maxConcurrency: 4, ...report }),
    }),
  );
  return `s3://${TEST_BUCKET}/${key}`;
}

/** The unit numbers of a plan's manifest, every file of it in order. */
async function manifestUnits(summary: PlanSummary): Promise<number[]> {
  const units: number[] = [];
  for (const key of summary.manifest.Keys) {
    for (const line of (await s3.text(key)).split('\n')) {
      if (line !== '') units.push(unitItemSchema.parse(JSON.parse(line)).unit);
    }
  }
  return units;
}

/** The chunk items of a plan's manifest, every file of it in order. */
async function manifest(summary: PlanSummary): Promise<ChunkItem[]> {
  const chunks: ChunkItem[] = [];
  for (const key of summary.manifest.Keys) {
    const answer = await s3.client.send(
      new GetObjectCommand({ Bucket: summary.manifest.Bucket, Key: key }),
    );
    const text = await (
      answer.Body as { transformToString(): Promise<string> }
    ).transformToString();
    for (const line of text.split('\n')) {
      if (line !== '') chunks.push(...unitItemSchema.parse(JSON.parse(line)).chunks);
    }
  }
  return chunks;
}

describe('plan', () => {
  it('refuses a bad input at once, naming every bad field', async () => {
    const attempt = planner()({
      runId: 'r1',
      input: { bucket: 'x', chunkBytes: 5, from: 'yesterday', maxConcurrency: 0, colour: 'red' },
    });
    await expect(attempt).rejects.toBeInstanceOf(InputValidationError);
    const message = await attempt.catch((error: Error) => error.message);
    for (const field of ['bucket', 'chunkBytes', 'from', 'maxConcurrency', 'colour']) {
      expect(message).toContain(field);
    }
  });

  it('refuses a run outside the logs the deployment may read, and an empty prefix means all of them', async () => {
    const scoped = planner({ bucket: TEST_BUCKET, prefix: 'logs/AWSLogs/' });
    const attempt = scoped({
      runId: 'r-scope',
      input: { bucket: 'other-bucket', prefix: 'elsewhere/', keys: ['elsewhere/x.log.gz'] },
    });
    await expect(attempt).rejects.toBeInstanceOf(InputValidationError);
    const message = await attempt.catch((error: Error) => error.message);
    for (const field of ['bucket:', 'prefix:', 'keys: 1 key(s) such as "elsewhere/x.log.gz"']) {
      expect(message).toContain(field);
    }
    expect(message).toContain(`s3://${TEST_BUCKET}/logs/AWSLogs/`);

    const all = await scoped({ runId: 'r-scope-all', input: { bucket: TEST_BUCKET } });
    // Everything under logs/AWSLogs/, nothing from elsewhere/.
    expect(all).toMatchObject({ prefix: 'logs/AWSLogs/', objects: 7 });
  });

  it('keeps the logs under the prefix, counts what it skipped and why, and cuts chunks', async () => {
    const summary = await planner()({
      runId: 'run-all',
      input: { bucket: TEST_BUCKET, prefix: 'logs/', chunkBytes: CHUNK },
    });
    expect(summary).toMatchObject({
      // From the injected clock.
      plannedAt: '2026-11-02T03:04:05.678Z',
      objects: 7,
      emptyObjects: 1,
      skipped: { testFile: 1, notALog: 1, outsideWindow: 0, otherLoadBalancer: 0, missing: 0 },
      // Two parts: the account folder's own keys (the test file) and the day folder.
      listingParts: 2,
      planWorkers: [],
      manifest: {
        Bucket: TEST_BUCKET,
        Prefix: 'work/run-all/manifest/',
        // The worker of the account folder planned nothing, and wrote no file.
        Keys: ['work/run-all/manifest/part-01.jsonl'],
      },
      results: { Bucket: TEST_BUCKET, Prefix: 'work/run-all/results' },
    });
    // Also beside the run's files, for whoever follows the run from outside.
    expect(JSON.parse(await s3.text('work/run-all/plan.json'))).toEqual(summary);
    const chunks = await manifest(summary);
    expect(chunks).toHaveLength(summary.chunks);
    const big = Buffer.byteLength(BIG);
    const of = (key: string) => chunks.filter((c) => c.key === key);
    // gzip: cut by the size in its trailer, the last chunk reading to the end.
    expect(of(OBJECTS[1][0]).map((c) => [c.start, c.end, c.compression])).toEqual([
      [0, CHUNK, 'gzip'],
      [CHUNK, 2 * CHUNK, 'gzip'],
      [2 * CHUNK, 3 * CHUNK, 'gzip'],
      [3 * CHUNK, TO_THE_END, 'gzip'],
    ]);
    expect(big).toBeGreaterThan(3 * CHUNK);
    // Plain: cut exactly.
    expect(
      of(OBJECTS[6][0])
        .map((c) => [c.start, c.end, c.compression])
        .at(-1),
    ).toEqual([3 * CHUNK, big, 'none']);
    // Small gzip objects are one chunk without a trailer read; empty ones are kept.
    expect(of(OBJECTS[0][0]).map((c) => [c.start, c.end])).toEqual([[0, TO_THE_END]]);
    expect(of(OBJECTS[5][0])).toMatchObject([{ size: 0, start: 0, end: 1 }]);
    expect(chunks.every((c) => c.etag.length > 2 && c.bucket === TEST_BUCKET)).toBe(true);
  });

  it('filters by the time in the key and by load balancer name', async () => {
    const summary = await planner()({
      runId: 'run-window',
      input: {
        bucket: TEST_BUCKET,
        prefix: ROOT,
        from: '2026-11-01T00:05:00Z',
        to: '2026-11-01T00:15:00Z',
        loadBalancers: ['web'],
      },
    });
    // In: web 0010 (two: gzip and empty) and the Classic 0010 object and web 0015;
    // out: web 0005 (its interval ends at from), web 0100 (after to), api, and
    // notes.txt (a name that is not ELB's, in the window by its date folder:
    // read, and no log).
    expect(summary.objects).toBe(4);
    expect(summary.skipped).toMatchObject({
      outsideWindow: 2,
      otherLoadBalancer: 1,
      notALog: 1,
    });
  });

  it('follows the listing across pages', async () => {
    const summary = await planRun({
      client: s3.client,
      input: parseRunInput({ bucket: TEST_BUCKET, prefix: 'logs/' }),
      runId: 'run-pages',
      now: () => PLANNED_AT,
      work: { bucket: TEST_BUCKET, prefix: 'work/run-pages/' },
      listPageSize: 3,
    });
    expect(summary).toMatchObject({ objects: 7, skipped: { testFile: 1, notALog: 1 } });
  });

  it.each([
    ['a prefix ending in "/"', 'borders/', 40],
    ['a prefix ending inside a folder name', `${BORDERS_DAYS}1`, 32],
    ['a day folder', `${BORDERS_DAYS}11/01/`, 3],
  ])(
    'plans every object of %s once, across the parts of its listing and their pages',
    async (_, prefix, listed) => {
      const summary = await planRun({
        client: s3.client,
        input: parseRunInput({ bucket: TEST_BUCKET, prefix }),
        runId: 'run-borders',
        now: () => PLANNED_AT,
        work: { bucket: TEST_BUCKET, prefix: `work/borders-${listed}/` },
        listPageSize: 2,
      });
      const expected = BORDER_KEYS.filter((key) => key.startsWith(prefix)).sort();
      expect(expected).toHaveLength(listed);
      const planned = (await manifest(summary)).map((chunk) => chunk.key);
      expect(planned.sort()).toEqual(expected);
      expect(summary).toMatchObject({ objects: listed, chunks: listed });
      // Units numbered once across the workers.
      const units = await manifestUnits(summary);
      expect(new Set(units).size).toBe(units.length);
    },
  );

  it('cuts a listing at its folders, down to the day folders, and shares the parts among the workers', async () => {
    const summary = await planRun({
      client: s3.client,
      input: parseRunInput({ bucket: TEST_BUCKET, prefix: 'borders/' }),
      runId: 'run-parts',
      now: () => PLANNED_AT,
      work: { bucket: TEST_BUCKET, prefix: 'work/parts/' },
    });
    const parts = JSON.parse(await s3.text('work/parts/plan/parts.json'));
    expect(parts.parts).toEqual([
      { prefix: 'borders/', direct: true },
      { prefix: 'borders/AWSLogs/', direct: true },
      { prefix: 'borders/AWSLogs/123456789012/', direct: true },
      // Not day folders: their own keys only, and no folder below.
      { prefix: `${BORDERS_DAYS}0/`, direct: true },
      { prefix: `${BORDERS_DAYS}10/`, direct: true },
      { prefix: `${BORDERS_DAYS}11/`, direct: true },
      { prefix: `${BORDERS_DAYS}11/01/` },
      { prefix: `${BORDERS_DAYS}11/02/` },
      { prefix: 'borders/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/12/31/' },
    ]);
    expect(summary.listingParts).toBe(9);
    expect(parts.workers).toBe(9);
    expect(summary.manifest.Keys).toHaveLength(9);
  });

  it('takes explicit keys, counting the missing ones', async () => {
    const summary = await planner()({
      runId: 'run-keys',
      input: { bucket: TEST_BUCKET, keys: [OBJECTS[0][0], `${ROOT}gone.log.gz`] },
    });
    expect(summary).toMatchObject({ objects: 1, chunks: 1, skipped: { missing: 1 } });
  });

  it('refuses deletion where the deployment does not allow it, for a run and for a re-run that inherits it', async () => {
    const strictPlanner = planner({ bucket: TEST_BUCKET, prefix: 'logs/AWSLogs/' }, false);
    const attempt = strictPlanner({
      runId: 'r-no-delete',
      input: { bucket: TEST_BUCKET, prefix: ROOT, deleteProcessed: true },
    });
    await expect(attempt).rejects.toBeInstanceOf(InputValidationError);
    await expect(attempt).rejects.toThrow(
      /deleteProcessed: this deployment does not allow deletion \(deploy with --param="allowDeleteProcessed=true"/,
    );
    const report = await putReport('inherits', {
      bucket: TEST_BUCKET,
      prefix: ROOT,
      deleteProcessed: true,
      retryItems: [await itemOf(OBJECTS[0][0])],
    });
    await expect(
      strictPlanner({ runId: 'r-inherits', input: { retryFrom: report } }),
    ).rejects.toThrow(
      `deleteProcessed: this deployment does not allow deletion (the run of ${report} asked for it; re-run with "deleteProcessed": false (elb-otlp reprocess --no-delete)`,
    );
    const kept = await strictPlanner({
      runId: 'r-keeps',
      input: { retryFrom: report, deleteProcessed: false },
    });
    expect(kept).toMatchObject({ deleteProcessed: false, chunks: 1, retryOf: 'earlier-run' });
  });

  it.each([
    [
      'another bucket',
      { bucket: 'other-bucket', prefix: 'logs/AWSLogs/', items: { bucket: 'other-bucket' } },
      /retryFrom: s3:\/\/.*: bucket: this deployment reads only s3:\/\/elb-logs\/logs\/AWSLogs\//,
    ],
    [
      'items outside the scope',
      { bucket: TEST_BUCKET, prefix: '', items: { key: 'elsewhere/AWSLogs/x.log.gz' } },
      /: retryItems: 1 key\(s\) such as "elsewhere\/AWSLogs\/x\.log\.gz": this deployment reads only/,
    ],
    [
      'an item of another bucket than the report',
      { bucket: TEST_BUCKET, prefix: 'logs/AWSLogs/', items: { bucket: 'other-bucket' } },
      /is not a valid elb-otlp report: retryItems: every item must be in the report's bucket/,
    ],
    [
      'an item without its ETag',
      { bucket: TEST_BUCKET, prefix: 'logs/AWSLogs/', items: { etag: undefined } },
      /is not a valid elb-otlp report: retryItems\.0\.etag/,
    ],
  ])(
    'refuses a retryFrom report with %s, as it refuses such an input',
    async (name, forged, message) => {
      const item = { ...(await itemOf(OBJECTS[0][0])), ...forged.items };
      const report = await putReport(name.replace(/\W+/g, '-'), {
        bucket: forged.bucket,
        prefix: forged.prefix,
        deleteProcessed: true,
        retryItems: [item],
      });
      const scoped = planner({ bucket: TEST_BUCKET, prefix: 'logs/AWSLogs/' });
      const attempt = scoped({ runId: 'r-forged', input: { retryFrom: report } });
      await expect(attempt).rejects.toBeInstanceOf(InputValidationError);
      await expect(attempt).rejects.toThrow(message);
    },
  );

  it("re-runs a local run's report (no prefix) on the stack when its chunks are within the stack's logs", async () => {
    const report = await putReport('local-run', {
      bucket: TEST_BUCKET,
      prefix: '',
      retryItems: [await itemOf(OBJECTS[0][0])],
    });
    const scoped = planner({ bucket: TEST_BUCKET, prefix: 'logs/AWSLogs/' }, false);
    expect(await scoped({ runId: 'r-local', input: { retryFrom: report } })).toMatchObject({
      prefix: 'logs/AWSLogs/',
      chunks: 1,
      deleteProcessed: false,
    });
  });

  it('tells a missing explicit key from a denied one when S3 answers 403 for both (no s3:ListBucket)', async () => {
    const strict = await startStrictS3(s3.endpoint, s3.client);
    strict.denyMissing = true;
    const client = s3.clientFor(strict.url);
    const plan = (keys: string[]) =>
      createWholePlan(() => ({
        s3: client,
        work: { bucket: TEST_BUCKET, prefix: 'work/' },
        logger: { info: () => {} },
        allowDelete: false,
        now: () => PLANNED_AT,
      }))({ runId: 'r-403', input: { bucket: TEST_BUCKET, keys } });
    try {
      const summary = await plan([OBJECTS[0][0], `${ROOT}gone.log.gz`]);
      expect(summary).toMatchObject({ objects: 1, skipped: { missing: 1 } });
      strict.denied.add(OBJECTS[2][0]);
      await expect(plan([OBJECTS[0][0], OBJECTS[2][0]])).rejects.toThrow(
        `s3://${TEST_BUCKET}/${OBJECTS[2][0]}: cannot be read: access denied (HTTP 403) although a listing shows it`,
      );
    } finally {
      client.destroy();
      await strict.close();
    }
  });

  it('plans chunks that, each shipped, deliver every line of every object once', async () => {
    const summary = await planner()({
      runId: 'run-ship',
      input: { bucket: TEST_BUCKET, prefix: 'logs/', chunkBytes: CHUNK },
    });
    const receiver = await startOtlpReceiver();
    const config = loadExportConfig({}, { endpoint: receiver.url });
    const exporter = createOtlpExporter(config, fakeClock().clock);
    let shipped = 0;
    try {
      for (const chunk of await manifest(summary)) {
        const result = await shipChunk({
          client: s3.client,
          chunk,
          exporter,
          protocol: config.protocol,
          limits: { maxRecords: config.maxBatchRecords, maxBytes: config.maxBatchBytes },
          concurrency: config.concurrency,
          mapping: loadMappingConfig({}),
          nowNanos: () => OBSERVED,
        });
        expect(result.readError).toBeUndefined();
        shipped += result.lines;
      }
      // The texts of the seven logs under logs/ (the gzip ones before compression).
      const texts = [lines(40, 2), BIG, lines(10, 3), lines(20, 4), lines(5, 5), '', BIG];
      const total = texts.reduce((sum, text) => sum + text.split('\n').filter(Boolean).length, 0);
      expect(shipped).toBe(total);
      const delivered = uids(receiver.deliveredRecords());
      expect(delivered).toHaveLength(total);
      expect(new Set(delivered).size).toBe(total);
    } finally {
      await exporter.close();
      await receiver.close();
    }
  });
});
