/**
 * `elb-otlp reprocess`: a bulk reprocessing run on this machine, the same
 * state machine the deployment runs (plan → Distributed Map of
 * process-chunk → report), against S3 or any S3 API (`AWS_ENDPOINT_URL_S3`).
 */

import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_WORK_PREFIX, logLocation } from '../../shared/config/environment.ts';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import type { PlanPart, PlanSummary } from '../../shared/contract/state-machine.ts';
import { describeReadError } from '../../shared/pipeline/read-error.ts';
import type { CommandIo } from '../command-io.ts';
import { EXIT_FAILED, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';
import { write } from '../output.ts';
import { UsageError } from '../usage-error.ts';
import { DEPLOYMENT_OPTIONS } from './deployment-options.ts';
import { EXPORT_OPTIONS, exportConfigFrom } from './export-options.ts';
import { describePlan, retryDeletionLine } from './run-output.ts';

export const REPROCESS_USAGE = `Usage: elb-otlp reprocess --bucket BUCKET [options]
       elb-otlp reprocess --remote [--stage S | --state-machine ARN] --bucket BUCKET [options]

Ships every ELB log object under a prefix (or the given keys) over OTLP/HTTP
in byte-range chunks, with the reprocessing state machine run on this
machine (or, with --remote, the deployed one), then reports, and deletes the
objects that were fully shipped when asked. Progress goes to stderr; the
report is the last line of stdout, with "lines", "accepted", "rejected",
"failed", "parseErrors", "objects", "chunks" and "deleted" at its top level.

Options:
  --bucket BUCKET         the bucket of the logs (default: LOG_BUCKET, or
                          S3_BUCKET_NAME, from the environment)
  --prefix PREFIX         only keys under PREFIX (end it with /; default:
                          LOG_PREFIX, or S3_PREFIX, for that bucket)
  --from TIME, --to TIME  only objects whose 5-minute interval overlaps
                          [from, to) (ISO 8601, e.g. 2026-11-01T00:00:00Z)
  --key KEY               an object to ship (repeatable) instead of listing;
                          --keys KEY,KEY… takes several at once
  --load-balancer NAME    only this load balancer (repeatable)
  --delete                delete each object once all its lines were accepted
                          (only the version that was shipped; a --retry-from
                          run deletes when the earlier run did, and says so)
  --no-delete             delete nothing, even where the earlier run of
                          --retry-from asked to
  --chunk-bytes N         content bytes per chunk (default 268435456)
  --unit-bytes N          stored bytes of small objects per work unit (default 134217728)
  --max-concurrency N     chunks shipped at once (default: this machine's
                          cores, at most 8)
  --dry-run               plan and print the plan and its cost estimate, ship nothing
  --retry-from s3://…|FILE
                          re-run only the failed chunks of an earlier run:
                          its report.json in S3, or a file holding its report
                          (report.json, or the last line this command printed)
  --work-bucket BUCKET    where the run keeps its files (default: --bucket;
                          with --remote: as the deployment's state machine
                          says in its elb-otlp:work-files tag)
  --work-prefix PREFIX    under this prefix (default elb-otlp/runs/)
  --endpoint URL, --protocol P, --compression C, --header NAME=VALUE,
  --max-retry-time T      as for "elb-otlp ship" (not with --remote: the
                          deployed functions export as deployed)
  -h, --help              show this help

The deployed stack (--remote):
  --remote                start the run on the deployed state machine and
                          follow it: the plan, each pass's units (succeeded,
                          failed, running, pending), then its report.json
  --stage S               the stage deployed (default dev): the state machine
                          elb-otlp-S-reprocess in the caller's account (STS)
                          and the Region the AWS SDK is configured with
  --state-machine ARN     the state machine, by ARN (its Region is used)
  --name NAME             the execution's name (default run-<UTC time>-<hex>;
                          letters, digits, ".", "_", "-", at most 80)
  --stop-on-interrupt     Ctrl-C stops the run; without it Ctrl-C only stops
                          following (the run goes on: "elb-otlp runs --follow
                          NAME" follows it again)

Exit status: 0 every chunk shipped; 4 some chunks failed, or some objects to
delete could not be (the report names them, and gives the input to re-run
only the failed chunks); 1 the run stopped before its report (S3 refused a
listing or a write; with --remote also: the run was stopped, timed out or
failed while writing its report, or AWS refused a call); 2 bad options,
settings or input (with --remote also: a run name already taken, no such
state machine); 130 stopped following with Ctrl-C (the run goes on).

Environment: AWS credentials and Region as the AWS SDK reads them,
AWS_ENDPOINT_URL_S3 (and, with --remote, AWS_ENDPOINT_URL_SFN and
AWS_ENDPOINT_URL_STS), and the export settings of "elb-otlp ship --help".`;

/**
 * Chunks shipped at once on one machine unless --max-concurrency says
 * otherwise: one per core. Each chunk keeps about 1.5 cores busy, and on two
 * cores 2 at once ship fastest, 4 and 8 slower (BENCHMARKS.md "Bulk").
 */
const LOCAL_CONCURRENCY = Math.max(1, Math.min(8, availableParallelism()));
/** How often a progress line is written when stderr is not a terminal. */
const PROGRESS_EVERY_MS = 10_000;

export async function runReprocess(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: false,
    // --no-delete: keep everything, whatever the run --retry-from re-runs asked.
    allowNegative: true,
    options: {
      bucket: { type: 'string' },
      prefix: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      key: { type: 'string', multiple: true },
      keys: { type: 'string', multiple: true },
      'load-balancer': { type: 'string', multiple: true },
      delete: { type: 'boolean' },
      'chunk-bytes': { type: 'string' },
      'unit-bytes': { type: 'string' },
      'max-concurrency': { type: 'string' },
      'dry-run': { type: 'boolean' },
      'retry-from': { type: 'string' },
      ...DEPLOYMENT_OPTIONS,
      remote: { type: 'boolean' },
      name: { type: 'string' },
      'stop-on-interrupt': { type: 'boolean' },
      ...EXPORT_OPTIONS,
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    await write(io.stdout, `${REPROCESS_USAGE}\n`);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')}`);
  const retryFrom = await retryAddress(values['retry-from']);
  // LOG_BUCKET/LOG_PREFIX (or the guide's S3_BUCKET_NAME/S3_PREFIX) stand in
  // for --bucket and --prefix of a run (a re-run's are its report's); the
  // prefix only for that bucket.
  const logs = retryFrom === undefined ? logLocation(io.env) : undefined;
  const fromEnv = values.bucket === undefined || values.bucket === logs?.bucket ? logs : undefined;
  const bucket = values.bucket ?? fromEnv?.bucket;
  if (retryFrom === undefined && bucket === undefined) {
    throw new UsageError(
      '--bucket is required (or --retry-from, or LOG_BUCKET or S3_BUCKET_NAME in the environment)',
    );
  }
  const keys = [...(values.key ?? []), ...(values.keys ?? []).flatMap((list) => list.split(','))]
    .map((key) => key.trim())
    .filter((key) => key !== '');
  const maxConcurrency = wholeNumber('--max-concurrency', values['max-concurrency']);
  const remote = values.remote === true;
  if (!remote) {
    const onlyRemote = ['stage', 'state-machine', 'name', 'stop-on-interrupt'] as const;
    const given = onlyRemote.filter((option) => values[option] !== undefined);
    if (given.length > 0) throw new UsageError(`--${given[0]} goes with --remote`);
  }
  const input =
    retryFrom !== undefined
      ? {
          retryFrom,
          ...(values.delete !== undefined && { deleteProcessed: values.delete }),
          ...(maxConcurrency !== undefined && { maxConcurrency }),
          dryRun: values['dry-run'] === true,
        }
      : {
          bucket,
          prefix: values.prefix ?? fromEnv?.prefix ?? '',
          ...(values.from !== undefined && { from: values.from }),
          ...(values.to !== undefined && { to: values.to }),
          ...(keys.length > 0 && { keys }),
          ...(values['load-balancer'] !== undefined && { loadBalancers: values['load-balancer'] }),
          deleteProcessed: values.delete === true,
          ...(values['chunk-bytes'] !== undefined && {
            chunkBytes: wholeNumber('--chunk-bytes', values['chunk-bytes']),
          }),
          ...(values['unit-bytes'] !== undefined && {
            unitBytes: wholeNumber('--unit-bytes', values['unit-bytes']),
          }),
          ...((maxConcurrency !== undefined || !remote) && {
            maxConcurrency: maxConcurrency ?? LOCAL_CONCURRENCY,
          }),
          dryRun: values['dry-run'] === true,
        };
  if (remote) {
    const exportOption = Object.keys(EXPORT_OPTIONS).find(
      (option) => values[option as keyof typeof EXPORT_OPTIONS] !== undefined,
    );
    if (exportOption !== undefined) {
      throw new UsageError(
        `--${exportOption}: a deployed run exports as the stack was deployed (its --param settings), not as this command says`,
      );
    }
    const { startRemoteRun } = await import('./reprocess-remote.ts');
    return startRemoteRun(io, input, {
      deployment: values,
      name: values.name,
      stopOnInterrupt: values['stop-on-interrupt'] === true,
      deleteAsked: values.delete,
    });
  }
  const config = await exportConfigFrom(io, values, 'reprocess');
  const mapping = loadMappingConfig(io.env);
  const workBucket = values['work-bucket'] ?? bucket ?? retryFrom?.slice(5).split('/')[0];

  // Loaded only here: the AWS SDK and the local Step Functions runtime.
  const [
    { localSteps },
    { runReprocessLocally },
    { createS3Client },
    { createOtlpExporter, SYSTEM_CLOCK },
    { costSettings },
  ] = await Promise.all([
    import('../../shared/local/local-steps.ts'),
    import('../../shared/local/run-reprocess.ts'),
    import('../../shared/s3/client.ts'),
    import('../../shared/otlp/exporter.ts'),
    import('../../shared/cost/cost-settings.ts'),
  ]);
  const cost = costSettings(io.env);
  const s3 = createS3Client(io.env);
  const exporter = createOtlpExporter(config, SYSTEM_CLOCK);
  const steps = localSteps({
    s3,
    exporter,
    config,
    mapping,
    work: { bucket: workBucket as string, prefix: values['work-prefix'] ?? DEFAULT_WORK_PREFIX },
    clock: SYSTEM_CLOCK,
    now: () => new Date(),
    cost,
  });
  const runId = `local-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
  const started = performance.now();
  let lines = 0;
  /** Plan workers done of how many, and the objects they planned. */
  const planned = { workers: 0, of: 0, objects: 0 };
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  // Without a terminal, a progress line every so often (and at the end).
  let nextLine = started + PROGRESS_EVERY_MS;
  try {
    const outcome = await runReprocessLocally({
      input,
      runId,
      s3,
      plan: async (event) => {
        const answer = await steps.plan(event);
        const step = (event as { step?: string }).step;
        if (step === 'PlanPart') {
          planned.workers++;
          planned.objects += (answer as PlanPart).objects;
          await write(
            io.stderr,
            `elb-otlp reprocess: planning: ${planned.workers}/${planned.of} plan workers done, ${planned.objects.toLocaleString('en-US')} objects\n`,
          );
          return answer;
        }
        const plan = answer as PlanSummary;
        if (step !== 'PlanTotals') {
          planned.of = plan.planWorkers.length;
          if (planned.of > 0) {
            await write(
              io.stderr,
              `elb-otlp reprocess: listing s3://${plan.bucket}/${plan.prefix} in ${plan.listingParts} parts with ${planned.of} plan workers\n`,
            );
          }
          return plan;
        }
        await write(io.stderr, `elb-otlp reprocess: ${describePlan(plan)}\n`);
        const deleting = retryDeletionLine(plan, values.delete);
        if (deleting !== undefined) await write(io.stderr, `elb-otlp reprocess: ${deleting}\n`);
        return plan;
      },
      processChunk: steps.processChunk,
      nextPass: steps.nextPass,
      report: steps.report,
      concurrency: Math.max(1, maxConcurrency ?? LOCAL_CONCURRENCY),
      onUnit: (done, total, result) => {
        for (const chunk of (result as { results?: { lines: number }[] } | null)?.results ?? []) {
          lines += chunk.lines;
        }
        const seconds = (performance.now() - started) / 1000;
        const line = `elb-otlp reprocess: ${done}/${total} units, ${lines.toLocaleString('en-US')} lines, ${Math.round(lines / Math.max(seconds, 0.001)).toLocaleString('en-US')} lines/s`;
        if (tty) io.stderr.write(`\r${line}`);
        else if (done === total || performance.now() >= nextLine) {
          io.stderr.write(`${line}\n`);
          nextLine = performance.now() + PROGRESS_EVERY_MS;
        }
      },
    });
    if (tty) io.stderr.write('\n');
    if (outcome.status === 'FAILED' && outcome.error?.name === 'InputValidationError') {
      await write(io.stderr, `elb-otlp reprocess: ${outcome.error.message}\n`);
      return EXIT_USAGE;
    }
    if (outcome.output === undefined) {
      // The run stopped before its report (S3 refused a listing or a write…).
      await write(
        io.stderr,
        `elb-otlp reprocess: the run stopped before its report: ${outcome.error?.name}: ${outcome.error?.message}\n`,
      );
      return EXIT_FAILURE;
    }
    await write(io.stdout, `${JSON.stringify(outcome.output)}\n`);
    if (outcome.status === 'FAILED') {
      await write(
        io.stderr,
        `elb-otlp reprocess: ${outcome.error?.name}: ${outcome.error?.message}\n`,
      );
      return EXIT_FAILED;
    }
    return EXIT_OK;
  } finally {
    await exporter.close();
    s3.destroy();
  }
}

