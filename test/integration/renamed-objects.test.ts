/**
 * Objects whose names are not ELB's (copied or renamed by hand, or written by
 * a tool that drops the `T` of the end time), against s3rver and the test
 * OTLP receiver: a reprocessing run (the local state machine) and ingest ship
 * them when their content is an ELB log and skip them when it is not, with
 * the account and Region of their folders, the load balancer of their name or
 * of their lines, and the time of their name, date folders or LastModified;
 * other services' folders and ELB's test object stay skipped. `elb-otlp ship`
 * of such an object gives the same resource. The Lambda context is the one
 * stand-in (there is no local Lambda runtime).
 */

import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonAttribute } from '../../receiver/otlp-decoder.ts';
import { loadExportConfig } from '../../shared/config/export-config.ts';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { createIngest, type IngestSummary } from '../../shared/ingest/ingest-event.ts';
import { createOtlpExporter, SYSTEM_CLOCK } from '../../shared/otlp/exporter.ts';
import { runCli } from '../helpers/cli.ts';
import { runLocally } from '../helpers/local-run.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { S3RVER_ENV, startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';
import { startStrictS3 } from '../helpers/strict-s3.ts';

const ACCOUNT = '123456789012';
const DAY = `logs/AWSLogs/${ACCOUNT}/elasticloadbalancing/eu-west-1/2026/11/30/`;
const text = (count: number, seed: number, loadBalancer: string) =>
  `${[...generateAlbLines(count, { seed, loadBalancer, startMs: Date.UTC(2026, 10, 30, 12) })].join('\n')}\n`;

/** Renamed in ELB's folders, gzip without `.gz`: a log by its content, dated by its folder. */
const RESTORED = { key: `${DAY}restored-0001.log`, lines: 40, lb: 'web' };
/** ELB's name without the `T`: its load balancer and time still read from it. */
const NO_T = {
  key: `${DAY}${ACCOUNT}_elasticloadbalancing_eu-west-1_app.api.0123456789abcdef_202611301205Z_10.0.0.2_x1.log.gz`,
  lines: 25,
  lb: 'api',
};
/** Outside AWS's folders, plain text: nothing but its lines and LastModified to go by. */
const LOOSE = { key: 'logs/manual/copy.log', lines: 15, lb: 'shop' };
const LOGS = [RESTORED, NO_T, LOOSE];
/** Delivered after midnight into the next day's folder, holding the last requests of Nov 30. */
const LATE = {
  key: `late/AWSLogs/${ACCOUNT}/elasticloadbalancing/eu-west-1/2026/12/01/restored-2350.log.gz`,
  lines: 12,
};
/** ELB's own name of a Classic load balancer that writes every 60 minutes. */
const CLASSIC = `classic/AWSLogs/${ACCOUNT}/elasticloadbalancing/eu-west-1/2026/11/30/${ACCOUNT}_elasticloadbalancing_eu-west-1_my-classic_20261130T1300Z_10.0.0.9_c1.log`;
/** A renamed object the runs' role may not read. */
const UNREADABLE = `sealed/AWSLogs/${ACCOUNT}/elasticloadbalancing/eu-west-1/2026/11/30/restored-0002.log.gz`;
/** A renamed file of one long line that is no log (a JSON export). */
const LONG_LINE = `json/AWSLogs/${ACCOUNT}/elasticloadbalancing/eu-west-1/2026/11/30/export.json`;
const NOT_LOGS = {
  notes: `${DAY}notes.txt`,
  cloudTrail: `logs/AWSLogs/${ACCOUNT}/CloudTrail/eu-west-1/2026/11/30/${ACCOUNT}_CloudTrail_eu-west-1_20261130T1205Z_abc.json.gz`,
  testFile: `logs/AWSLogs/${ACCOUNT}/ELBAccessLogTestFile`,
};

let s3: TestS3;
let receiver: OtlpReceiver;
beforeAll(async () => {
  [s3, receiver] = await Promise.all([startS3(), startOtlpReceiver()]);
  await s3.put(RESTORED.key, gzipSync(text(RESTORED.lines, 1, RESTORED.lb)));
  await s3.put(NO_T.key, gzipSync(text(NO_T.lines, 2, NO_T.lb)));
  await s3.put(LOOSE.key, text(LOOSE.lines, 3, LOOSE.lb));
  await s3.put(NOT_LOGS.notes, 'to do: rotate the keys\n');
  await s3.put(NOT_LOGS.cloudTrail, gzipSync('{"Records":[]}'));
  await s3.put(NOT_LOGS.testFile, 'Enable AccessLog for ELB: web');
  await s3.put(LATE.key, gzipSync(text(LATE.lines, 4, 'web')));
  await s3.put(CLASSIC, `${classicLine}\n`);
  // Large enough that its plan would read its gzip trailer (with 1 MiB chunks).
  await s3.put(UNREADABLE, gzipSync(text(3000, 5, 'web')));
  // One line of 100 KB: no whole line in the first 64 KiB, judged by its start.
  await s3.put(LONG_LINE, `{"export":"${'x'.repeat(100_000)}"}`);
});

