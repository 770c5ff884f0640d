/**
 * `report`: the last state of a reprocessing run, and between the
 * Distributed Map's passes the step that carries unfinished units on
 * (`{"step": "NextPass", …}`, shared/reprocess/next-pass.ts). Validates its input
 * (`ReportInputError` names every bad field), reads what the Distributed
 * Map wrote, adds up the counts, deletes the fully shipped objects when the
 * run asked for it (and `ELB_OTLP_ALLOW_DELETE=true` allows it), writes
 * `report.json` next to the results and answers the summary (`failedChunks`
 * and `deleteFailed` tell the state machine whether to end FAILED); the
 * engine is shared/reprocess/report-step.ts.
 */

import { allowDeleteFrom } from '../shared/config/environment.ts';
import type { Pass } from '../shared/contract/state-machine.ts';
import type { ReportSummary } from '../shared/reprocess/report.ts';
import { createNextPass, createReport, isNextPassCall } from '../shared/reprocess/report-step.ts';
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

const report = createReport(dependencies);
const next = createNextPass(dependencies);

export const handler = lambdaHandler(
  logger,
  (event: unknown): Promise<ReportSummary | Pass> =>
    isNextPassCall(event) ? next(event) : report(event),
);
