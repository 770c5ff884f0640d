/**
 * `elb-otlp reprocess --remote` and `elb-otlp runs` in a child process,
 * against the deployed stack's stand-ins: Step Functions (test/helpers/
 * step-functions.ts: the real definition, run by the local runner with the
 * real plan, process-chunk and report Lambda handlers) and STS
 * (test/helpers/sts.ts), with s3rver and the test OTLP receiver. The AWS
 * SDK's own clients reach them through AWS_ENDPOINT_URL_SFN,
 * AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL_S3; the command reads the run's
 * files as an operator without s3:ListBucket does (test/helpers/strict-s3.ts:
 * 403 for a file not yet written, as S3 answers). The Lambda runtime is the
 * one thing stood in for by hand (there is no local one): each handler is
 * called with a Lambda context object.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import type { LocalTask } from '../../shared/local/run-reprocess.ts';
import { summaryFromReport } from '../../shared/reprocess/report.ts';
import { type CliRun, runCli, startCli } from '../helpers/cli.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { S3RVER_ENV, startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';
import { uids } from '../helpers/ship.ts';
import { startStepFunctions, type TestStepFunctions } from '../helpers/step-functions.ts';
import { type StrictS3, startStrictS3 } from '../helpers/strict-s3.ts';
import { startSts, TEST_CALLER, type TestSts } from '../helpers/sts.ts';

const DAY = 'logs/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/30/';
const key = (lb: string, n: number) =>
  `${DAY}123456789012_elasticloadbalancing_us-east-1_app.${lb}.0123456789abcdef_20261130T12${String(n).padStart(2, '0')}Z_10.0.0.${n}_r${n}.log.gz`;
/** Six objects of one load balancer, and one of another the receiver refuses in some runs. */
const OBJECTS = [1, 2, 3, 4, 5, 6].map((n) => ({ key: key('web', n), lines: 30 + n * 7 }));
const REFUSED = { key: key('api', 9), lines: 45 };
const LINES = OBJECTS.reduce((sum, o) => sum + o.lines, 0) + REFUSED.lines;
const WORK = 'elb-otlp/runs/';
const STAGE = 'test';
const MACHINE = 'elb-otlp-test-reprocess';

let s3: TestS3;
let receiver: OtlpReceiver;
let sts: TestSts;
let sfn: TestStepFunctions;
/** A stack whose plan function was deployed with a bad `prices` parameter. */
let broken: TestStepFunctions;
let env: Record<string, string>;
let strict: StrictS3;
/** What each run's report step answered, by run: the line a local run prints. */
const reportAnswers = new Map<string, unknown>();
const savedEnv = { ...process.env };

/** What Lambda hands every handler: a stand-in context, with a Lambda's 15 minutes. */
const lambdaContext = (functionName: string) =>
  ({
    functionName,
    awsRequestId: `request-${functionName}`,
    getRemainingTimeInMillis: () => 900_000,
  }) as never;

type Handler = (event: unknown, context: never) => Promise<unknown>;
const invoke =
  (handler: Handler, functionName: string): LocalTask =>
  (event) =>
    handler(event, lambdaContext(functionName));

