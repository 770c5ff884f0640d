/**
 * What `sls deploy` would run: the Lambda packages `sls package` writes
 * (shared with the other deploy-template files, test/helpers/packaged-stack.ts),
 * run as a whole reprocessing run against s3rver, the test receiver and a
 * stand-in for Secrets Manager (no local one exists), and the metrics
 * function against a CloudWatch stand-in; and the ingest function through
 * `sls invoke local`. The Lambda context handed to the packages is made here:
 * there is no local Lambda runtime.
 */

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAlbConnectionLines, generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { runReprocessLocally } from '../../shared/local/run-reprocess.ts';
import type { ReportSummary } from '../../shared/reprocess/report.ts';
import { awslogsEvent, eventIds } from '../helpers/awslogs.ts';
import { createFakeCloudWatch, startCloudWatchServer } from '../helpers/cloudwatch-fake.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import {
  type Json,
  LOG_PREFIX,
  packagedStack,
  SECRET_ARN,
  SLS_TIMEOUT_MS,
  sls,
} from '../helpers/packaged-stack.ts';
import { S3RVER_ENV, startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';
import { type SecretStores, startSecretStores } from '../helpers/secret-stores.ts';
import { uids } from '../helpers/ship.ts';
import { SAMPLES } from '../helpers/vended-samples.ts';
import { readZip } from '../helpers/zip.ts';

const NLB_SAMPLES = SAMPLES.filter((sample) => sample.logType === 'NLB_ACCESS_LOGS');

/** The packaged stack (read only) and this file's own directory for unzipped bundles. */
let out: string;
let work: string;

beforeAll(async () => {
  ({ dir: out } = await packagedStack());
  work = mkdtempSync(join(tmpdir(), 'elb-otlp-bundles-'));
}, SLS_TIMEOUT_MS);
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the packaged functions', () => {
  let s3: TestS3;
  let receiver: OtlpReceiver;
  let stores: SecretStores;
  const keys: string[] = [];
  let lines = 0;

  beforeAll(async () => {
    [s3, receiver, stores] = await Promise.all([
      startS3(),
      startOtlpReceiver(),
      startSecretStores(),
    ]);
    stores.secrets.set(SECRET_ARN, '{"Authorization": "Bearer from-the-secret"}');
    const day = `${LOG_PREFIX}123456789012/elasticloadbalancing/eu-west-1/2026/11/02/`;
    for (let n = 1; n <= 6; n++) {
      const conn = n > 4;
      const text = conn
        ? [...generateAlbConnectionLines(200 * n, { seed: n })].join('\n')
        : [...generateAlbLines(300 * n, { seed: n })].join('\n');
      const key = `${day}${conn ? 'conn_log_' : ''}123456789012_elasticloadbalancing_eu-west-1_app.shop.0123456789abcdef_20261102T010${n}Z_10.1.2.3_k${n}.log.gz`;
      keys.push(key);
      lines += 1 + text.split('\n').length - 1;
      await s3.put(key, gzipSync(`${text}\n`));
    }
  });
  const savedEnv = { ...process.env };
  afterAll(async () => {
    process.env = savedEnv;
    await Promise.all([s3.close(), receiver.close(), stores.close()]);
  });

  it('run a reprocessing run (plan, chunks with the secret header, report and delete) and ingest a new object', async () => {
    // The packages are what Lambda would run: each function's .cjs bundle.
    const bundles = join(work, 'bundles');
    const handlers: Json = {};
    Object.assign(process.env, {
      ...S3RVER_ENV,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: stores.url,
      WORK_BUCKET: TEST_BUCKET,
      WORK_PREFIX: 'work/',
      LOG_BUCKET: TEST_BUCKET,
      LOG_PREFIX,
      // What the template sets with allowDeleteProcessed (or deleteAfterIngest) on.
      ELB_OTLP_ALLOW_DELETE: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTLP_HEADERS_SECRET_ARN: SECRET_ARN,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    for (const [fn, handler] of Object.entries({
      plan: 'functions/plan.handler',
      processChunk: 'functions/process-chunk.handler',
      report: 'functions/report.handler',
      ingest: 'functions/ingest.handler',
    })) {
      handlers[fn] = await loadBundle(bundles, fn, handler);
    }

    const outcome = await runReprocessLocally({
      input: { bucket: TEST_BUCKET, deleteProcessed: true },
      runId: 'packaged-run',
      s3: s3.client,
      plan: handlers.plan,
      processChunk: handlers.processChunk,
      // The report function runs the step between passes too.
      nextPass: handlers.report,
      report: handlers.report,
      concurrency: 3,
    });
    expect(outcome.status).toBe('SUCCEEDED');
    const report = outcome.output as ReportSummary;
    expect(report).toMatchObject({
      objects: keys.length,
      lines,
      accepted: lines,
      failed: 0,
      failedChunks: 0,
      deleted: keys.length,
    });
    const delivered = uids(receiver.deliveredRecords());
    expect(new Set(delivered).size).toBe(lines);
    expect(delivered).toHaveLength(lines);
    expect(receiver.requests.map((r) => r.headers.authorization)).toEqual(
      receiver.requests.map(() => 'Bearer from-the-secret'),
    );
    expect(stores.calls.filter((c) => c.target === 'secretsmanager.GetSecretValue')).toHaveLength(
      1,
    );
    for (const key of keys) expect(await s3.exists(key), key).toBe(false);

    // A new object, notified by S3 (its key form-encoded), shipped by the packaged ingest.
    const fresh = `${LOG_PREFIX}123456789012/elasticloadbalancing/eu-west-1/2026/11/02/123456789012_elasticloadbalancing_eu-west-1_app.shop.0123456789abcdef_20261102T0200Z_10.1.2.3_new.log.gz`;
    await s3.put(fresh, gzipSync(`${[...generateAlbLines(250, { seed: 77 })].join('\n')}\n`));
    const before = receiver.deliveredRecords().length;
    const ingested = await handlers.ingest({
      Records: [
        {
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: TEST_BUCKET }, object: { key: fresh.replace(/=/g, '%3D') } },
        },
      ],
    });
    expect(ingested).toMatchObject({ objects: 1, shipped: 1, accepted: 250, failedObjects: 0 });
    expect(receiver.deliveredRecords().length - before).toBe(250);
  }, 120_000);

  it('run the metrics function: CloudWatch (a loopback stand-in) read by the bundled SDK, OTLP metrics out with the secret header', async () => {
    const alb = 'app/shop/0123456789abcdef';
    const cloudwatch = await startCloudWatchServer(
      createFakeCloudWatch([
        {
          namespace: 'AWS/ApplicationELB',
          metricName: 'HTTPCode_ELB_5XX_Count',
          dimensions: { LoadBalancer: alb, AvailabilityZone: 'eu-west-1a' },
          values: {
            Sum: [
              ['2026-11-27T15:55:00Z', 3],
              ['2026-11-27T15:59:00Z', 4],
            ],
          },
        },
        {
          namespace: 'AWS/ApplicationELB',
          metricName: 'TargetResponseTime',
          dimensions: { LoadBalancer: alb, TargetGroup: 'targetgroup/shop/943f017f100becff' },
          values: {
            Average: [['2026-11-27T15:56:00Z', 0.02]],
            Maximum: [],
            p99: [['2026-11-27T15:56:00Z', 0.5]],
          },
        },
      ]),
    );
    try {
      Object.assign(process.env, {
        AWS_ENDPOINT_URL_CLOUDWATCH: cloudwatch.url,
        AWS_REGION: 'eu-west-1',
        ELB_OTLP_METRICS_WINDOW: '5m',
        ELB_OTLP_METRICS_DELAY: '5m',
      });
      const metrics = await loadBundle(
        join(work, 'bundles'),
        'metrics',
        'functions/metrics.handler',
      );
      receiver.requests.length = 0;
      const summary = await metrics({
        'detail-type': 'Scheduled Event',
        time: '2026-11-27T16:05:00Z',
      });
      expect(summary).toMatchObject({ series: 2, datapoints: 4, accepted: 4, failed: 0 });
      expect(cloudwatch.fake.listCalls.map((c) => c.Namespace)).toEqual([
        'AWS/ApplicationELB',
        'AWS/NetworkELB',
      ]);
      expect(cloudwatch.fake.dataCalls[0]?.StartTime?.toISOString()).toBe(
        '2026-11-27T15:55:00.000Z',
      );
      expect(receiver.requests.map((r) => [r.path, r.headers.authorization])).toEqual([
        ['/v1/metrics', 'Bearer from-the-secret'],
      ]);
      const names = receiver.requests[0]?.metrics?.resourceMetrics[0]?.scopeMetrics[0]?.metrics.map(
        (m) => m.name,
      );
      expect(names?.sort()).toEqual([
        'aws_applicationelb_httpcode_elb_5_xx_count_sum',
        'aws_applicationelb_target_response_time_average',
        'aws_applicationelb_target_response_time_p99',
      ]);
    } finally {
      await cloudwatch.close();
    }
  }, 60_000);
});

