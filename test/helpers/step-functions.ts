/**
 * A loopback stand-in for Step Functions, speaking the AWS JSON 1.0 protocol
 * as `@aws-sdk/client-sfn` sends and reads it (through
 * `AWS_ENDPOINT_URL_SFN`), for one state machine: the reprocessing
 * definition, run for real by the local runner (shared/local/run-reprocess.ts)
 * with the tasks it is given. It answers StartExecution, DescribeExecution,
 * ListExecutions, StopExecution, ListMapRuns, DescribeMapRun and
 * ListTagsForResource as AWS does, errors included (`__type`), and keeps
 * every call's operation. It does not check signatures.
 *
 * Like AWS it ends a failed Lambda task with the function's error type and a
 * JSON cause (`errorMessage`, `errorType`, `trace`), and a `Fail` state with
 * its own Error and Cause.
 */

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import { type LocalTask, runReprocessLocally } from '../../shared/local/run-reprocess.ts';
import { type AwsJsonCall, startAwsJsonServer } from './aws-json-server.ts';

const DEFINITION = JSON.parse(
  readFileSync(new URL('../../statemachines/reprocess.asl.json', import.meta.url), 'utf8'),
) as { States: Record<string, { Type: string; Error?: string }> };
/** The errors the definition's own `Fail` states end with: said as they are, not as a Lambda's. */
const FAIL_STATE_ERRORS = new Set(
  Object.values(DEFINITION.States)
    .filter((state) => state.Type === 'Fail')
    .map((state) => state.Error),
);

export interface StepFunctionsOptions {
  region: string;
  account: string;
  stateMachineName: string;
  tags: Record<string, string>;
  /** The S3 client of the local Distributed Map (its ItemReader and ResultWriter). */
  s3: S3Client;
  /** The Lambda functions of the definition's tasks. */
  tasks: { plan: LocalTask; processChunk: LocalTask; nextPass: LocalTask; report: LocalTask };
  /** Children run at once. */
  concurrency: number;
}

type Status = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

interface MapRun {
  arn: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  startDate: number;
  stopDate?: number;
  total: number;
  running: number;
  succeeded: number;
  failed: number;
  aborted: number;
}

export interface StandInExecution {
  arn: string;
  name: string;
  input: string;
  status: Status;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  mapRuns: MapRun[];
  stop: AbortController;
  /** Settles when the execution has ended. */
  ended: Promise<void>;
}

export interface TestStepFunctions {
  url: string;
  stateMachineArn: string;
  /** Every call's operation (`StartExecution`, …), in order. */
  calls: string[];
  executions: Map<string, StandInExecution>;
  /** Holds every execution before its first task until the answer is called. */
  hold(): () => void;
  close(): Promise<void>;
}

const seconds = () => Date.now() / 1000;

