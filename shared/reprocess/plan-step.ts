/**
 * The plan steps, without Lambda (docs/design.md#planning). One function
 * answers three calls of the definition:
 *
 * - `{"input": <execution input>, "runId": <execution name>}` begins the
 *   plan: validates the input (`InputValidationError` names every bad field)
 *   within what the deployment allows, and cuts the listing into parts for
 *   the plan workers (a run of given keys, or of `{"retryFrom":
 *   "s3://…/report.json"}`, is planned whole here);
 * - `{"step": "PlanPart", "input", "runId", "worker"}` plans one worker's
 *   share of the listing;
 * - `{"step": "PlanTotals", "input", "plan", "parts"}` adds the workers'
 *   counts up and prices the run: the plan summary, also written as the
 *   run's `plan.json` (a failed execution has no output; a run followed
 *   from outside reads its plan there).
 */

import type { Logger } from '@aws-lambda-powertools/logger';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { VendedSettings } from '../config/mapping-config.ts';
import { InputValidationError } from '../contract/errors.ts';
import { describeProblems, parseOrThrow } from '../contract/parse.ts';
import {
  type PlanPart,
  type PlanSummary,
  planCallSchema,
  planPartCallSchema,
  planTotalsCallSchema,
} from '../contract/state-machine.ts';
import { type CostSettings, DEFAULT_CHILD_TYPE } from '../cost/cost-settings.ts';
import { estimateRun } from '../cost/estimate.ts';
import { planShape } from '../cost/plan-shape.ts';
import { addPlanParts, beginPlan, planWorker, runWithin } from './plan.ts';
import { runFiles, runWork, type WorkLocation } from './run-files.ts';
import { parseAnyRunInput } from './run-input.ts';
import type { LogScope } from './run-policy.ts';

export interface PlanDependencies {
  s3: S3Client;
  /** Where runs keep their files; each run under `<prefix><runId>/`. */
  work: WorkLocation;
  logger: Pick<Logger, 'info'>;
  /** The logs this deployment may read; runs outside them are refused. */
  scope?: LogScope;
  /** Whether runs may delete what they shipped (`ELB_OTLP_ALLOW_DELETE`); refused otherwise. */
  allowDelete: boolean;
  /** The clock: when a plan is made. */
  now: () => Date;
  /** Prices and the worker's memory for the plan's estimate (default: us-east-1, 1769 MB). */
  cost?: CostSettings;
  /** What the content check needs of vended `plain` deliveries (docs/vended-logs.md). */
  vended?: VendedSettings;
}

/** The plan steps, given their dependencies (the handler, the local runner and tests pass theirs). */
export function createPlan(dependencies: () => PlanDependencies | Promise<PlanDependencies>) {
  return async (event: unknown): Promise<PlanSummary | PlanPart> => {
    const step = stepOf(event);
    const deps = await dependencies();
    if (step === 'PlanPart') return planPart(event, deps);
    if (step === 'PlanTotals') return planTotals(event, deps);
    return begin(event, deps);
  };
}

/**
 * The three plan steps one after the other in this process (the workers at
 * once), for a caller without the state machine: the plan summary.
 */
export function createWholePlan(dependencies: () => PlanDependencies | Promise<PlanDependencies>) {
  const step = createPlan(dependencies);
  return async (event: unknown): Promise<PlanSummary> => {
    const plan = (await step(event)) as PlanSummary;
    const { input, runId } = event as { input: unknown; runId: string };
    const parts = await Promise.all(
      plan.planWorkers.map((worker) => step({ step: 'PlanPart', input, runId, worker })),
    );
    return (await step({ step: 'PlanTotals', input, plan, parts })) as PlanSummary;
  };
}

/** Which plan step an event calls: `PlanPart`, `PlanTotals`, or (without `step`) the first. */
function stepOf(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null || !('step' in event)) return undefined;
  const { step } = event as { step: unknown };
  if (step === 'PlanPart' || step === 'PlanTotals') return step;
  throw new InputValidationError(
    `bad plan call: step: expected "PlanPart" or "PlanTotals", got ${JSON.stringify(step)}`,
  );
}

const badCall = (problems: Parameters<typeof describeProblems>[0]) =>
  new InputValidationError(`bad plan call: ${describeProblems(problems)}`);

async function begin(event: unknown, deps: PlanDependencies): Promise<PlanSummary> {
  const { input, runId } = parseOrThrow(planCallSchema, event ?? {}, badCall, 'event');
  const parsed = parseAnyRunInput(input);
  const { s3, work, logger, scope, allowDelete, now } = deps;
  const plan = await beginPlan({
    client: s3,
    input: parsed,
    runId,
    work: runWork(work, runId),
    policy: { ...(scope !== undefined && { scope }), allowDelete },
    now,
    ...(deps.vended !== undefined && { vended: deps.vended }),
  });
  logger.info('plan begun', {
    runId,
    listingParts: plan.listingParts,
    planWorkers: plan.planWorkers.length,
  });
  return plan;
}

async function planPart(event: unknown, deps: PlanDependencies): Promise<PlanPart> {
  const { input, runId, worker } = parseOrThrow(planPartCallSchema, event, badCall, 'event');
  const parsed = parseAnyRunInput(input);
  if ('retryFrom' in parsed) {
    throw new InputValidationError('bad plan call: a re-run has no plan workers');
  }
  const { s3, work, logger, scope, allowDelete } = deps;
  const run = runWithin(parsed, { ...(scope !== undefined && { scope }), allowDelete });
  const part = await planWorker({
    client: s3,
    input: run,
    work: runWork(work, runId),
    worker,
    ...(deps.vended !== undefined && { vended: deps.vended }),
  });
  logger.info('plan worker done', { runId, ...part });
  return part;
}

async function planTotals(event: unknown, deps: PlanDependencies): Promise<PlanSummary> {
  const { input, plan, parts } = parseOrThrow(planTotalsCallSchema, event, badCall, 'event');
  const parsed = parseAnyRunInput(input);
  const summary = addPlanParts(plan, parts);
  summary.estimate = estimateRun(planShape(summary, parsed, summary.units), {
    childType: DEFAULT_CHILD_TYPE,
    ...deps.cost,
  });
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: deps.work.bucket,
      Key: runFiles(runWork(deps.work, summary.runId)).plan,
      ContentType: 'application/json',
      Body: JSON.stringify(summary),
    }),
  );
  deps.logger.info('run planned', { ...summary });
  return summary;
}
