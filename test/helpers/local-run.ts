/**
 * One execution of the reprocessing state machine on this machine, composed
 * as `elb-otlp reprocess` composes it (shared/local/local-steps.ts and
 * run-reprocess.ts), shipping to a loopback receiver; for the tests that
 * drive whole runs.
 */

import type { S3Client } from '@aws-sdk/client-s3';
import { loadExportConfig } from '../../shared/config/export-config.ts';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import type { PlanSummary } from '../../shared/contract/state-machine.ts';
import { localSteps } from '../../shared/local/local-steps.ts';
import { type LocalRunOptions, runReprocessLocally } from '../../shared/local/run-reprocess.ts';
import {
  createOtlpExporter,
  type ExporterClock,
  SYSTEM_CLOCK,
} from '../../shared/otlp/exporter.ts';
import type { ReportSummary } from '../../shared/reprocess/report.ts';
import type { OtlpReceiver } from './otlp-receiver.ts';
import { TEST_BUCKET, type TestS3 } from './s3.ts';

export interface LocalRun {
  s3: TestS3;
  receiver: OtlpReceiver;
  input: unknown;
  runId: string;
  /** Units shipped at once. */
  concurrency: number;
  /** The exporter's and the worker's clock (default: the system's). */
  clock?: ExporterClock;
  /** Called with each worker call before the worker gets it. */
  onCall?: (call: unknown) => void;
  /**
   * Stands between the child and the worker: gets each call and the worker
   * (e.g. to call it twice, as a child run twice would).
   */
  worker?: (call: unknown, ship: (call: unknown) => Promise<unknown>) => Promise<unknown>;
  /** The S3 client the run's steps use (default: `s3.client`; e.g. a proxy's). */
  client?: S3Client;
  /** How the children run and how long passes wait. */
  run?: Pick<LocalRunOptions, 'childExecutionType' | 'passWaitSeconds'>;
  /** The record settings' environment (default: none set). */
  mappingEnv?: Record<string, string>;
}

/** Runs it; answers the outcome, its report, the plan made and the children run. */
export async function runLocally(options: LocalRun) {
  const { s3, receiver, input, runId, concurrency, onCall } = options;
  const clock = options.clock ?? SYSTEM_CLOCK;
  const config = loadExportConfig({}, { endpoint: receiver.url });
  const exporter = createOtlpExporter(config, clock);
  const client = options.client ?? s3.client;
  const steps = localSteps({
    s3: client,
    exporter,
    config,
    mapping: loadMappingConfig(options.mappingEnv ?? {}),
    work: { bucket: TEST_BUCKET, prefix: 'work/' },
    clock,
    now: () => new Date(),
  });
  let plan: PlanSummary | undefined;
  let children = 0;
  const outcome = await runReprocessLocally({
    input,
    runId,
    s3: client,
    plan: async (event) => {
      const answer = await steps.plan(event);
      // The plan as it stands after each step; whole after PlanTotals.
      if ((event as { step?: string }).step !== 'PlanPart') plan = answer as PlanSummary;
      return answer;
    },
    processChunk: (call) => {
      onCall?.(call);
      return options.worker === undefined
        ? steps.processChunk(call)
        : options.worker(call, steps.processChunk);
    },
    nextPass: steps.nextPass,
    report: steps.report,
    concurrency,
    ...options.run,
    onUnit: () => {
      children++;
    },
  });
  await exporter.close();
  return {
    outcome,
    report: outcome.output as ReportSummary,
    plan: plan as PlanSummary,
    children,
  };
}