export async function startStepFunctions(
  options: StepFunctionsOptions,
): Promise<TestStepFunctions> {
  const { region, account, stateMachineName } = options;
  const stateMachineArn = `arn:aws:states:${region}:${account}:stateMachine:${stateMachineName}`;
  const calls: string[] = [];
  const executions = new Map<string, StandInExecution>();
  let gate: Promise<void> | undefined;

  const byArn = (arn: unknown) => [...executions.values()].find((e) => e.arn === arn);
  const mapRunOf = (arn: unknown) =>
    [...executions.values()]
      .flatMap((e) => e.mapRuns.map((run) => ({ e, run })))
      .find(({ run }) => run.arn === arn);
  const error = (type: string, message: string): [number, unknown] => [
    400,
    { __type: type, message },
  ];

  const start = (body: AwsJsonCall['body']): [number, unknown] => {
    if (body.stateMachineArn !== stateMachineArn) {
      return error(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${body.stateMachineArn}'`,
      );
    }
    const name = typeof body.name === 'string' ? body.name : randomUUID();
    const input = typeof body.input === 'string' ? body.input : '{}';
    const existing = executions.get(name);
    if (existing !== undefined) {
      // Standard workflows: the same name and input while running is the same execution.
      if (existing.status === 'RUNNING' && existing.input === input) {
        return [200, { executionArn: existing.arn, startDate: existing.startDate }];
      }
      return error('ExecutionAlreadyExists', `Execution Already Exists: '${existing.arn}'`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      return error('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const execution = {
      arn: `arn:aws:states:${region}:${account}:execution:${stateMachineName}:${name}`,
      name,
      input,
      status: 'RUNNING',
      startDate: seconds(),
      mapRuns: [],
      stop: new AbortController(),
    } as unknown as StandInExecution;
    executions.set(name, execution);
    execution.ended = run(execution, parsed);
    return [200, { executionArn: execution.arn, startDate: execution.startDate }];
  };

  const run = async (execution: StandInExecution, input: unknown) => {
    const held = gate;
    const task =
      (fn: LocalTask): LocalTask =>
      async (event) => {
        await held;
        return fn(event);
      };
    const mapRuns = new Map<string, MapRun>();
    const outcome = await runReprocessLocally({
      input,
      runId: execution.name,
      s3: options.s3,
      plan: task(options.tasks.plan),
      processChunk: options.tasks.processChunk,
      nextPass: options.tasks.nextPass,
      report: options.tasks.report,
      concurrency: options.concurrency,
      passWaitSeconds: 0,
      signal: execution.stop.signal,
      mapRuns: {
        started(id, items) {
          const mapRun: MapRun = {
            arn: `arn:aws:states:${region}:${account}:mapRun:${stateMachineName}/ShipUnits:${id}`,
            status: 'RUNNING',
            startDate: seconds(),
            total: items,
            running: 0,
            succeeded: 0,
            failed: 0,
            aborted: 0,
          };
          mapRuns.set(id, mapRun);
          execution.mapRuns.push(mapRun);
        },
        childStarted(id) {
          (mapRuns.get(id) as MapRun).running++;
        },
        childEnded(id, status) {
          const mapRun = mapRuns.get(id) as MapRun;
          mapRun.running--;
          if (status === 'SUCCEEDED') mapRun.succeeded++;
          else mapRun.failed++;
        },
        ended(id, status) {
          const mapRun = mapRuns.get(id) as MapRun;
          mapRun.status = status;
          mapRun.stopDate = seconds();
          if (status === 'ABORTED') {
            mapRun.aborted = mapRun.total - mapRun.succeeded - mapRun.failed;
          }
        },
      },
    }).catch((thrown: Error) => ({
      status: 'FAILED' as const,
      error: { name: thrown.name, message: thrown.message },
      output: undefined,
    }));
    execution.stopDate = seconds();
    if (outcome.status === 'SUCCEEDED') {
      execution.output = JSON.stringify(outcome.output);
      execution.status = 'SUCCEEDED';
      return;
    }
    if (outcome.status === 'ABORTED') {
      execution.status = 'ABORTED';
      return;
    }
    execution.status = 'FAILED';
    const { name, message } = outcome.error ?? { name: 'States.Runtime', message: 'failed' };
    execution.error = name;
    execution.cause = FAIL_STATE_ERRORS.has(name)
      ? message
      : JSON.stringify({ errorMessage: message, errorType: name, trace: [] });
  };

  const describe = (execution: StandInExecution) => ({
    executionArn: execution.arn,
    stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: execution.startDate,
    ...(execution.stopDate !== undefined && { stopDate: execution.stopDate }),
    input: execution.input,
    inputDetails: { included: true },
    ...(execution.output !== undefined && {
      output: execution.output,
      outputDetails: { included: true },
    }),
    ...(execution.error !== undefined && { error: execution.error }),
    ...(execution.cause !== undefined && { cause: execution.cause }),
    redriveCount: 0,
  });

  const handle = ({ target, body }: AwsJsonCall): [number, unknown] => {
    const operation = target.replace(/^AWSStepFunctions\./, '');
    calls.push(operation);
    switch (operation) {
      case 'StartExecution':
        return start(body);
      case 'DescribeExecution': {
        const execution = byArn(body.executionArn);
        if (execution === undefined) {
          return error('ExecutionDoesNotExist', `Execution Does Not Exist: '${body.executionArn}'`);
        }
        return [200, describe(execution)];
      }
      case 'ListExecutions': {
        if (body.stateMachineArn !== stateMachineArn) {
          return error(
            'StateMachineDoesNotExist',
            `State Machine Does Not Exist: '${body.stateMachineArn}'`,
          );
        }
        const newestFirst = [...executions.values()]
          .filter((e) => body.statusFilter === undefined || e.status === body.statusFilter)
          .sort((a, b) => b.startDate - a.startDate)
          .slice(0, body.maxResults ?? 100);
        return [
          200,
          {
            executions: newestFirst.map((e) => ({
              executionArn: e.arn,
              stateMachineArn,
              name: e.name,
              status: e.status,
              startDate: e.startDate,
              ...(e.stopDate !== undefined && { stopDate: e.stopDate }),
            })),
          },
        ];
      }
      case 'StopExecution': {
        const execution = byArn(body.executionArn);
        if (execution === undefined) {
          return error('ExecutionDoesNotExist', `Execution Does Not Exist: '${body.executionArn}'`);
        }
        if (execution.status === 'RUNNING') {
          execution.error = body.error;
          execution.cause = body.cause;
          execution.stop.abort();
        }
        return [200, { stopDate: seconds() }];
      }
      case 'ListMapRuns': {
        const execution = byArn(body.executionArn);
        if (execution === undefined) {
          return error('ExecutionDoesNotExist', `Execution Does Not Exist: '${body.executionArn}'`);
        }
        return [
          200,
          {
            mapRuns: execution.mapRuns.map((run) => ({
              executionArn: execution.arn,
              mapRunArn: run.arn,
              stateMachineArn: `${stateMachineArn}/ShipUnits`,
              startDate: run.startDate,
              ...(run.stopDate !== undefined && { stopDate: run.stopDate }),
            })),
          },
        ];
      }
      case 'DescribeMapRun': {
        const found = mapRunOf(body.mapRunArn);
        if (found === undefined) {
          return error('ResourceNotFound', `Resource not found: '${body.mapRunArn}'`);
        }
        const { e, run } = found;
        const counts = {
          pending: run.total - run.running - run.succeeded - run.failed - run.aborted,
          running: run.running,
          succeeded: run.succeeded,
          failed: run.failed,
          timedOut: 0,
          aborted: run.aborted,
          total: run.total,
          resultsWritten: run.status === 'SUCCEEDED' ? run.succeeded + run.failed : 0,
          failuresNotRedrivable: 0,
          pendingRedrive: 0,
        };
        return [
          200,
          {
            mapRunArn: run.arn,
            executionArn: e.arn,
            status: run.status,
            startDate: run.startDate,
            ...(run.stopDate !== undefined && { stopDate: run.stopDate }),
            maxConcurrency: options.concurrency,
            toleratedFailurePercentage: 100,
            toleratedFailureCount: 0,
            itemCounts: counts,
            executionCounts: counts,
            redriveCount: 0,
          },
        ];
      }
      case 'ListTagsForResource':
        if (body.resourceArn !== stateMachineArn) {
          return error('ResourceNotFound', `Resource not found: '${body.resourceArn}'`);
        }
        return [
          200,
          { tags: Object.entries(options.tags).map(([key, value]) => ({ key, value })) },
        ];
      default:
        return error('UnknownOperationException', `${operation} is not served by this stand-in`);
    }
  };

  const server = await startAwsJsonServer('application/x-amz-json-1.0', handle);
  return {
    url: server.url,
    stateMachineArn,
    calls,
    executions,
    hold() {
      let release = () => {};
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        gate = undefined;
        release();
      };
    },
    async close() {
      for (const execution of executions.values()) execution.stop.abort();
      await Promise.all([...executions.values()].map((e) => e.ended));
      await server.close();
    },
  };
}
