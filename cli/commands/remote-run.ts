/**
 * The deployed stack from the command line: finding its state machine and
 * where its runs keep their files, then following one run to its end and
 * printing what a local run prints (`elb-otlp reprocess --remote`,
 * `elb-otlp runs`; docs/design.md#remote-runs).
 */

import type { S3Client } from '@aws-sdk/client-s3';
import { ResourceNotFound, type SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { ConfigError } from '../../shared/config/config-error.ts';
import { DEFAULT_WORK_PREFIX } from '../../shared/config/environment.ts';
import { CHUNKS_FAILED, DELETIONS_FAILED } from '../../shared/contract/errors.ts';
import type { PlanSummary } from '../../shared/contract/state-machine.ts';
import {
  consoleUrl,
  DEFAULT_STAGE,
  executionName,
  findStateMachine,
  RemoteAddressError,
  type StateMachineAddress,
  stateMachineAddress,
  workLocationOf,
} from '../../shared/remote/deployed-stack.ts';
import { followRun, type PassProgress, type RunEnd } from '../../shared/remote/follow-run.ts';
import type { WorkLocation } from '../../shared/reprocess/run-files.ts';
import type { CommandIo } from '../command-io.ts';
import { EXIT_DETACHED, EXIT_FAILED, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';
import { write } from '../output.ts';
import { UsageError } from '../usage-error.ts';
import type { DeploymentChoice } from './deployment-options.ts';
import { describePlan, retryDeletionLine } from './run-output.ts';

/** The deployed state machine, its clients and where its runs keep their files. */
export interface Deployment {
  machine: StateMachineAddress;
  sfn: SFNClient;
  s3: S3Client;
  work: WorkLocation;
  /** How the state machine was named (`--stage S` or `--state-machine ARN`). */
  named: string;
  /** How to name this deployment again on a command line: `named`, and the work location if given. */
  flags: string;
  close(): void;
}

/** How often a progress line is written when stderr is not a terminal. */
const PROGRESS_EVERY_MS = 10_000;

/**
 * Finds the deployment `choice` names: the ARN given (its Region used), or
 * the stage's state machine in the caller's account and configured Region.
 * `of`, an execution ARN, names it too.
 */
export async function connectToDeployment(
  io: CommandIo,
  choice: DeploymentChoice,
  of?: StateMachineAddress,
): Promise<Deployment> {
  if (choice.stage !== undefined && choice['state-machine'] !== undefined) {
    throw new UsageError('give --stage or --state-machine, not both');
  }
  if (choice['work-prefix'] !== undefined && choice['work-bucket'] === undefined) {
    throw new UsageError('--work-prefix goes with --work-bucket');
  }
  const [{ SFNClient }, { STSClient }, { createS3Client }] = await Promise.all([
    import('@aws-sdk/client-sfn'),
    import('@aws-sdk/client-sts'),
    import('../../shared/s3/client.ts'),
  ]);
  const stage = choice.stage ?? DEFAULT_STAGE;
  let machine: StateMachineAddress;
  try {
    if (choice['state-machine'] !== undefined) {
      machine = stateMachineAddress(choice['state-machine']);
    } else if (of !== undefined) {
      machine = of;
    } else {
      const region = await configuredRegion(new SFNClient({}));
      const sts = new STSClient({ region });
      try {
        machine = await findStateMachine(sts, region, stage);
      } finally {
        sts.destroy();
      }
    }
  } catch (error) {
    if (error instanceof RemoteAddressError) throw new UsageError(error.message);
    throw error;
  }
  const named =
    choice['state-machine'] !== undefined || of !== undefined
      ? `--state-machine ${machine.arn}`
      : `--stage ${stage}`;
  const sfn = new SFNClient({ region: machine.region });
  const s3 = createS3Client(io.env, machine.region);
  try {
    const work =
      choice['work-bucket'] !== undefined
        ? { bucket: choice['work-bucket'], prefix: choice['work-prefix'] ?? DEFAULT_WORK_PREFIX }
        : await workLocationOf(sfn, machine.arn).catch((error: Error) => {
            // The state machine is not there: a wrong stage, account or Region.
            if (error instanceof ResourceNotFound) throw notDeployed(machine, named, error);
            throw error;
          });
    const flags = [
      named,
      ...(choice['work-bucket'] !== undefined
        ? [`--work-bucket ${work.bucket} --work-prefix ${work.prefix}`]
        : []),
    ].join(' ');
    return {
      machine,
      sfn,
      s3,
      work,
      named,
      flags,
      close: () => {
        sfn.destroy();
        s3.destroy();
      },
    };
  } catch (error) {
    sfn.destroy();
    s3.destroy();
    if (error instanceof RemoteAddressError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * A state machine Step Functions does not have: a setting that is wrong
 * (exit 2), said in one line naming how it was named.
 */
export function notDeployed(
  machine: StateMachineAddress,
  named: string,
  error: Error,
): ConfigError {
  const check = named.startsWith('--stage')
    ? 'is the stack deployed with this stage, in this account and Region?'
    : 'is the ARN right, and the stack deployed?';
  return new ConfigError(named, `no state machine ${machine.arn} (${error.name}): ${check}`);
}

/** The Region the SDK is configured with, or a usage error saying how to give one. */
async function configuredRegion(client: { config: { region: () => Promise<string> } }) {
  try {
    return await client.config.region();
  } catch {
    throw new UsageError(
      'no AWS Region configured: set AWS_REGION (or a profile with a region), or give --state-machine ARN',
    );
  } finally {
    (client as unknown as { destroy(): void }).destroy();
  }
}

export interface FollowChoice {
  /** The command's name in messages (`reprocess`, `runs`). */
  command: string;
  /** Ctrl-C stops the execution (StopExecution) instead of detaching. */
  stopOnInterrupt: boolean;
  /** `--delete` / `--no-delete` as given, for a re-run's word on deletion. */
  deleteAsked?: boolean | undefined;
}

/**
 * Follows the execution to its end, printing the plan and each pass's
 * progress on stderr, then the report (or the dry run's plan) last on
 * stdout; answers the exit code a local run would give. Ctrl-C detaches
 * (the run goes on) or, with `stopOnInterrupt`, stops the execution.
 */
export async function followToTheEnd(
  io: CommandIo,
  deployment: Deployment,
  executionArn: string,
  choice: FollowChoice,
  interrupts: Interrupts = catchInterrupts(),
): Promise<number> {
  const progress = progressLines(io);
  const say = (line: string) => {
    // Below a progress line drawn on a terminal, not on it.
    progress.end();
    return write(io.stderr, `elb-otlp ${choice.command}: ${line}\n`);
  };
  const name = executionName(executionArn);
  const detach = new AbortController();
  /** The StopExecution sent, once Ctrl-C asked for it: settles true when Step Functions took it. */
  let stop: Promise<boolean> | undefined;
  const onInterrupt = () => {
    if (choice.stopOnInterrupt && stop === undefined) {
      void say(`stopping run ${name} (Ctrl-C again to stop waiting for it)`);
      stop = deployment.sfn
        .send(
          new StopExecutionCommand({
            executionArn,
            error: 'Interrupted',
            cause: 'stopped from elb-otlp with Ctrl-C',
          }),
        )
        .then(
          () => true,
          async (error: Error) => {
            await say(`could not stop run ${name}: ${error.name}: ${error.message}`);
            detach.abort();
            return false;
          },
        );
      return;
    }
    detach.abort();
  };
  // A Ctrl-C that came while the run was being started counts as one now.
  interrupts.listener = onInterrupt;
  if (interrupts.count > 0) onInterrupt();
  let end: RunEnd | undefined;
  try {
    end = await followRun({
      sfn: deployment.sfn,
      s3: deployment.s3,
      executionArn,
      work: deployment.work,
      signal: detach.signal,
      onPlan: (plan) => {
        progress.plan = plan;
        void say(describePlan(plan));
        const deleting = retryDeletionLine(plan, choice.deleteAsked);
        if (deleting !== undefined) void say(deleting);
      },
      onProgress: (pass) => progress.pass(pass),
    });
  } finally {
    interrupts.release();
    progress.end();
  }
  const again = `elb-otlp runs --follow ${name} ${deployment.flags}`;
  if (end === undefined) {
    // A stop asked for is sent before the clients close, or said to have failed.
    const stopped = stop === undefined ? false : await withinSeconds(stop, 5);
    await say(
      stopped
        ? `run ${name} is asked to stop; not waiting for it. Follow it with: ${again}`
        : `detached; run ${name} goes on. Follow it again with: ${again}`,
    );
    return EXIT_DETACHED;
  }
  return reportTheEnd(io, end, say);
}

/** `promise`'s answer, or false when it takes longer than `seconds`. */
function withinSeconds(promise: Promise<boolean>, seconds: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), seconds * 1000);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Ctrl-C while a command works on the stack: counted, and told to a listener, never fatal. */
export interface Interrupts {
  count: number;
  listener: (() => void) | undefined;
  /** Ctrl-C ends the process again. */
  release(): void;
}

/** Catches Ctrl-C from now on (before a run is started, so its name is never lost). */
export function catchInterrupts(): Interrupts {
  const interrupts: Interrupts = {
    count: 0,
    listener: undefined,
    release: () => process.off('SIGINT', onSigint),
  };
  const onSigint = () => {
    interrupts.count++;
    interrupts.listener?.();
  };
  process.on('SIGINT', onSigint);
  return interrupts;
}

/** The errors the definition's own Fail states end a run with, after its report.json. */
const AFTER_THE_REPORT = new Set([CHUNKS_FAILED, DELETIONS_FAILED]);

/**
 * The exit code of a run that ended, as a local run's: 0 it succeeded; 2 the
 * plan refused its input; 4 it failed after its report (chunks or deletions
 * failed); 1 anything else (the run failed, was stopped or timed out before
 * its report, or while writing it).
 */
export function exitCodeOf(
  end: Pick<RunEnd, 'status' | 'error' | 'report'>,
): typeof EXIT_OK | typeof EXIT_USAGE | typeof EXIT_FAILED | typeof EXIT_FAILURE {
  if (end.status === 'SUCCEEDED') return EXIT_OK;
  if (end.error === 'InputValidationError') return EXIT_USAGE;
  if (
    end.status === 'FAILED' &&
    AFTER_THE_REPORT.has(end.error ?? '') &&
    end.report !== undefined
  ) {
    return EXIT_FAILED;
  }
  return EXIT_FAILURE;
}

/** Prints how an execution ended, as a local run would, and answers the exit code. */
async function reportTheEnd(
  io: CommandIo,
  end: RunEnd,
  say: (line: string) => Promise<void>,
): Promise<number> {
  const { summaryFromReport } = await import('../../shared/reprocess/report.ts');
  const name = executionName(end.executionArn);
  const { error, cause } = lambdaError(end);
  const code = exitCodeOf(end);
  const reason = error === undefined ? '' : `: ${error}: ${cause}`;
  if (code === EXIT_OK) {
    // A run answers its report's summary; a dry run its plan.
    const output =
      end.output ?? (end.report !== undefined ? summaryFromReport(end.report) : end.plan);
    await write(io.stdout, `${JSON.stringify(output)}\n`);
  } else if (code === EXIT_USAGE) {
    await say(`run ${name} refused its input: ${cause}`);
  } else if (code === EXIT_FAILED) {
    await write(io.stdout, `${JSON.stringify(summaryFromReport(end.report ?? {}))}\n`);
    await say(`${error}: ${cause}`);
  } else if (end.report !== undefined) {
    // The report step itself failed (or the run was stopped) after writing a first report.json.
    await say(
      `run ${name} ended ${end.status} while writing its report (${String(end.report.report)} may be partial)${reason}`,
    );
  } else {
    await say(`run ${name} ended ${end.status} before its report${reason}`);
  }
  return code;
}

/**
 * An execution's error and cause as a reader wants them: a Lambda
 * function's error arrives with a JSON cause (`errorMessage`,
 * `errorType`, `trace`), of which the message is what matters.
 */
export function lambdaError(end: Pick<RunEnd, 'error' | 'cause'>): {
  error?: string;
  cause?: string;
} {
  let cause = end.cause;
  if (cause?.startsWith('{')) {
    try {
      const parsed = JSON.parse(cause) as { errorMessage?: unknown };
      if (typeof parsed.errorMessage === 'string') cause = parsed.errorMessage;
    } catch {
      // Not JSON after all: said as it is.
    }
  }
  return {
    ...(end.error !== undefined && { error: end.error }),
    ...(cause !== undefined && { cause }),
  };
}

/**
 * Each pass's progress on stderr: redrawn in place on a terminal, otherwise
 * a line every {@link PROGRESS_EVERY_MS} and one when the pass ends. Lines
 * are estimated from the plan (its lines, over the units that ended), so
 * they carry a "≈".
 */
function progressLines(io: CommandIo) {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  let nextLine = 0;
  let drawn = false;
  let lastEnded: string | undefined;
  const state = {
    plan: undefined as PlanSummary | undefined,
    pass(pass: PassProgress) {
      const line = describePass(pass, state.plan);
      const ended = pass.status !== 'RUNNING';
      if (tty) {
        io.stderr.write(`\r${line}\u001b[K`);
        drawn = true;
        if (ended) {
          io.stderr.write('\n');
          drawn = false;
        }
        return;
      }
      if (ended ? lastEnded !== pass.mapRunArn : performance.now() >= nextLine) {
        io.stderr.write(`${line}\n`);
        nextLine = performance.now() + PROGRESS_EVERY_MS;
        if (ended) lastEnded = pass.mapRunArn;
      }
    },
    end() {
      if (drawn) io.stderr.write('\n');
      drawn = false;
    },
  };
  return state;
}

/** One pass's counts in a line, with lines a second once units have ended. */
function describePass(pass: PassProgress, plan: PlanSummary | undefined): string {
  const n = (value: number) => value.toLocaleString('en-US');
  const ended = pass.succeeded + pass.failed + pass.stopped;
  let rate = '';
  const lines = plan?.estimate?.assumptions.lines;
  if (pass.pass === 0 && lines !== undefined && plan !== undefined && plan.units > 0 && ended > 0) {
    const seconds = Math.max((Date.now() - pass.startedAt.getTime()) / 1000, 0.001);
    rate = `, ≈ ${n(Math.round((lines * ended) / plan.units / seconds))} lines/s`;
  }
  const stopped = pass.stopped > 0 ? `, ${n(pass.stopped)} timed out or aborted` : '';
  return `pass ${pass.pass}: ${n(ended)}/${n(pass.total)} units ended (${n(pass.succeeded)} succeeded, ${n(pass.failed)} failed${stopped}), ${n(pass.running)} running, ${n(pass.pending)} pending${rate}`;
}

/** The lines that tell where a run is, once started. */
export function startedLines(executionArn: string): string[] {
  return [
    `started run ${executionName(executionArn)}`,
    `execution: ${executionArn}`,
    `console: ${consoleUrl(executionArn)}`,
  ];
}

/**
 * Runs `work`; an AWS refusal or an unreachable service (no credentials,
 * AccessDenied, a throttle past the SDK's retries) is said in one line
 * naming the error, and answers {@link EXIT_FAILURE}. Usage and setting
 * errors pass on (exit 2).
 */
export async function sayingAwsErrors(
  say: (line: string) => Promise<void>,
  work: () => Promise<number>,
): Promise<number> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError || !(error instanceof Error)) {
      throw error;
    }
    await say(`${error.name}: ${error.message}`);
    return EXIT_FAILURE;
  }
}