const classicLine = readFileSync(new URL('../fixtures/clb-access.txt', import.meta.url), 'utf8')
  .split('\n')
  .find((line) => line !== '' && !line.startsWith('#')) as string;
afterAll(async () => {
  await Promise.all([receiver.close(), s3.close()]);
});

/** The resource attributes of the records the receiver took from `key`, once each. */
function resourcesOf(key: string): Record<string, string>[] {
  const seen = new Map<string, Record<string, string>>();
  for (const request of receiver.requests) {
    for (const rl of request.body?.resourceLogs ?? []) {
      const attributes = Object.fromEntries(
        ((rl.resource?.attributes ?? []) as JsonAttribute[]).map((a) => [
          a.key,
          String((a.value as { stringValue?: string }).stringValue ?? ''),
        ]),
      );
      if (attributes['aws.s3.key'] === key) seen.set(JSON.stringify(attributes), attributes);
    }
  }
  return [...seen.values()];
}

/** Records the receiver took from `key`. */
function recordsOf(key: string): number {
  return receiver.requests
    .flatMap((r) => r.body?.resourceLogs ?? [])
    .filter((rl) => JSON.stringify(rl.resource).includes(key))
    .reduce((sum, rl) => sum + rl.scopeLogs.reduce((n, sl) => n + sl.logRecords.length, 0), 0);
}

/** The plan of a dry run of the local state machine (over the test bucket). */
async function dryPlan(runId: string, input: Record<string, unknown>) {
  const run = await runLocally({
    s3,
    receiver,
    input: { bucket: TEST_BUCKET, dryRun: true, ...input },
    runId,
    concurrency: 1,
  });
  return run.plan;
}

const elbArn = (lb: string, id = '50dc6c495c0c9188') =>
  `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:loadbalancer/app/${lb}/${id}`;

