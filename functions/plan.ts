/**
 * `plan`: the first state of a reprocessing run. Validates the execution
 * input (`InputValidationError` names every bad field), lists and filters the
 * log objects, writes the chunk manifest to the run's work location and
 * answers counts and the manifest's location (DESIGN §3.4). An input of
 * `{"retryFrom": "s3://…/report.json"}` plans the failed chunks of that run.
 *
 * The state machine hands it `{ "input": <execution input>, "runId":
 * <execution name> }`; the work location comes from `WORK_BUCKET` and
 * `WORK_PREFIX` (default `elb-otlp/runs/`). With `LOG_BUCKET` (and
 * `LOG_PREFIX`) set, as the deployment sets them, a run outside those logs
 * is refused with `InputValidationError`, as is a run (or a re-run of a
 * report) asking for deletion unless `ELB_OTLP_ALLOW_DELETE=true` (the
 * deployment's `allowDeleteProcessed`, or `deleteAfterIngest`).
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { type PlanSummary, planAnyRun, type WorkLocation } from '../shared/reprocess/plan.ts';
import { InputValidationError, parseAnyRunInput } from '../shared/reprocess/run-input.ts';
import type { LogScope } from '../shared/reprocess/run-policy.ts';
import { createS3Client } from '../shared/s3/client.ts';

export const DEFAULT_WORK_PREFIX = 'elb-otlp/runs/';

export interface PlanDependencies {
  s3: S3Client;
  /** Where runs keep their files; each run under `<prefix><runId>/`. */
  work: WorkLocation;
  logger: Pick<Logger, 'info'>;
  /** The logs this deployment may read; runs outside them are refused. */
  scope?: LogScope;
  /** Whether runs may delete what they shipped (`ELB_OTLP_ALLOW_DELETE`); refused otherwise. */
  allowDelete: boolean;
}

/** The plan step, given its dependencies (tests pass theirs). */
export function createPlan(dependencies: () => PlanDependencies) {
  return async (event: unknown): Promise<PlanSummary> => {
    const { input, runId } = (event ?? {}) as { input?: unknown; runId?: unknown };
    if (typeof runId !== 'string' || !/^[A-Za-z0-9._-]{1,80}$/.test(runId)) {
      throw new InputValidationError(
        'bad plan call: runId: expected the execution name (letters, digits, ".", "_", "-")',
      );
    }
    const parsed = parseAnyRunInput(input);
    const { s3, work, logger, scope, allowDelete } = dependencies();
    const summary = await planAnyRun({
      client: s3,
      input: parsed,
      runId,
      work: { bucket: work.bucket, prefix: `${work.prefix}${runId}/` },
      policy: { ...(scope !== undefined && { scope }), allowDelete },
    });
    logger.info('run planned', { ...summary });
    return summary;
  };
}

let container: PlanDependencies | undefined;
const logger = new Logger({ serviceName: 'elb-otlp', persistentKeys: { function: 'plan' } });

export const handler = middy(
  createPlan(() => {
    if (container === undefined) {
      const bucket = process.env.WORK_BUCKET;
      if (bucket === undefined || bucket === '') {
        throw new Error('WORK_BUCKET is not set: the bucket where runs keep their files');
      }
      const logBucket = process.env.LOG_BUCKET;
      container = {
        s3: createS3Client(process.env),
        work: { bucket, prefix: process.env.WORK_PREFIX || DEFAULT_WORK_PREFIX },
        logger,
        ...(logBucket && { scope: { bucket: logBucket, prefix: process.env.LOG_PREFIX ?? '' } }),
        allowDelete: process.env.ELB_OTLP_ALLOW_DELETE === 'true',
      };
    }
    return container;
  }),
).use(injectLambdaContext(logger));
