/**
 * The plan step, without Lambda: validates what the definition hands it
 * (`{"input": <execution input>, "runId": <execution name>}`;
 * `InputValidationError` names every bad field), plans the run (or, for
 * `{"retryFrom": "s3://…/report.json"}`, the failed chunks of that run)
 * within what the deployment allows, and answers the plan summary.
 */

import type { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';
import { InputValidationError } from '../contract/errors.ts';
import { describeProblems, parseOrThrow } from '../contract/parse.ts';
import { type PlanSummary, planCallSchema } from '../contract/state-machine.ts';
import { type CostSettings, DEFAULT_CHILD_TYPE } from '../cost/cost-settings.ts';
import { estimateRun } from '../cost/estimate.ts';
import { planShape } from '../cost/plan-shape.ts';
import { planAnyRun, type WorkLocation } from './plan.ts';
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
}

/** The plan step, given its dependencies (the handler, the local runner and tests pass theirs). */
export function createPlan(dependencies: () => PlanDependencies | Promise<PlanDependencies>) {
  return async (event: unknown): Promise<PlanSummary> => {
    const { input, runId } = parseOrThrow(
      planCallSchema,
      event ?? {},
      (problems) => new InputValidationError(`bad plan call: ${describeProblems(problems)}`),
      'event',
    );
    const parsed = parseAnyRunInput(input);
    const { s3, work, logger, scope, allowDelete, now, cost } = await dependencies();
    const summary = await planAnyRun({
      client: s3,
      input: parsed,
      runId,
      work: { bucket: work.bucket, prefix: `${work.prefix}${runId}/` },
      policy: { ...(scope !== undefined && { scope }), allowDelete },
      now,
    });
    summary.estimate = estimateRun(planShape(summary, parsed, summary.units), {
      childType: DEFAULT_CHILD_TYPE,
      ...cost,
    });
    logger.info('run planned', { ...summary });
    return summary;
  };
}