describe('objects whose names are not ELB’s', () => {
  it('ship in a run when their content is a log, with what their folders, names and lines say', async () => {
    receiver.requests.length = 0;
    const { outcome, report, plan } = await runLocally({
      s3,
      receiver,
      input: { bucket: TEST_BUCKET, prefix: 'logs/' },
      runId: 'renamed-all',
      concurrency: 2,
    });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(plan).toMatchObject({ objects: 3, skipped: { notALog: 2, testFile: 1 } });
    const lines = LOGS.reduce((sum, o) => sum + o.lines, 0);
    expect(report).toMatchObject({ lines, accepted: lines, failed: 0 });
    for (const object of LOGS) expect(recordsOf(object.key), object.key).toBe(object.lines);

    // Folders: account and Region; the load balancer from the line's elb field.
    expect(resourcesOf(RESTORED.key)).toEqual([
      expect.objectContaining({
        'cloud.account.id': ACCOUNT,
        'cloud.region': 'eu-west-1',
        'cloud.resource_id': elbArn('web'),
        'aws.elb.name': 'web',
        'service.name': 'web',
      }),
    ]);
    // The name, though it lacks its T: the load balancer with its own id.
    expect(resourcesOf(NO_T.key)).toEqual([
      expect.objectContaining({
        'cloud.account.id': ACCOUNT,
        'cloud.region': 'eu-west-1',
        'cloud.resource_id': elbArn('api', '0123456789abcdef'),
        'aws.elb.name': 'api',
      }),
    ]);
    // Nothing in the key: the line's elb field alone, not made an ARN.
    const [loose] = resourcesOf(LOOSE.key);
    expect(loose).toMatchObject({ 'cloud.resource_id': 'app/shop/50dc6c495c0c9188' });
    expect(loose).not.toHaveProperty('cloud.account.id');
  });

  it('are in a run’s window by the time of their name, then their date folders, then LastModified', async () => {
    const window = (from: string, to: string, prefix = 'logs/') =>
      dryPlan(`renamed-window-${prefix.slice(0, -1)}-${Date.parse(from)}`, { prefix, from, to });
    // 12:00–12:05 on Nov 30: the restored object by its day folder; the
    // no-T object (12:00–12:05 by its name) too; the loose one was written now.
    // (notes.txt is in the window by its folder, then no log by its content.)
    expect(await window('2026-11-30T12:00:00Z', '2026-11-30T12:05:00Z')).toMatchObject({
      objects: 2,
      skipped: { outsideWindow: 1, notALog: 2 },
    });
    // The next day: none of them (nor notes.txt, by its folder).
    expect(await window('2026-12-01T00:05:00Z', '2026-12-01T06:00:00Z')).toMatchObject({
      objects: 0,
      skipped: { outsideWindow: 4, notALog: 1 },
    });
    // The last minutes of Nov 30: the object ELB delivered after midnight, in the
    // next day's folder (a folder is the day of delivery: it may hold the hour before).
    expect(await window('2026-11-30T23:00:00Z', '2026-11-30T23:55:00Z', 'late/')).toMatchObject({
      objects: 1,
    });
    // A Classic load balancer's object named 13:00 may hold the 60 minutes before.
    expect(await window('2026-11-30T12:00:00Z', '2026-11-30T12:05:00Z', 'classic/')).toMatchObject({
      objects: 1,
    });
    // The last minutes: the loose object by its LastModified alone.
    const now = Date.now();
    const recent = await window(
      new Date(now - 5 * 60_000).toISOString(),
      new Date(now + 60_000).toISOString(),
    );
    expect(recent).toMatchObject({ objects: 1, skipped: { outsideWindow: 3 } });
  });

  it('are taken for the load balancers a run asks for by their first line when their name does not say', async () => {
    const plan = await dryPlan('renamed-load-balancer', {
      prefix: 'logs/',
      loadBalancers: ['web'],
    });
    // RESTORED by its lines (web); NO_T by its name (api) and LOOSE by its lines
    // (shop) are others; notes.txt and the CloudTrail object are no logs.
    expect(plan).toMatchObject({
      objects: 1,
      skipped: { otherLoadBalancer: 2, notALog: 2, testFile: 1 },
    });
  });

  it('that cannot be read are planned, so that the report names them and why; a long first line is judged by its start', async () => {
    const strict = await startStrictS3(s3.endpoint, s3.client);
    strict.denied.add(UNREADABLE);
    const client = s3.clientFor(strict.url);
    try {
      const { report, plan } = await runLocally({
        s3,
        receiver,
        client,
        input: { bucket: TEST_BUCKET, prefix: 'sealed/', chunkBytes: 1024 * 1024 },
        runId: 'renamed-unreadable',
        concurrency: 1,
      });
      expect(plan).toMatchObject({ objects: 1 });
      expect(report).toMatchObject({
        failedChunks: 1,
        failures: [{ key: UNREADABLE, error: { name: 'ObjectAccessDeniedError' } }],
      });
      // A first line longer than what the plan reads is judged by its start.
      expect(await dryPlan('renamed-long-line', { prefix: 'json/' })).toMatchObject({
        objects: 0,
        skipped: { notALog: 1 },
      });
    } finally {
      client.destroy();
      await strict.close();
    }
  });

  it('ship through ingest when their content is a log; the rest are ignored, saying why', async () => {
    receiver.requests.length = 0;
    const config = loadExportConfig({}, { endpoint: receiver.url });
    const exporter = createOtlpExporter(config, SYSTEM_CLOCK);
    const said: string[] = [];
    const log = (message: unknown, ...details: unknown[]) => {
      said.push(`${String(message)} ${JSON.stringify(details[0])}`);
    };
    const ingest = createIngest(() => ({
      s3: s3.client,
      exporter,
      config,
      mapping: loadMappingConfig({}),
      now: () => Date.now(),
      logger: { info: log, warn: log, error: log },
      handoffBytes: 256 * 1024 * 1024,
      deleteProcessed: false,
    }));
    const record = (key: string) => ({
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: TEST_BUCKET }, object: { key } },
    });
    try {
      const summary = (await ingest(
        { Records: [RESTORED.key, NOT_LOGS.notes, NOT_LOGS.cloudTrail].map(record) },
        { getRemainingTimeInMillis: () => 300_000 },
      )) as IngestSummary;
      expect(summary).toMatchObject({ objects: 3, shipped: 1, ignored: 2, failedObjects: 0 });
      expect(summary.accepted).toBe(RESTORED.lines);
    } finally {
      await exporter.close();
    }
    expect(resourcesOf(RESTORED.key)).toEqual([
      expect.objectContaining({ 'cloud.account.id': ACCOUNT, 'cloud.region': 'eu-west-1' }),
    ]);
    const ignored = said.filter((line) => line.startsWith('object ignored')).join('\n');
    expect(ignored).toContain(
      "its name is not ELB's and none of its first 1 lines is a line of an ALB, NLB or Classic ELB log",
    );
    expect(ignored).toContain(`in the folder of another service (AWSLogs/${ACCOUNT}/CloudTrail/)`);
  });

  it('ship with elb-otlp ship s3://… with the account and Region of their folders', async () => {
    receiver.requests.length = 0;
    const run = await runCli(['ship', `s3://${TEST_BUCKET}/${RESTORED.key}`], {
      env: {
        ...S3RVER_ENV,
        AWS_ENDPOINT_URL_S3: s3.endpoint,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(resourcesOf(RESTORED.key)).toEqual([
      expect.objectContaining({
        'cloud.account.id': ACCOUNT,
        'cloud.region': 'eu-west-1',
        'cloud.resource_id': elbArn('web'),
      }),
    ]);
  });
});