beforeAll(async () => {
  [s3, receiver, sts] = await Promise.all([startS3(), startOtlpReceiver(), startSts()]);
  for (const { key: k, lines } of [...OBJECTS, REFUSED]) {
    await s3.put(k, gzipSync(`${[...generateAlbLines(lines, { seed: lines })].join('\n')}\n`));
  }
  // The functions' environment, as serverless.yml sets it (logs under logs/).
  Object.assign(process.env, S3RVER_ENV, {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    WORK_BUCKET: TEST_BUCKET,
    WORK_PREFIX: WORK,
    LOG_BUCKET: TEST_BUCKET,
    LOG_PREFIX: 'logs/',
    ELB_OTLP_ALLOW_DELETE: 'false',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  const [plan, processChunk, report] = await Promise.all([
    import('../../functions/plan.ts'),
    import('../../functions/process-chunk.ts'),
    import('../../functions/report.ts'),
  ]);
  const tasks = {
    plan: invoke(plan.handler as Handler, 'plan'),
    processChunk: invoke(processChunk.handler as Handler, 'processChunk'),
    nextPass: invoke(report.handler as Handler, 'report'),
    report: async (event: unknown) => {
      const answer = await report.handler(event, lambdaContext('report'));
      reportAnswers.set((answer as { runId: string }).runId, answer);
      return answer;
    },
  };
  const stack = {
    region: 'us-east-1',
    account: TEST_CALLER.account,
    s3: s3.client,
    concurrency: 2,
  };
  const tags = { 'elb-otlp:work-files': `s3://${TEST_BUCKET}/${WORK}` };
  sfn = await startStepFunctions({ ...stack, stateMachineName: MACHINE, tags, tasks });
  // Another instance of the plan function, started with a prices parameter that is not JSON.
  vi.resetModules();
  const badPlan = (await import('../../functions/plan.ts')).handler as Handler;
  broken = await startStepFunctions({
    ...stack,
    stateMachineName: 'elb-otlp-broken-reprocess',
    tags,
    tasks: {
      ...tasks,
      plan: async (event) => {
        process.env.ELB_OTLP_PRICES = '{"lambda":';
        try {
          return await badPlan(event, lambdaContext('plan'));
        } finally {
          delete process.env.ELB_OTLP_PRICES;
        }
      },
    },
  });
  strict = await startStrictS3(s3.endpoint, s3.client);
  strict.denyMissing = true;
  env = {
    ...S3RVER_ENV,
    AWS_ENDPOINT_URL_S3: strict.url,
    AWS_ENDPOINT_URL_SFN: sfn.url,
    AWS_ENDPOINT_URL_STS: sts.url,
  };
});
afterAll(async () => {
  process.env = savedEnv;
  await Promise.all([sfn.close(), broken.close()]);
  await Promise.all([strict.close(), s3.close(), receiver.close(), sts.close()]);
});

const cli = (args: string[], more: Record<string, string> = {}) =>
  runCli(args, { env: { ...env, ...more } });
/** `reprocess --remote` on the test stage, over the bucket's logs/. */
const REMOTE = ['reprocess', '--remote', '--stage', STAGE, '--bucket', TEST_BUCKET];
const remote = (...args: string[]) => cli([...REMOTE, ...args]);
const lastLine = (run: CliRun) => JSON.parse(run.stdout.trim().split('\n').at(-1) as string);
const nameOf = (run: { stderr: string }) => /started run (\S+)/.exec(run.stderr)?.[1] as string;
const refuse = () =>
  receiver.rule((body) =>
    JSON.stringify(body.resourceLogs[0].resource).includes('app/api/')
      ? { kind: 'status', status: 400, message: 'refused by the test' }
      : { kind: 'ok' },
  );

describe('elb-otlp reprocess --remote', () => {
  it('refuses a bad input before anything starts, naming the field', async () => {
    const calls = sfn.calls.length;
    const run = await remote('--from', '2026-12-01T00:00:00Z', '--to', '2026-11-01T00:00:00Z');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('from must be before to');
    const exporting = await remote('--endpoint', 'http://127.0.0.1:4318');
    expect(exporting.code).toBe(2);
    expect(exporting.stderr).toContain(
      '--endpoint: a deployed run exports as the stack was deployed',
    );
    expect(sfn.calls.length).toBe(calls);
  });

  it('starts the stage’s state machine, follows it and prints the report last, as a local run does', async () => {
    receiver.reset();
    const delivered = receiver.deliveredRecords().length;
    const run = await remote('--prefix', 'logs/');
    expect(run.code).toBe(0);
    const name = nameOf(run);
    expect(name).toMatch(/^run-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    const arn = `arn:aws:states:us-east-1:${TEST_CALLER.account}:execution:${MACHINE}:${name}`;
    expect(run.stderr).toContain(`execution: ${arn}`);
    expect(run.stderr).toContain(
      `console: https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${arn}`,
    );
    // The account came from STS; the input is the one the plan step validates.
    expect(sts.calls).toContain('GetCallerIdentity');
    expect(JSON.parse(sfn.executions.get(name)?.input as string)).toEqual({
      bucket: TEST_BUCKET,
      prefix: 'logs/',
      deleteProcessed: false,
      dryRun: false,
    });
    expect(run.stderr).toContain('planned 7 objects');
    expect(run.stderr).toMatch(
      /pass 0: 1\/1 units ended \(1 succeeded, 0 failed\), 0 running, 0 pending/,
    );

    // The report step's own answer, and the summary report.json gives back.
    const summary = lastLine(run);
    expect(summary).toEqual(reportAnswers.get(name));
    expect(summary).toMatchObject({ runId: name, objects: 7, lines: LINES, failedChunks: 0 });
    const report = JSON.parse(await s3.text(`${WORK}${name}/report.json`));
    expect(summaryFromReport(report)).toEqual(summary);
    const plan = JSON.parse(await s3.text(`${WORK}${name}/plan.json`));
    expect(plan).toMatchObject({ runId: name, objects: 7, units: 1 });
    const records = receiver.deliveredRecords().slice(delivered);
    expect(records.length).toBe(LINES);
    expect(new Set(uids(records)).size).toBe(LINES);
  });

  it('prints a dry run’s plan, shipping nothing', async () => {
    const delivered = receiver.deliveredRecords().length;
    const run = await remote('--prefix', 'logs/', '--dry-run');
    expect(run.code).toBe(0);
    expect(nameOf(run)).toMatch(/^dry-run-/);
    expect(lastLine(run)).toMatchObject({ dryRun: true, objects: 7, units: 1 });
    expect(run.stderr).not.toContain('pass 0');
    expect(receiver.deliveredRecords().length).toBe(delivered);
  });

  it('exits 4 with the report when chunks fail, and --retry-from that report re-ships only them', async () => {
    refuse();
    const first = await remote('--prefix', 'logs/', '--unit-bytes', '1');
    expect(first.code).toBe(4);
    expect(first.stderr).toContain('ChunksFailed');
    // Children catch what failed: the Map Run counts them succeeded, the report does not.
    expect(first.stderr).toMatch(/pass 0: 7\/7 units ended \(7 succeeded, 0 failed\)/);
    const summary = lastLine(first);
    // No execution output when it fails: the summary is read back from report.json.
    expect(summary).toEqual(reportAnswers.get(nameOf(first)));
    expect(summary).toMatchObject({ failedChunks: 1, failed: REFUSED.lines });
    expect(summary.failures.map((f: { key: string }) => f.key)).toEqual([REFUSED.key]);
    expect(summary.retry.retryFrom).toBe(`s3://${TEST_BUCKET}/${WORK}${nameOf(first)}/report.json`);

    // The Collector takes it now; the report printed is the retry's input.
    receiver.reset();
    const delivered = receiver.deliveredRecords().length;
    const file = join(mkdtempSync(join(tmpdir(), 'elb-otlp-remote-')), 'first.jsonl');
    writeFileSync(file, first.stdout);
    const retry = await cli(['reprocess', '--remote', '--stage', STAGE, '--retry-from', file]);
    expect(retry.stderr).not.toContain('Error');
    expect(retry.code).toBe(0);
    expect(nameOf(retry)).toMatch(/^retry-/);
    expect(JSON.parse(sfn.executions.get(nameOf(retry))?.input as string)).toEqual({
      retryFrom: summary.retry.retryFrom,
      dryRun: false,
    });
    expect(lastLine(retry)).toMatchObject({ objects: 1, lines: REFUSED.lines, failedChunks: 0 });
    expect(receiver.deliveredRecords().length - delivered).toBe(REFUSED.lines);
  });

  it('exits 1 with the error when the run fails before its report', async () => {
    const run = await cli(
      ['reprocess', '--remote', '--stage', 'broken', '--bucket', TEST_BUCKET, '--prefix', 'logs/'],
      { AWS_ENDPOINT_URL_SFN: broken.url },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /run run-\S+ ended FAILED before its report: ConfigError: ELB_OTLP_PRICES/,
    );
    expect(run.stdout).toBe('');
  });

  it('exits 2 when the deployment refuses the input (logs outside its bucket), or is not there', async () => {
    const run = await cli(['reprocess', '--remote', '--stage', STAGE, '--bucket', 'other-logs']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /refused its input: bad reprocessing input: bucket: this deployment reads only s3:\/\/elb-logs\/logs\//,
    );
    const calls = sfn.calls.length;
    const wrong = await cli(['reprocess', '--remote', '--stage', 'nope', '--bucket', TEST_BUCKET]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(
      `no state machine arn:aws:states:us-east-1:${TEST_CALLER.account}:stateMachine:elb-otlp-nope-reprocess (ResourceNotFound): is the stack deployed`,
    );
    expect(wrong.stderr).not.toContain('Usage:');
    expect(sfn.calls.slice(calls)).toEqual(['ListTagsForResource']);
  });

  it('explains a run name already taken, and starts nothing', async () => {
    const name = [...sfn.executions.keys()][0] as string;
    const before = sfn.executions.size;
    const run = await remote('--prefix', 'logs/', '--name', name);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`a run named ${name} already exists in ${MACHINE}`);
    expect(run.stderr).toContain(`elb-otlp runs --follow ${name} --stage ${STAGE}`);
    expect(sfn.executions.size).toBe(before);
  });

  it('detaches on Ctrl-C, the run going on, and runs --follow re-attaches to it', async () => {
    receiver.reset();
    const release = sfn.hold();
    const started = startCli([...REMOTE, '--prefix', 'logs/', '--name', 'held-run'], { env });
    await vi.waitFor(() => expect(started.stderr()).toContain('console:'), { timeout: 20_000 });
    started.child.kill('SIGINT');
    const detached = await started.done;
    expect(detached.code).toBe(130);
    expect(detached.stderr).toContain(
      'detached; run held-run goes on. Follow it again with: elb-otlp runs --follow held-run --stage test',
    );
    expect(sfn.executions.get('held-run')?.status).toBe('RUNNING');
    expect(sfn.calls).not.toContain('StopExecution');
    release();
    const followed = await cli(['runs', '--follow', 'held-run', '--stage', STAGE]);
    expect(followed.code).toBe(0);
    expect(lastLine(followed)).toMatchObject({ runId: 'held-run', lines: LINES, failedChunks: 0 });
  });

  it('stops the run on Ctrl-C with --stop-on-interrupt', async () => {
    const release = sfn.hold();
    try {
      const started = startCli([...REMOTE, '--name', 'stopped-run', '--stop-on-interrupt'], {
        env,
      });
      await vi.waitFor(() => expect(started.stderr()).toContain('console:'), { timeout: 20_000 });
      started.child.kill('SIGINT');
      const run = await started.done;
      expect(run.code).toBe(1);
      expect(sfn.calls).toContain('StopExecution');
      expect(run.stderr).toContain(
        'run stopped-run ended ABORTED before its report: Interrupted: stopped from elb-otlp with Ctrl-C',
      );
      expect(sfn.executions.get('stopped-run')?.status).toBe('ABORTED');
    } finally {
      release();
    }
  });
});

describe('elb-otlp runs', () => {
  it('lists the recent runs with their figures, newest first', async () => {
    const run = await cli(['runs', '--stage', STAGE, '--json', '--limit', '50']);
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.name)).toEqual([...sfn.executions.keys()].reverse());
    expect(lines.find((line) => line.name === 'held-run')).toMatchObject({
      status: 'SUCCEEDED',
      objects: 7,
      lines: LINES,
      failedChunks: 0,
    });
    expect(lines.find((line) => line.name === 'stopped-run')).toEqual({
      name: 'stopped-run',
      status: 'ABORTED',
      startDate: expect.any(String),
      stopDate: expect.any(String),
      error: 'Interrupted',
    });
    expect(lines.find((line) => line.error === 'ChunksFailed')).toMatchObject({
      status: 'FAILED',
      objects: 7,
      failedChunks: 1,
    });
    expect(lines.find((line) => line.dryRun === true)).toMatchObject({ objects: 7 });
    const table = await cli(['runs', '--stage', STAGE, '--limit', '2']);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^NAME\s+STATUS\s+STARTED\s+STOPPED\s+OBJECTS\s+LINES\s+FAILED CHUNKS$/,
    );
    expect(table.stdout.trim().split('\n')).toHaveLength(3);
    const wrong = await cli(['runs', '--stage', 'nope']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('elb-otlp-nope-reprocess (ResourceNotFound)');
  });

  it('prints a finished run’s report.json, with the run’s exit code', async () => {
    const failed = [...sfn.executions.values()].find((e) => e.error === 'ChunksFailed');
    const run = await cli(['runs', '--report', failed?.arn as string]);
    expect(run.code).toBe(4);
    expect(JSON.parse(run.stdout)).toEqual(
      JSON.parse(await s3.text(`${WORK}${failed?.name}/report.json`)),
    );
    const aborted = await cli(['runs', '--report', 'stopped-run', '--stage', STAGE]);
    expect(aborted.code).toBe(1);
    expect(aborted.stderr).toContain('run stopped-run ended ABORTED without a report: Interrupted');
    // A work bucket that is not there is said, not taken for a run without a report.
    const elsewhere = await cli([
      'runs',
      '--report',
      failed?.arn as string,
      '--work-bucket',
      'no-such-bucket',
    ]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain('s3://no-such-bucket/elb-otlp/runs/');
    expect(elsewhere.stderr).toContain('no such bucket');
    const unknown = await cli(['runs', '--report', 'no-such-run', '--stage', STAGE]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('ExecutionDoesNotExist');
  });
});
