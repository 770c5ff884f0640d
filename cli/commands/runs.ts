/**
 * `elb-otlp runs`: the deployed state machine's recent runs, one a line;
 * `--follow` re-attaches to one, `--report` prints a finished one's report
 * (docs/design.md#remote-runs).
 */

import { parseArgs } from 'node:util';
import type { CommandIo } from '../command-io.ts';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.ts';
import { write } from '../output.ts';
import { UsageError } from '../usage-error.ts';
import { DEPLOYMENT_OPTIONS } from './deployment-options.ts';

export const RUNS_USAGE = `Usage: elb-otlp runs [--stage S | --state-machine ARN] [options]

Lists the recent runs of the deployed reprocessing state machine: name,
status, start and stop, objects, lines and failed chunks (from each run's
output, report.json or plan.json), newest first.

Options:
  --stage S               the stage deployed (default dev): the state machine
                          elb-otlp-S-reprocess in the caller's account and the
                          Region the AWS SDK is configured with
  --state-machine ARN     the state machine, by ARN (its Region is used)
  --limit N               runs listed (default 10, at most 1000)
  --json                  one JSON object a run instead of a table
  --follow NAME|ARN       follow that run to its end, as "reprocess --remote"
                          does, and print its report last on stdout
  --stop-on-interrupt     with --follow: Ctrl-C stops the run (it detaches
                          otherwise, and the run goes on)
  --report NAME|ARN       print a finished run's report.json (one line)
  --work-bucket BUCKET, --work-prefix PREFIX
                          where the runs keep their files (default: as the
                          state machine's elb-otlp:work-files tag says)
  -h, --help              show this help

Exit status: 0 listed, or the run followed or reported shipped every chunk;
4 some of its chunks (or deletions) failed, the report naming them; 1 it
failed, was stopped or timed out before its report or while writing it, or
AWS refused a call; 2 bad options, a run whose input the plan refused, or no
such state machine; 130 stopped following with Ctrl-C (the run goes on).

Environment: AWS credentials and Region as the AWS SDK reads them (and
AWS_ENDPOINT_URL_SFN, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL_S3).`;

const DEFAULT_LIMIT = 10;
/** ListExecutions answers at most this many a page. */
const MAX_LIMIT = 1000;

export async function runRuns(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: false,
    options: {
      ...DEPLOYMENT_OPTIONS,
      limit: { type: 'string' },
      json: { type: 'boolean' },
      follow: { type: 'string' },
      'stop-on-interrupt': { type: 'boolean' },
      report: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    await write(io.stdout, `${RUNS_USAGE}\n`);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')}`);
  if (values.follow !== undefined && values.report !== undefined) {
    throw new UsageError('give --follow or --report, not both');
  }
  if (values['stop-on-interrupt'] === true && values.follow === undefined) {
    throw new UsageError('--stop-on-interrupt goes with --follow');
  }
  let limit = DEFAULT_LIMIT;
  if (values.limit !== undefined) {
    if (
      !/^\d+$/.test(values.limit) ||
      Number(values.limit) < 1 ||
      Number(values.limit) > MAX_LIMIT
    ) {
      throw new UsageError(
        `--limit expects a whole number from 1 to ${MAX_LIMIT}, got ${JSON.stringify(values.limit)}`,
      );
    }
    limit = Number(values.limit);
  }
  const [remote, { machineOfExecution, executionArn }] = await Promise.all([
    import('./remote-run.ts'),
    import('../../shared/remote/deployed-stack.ts'),
  ]);
  const say = (line: string) => write(io.stderr, `elb-otlp runs: ${line}\n`);
  const target = values.follow ?? values.report;
  return remote.sayingAwsErrors(say, async () => {
    const deployment = await remote.connectToDeployment(
      io,
      values,
      target === undefined ? undefined : machineOfExecution(target),
    );
    try {
      if (target === undefined) return await listRuns(io, deployment, limit, values.json === true);
      let arn: string;
      try {
        arn = executionArn(deployment.machine, target);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      if (values.follow !== undefined) {
        await say(`following run ${arn}`);
        return await remote.followToTheEnd(io, deployment, arn, {
          command: 'runs',
          stopOnInterrupt: values['stop-on-interrupt'] === true,
        });
      }
      return await printReport(io, deployment, arn, say);
    } finally {
      deployment.close();
    }
  });
}

type Deployment = Awaited<ReturnType<typeof import('./remote-run.ts')['connectToDeployment']>>;
type ExecutionListItem = import('@aws-sdk/client-sfn').ExecutionListItem;

/** What a run's line says. */
interface RunLine {
  name: string;
  status: string;
  startDate?: string;
  stopDate?: string;
  objects?: number;
  lines?: number;
  failedChunks?: number;
  dryRun?: boolean;
  error?: string;
}

async function listRuns(
  io: CommandIo,
  deployment: Deployment,
  limit: number,
  json: boolean,
): Promise<number> {
  const [{ ListExecutionsCommand, StateMachineDoesNotExist }, { notDeployed }] = await Promise.all([
    import('@aws-sdk/client-sfn'),
    import('./remote-run.ts'),
  ]);
  const { executions = [] } = await deployment.sfn
    .send(new ListExecutionsCommand({ stateMachineArn: deployment.machine.arn, maxResults: limit }))
    .catch((error: Error) => {
      if (error instanceof StateMachineDoesNotExist) {
        throw notDeployed(deployment.machine, deployment.named, error);
      }
      throw error;
    });
  // A few at once: each run takes a DescribeExecution and perhaps one GetObject.
  const lines: RunLine[] = new Array(executions.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(4, executions.length) }, async () => {
      while (next < executions.length) {
        const at = next++;
        lines[at] = await describeRun(deployment, executions[at] as ExecutionListItem);
      }
    }),
  );
  if (json) {
    for (const line of lines) await write(io.stdout, `${JSON.stringify(line)}\n`);
    return EXIT_OK;
  }
  await write(io.stdout, table(lines));
  return EXIT_OK;
}

