/**
 * Follows one execution of the deployed reprocessing state machine until it
 * ends: its status (DescribeExecution), its plan once written (`plan.json`
 * beside the run's files), each pass's Map Run and its item counts
 * (ListMapRuns, DescribeMapRun), and at the end its `report.json`
 * (docs/design.md#remote-runs). Polls often at first, then every
 * {@link POLL_MS}, well within DescribeMapRun's 1 call a second refill.
 */

import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeMapRunCommand,
  ListMapRunsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { PlanSummary } from '../contract/state-machine.ts';
import { runFiles, runWork, type WorkLocation } from '../reprocess/run-files.ts';
import { keyIsListed } from '../s3/key-presence.ts';
import { httpStatus } from '../s3/s3-errors.ts';
import { executionName, WORK_FILES_TAG } from './deployed-stack.ts';

/** The longest wait between two polls. */
export const POLL_MS = 2_000;
/** The first wait: a small run ends within seconds. */
const FIRST_POLL_MS = 250;
/**
 * S3 stamps LastModified to the second and its clock is not Step
 * Functions': a file this much older than the execution is still its own.
 */
const CLOCK_SKEW_MS = 5_000;

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
  /**
   * Told at each poll once a Map Run began, with the newest pass's counts
   * (a pass that ended between two polls is told once more first, ended).
   */
  onProgress?: (progress: PassProgress) => void;
  /** Stops following (the execution goes on): the answer is then undefined. */
  signal?: AbortSignal;
}

/** Statuses of an execution still going: a redrive's pending state goes on as RUNNING. */
const GOING = new Set<string>(['RUNNING', 'PENDING_REDRIVE']);

/** Follows the execution until it ends; undefined when `signal` stopped following first. */
export async function followRun(options: FollowOptions): Promise<RunEnd | undefined> {
  const { sfn, s3, executionArn, signal } = options;
  const files = runFiles(runWork(options.work, executionName(executionArn)));
  let plan: PlanSummary | undefined;
  let wait = FIRST_POLL_MS;
  /** The Map Run last told of, and whether its end was told. */
  let told: { mapRunArn: string; ended: boolean } | undefined;
  const detached = () => signal?.aborted === true;
  for (;;) {
    if (detached()) return undefined;
    try {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }), {
        abortSignal: signal,
      });
      const status = execution.status ?? 'RUNNING';
      // Files older than the execution are an earlier run's of the same name.
      const notBefore = execution.startDate;
      if (plan === undefined) {
        plan = await readRunFile<PlanSummary>(s3, options.work.bucket, files.plan, {
          signal,
          notBefore,
        });
        if (plan !== undefined) options.onPlan?.(plan);
      }
      if (plan?.dryRun !== true) {
        const passes = await latestPasses(sfn, executionArn, told?.mapRunArn, signal);
        for (const pass of passes) {
          // A pass that ended between two polls is told once more, with its last counts.
          if (pass.mapRunArn === told?.mapRunArn && told.ended) continue;
          options.onProgress?.(pass);
          told = { mapRunArn: pass.mapRunArn, ended: !GOING.has(pass.status) };
        }
      }
      if (!GOING.has(status)) {
        const output = execution.output === undefined ? undefined : JSON.parse(execution.output);
        // A run that succeeded answered its report's summary (or a dry run's plan).
        const report =
          status === 'SUCCEEDED' && output !== undefined
            ? undefined
            : await readRunFile<Record<string, unknown>>(s3, options.work.bucket, files.report, {
                signal,
                notBefore,
              });
        return {
          executionArn,
          status,
          ...(execution.error !== undefined && { error: execution.error }),
          ...(execution.cause !== undefined && { cause: execution.cause }),
          ...(output !== undefined && { output }),
          ...(plan !== undefined && { plan }),
          ...(report !== undefined && { report }),
        };
      }
    } catch (error) {
      if (detached()) return undefined;
      throw error;
    }
    await sleep(wait, signal);
    wait = Math.min(POLL_MS, wait * 2);
  }
}

/**
 * A JSON file of a run, or undefined while it is not written. S3 answers a
 * missing key with 403 to a caller without s3:ListBucket: a one-key listing
 * then tells "not yet written" from a real denial ({@link notYetWritten}).
 */
