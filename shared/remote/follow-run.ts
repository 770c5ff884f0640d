/**
 * Follows one execution of the deployed reprocessing state machine until it
 * ends: its status (DescribeExecution), its plan once written (`plan.json`
 * beside the run's files), each pass's Map Run and its item counts
 * (ListMapRuns, DescribeMapRun), and at the end its `report.json`
 * (docs/design.md#remote-runs). Polls often at first, then every
 * {@link POLL_MS}, well within DescribeMapRun's 1 call a second refill.
 */

import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeMapRunCommand,
  ListMapRunsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { PlanSummary } from '../contract/state-machine.ts';
import { runFiles, type WorkLocation } from '../reprocess/run-files.ts';
import { executionName } from './deployed-stack.ts';

/** The longest wait between two polls. */
export const POLL_MS = 2_000;
/** The first wait: a small run ends within seconds. */
const FIRST_POLL_MS = 250;

/** An execution's status as Step Functions names it. */
export type ExecutionStatus = NonNullable<DescribeExecutionCommandOutput['status']>;

/** One pass's Map Run, as DescribeMapRun counts its items (work units). */
export interface PassProgress {
  /** The pass: 0 for the first Map Run of the execution. */
  pass: number;
  mapRunArn: string;
  status: string;
  startedAt: Date;
  total: number;
  succeeded: number;
  failed: number;
  running: number;
  pending: number;
  /** Timed out or aborted. */
  stopped: number;
}

/** How an execution ended, and what it left. */
export interface RunEnd {
  executionArn: string;
  status: ExecutionStatus;
  error?: string;
  cause?: string;
  /** The execution's output (a report summary, or a dry run's plan), when it succeeded. */
  output?: unknown;
  /** The run's plan.json, when the plan was made. */
  plan?: PlanSummary;
  /** The run's report.json, when the report step wrote one. */
  report?: Record<string, unknown>;
}

export interface FollowOptions {
  sfn: SFNClient;
  s3: S3Client;
  executionArn: string;
  /** Where the deployment's runs keep their files (the run's own under `<prefix><name>/`). */
  work: WorkLocation;
  /** Told once the plan is made. */
  onPlan?: (plan: PlanSummary) => void;
  /** Told at each poll once a Map Run began (the last one's counts at the end). */
  onProgress?: (progress: PassProgress) => void;
  /** Stops following (the execution goes on): the answer is then undefined. */
  signal?: AbortSignal;
}

/** Follows the execution until it ends; undefined when `signal` stopped following first. */
export async function followRun(options: FollowOptions): Promise<RunEnd | undefined> {
  const { sfn, executionArn, signal } = options;
  const files = runFiles(runWork(options.work, executionName(executionArn)));
  let plan: PlanSummary | undefined;
  let wait = FIRST_POLL_MS;
  const detached = () => signal?.aborted === true;
  for (;;) {
    if (detached()) return undefined;
    let execution: DescribeExecutionCommandOutput;
    try {
      execution = await sfn.send(new DescribeExecutionCommand({ executionArn }), {
        abortSignal: signal,
      });
    } catch (error) {
      if (detached()) return undefined;
      throw error;
    }
    const status = execution.status ?? 'RUNNING';
    if (plan === undefined) {
      plan = await readRunFile<PlanSummary>(options.s3, options.work.bucket, files.plan);
      if (plan !== undefined) options.onPlan?.(plan);
    }
    if (plan !== undefined && plan.dryRun === false) {
      const pass = await latestPass(sfn, executionArn);
      if (pass !== undefined) options.onProgress?.(pass);
    }
    if (status !== 'RUNNING') {
      const report = await readRunFile<Record<string, unknown>>(
        options.s3,
        options.work.bucket,
        files.report,
      );
      return {
        executionArn,
        status,
        ...(execution.error !== undefined && { error: execution.error }),
        ...(execution.cause !== undefined && { cause: execution.cause }),
        ...(execution.output !== undefined && { output: JSON.parse(execution.output) }),
        ...(plan !== undefined && { plan }),
        ...(report !== undefined && { report }),
      };
    }
    await sleep(wait, signal);
    wait = Math.min(POLL_MS, wait * 2);
  }
}

/** The run's own folder of the deployment's work location. */
export function runWork(work: WorkLocation, name: string): WorkLocation {
  return { bucket: work.bucket, prefix: `${work.prefix}${name}/` };
}

/** A JSON file of a run, or undefined while it is not written. */
export async function readRunFile<T>(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<T | undefined> {
  let text: string;
  try {
    const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = (await answer.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') {
      return undefined;
    }
    throw Object.assign(
      new Error(
        `s3://${bucket}/${key}: ${(error as Error).name}: ${(error as Error).message} (reading a run's files needs s3:GetObject on the work prefix)`,
      ),
      { cause: error },
    );
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`s3://${bucket}/${key} is not JSON`);
  }
}

/** The execution's newest Map Run and its counts: the pass under way, or the last one. */
async function latestPass(sfn: SFNClient, executionArn: string): Promise<PassProgress | undefined> {
  const runs: { mapRunArn: string; startDate: Date }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListMapRunsCommand({ executionArn, nextToken }));
    for (const run of page.mapRuns ?? []) {
      if (run.mapRunArn !== undefined && run.startDate !== undefined) {
        runs.push({ mapRunArn: run.mapRunArn, startDate: run.startDate });
      }
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  if (runs.length === 0) return undefined;
  runs.sort((a, b) => a.startDate.getTime() - b.startDate.getTime());
  const pass = runs.length - 1;
  const { mapRunArn, startDate } = runs[pass] as { mapRunArn: string; startDate: Date };
  const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn }));
  const items = run.itemCounts;
  return {
    pass,
    mapRunArn,
    status: run.status ?? 'RUNNING',
    startedAt: startDate,
    total: items?.total ?? 0,
    succeeded: items?.succeeded ?? 0,
    failed: items?.failed ?? 0,
    running: items?.running ?? 0,
    pending: items?.pending ?? 0,
    stopped: (items?.timedOut ?? 0) + (items?.aborted ?? 0),
  };
}

/** Waits `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
