/**
 * `elb-otlp reprocess`: a bulk reprocessing run on this machine, the same
 * state machine the deployment runs (plan → Distributed Map of
 * process-chunk → report), against S3 or any S3 API (`AWS_ENDPOINT_URL_S3`).
 */

import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_WORK_PREFIX } from '../../shared/config/environment.ts';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import type { PlanPart, PlanSummary } from '../../shared/contract/state-machine.ts';
import { describeReadError } from '../../shared/pipeline/read-error.ts';
import type { CommandIo } from '../command-io.ts';
import { EXIT_FAILED, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';
import { write } from '../output.ts';
import { UsageError } from '../usage-error.ts';
import { EXPORT_OPTIONS, exportConfigFrom } from './export-options.ts';

export const REPROCESS_USAGE = `Usage: elb-otlp reprocess --bucket BUCKET [options]

Ships every ELB log object under a prefix (or the given keys) over OTLP/HTTP
in byte-range chunks, with the reprocessing state machine run on this
machine, then reports, and deletes the objects that were fully shipped when
asked. Progress goes to stderr; the report is the last line of stdout, with
"lines", "accepted", "rejected", "failed", "parseErrors", "objects", "chunks"
and "deleted" at its top level.

Options:
  --bucket BUCKET         the bucket of the logs
  --prefix PREFIX         only keys under PREFIX (end it with /)
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
  --work-bucket BUCKET    where the run keeps its files (default: --bucket)
  --work-prefix PREFIX    under this prefix (default elb-otlp/runs/)
  --endpoint URL, --protocol P, --compression C, --header NAME=VALUE,
  --max-retry-time T      as for "elb-otlp ship"
  -h, --help              show this help

Exit status: 0 every chunk shipped; 4 some chunks failed, or some objects to
delete could not be (the report names them, and gives the input to re-run
only the failed chunks); 1 the run stopped before its report (S3 refused a
listing or a write); 2 bad options or settings.

Environment: AWS credentials and Region as the AWS SDK reads them,
AWS_ENDPOINT_URL_S3, and the export settings of "elb-otlp ship --help".`;

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
      'work-bucket': { type: 'string' },
      'work-prefix': { type: 'string' },
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
  if (retryFrom === undefined && values.bucket === undefined) {
    throw new UsageError('--bucket is required (or --retry-from)');
  }
  const keys = [...(values.key ?? []), ...(values.keys ?? []).flatMap((list) => list.split(','))]
    .map((key) => key.trim())
    .filter((key) => key !== '');
  const maxConcurrency = wholeNumber('--max-concurrency', values['max-concurrency']);
  const input =
    retryFrom !== undefined
      ? {
          retryFrom,
          ...(values.delete !== undefined && { deleteProcessed: values.delete }),
          ...(maxConcurrency !== undefined && { maxConcurrency }),
          dryRun: values['dry-run'] === true,
        }
      : {
          bucket: values.bucket,
          prefix: values.prefix ?? '',
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
          maxConcurrency: maxConcurrency ?? LOCAL_CONCURRENCY,
          dryRun: values['dry-run'] === true,
        };
  const config = await exportConfigFrom(io, values, 'reprocess');
  const mapping = loadMappingConfig(io.env);
  const workBucket = values['work-bucket'] ?? values.bucket ?? retryFrom?.slice(5).split('/')[0];

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
        if (plan.retryOf !== undefined && plan.deleteProcessed && values.delete === undefined) {
          const deleting = plan.dryRun ? 'a run would delete' : 'deleting';
          await write(
            io.stderr,
            `elb-otlp reprocess: ${deleting} fully shipped objects, as run ${plan.retryOf} asked (--no-delete keeps them)\n`,
          );
        }
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

/** The plan in one line: what the run covers and what it left out. */
function describePlan(plan: PlanSummary): string {
  const skipped = Object.entries(plan.skipped)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${count} ${SKIP_WORDS[reason as keyof PlanSummary['skipped']]}`);
  const mib = (plan.bytes / 1048576).toFixed(1);
  const usd = plan.estimate?.usd;
  const cost =
    usd === undefined
      ? ''
      : `; estimated in AWS $${usd.total} (compute $${usd.compute}, orchestration $${usd.orchestration}, S3 $${usd.s3Requests})`;
  return `planned ${plan.objects} objects (${plan.emptyObjects} empty, ${mib} MiB stored) in ${plan.chunks} chunks, ${plan.units} units${skipped.length > 0 ? `; skipped ${skipped.join(', ')}` : ''}${cost}`;
}

const SKIP_WORDS: Record<keyof PlanSummary['skipped'], string> = {
  testFile: 'ELB test file(s)',
  notALog: 'key(s) that are not ELB logs',
  outsideWindow: 'outside --from/--to',
  otherLoadBalancer: 'of other load balancers',
  missing: 'missing key(s)',
};

function wholeNumber(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text))
    throw new UsageError(`${option} expects a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}
