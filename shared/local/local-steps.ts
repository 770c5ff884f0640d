/**
 * The reprocessing state machine's tasks as a run on this machine
 * calls them: the same engines the Lambda handlers call (plan-step.ts,
 * chunk-step.ts, report-step.ts), given this machine's S3 client and
 * exporter instead of a container's, quiet instead of logging, and no
 * Lambda deadline. With your own credentials, what they may reach is the
 * run's scope, and deletion is yours to ask for.
 */

import type { S3Client } from '@aws-sdk/client-s3';
import type { ExportConfig } from '../config/export-config.ts';
import type { MappingConfig } from '../config/mapping-config.ts';
import type { Pass, PlanPart, PlanSummary, UnitResult } from '../contract/state-machine.ts';
import type { CostSettings } from '../cost/cost-settings.ts';
import type { ExporterClock, OtlpExporter } from '../otlp/exporter.ts';
import { createPlan } from '../reprocess/plan-step.ts';
import type { ReportSummary } from '../reprocess/report.ts';
import { createNextPass, createReport } from '../reprocess/report-step.ts';
import type { WorkLocation } from '../reprocess/run-files.ts';
import { createProcessUnit } from '../reprocess/unit-step.ts';

/** A local run has no Lambda deadline: a day stands in for a unit's remaining time. */
export const LOCAL_CHUNK_TIME_MS = 86_400_000;

/** A logger that writes nothing: a local run reports through its own output. */
export const QUIET_LOGGER = { info: () => {}, warn: () => {}, error: () => {} };

export interface LocalStepOptions {
  s3: S3Client;
  exporter: OtlpExporter;
  config: ExportConfig;
  mapping: MappingConfig;
  /** Where runs keep their files; each run under `<prefix><runId>/`. */
  work: WorkLocation;
  /** The exporter's clock, which the worker's deadline is read by. */
  clock: ExporterClock;
  /** When a plan is made. */
  now: () => Date;
  /** Prices and the worker's memory for the plan's estimate (default: us-east-1, 1769 MB). */
  cost?: CostSettings;
}

/** The tasks of a local run, for `runReprocessLocally` (run-reprocess.ts); `processChunk` ships a unit. */
export interface LocalSteps {
  /** The three plan steps (plan-step.ts). */
  plan(event: unknown): Promise<PlanSummary | PlanPart>;
  processChunk(call: unknown): Promise<UnitResult>;
  nextPass(event: unknown): Promise<Pass>;
  report(event: unknown): Promise<ReportSummary>;
}

/** Builds the tasks from the engines the handlers call. */
export function localSteps(options: LocalStepOptions): LocalSteps {
  const { s3, exporter, config, mapping, work, clock, now, cost } = options;
  const logger = QUIET_LOGGER;
  const processUnit = createProcessUnit(() => ({
    s3,
    exporter,
    config,
    mapping,
    clock,
    logger,
    allowDelete: true,
  }));
  return {
    plan: createPlan(() => ({
      s3,
      work,
      logger,
      allowDelete: true,
      now,
      cost,
      vended: mapping.vended,
    })),
    processChunk: (call) =>
      processUnit(call, { getRemainingTimeInMillis: () => LOCAL_CHUNK_TIME_MS }),
    nextPass: createNextPass(() => ({ s3, logger, allowDelete: true })),
    report: createReport(() => ({ s3, logger, allowDelete: true })),
  };
}
