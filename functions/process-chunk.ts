/**
 * `process-chunk`: the Distributed Map's worker. Ships one chunk item (and,
 * when an earlier call stopped short of the Lambda's deadline, carries on
 * from its cursor) and answers the chunk result; the engine is
 * shared/reprocess/chunk-step.ts.
 *
 * - Stops at a line boundary before the deadline and answers `done: false`
 *   with a cursor: no batch is ever cut by a timeout.
 * - Throws `ExportRetryableError` or `ObjectReadRetryableError` when a later
 *   attempt may succeed (the state machine's `Retry` matches them); answers
 *   a result with `error` for everything a retry cannot fix.
 * - Environment: the export settings (and the headers secret) and the
 *   record settings; logs JSON lines, never the OTLP headers.
 */

import { SYSTEM_CLOCK } from '../shared/otlp/exporter.ts';
import { createProcessChunk } from '../shared/reprocess/chunk-step.ts';
import { startShippingContainer } from '../shared/runtime/shipping-container.ts';
import { startedOnce } from '../shared/runtime/started-once.ts';
import { functionLogger, lambdaHandler } from './lambda.ts';

const logger = functionLogger('process-chunk');

/** Built at the first call, kept for the container's life. */
const dependencies = startedOnce(async () => ({
  ...(await startShippingContainer(process.env, logger)),
  clock: SYSTEM_CLOCK,
  logger,
}));

export const handler = lambdaHandler(logger, createProcessChunk(dependencies));