/** The runs as a table, one a row, columns as wide as their widest cell. */
function table(lines: RunLine[]): string {
  const n = (value: number | undefined) =>
    value === undefined ? '-' : value.toLocaleString('en-US');
  const rows = [
    ['NAME', 'STATUS', 'STARTED', 'STOPPED', 'OBJECTS', 'LINES', 'FAILED CHUNKS'],
    ...lines.map((line) => [
      line.name,
      line.dryRun === true ? `${line.status} (dry run)` : line.status,
      line.startDate ?? '-',
      line.stopDate ?? '-',
      n(line.objects),
      n(line.lines),
      n(line.failedChunks),
    ]),
  ];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .map((row) => `${row}\n`)
    .join('');
}

/** A finished run's report.json, one line on stdout (a dry run's plan); the exit code its run would give. */
async function printReport(
  io: CommandIo,
  deployment: Deployment,
  arn: string,
  say: (line: string) => Promise<void>,
): Promise<number> {
  const [
    { DescribeExecutionCommand },
    { readRunFile },
    { runFiles, runWork },
    { lambdaError, exitCodeOf },
  ] = await Promise.all([
    import('@aws-sdk/client-sfn'),
    import('../../shared/remote/follow-run.ts'),
    import('../../shared/reprocess/run-files.ts'),
    import('./remote-run.ts'),
  ]);
  const execution = await deployment.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
  const name = execution.name ?? arn;
  if (execution.status === 'RUNNING' || execution.status === 'PENDING_REDRIVE') {
    await say(
      `run ${name} is still running: follow it with elb-otlp runs --follow ${name} ${deployment.flags}`,
    );
    return EXIT_FAILURE;
  }
  const files = runFiles(runWork(deployment.work, name));
  const report = await readRunFile<Record<string, unknown>>(
    deployment.s3,
    deployment.work.bucket,
    files.report,
    { notBefore: execution.startDate, notAfter: execution.stopDate },
  );
  const { error, cause } = lambdaError(execution);
  const code = exitCodeOf({
    status: execution.status ?? 'FAILED',
    ...(error !== undefined && { error }),
    ...(report !== undefined && { report }),
  });
  if (report !== undefined) {
    await write(io.stdout, `${JSON.stringify(report)}\n`);
    if (code === EXIT_FAILURE) {
      await say(
        `run ${name} ended ${execution.status} while writing its report (it may be partial)${error === undefined ? '' : `: ${error}: ${cause}`}`,
      );
    }
    return code;
  }
  if (execution.status === 'SUCCEEDED' && execution.output !== undefined) {
    // A dry run: its plan is its output.
    await write(io.stdout, `${execution.output}\n`);
    return code;
  }
  await say(
    `run ${name} ended ${execution.status} without a report${error === undefined ? '' : `: ${error}: ${cause}`}`,
  );
  return code === EXIT_OK ? EXIT_FAILURE : code;
}

/**
 * One run's line: its figures from its output when it succeeded, its
 * report.json when it failed after the report, its plan.json while it runs.
 */
async function describeRun(deployment: Deployment, item: ExecutionListItem): Promise<RunLine> {
  const [{ DescribeExecutionCommand }, { readRunFile }, { runFiles, runWork }, { lambdaError }] =
    await Promise.all([
      import('@aws-sdk/client-sfn'),
      import('../../shared/remote/follow-run.ts'),
      import('../../shared/reprocess/run-files.ts'),
      import('./remote-run.ts'),
    ]);
  const name = item.name ?? '';
  const line: RunLine = {
    name,
    status: item.status ?? 'UNKNOWN',
    ...(item.startDate !== undefined && { startDate: item.startDate.toISOString() }),
    ...(item.stopDate !== undefined && { stopDate: item.stopDate.toISOString() }),
  };
  const files = runFiles(runWork(deployment.work, name));
  const read = (key: string) =>
    readRunFile<Record<string, unknown>>(deployment.s3, deployment.work.bucket, key, {
      notBefore: item.startDate,
      notAfter: item.stopDate,
    });
  let figures: Record<string, unknown> | undefined;
  if (item.status === 'SUCCEEDED') {
    const execution = await deployment.sfn.send(
      new DescribeExecutionCommand({ executionArn: item.executionArn }),
    );
    figures = execution.output === undefined ? undefined : JSON.parse(execution.output);
  } else if (item.status === 'RUNNING' || item.status === 'PENDING_REDRIVE') {
    figures = await read(files.plan);
  } else {
    figures = (await read(files.report)) ?? (await read(files.plan));
    if (item.status === 'FAILED' || item.status === 'ABORTED' || item.status === 'TIMED_OUT') {
      const execution = await deployment.sfn.send(
        new DescribeExecutionCommand({ executionArn: item.executionArn }),
      );
      const { error } = lambdaError(execution);
      if (error !== undefined) line.error = error;
    }
  }
  const number = (key: string) =>
    typeof figures?.[key] === 'number' ? (figures[key] as number) : undefined;
  const objects = number('objects');
  const lines = number('lines');
  const failedChunks = number('failedChunks');
  if (objects !== undefined) line.objects = objects;
  if (lines !== undefined) line.lines = lines;
  if (failedChunks !== undefined) line.failedChunks = failedChunks;
  if (figures?.dryRun === true) line.dryRun = true;
  return line;
}
