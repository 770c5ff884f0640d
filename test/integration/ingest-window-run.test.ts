/**
 * The ingest function invoked without S3 records, as the guide's users
 * invoked their Lambda by hand or on a schedule: `functions/ingest.ts` with
 * the guide's S3_BUCKET_NAME and S3_PREFIX starts a run of the reprocessing
 * state machine over that window and answers its execution ARN. The state
 * machine is the Step Functions stand-in (test/helpers/step-functions.ts:
 * the real definition, run with the real plan, process-chunk and report
 * handlers), reached by the function's own SFN client through
 * AWS_ENDPOINT_URL_SFN; S3 is s3rver and the Collector the test receiver.
 * The Lambda context is the one stand-in made by hand (no local Lambda
 * runtime).
 */

import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import type { WindowRunStarted } from '../../shared/ingest/ingest-event.ts';
import { DELIVERY_MARGIN_MS } from '../../shared/ingest/window-run.ts';
import type { LocalTask } from '../../shared/local/run-reprocess.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { S3RVER_ENV, startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';
import { startStepFunctions, type TestStepFunctions } from '../helpers/step-functions.ts';
import { TEST_CALLER } from '../helpers/sts.ts';

const MACHINE = 'elb-otlp-test-reprocess';
const INGEST_ARN = `arn:aws:lambda:us-east-1:${TEST_CALLER.account}:function:elb-otlp-test-ingest`;
const MINUTE = 60_000;

/** An ELB object whose 5-minute interval ends `minutesAgo` before now, with `lines` lines. */
function object(minutesAgo: number, lines: number) {
  const end = new Date(Math.floor((Date.now() - minutesAgo * MINUTE) / MINUTE) * MINUTE);
  const iso = end.toISOString();
  const day = iso.slice(0, 10).replace(/-/g, '/');
  const time = iso.replace(/[-:]/g, '').slice(0, 13);
  return {
    key: `logs/AWSLogs/${TEST_CALLER.account}/elasticloadbalancing/us-east-1/${day}/${TEST_CALLER.account}_elasticloadbalancing_us-east-1_app.web.0123456789abcdef_${time}Z_10.0.0.1_m${minutesAgo}.log.gz`,
    lines,
  };
}
/** Within the last hour that ended 10 minutes ago; and before it, and after it. */
const IN_WINDOW = [object(30, 21), object(55, 34)];
const EARLIER = object(180, 13);
const LATEST = object(2, 8);

let s3: TestS3;
let receiver: OtlpReceiver;
let sfn: TestStepFunctions;
const savedEnv = { ...process.env };

type Handler = (event: unknown, context: never) => Promise<unknown>;
const context = (functionName: string, invokedFunctionArn?: string) =>
  ({
    functionName,
    awsRequestId: `request-${functionName}`,
    ...(invokedFunctionArn && { invokedFunctionArn }),
    getRemainingTimeInMillis: () => 900_000,
  }) as never;
const invoke =
  (handler: Handler, name: string): LocalTask =>
  (event) =>
    handler(event, context(name));