export async function readRunFile<T>(
  s3: S3Client,
  bucket: string,
  key: string,
  options: {
    signal?: AbortSignal | undefined;
    /** Older files are an earlier run's of the same name. */
    notBefore?: Date | undefined;
    /** Newer files are a later run's of the same name. */
    notAfter?: Date | undefined;
  } = {},
): Promise<T | undefined> {
  const { signal, notBefore, notAfter } = options;
  let text: string | undefined;
  // A file written between a 403 and the listing that tells why is read again, once.
  for (let attempt = 1; text === undefined; attempt++) {
    try {
      const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), {
        abortSignal: signal,
      });
      const modified = answer.LastModified?.getTime();
      if (
        modified !== undefined &&
        ((notBefore !== undefined && modified < notBefore.getTime() - CLOCK_SKEW_MS) ||
          (notAfter !== undefined && modified > notAfter.getTime() + CLOCK_SKEW_MS))
      ) {
        await answer.Body?.transformToWebStream()
          .cancel()
          .catch(() => {});
        return undefined;
      }
      text = (await answer.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (signal?.aborted === true) throw error;
      const missing = await notYetWritten(s3, bucket, key, error);
      if (missing === true) return undefined;
      if (missing === 'listed' && attempt === 1) continue;
      throw new Error(
        `s3://${bucket}/${key}: ${(error as Error).name}: ${(error as Error).message} (reading a run's files needs s3:GetObject on the work prefix)`,
        { cause: error },
      );
    }
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`s3://${bucket}/${key} is not JSON`);
  }
}

/**
 * Whether a read of a run's file failed because the file is not there: a
 * 404, or a 403 for a key a one-key listing does not show (S3's answer to a
 * caller without s3:ListBucket); `'listed'` for a 403 of a key that is
 * listed. A bucket that is not there is said as such.
 */
async function notYetWritten(
  s3: S3Client,
  bucket: string,
  key: string,
  error: unknown,
): Promise<boolean | 'listed'> {
  const name = (error as { name?: string }).name;
  const noBucket = () =>
    new Error(
      `s3://${bucket}/${key}: no such bucket (the work bucket comes from the state machine's ${WORK_FILES_TAG} tag, or --work-bucket)`,
      { cause: error },
    );
  if (name === 'NoSuchBucket') throw noBucket();
  if (name === 'NoSuchKey' || httpStatus(error) === 404) return true;
  if (name !== 'AccessDenied' && httpStatus(error) !== 403) return false;
  try {
    // Listed: denied, or written since the read (the caller reads it again).
    return (await keyIsListed(s3, bucket, key)) ? 'listed' : true;
  } catch (listing) {
    if ((listing as Error).name === 'NoSuchBucket') throw noBucket();
    throw new Error(
      `s3://${bucket}/${key}: access denied, and the listing that would tell a file not yet written from a denied one failed too (${(listing as Error).name}: ${(listing as Error).message}): reading a run's files needs s3:GetObject on the work prefix and s3:ListBucket under it`,
      { cause: listing },
    );
  }
}

/**
 * The execution's Map Runs to tell of: the newest (the pass under way, or
 * the last one), after the one told of before when that is another (it
 * ended between two polls, and its last counts are still to be told).
 */
async function latestPasses(
  sfn: SFNClient,
  executionArn: string,
  toldBefore: string | undefined,
  signal: AbortSignal | undefined,
): Promise<PassProgress[]> {
  const runs: { mapRunArn: string; startDate: Date }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListMapRunsCommand({ executionArn, nextToken }), {
      abortSignal: signal,
    });
    for (const run of page.mapRuns ?? []) {
      if (run.mapRunArn !== undefined && run.startDate !== undefined) {
        runs.push({ mapRunArn: run.mapRunArn, startDate: run.startDate });
      }
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  runs.sort((a, b) => a.startDate.getTime() - b.startDate.getTime());
  const newest = runs.length - 1;
  if (newest < 0) return [];
  const before = runs.findIndex((run) => run.mapRunArn === toldBefore);
  const told = before >= 0 && before < newest ? [before, newest] : [newest];
  const passes: PassProgress[] = [];
  for (const pass of told) {
    const { mapRunArn, startDate } = runs[pass] as { mapRunArn: string; startDate: Date };
    const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn }), { abortSignal: signal });
    const items = run.itemCounts;
    passes.push({
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
    });
  }
  return passes;
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
