/**
 * `report`: the last state of a reprocessing run. Validates its input
 * (`ReportInputError` names every bad field), reads what the Distributed
 * Map wrote, adds up the counts, deletes the fully shipped objects when the
 * run asked for it (and `ELB_OTLP_ALLOW_DELETE=true` allows it), writes
 * `report.json` next to the results and answers the summary (`failedChunks`
 * and `deleteFailed` tell the state machine whether to end FAILED); the
 * engine is shared/reprocess/report-step.ts.
 */

import { allowDeleteFrom } from '../shared/config/environment.ts';
import { createReport } from '../shared/reprocess/report-step.ts';
import { startedOnce } from '../shared/runtime/started-once.ts';
import { createS3Client } from '../shared/s3/client.ts';
import { functionLogger, lambdaHandler } from './lambda.ts';

const logger = functionLogger('report');

/** Built at the first call, kept for the container's life. */
const dependencies = startedOnce(async () => ({
  s3: createS3Client(process.env),
  logger,
  allowDelete: allowDeleteFrom(process.env),
}));

export const handler = lambdaHandler(logger, createReport(dependencies));