/**
 * The report.json address `--retry-from` names: given as is (s3://…), or
 * read from a file holding an earlier run's report — report.json itself,
 * the report line this command printed, or the execution input
 * {"retryFrom": …}.
 */
async function retryAddress(option: string | undefined): Promise<string | undefined> {
  if (option === undefined || option.startsWith('s3://')) return option;
  let text: string;
  try {
    text = await readFile(option, 'utf8');
  } catch (error) {
    throw new UsageError(`--retry-from ${option}: ${describeReadError(error)}`);
  }
  const last = text.trim().split('\n').at(-1) ?? '';
  let report: { retryFrom?: unknown; retry?: { retryFrom?: unknown }; failedChunks?: unknown };
  try {
    report = JSON.parse(last);
  } catch {
    throw new UsageError(
      `--retry-from ${option}: not an elb-otlp report (its last line is not JSON)`,
    );
  }
  const address = report?.retry?.retryFrom ?? report?.retryFrom;
  if (typeof address === 'string' && address.startsWith('s3://')) return address;
  if (report?.failedChunks === 0) {
    throw new UsageError(`--retry-from ${option}: that run shipped every chunk; nothing to re-run`);
  }
  throw new UsageError(`--retry-from ${option}: not an elb-otlp report (no retry.retryFrom)`);
}

function wholeNumber(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text))
    throw new UsageError(`${option} expects a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}