/** The ingest function, loaded afresh; each call sees `env` over the stack's environment. */
async function ingestWith(env: Record<string, string | undefined>) {
  vi.resetModules();
  const { handler } = await import('../../functions/ingest.ts');
  return async (event: unknown) => {
    const before = { ...process.env };
    for (const [name, value] of Object.entries(env)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    try {
      return (await (handler as Handler)(event, context('ingest', INGEST_ARN))) as WindowRunStarted;
    } finally {
      process.env = before;
    }
  };
}

beforeAll(async () => {
  [s3, receiver] = await Promise.all([startS3(), startOtlpReceiver()]);
  for (const { key, lines } of [...IN_WINDOW, EARLIER, LATEST]) {
    await s3.put(key, gzipSync(`${[...generateAlbLines(lines, { seed: lines })].join('\n')}\n`));
  }
  // The stack's environment, as serverless.yml sets it; the logs by the guide's names.
  Object.assign(process.env, S3RVER_ENV, {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    WORK_BUCKET: TEST_BUCKET,
    WORK_PREFIX: 'elb-otlp/runs/',
    LOG_BUCKET: TEST_BUCKET,
    LOG_PREFIX: 'logs/',
    ELB_OTLP_ALLOW_DELETE: 'true',
    REPROCESS_STATE_MACHINE_NAME: MACHINE,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  const [plan, processChunk, report] = await Promise.all([
    import('../../functions/plan.ts'),
    import('../../functions/process-chunk.ts'),
    import('../../functions/report.ts'),
  ]);
  sfn = await startStepFunctions({
    region: 'us-east-1',
    account: TEST_CALLER.account,
    stateMachineName: MACHINE,
    tags: {},
    s3: s3.client,
    concurrency: 2,
    tasks: {
      plan: invoke(plan.handler as Handler, 'plan'),
      processChunk: invoke(processChunk.handler as Handler, 'processChunk'),
      nextPass: invoke(report.handler as Handler, 'report'),
      report: invoke(report.handler as Handler, 'report'),
    },
  });
  process.env.AWS_ENDPOINT_URL_SFN = sfn.url;
});
afterAll(async () => {
  process.env = savedEnv;
  await sfn.close();
  await Promise.all([s3.close(), receiver.close()]);
});

/** The execution the function started, once it has ended. */
async function ended(executionArn: string) {
  const execution = [...sfn.executions.values()].find((e) => e.arn === executionArn);
  expect(execution, executionArn).toBeDefined();
  await execution?.ended;
  return execution as NonNullable<typeof execution>;
}

describe('ingest invoked without S3 records', () => {
  it('starts a run over S3_BUCKET_NAME/S3_PREFIX for the last hour and answers its execution ARN', async () => {
    const ingest = await ingestWith({
      LOG_BUCKET: undefined,
      LOG_PREFIX: undefined,
      S3_BUCKET_NAME: TEST_BUCKET,
      S3_PREFIX: 'logs/',
    });
    const before = Date.now();
    const { run } = await ingest({});
    expect(run.started).toBe(true);
    expect(run.executionArn).toBe(
      `arn:aws:states:us-east-1:${TEST_CALLER.account}:execution:${MACHINE}:${run.name}`,
    );
    expect(run.input).toMatchObject({
      bucket: TEST_BUCKET,
      prefix: 'logs/',
      deleteProcessed: false,
    });
    // The hour ending 10 minutes ago, on ELB's 5-minute boundaries.
    const to = Date.parse(run.input.to as string);
    expect(to % (5 * MINUTE)).toBe(0);
    expect(before - DELIVERY_MARGIN_MS - to).toBeGreaterThanOrEqual(0);
    expect(before - DELIVERY_MARGIN_MS - to).toBeLessThan(5 * MINUTE);
    expect(to - Date.parse(run.input.from as string)).toBe(60 * MINUTE);

    const execution = await ended(run.executionArn);
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    const lines = IN_WINDOW.reduce((sum, o) => sum + o.lines, 0);
    expect(JSON.parse(execution.output as string)).toMatchObject({
      objects: IN_WINDOW.length,
      lines,
      accepted: lines,
      deleted: 0,
    });
    expect(receiver.deliveredRecords()).toHaveLength(lines);
    for (const { key } of [...IN_WINDOW, EARLIER, LATEST]) expect(await s3.exists(key)).toBe(true);
  });

  it('takes the window of the event, and of a scheduled event its time; deletes only when asked and allowed; the same event finds the same run', async () => {
    const ingest = await ingestWith({});
    const scheduled = await ingest({
      version: '0',
      id: 'c7d6f4a2-0000-4000-8000-000000000000',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: TEST_CALLER.account,
      time: '2026-11-30T13:03:41Z',
      region: 'us-east-1',
      resources: [],
      detail: {},
    });
    expect(scheduled.run.input).toMatchObject({
      from: '2026-11-30T11:50:00.000Z',
      to: '2026-11-30T12:50:00.000Z',
    });
    expect(scheduled.run.name).toMatch(/^window-20261130T115000Z-20261130T125000Z-[0-9a-f]{8}$/);
    expect((await ended(scheduled.run.executionArn)).status).toBe('SUCCEEDED');

    const from = new Date(Date.now() - 4 * 60 * MINUTE).toISOString();
    const to = new Date(Date.now() - 2 * 60 * MINUTE).toISOString();
    const { run } = await ingest({ from, to, deleteProcessed: true });
    expect(run.input).toMatchObject({ from, to, deleteProcessed: true });
    const execution = await ended(run.executionArn);
    expect(JSON.parse(execution.output as string)).toMatchObject({
      objects: 1,
      lines: EARLIER.lines,
      deleted: 1,
    });
    expect(await s3.exists(EARLIER.key)).toBe(false);
    for (const { key } of [...IN_WINDOW, LATEST]) expect(await s3.exists(key)).toBe(true);

    // Lambda's retry of the same event: the same run, not a second one.
    const executions = sfn.executions.size;
    const again = await ingest({ from, to, deleteProcessed: true });
    expect(again.run).toEqual({ ...run, started: false });
    expect(sfn.executions.size).toBe(executions);
  });

  it('refuses, before starting anything, deletion the deployment does not allow, an unknown field and a missing bucket', async () => {
    const calls = sfn.calls.length;
    const noDelete = await ingestWith({ ELB_OTLP_ALLOW_DELETE: 'false' });
    await expect(noDelete({ deleteProcessed: true })).rejects.toThrow(
      /deleteProcessed: this deployment does not allow deletion/,
    );
    await expect(noDelete({ form: '2026-11-30T00:00:00Z' })).rejects.toThrow(
      /neither an S3 notification nor a run request .*Unrecognized key: "form"/,
    );
    await expect(noDelete({ from: 'yesterday' })).rejects.toThrow(/from/);
    const noBucket = await ingestWith({ LOG_BUCKET: undefined, S3_BUCKET_NAME: undefined });
    await expect(noBucket({})).rejects.toThrow(
      /LOG_BUCKET \(or S3_BUCKET_NAME\), which is not set/,
    );
    expect(sfn.calls.length).toBe(calls);
  });
});
