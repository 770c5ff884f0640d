/**
 * The report step, without Lambda: validates what the definition hands it
 * (`{"plan": <plan summary>, "passes": [<each pass's Distributed Map output>]}`;
 * `ReportInputError` names every bad field), reports the run (report.ts),
 * logs how it ended and answers the summary, whose `failedChunks` and
 * `deleteFailed` tell the state machine whether to end FAILED.
 */

import type { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';
import { ReportInputError } from '../contract/errors.ts';
import { describeProblems, parseOrThrow } from '../contract/parse.ts';
import {
  type NextPassInput,
  nextPassInputSchema,
  type Pass,
  type ReportInput,
  reportInputSchema,
} from '../contract/state-machine.ts';
import { nextPass } from './next-pass.ts';
import { type ReportSummary, reportRun } from './report.ts';

export interface ReportDependencies {
  s3: S3Client;
  logger: Pick<Logger, 'info' | 'error'>;
  /** Whether runs may delete what they shipped (`ELB_OTLP_ALLOW_DELETE`). */
  allowDelete: boolean;
}

/** The report step, given its dependencies (the handler, the local runner and tests pass theirs). */
export function createReport(dependencies: () => ReportDependencies | Promise<ReportDependencies>) {
  return async (event: unknown): Promise<ReportSummary> => {
    const input = parseReportInput(event);
    const { s3, logger, allowDelete } = await dependencies();
    const summary = await reportRun(s3, input, { allowDelete });
    const { failures, ...counts } = summary;
    if (summary.failedChunks > 0)
      logger.error('run ended with failed chunks', { ...counts, failures });
    else if (summary.deleteFailed > 0)
      logger.error('run shipped, but some objects could not be deleted', counts);
    else logger.info('run shipped', counts);
    return summary;
  };
}

/**
 * The next-pass step (next-pass.ts), given the report step's dependencies:
 * the report function runs it too (`{"step": "NextPass", …}`), with the
 * same permissions on the run's files.
 */
export function createNextPass(
  dependencies: () => ReportDependencies | Promise<ReportDependencies>,
) {
  return async (event: unknown): Promise<Pass> => {
    const input = parseNextPassInput(event);
    const { s3, logger } = await dependencies();
    const pass = await nextPass(s3, input);
    logger.info('pass ran', {
      runId: input.plan.runId,
      pass: input.pass.number,
      unfinished: pass.unfinished,
    });
    return pass;
  };
}

/** Whether the report function's event is a next-pass call (else it is the report's). */
export function isNextPassCall(event: unknown): boolean {
  return typeof event === 'object' && event !== null && 'step' in event;
}

/** Validates the next-pass step's input, or throws {@link ReportInputError} naming every bad field. */
export function parseNextPassInput(event: unknown): NextPassInput {
  return parseOrThrow(
    nextPassInputSchema,
    event ?? {},
    (problems) =>
      new ReportInputError(
        `bad next-pass input: ${describeProblems(problems)} (expected {"step": "NextPass", "plan", "pass", "results"})`,
      ),
  );
}

/** Validates the report step's input, or throws {@link ReportInputError} naming every bad field. */
export function parseReportInput(event: unknown): ReportInput {
  return parseOrThrow(
    reportInputSchema,
    event ?? {},
    (problems) =>
      new ReportInputError(
        `bad report input: ${describeProblems(problems)} (expected {"plan": <plan output>, "passes": [<Distributed Map output>, …]})`,
      ),
  );
}
