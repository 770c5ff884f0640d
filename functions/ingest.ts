/**
 * `ingest`: live ingestion. Triggered by S3 "object created" notifications
 * in any of their shapes (S3 directly, SQS, SNS, SNS in SQS, EventBridge),
 * it ships every ELB log object they name within the invocation (or, from a
 * CloudWatch Logs subscription, the vended records of its events), hands
 * objects too large for that to the reprocessing state machine, and skips
 * the rest with a log line saying why; the engine is
 * shared/ingest/ingest-event.ts.
 *
 * - Through SQS it answers `batchItemFailures` naming only the messages
 *   whose objects did not all ship; otherwise a failed object fails the
 *   invocation, so Lambda's retries and its on-failure destination apply.
 * - With `DELETE_PROCESSED_FILES=true` an object is deleted once every one
 *   of its lines was accepted, never after a partial one.
 * - Invoked without S3 records (`{}`, `{"from", "to"}`, a scheduled event),
 *   it starts a reprocessing run over `LOG_BUCKET`/`LOG_PREFIX` (or the
 *   guide's `S3_BUCKET_NAME`/`S3_PREFIX`) for that window, the last hour by
 *   default, and answers its execution ARN (shared/ingest/window-run.ts).
 * - Environment: the export settings of `process-chunk` (and its headers
 *   secret), `REPROCESS_STATE_MACHINE_ARN` (or `_NAME`) for hand-offs and
 *   runs, `ELB_OTLP_HANDOFF_BYTES` (stored bytes over which an object is
 *   handed off; default 256 MiB, lowered when the invocation's time would
 *   not do), `ELB_OTLP_ALLOW_DELETE` (whether such a run may delete).
 */

import { SFNClient } from '@aws-sdk/client-sfn';
import { allowDeleteFrom, ingestSettings, logLocation } from '../shared/config/environment.ts';
import { stepFunctionsStarter } from '../shared/ingest/handoff.ts';
import { createIngest, type IngestContext } from '../shared/ingest/ingest-event.ts';
import { SYSTEM_CLOCK } from '../shared/otlp/exporter.ts';
import { startShippingContainer } from '../shared/runtime/shipping-container.ts';
import { startedOnce } from '../shared/runtime/started-once.ts';
import { functionLogger, lambdaHandler } from './lambda.ts';

const logger = functionLogger('ingest');

/** Built at the first call (its ARN names the state machine's Region), kept for the container's life. */
const dependencies = startedOnce(async (context: IngestContext) => {
  const { stateMachineArn, ...settings } = ingestSettings(process.env, context.invokedFunctionArn);
  const logs = logLocation(process.env);
  return {
    ...(await startShippingContainer(process.env, logger)),
    ...settings,
    ...(logs !== undefined && { logs }),
    allowDelete: allowDeleteFrom(process.env),
    ...(process.env.AWS_REGION !== undefined && { region: process.env.AWS_REGION }),
    now: () => SYSTEM_CLOCK.now(),
    logger,
    ...(stateMachineArn && { handoff: stepFunctionsStarter(new SFNClient({}), stateMachineArn) }),
  };
});

export const handler = lambdaHandler(logger, createIngest(dependencies));
