/**
 * `process-chunk`: the Distributed Map's worker. Ships one work unit's
 * chunks in order (and, when an earlier call stopped short of the deadline,
 * carries on from its cursor) and answers the unit result; the engine is
 * shared/reprocess/unit-step.ts.
 *
 * - Stops at a line boundary before the deadline (the Lambda's, or an
 *   Express child's) and answers the unit unfinished with its cursor: no
 *   batch is ever cut by a timeout.
 * - When the Collector or S3 stays unavailable, answers the unit stalled for
 *   the run's next pass; a chunk's result names everything else.
 * - Deletes each object it shipped whole when the run asks for it
 *   (`deleteShipped`) and `ELB_OTLP_ALLOW_DELETE=true` allows it, pinned to
 *   the ETag shipped.
 * - Environment: the export settings (and the headers secret) and the
 *   record settings; logs JSON lines, never the OTLP headers.
 */

import { allowDeleteFrom } from '../shared/config/environment.ts';
import { SYSTEM_CLOCK } from '../shared/otlp/exporter.ts';
import { createProcessUnit } from '../shared/reprocess/unit-step.ts';
import { startShippingContainer } from '../shared/runtime/shipping-container.ts';
import { startedOnce } from '../shared/runtime/started-once.ts';
import { functionLogger, lambdaHandler } from './lambda.ts';

const logger = functionLogger('process-chunk');

/** Built at the first call, kept for the container's life. */
const dependencies = startedOnce(async () => ({
  ...(await startShippingContainer(process.env, logger)),
  clock: SYSTEM_CLOCK,
  logger,
  allowDelete: allowDeleteFrom(process.env),
}));

export const handler = lambdaHandler(logger, createProcessUnit(dependencies));
