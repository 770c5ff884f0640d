/**
 * `report`: the last state of a reprocessing run. Reads what the Distributed
 * Map wrote, adds up the counts, deletes the fully shipped objects when the
 * run asked for it (and `ELB_OTLP_ALLOW_DELETE=true` allows it), writes
 * `report.json` next to the results and answers the summary (`failedChunks`
 * and `deleteFailed` tell the state machine whether to end FAILED).
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { type ReportInput, type ReportSummary, reportRun } from '../shared/reprocess/report.ts';
import { createS3Client } from '../shared/s3/client.ts';

export interface ReportDependencies {
  s3: S3Client;
  logger: Pick<Logger, 'info' | 'error'>;
  /** Whether runs may delete what they shipped (`ELB_OTLP_ALLOW_DELETE`). */
  allowDelete: boolean;
}

/** The report step, given its dependencies (tests pass theirs). */
export function createReport(dependencies: () => ReportDependencies) {
  return async (event: unknown): Promise<ReportSummary> => {
    const input = event as Partial<ReportInput> | null;
    if (input?.plan?.manifest === undefined || input.results?.ResultWriterDetails === undefined) {
      throw new TypeError(
        'report: expected {"plan": <plan output>, "results": <Distributed Map output>}',
      );
    }
    const { s3, logger, allowDelete } = dependencies();
    const summary = await reportRun(s3, input as ReportInput, { allowDelete });
    const { failures, ...counts } = summary;
    if (summary.failedChunks > 0)
      logger.error('run ended with failed chunks', { ...counts, failures });
    else if (summary.deleteFailed > 0)
      logger.error('run shipped, but some objects could not be deleted', counts);
    else logger.info('run shipped', counts);
    return summary;
  };
}

let container: ReportDependencies | undefined;
const logger = new Logger({ serviceName: 'elb-otlp', persistentKeys: { function: 'report' } });

export const handler = middy(
  createReport(() => {
    container ??= {
      s3: createS3Client(process.env),
      logger,
      allowDelete: process.env.ELB_OTLP_ALLOW_DELETE === 'true',
    };
    return container;
  }),
).use(injectLambdaContext(logger));
