/**
 * A run's cost estimate end to end, against s3rver and the test OTLP
 * receiver: the plan step's summary carries one whose counts are the plan's
 * (objects, chunks, one Map item per chunk, the listing), priced with the
 * deployment's memory and price overrides; a dry run of the state machine
 * answers it; a run's report carries it beside the children that answered
 * and the workers' time; `elb-otlp reprocess --dry-run` prints it and refuses
 * a bad override naming the field.
 */

import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateSchema } from '../../shared/contract/estimate.ts';
import type { PlanSummary } from '../../shared/contract/state-machine.ts';
import { costSettings } from '../../shared/cost/cost-settings.ts';
import { PARENT_STATES } from '../../shared/cost/estimate.ts';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { QUIET_LOGGER } from '../../shared/local/local-steps.ts';
import { createWholePlan } from '../../shared/reprocess/plan-step.ts';
import type { ReportSummary } from '../../shared/reprocess/report.ts';
import { runCli } from '../helpers/cli.ts';
import { runLocally } from '../helpers/local-run.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { S3RVER_ENV, startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';

const ROOT = 'logs/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/';
const key = (n: number) =>
  `${ROOT}123456789012_elasticloadbalancing_us-east-2_app.web.50dc6c495c0c9188_20261101T${String(n).padStart(4, '0')}Z_10.0.0.1_abcd.log.gz`;
const text = (count: number, seed: number) =>
  `${[...generateAlbLines(count, { seed })].join('\n')}\n`;
/** 1 MiB, the smallest chunk a run allows: the large object is cut in 3. */
const CHUNK = 1024 * 1024;
const SMALL = 24;
const LINES = SMALL * 200 + 4000;

let s3: TestS3;
let receiver: OtlpReceiver;
beforeAll(async () => {
  s3 = await startS3();
  receiver = await startOtlpReceiver();
  for (let n = 1; n <= SMALL; n++) await s3.put(key(n), gzipSync(text(200, n)));
  await s3.put(key(100), gzipSync(text(4000, 100)));
  await s3.put('logs/AWSLogs/123456789012/ELBAccessLogTestFile', 'Enable AccessLog for ELB: web');
});
afterAll(async () => {
  await receiver.close();
  await s3.close();
});

const RUN = { bucket: TEST_BUCKET, prefix: 'logs/', chunkBytes: CHUNK };

async function run(input: unknown, runId: string) {
  const { outcome, plan } = await runLocally({ s3, receiver, input, runId, concurrency: 2 });
  return { outcome, plan };
}

describe("a run's estimate", () => {
  it('is in the plan, its counts the plan’s, priced with the deployment’s memory and prices', async () => {
    const plan = createWholePlan(() => ({
      s3: s3.client,
      work: { bucket: TEST_BUCKET, prefix: 'work/' },
      logger: QUIET_LOGGER,
      allowDelete: false,
      now: () => new Date(),
      cost: costSettings({
        ELB_OTLP_WORKER_MEMORY_MB: '3538',
        ELB_OTLP_PRICES: '{"source":"test prices","stepFunctions":{"standardTransition":0.001}}',
      }),
    }));
    const summary = await plan({ input: { ...RUN, dryRun: true }, runId: 'estimate-plan' });
    expect(summary).toMatchObject({ objects: SMALL + 1, chunks: SMALL + 3 });
    const estimate = estimateSchema.parse(summary.estimate);
    expect(estimate.assumptions).toMatchObject({
      items: summary.units,
      memoryMb: 3538,
      childType: 'EXPRESS',
      prices: 'test prices',
    });
    // Lines from stored bytes: generated lines compress to about 93 bytes each.
    expect(estimate.assumptions.lines / LINES).toBeGreaterThan(0.9);
    expect(estimate.assumptions.lines / LINES).toBeLessThan(1.1);
    // One Express child and at least one worker call per unit; Express children have no transitions.
    expect(estimate.lambda.invocations).toBeGreaterThanOrEqual(summary.units);
    expect(estimate.stepFunctions.parentTransitions).toBe(PARENT_STATES + summary.units);
    expect(estimate.stepFunctions.expressRequests).toBe(summary.units);
    expect(estimate.stepFunctions.childTransitions).toBe(0);
    // One listing page (the test file included); a GET per chunk at least, and the trailer of the large object.
    expect(estimate.s3.list).toBe(1);
    expect(estimate.s3.get).toBeGreaterThanOrEqual(summary.chunks + 1);
    expect(estimate.usd.fixed).toBeCloseTo(PARENT_STATES * 0.001, 9);
  });

  it('is what a dry run of the state machine answers, and what a run’s report carries beside its actual figures', async () => {
    const dry = await run({ ...RUN, dryRun: true }, 'estimate-dry');
    expect(dry.outcome.status).toBe('SUCCEEDED');
    const planned = dry.outcome.output as PlanSummary;
    expect(planned.estimate).toEqual(dry.plan.estimate);
    expect(planned.estimate?.assumptions.items).toBe(planned.units);

    const shipped = await run(RUN, 'estimate-run');
    expect(shipped.outcome.status).toBe('SUCCEEDED');
    const report = shipped.outcome.output as ReportSummary;
    expect(report.lines).toBe(LINES);
    expect(report.estimate).toEqual(shipped.plan.estimate);
    expect(report.actual).toMatchObject({
      childExecutions: shipped.plan.units,
      workerSeconds: report.throughput.chunkSeconds,
    });
    expect(report.actual?.gbSeconds).toBeCloseTo((report.throughput.chunkSeconds * 1769) / 1024, 2);
  });

  it('is printed by elb-otlp reprocess --dry-run; a bad price override exits 2 naming the field', async () => {
    const env = { ...S3RVER_ENV, AWS_ENDPOINT_URL_S3: s3.endpoint };
    const args = ['reprocess', '--bucket', TEST_BUCKET, '--prefix', 'logs/', '--dry-run'];
    const planned = await runCli([...args, '--endpoint', receiver.url], { env });
    expect(planned.code).toBe(0);
    const plan = JSON.parse(planned.stdout.trim().split('\n').at(-1) as string) as PlanSummary;
    expect(plan.estimate?.assumptions.items).toBe(plan.units);
    expect(planned.stderr).toContain(`estimated in AWS $${plan.estimate?.usd.total}`);

    const refused = await runCli([...args, '--endpoint', receiver.url], {
      env: { ...env, ELB_OTLP_PRICES: '{"s3":{"get":"free"}}' },
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/ELB_OTLP_PRICES: s3\.get: /);
  });
});
