/**
 * `plan`: the first state of a reprocessing run. Validates the execution
 * input (`InputValidationError` names every bad field), lists and filters the
 * log objects, packs their chunks into work units, writes the manifest (one
 * unit a line) to the run's work location and
 * answers counts and the manifest's location; the engine is
 * shared/reprocess/plan-step.ts. An input of
 * `{"retryFrom": "s3://…/report.json"}` plans the failed chunks of that run.
 *
 * The state machine hands it `{ "input": <execution input>, "runId":
 * <execution name> }`; the work location comes from `WORK_BUCKET` and
 * `WORK_PREFIX` (default `elb-otlp/runs/`). With `LOG_BUCKET` (and
 * `LOG_PREFIX`) set, as the deployment sets them, a run outside those logs
 * is refused with `InputValidationError`, as is a run (or a re-run of a
 * report) asking for deletion unless `ELB_OTLP_ALLOW_DELETE=true` (the
 * deployment's `allowDeleteProcessed`, or `deleteAfterIngest`). The plan
 * carries the run's cost estimate, priced with `ELB_OTLP_PRICES` and the
 * worker's `ELB_OTLP_WORKER_MEMORY_MB`. Objects whose name is not ELB's are
 * read by content, vended `plain` ones only with `ELB_OTLP_VENDED_FIELDS` (or
 * `ELB_OTLP_VENDED_DELIVERY_ID`, whose fields it reads from CloudWatch Logs).
 */

import { planSettings } from '../shared/config/environment.ts';
import { loadMappingConfig } from '../shared/config/mapping-config.ts';
import { costSettings } from '../shared/cost/cost-settings.ts';
import { createPlan } from '../shared/reprocess/plan-step.ts';
import { startedOnce } from '../shared/runtime/started-once.ts';
import { withDeliverySettings } from '../shared/runtime/vended-delivery.ts';
import { createS3Client } from '../shared/s3/client.ts';
import { functionLogger, lambdaHandler } from './lambda.ts';

const logger = functionLogger('plan');

/** Built at the first call, kept for the container's life. */
const dependencies = startedOnce(async () => ({
  ...planSettings(process.env),
  cost: costSettings(process.env),
  vended: await withDeliverySettings(loadMappingConfig(process.env).vended, process.env),
  s3: createS3Client(process.env),
  logger,
  now: () => new Date(),
}));

export const handler = lambdaHandler(logger, createPlan(dependencies));