/** Unzips a function's package and loads its handler, called with a Lambda context. */
async function loadBundle(
  bundles: string,
  fn: string,
  handler: string,
): Promise<(event: unknown) => Promise<Json>> {
  const files = readZip(readFileSync(join(out, `${fn}.zip`)));
  for (const [name, content] of files) {
    const path = join(bundles, fn, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  const [file, exported] = handler.split('.');
  expect([...files.keys()], fn).toContain(`${file}.cjs`);
  const module = await import(pathToFileURL(join(bundles, fn, `${file}.cjs`)).href);
  const entry = module[exported as string] ?? module.default[exported as string];
  return (event: unknown) => entry(event, lambdaContext(fn));
}

/** What Lambda hands a handler, as far as these functions read it. */
function lambdaContext(fn: string) {
  return {
    functionName: `elb-otlp-ci-${fn}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:elb-otlp-ci-${fn}`,
    memoryLimitInMB: '1024',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/elb-otlp-ci-${fn}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 900_000,
    done() {},
    fail() {},
    succeed() {},
  };
}

describe('sls invoke local -f ingest', () => {
  let s3: TestS3;
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    [s3, receiver] = await Promise.all([startS3(), startOtlpReceiver()]);
  });
  afterAll(async () => {
    await Promise.all([s3.close(), receiver.close()]);
  });

  it(
    'ships every object of an S3 event with form-encoded keys and skips the ELB test file',
    async () => {
      const folder = `${LOG_PREFIX}team=edge/eu west/123456789012/elasticloadbalancing/eu-west-1/2026/11/27/`;
      const keys = [1, 2, 3].map(
        (n) =>
          `${folder}123456789012_elasticloadbalancing_eu-west-1_app.shop.0123456789abcdef_20261127T110${n}Z_10.1.2.${n}_inv${n}.log.gz`,
      );
      for (const [n, key] of keys.entries()) {
        await s3.put(
          key,
          gzipSync(`${[...generateAlbLines(50 * (n + 1), { seed: n })].join('\n')}\n`),
        );
      }
      const testFile = `${LOG_PREFIX}123456789012/ELBAccessLogTestFile`;
      await s3.put(testFile, 'Enable AccessLog for ELB: shop');
      const encoded = (key: string) =>
        encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
      const event = join(work, 'event.json');
      writeFileSync(
        event,
        JSON.stringify({
          Records: [...keys, testFile].map((key) => ({
            eventVersion: '2.1',
            eventSource: 'aws:s3',
            awsRegion: 'eu-west-1',
            eventName: 'ObjectCreated:Put',
            s3: { bucket: { name: TEST_BUCKET }, object: { key: encoded(key) } },
          })),
        }),
      );
      const stdout = await sls(
        [
          'invoke',
          'local',
          '-f',
          'ingest',
          '-p',
          event,
          '--param',
          `logBucket=${TEST_BUCKET}`,
          '--param',
          `otlpEndpoint=${receiver.url}`,
        ],
        { ...S3RVER_ENV, AWS_ENDPOINT_URL_S3: s3.endpoint, POWERTOOLS_LOG_LEVEL: 'WARN' },
      );
      // The handler's answer is the last JSON document printed.
      const answer = JSON.parse(stdout.slice(stdout.lastIndexOf('\n{') + 1));
      expect(answer).toMatchObject({
        objects: 4,
        shipped: 3,
        ignored: 1,
        failedObjects: 0,
        lines: 300,
        accepted: 300,
      });
      const delivered = uids(receiver.deliveredRecords());
      expect(delivered).toHaveLength(300);
      expect(new Set(delivered).size).toBe(300);
    },
    SLS_TIMEOUT_MS,
  );

  it(
    'ships the vended records of a CloudWatch Logs subscription event, each id from its event',
    async () => {
      receiver.requests.length = 0;
      const envelope = {
        owner: '123456789012',
        logGroup: '/aws/vendedlogs/elb/net',
        logStream: 'NLB_ACCESS_LOGS-0',
        messages: NLB_SAMPLES.map((sample) => JSON.stringify(sample.record)),
      };
      const event = join(work, 'awslogs-event.json');
      writeFileSync(event, JSON.stringify(awslogsEvent(envelope)));
      const stdout = await sls(
        [
          'invoke',
          'local',
          '-f',
          'ingest',
          '-p',
          event,
          '--param',
          `logBucket=${TEST_BUCKET}`,
          '--param',
          `otlpEndpoint=${receiver.url}`,
        ],
        { POWERTOOLS_LOG_LEVEL: 'WARN' },
      );
      const answer = JSON.parse(stdout.slice(stdout.lastIndexOf('\n{') + 1));
      expect(answer).toMatchObject({
        logGroup: envelope.logGroup,
        events: NLB_SAMPLES.length,
        lines: NLB_SAMPLES.length,
        accepted: NLB_SAMPLES.length,
        parseErrors: 0,
      });
      const delivered = uids(receiver.deliveredRecords());
      expect(delivered.map((uid) => uid.split(':')[1])).toEqual(eventIds(envelope));
    },
    SLS_TIMEOUT_MS,
  );
});
