/**
 * Live ingestion, without Lambda: ships every ELB log object one
 * invocation's S3 notifications name (in any of their shapes; see
 * notifications.ts) within the invocation, or the records of a CloudWatch
 * Logs subscription event (log-events.ts), hands objects too large for that
 * to the reprocessing state machine, and skips the rest with a log line
 * saying why. An invocation without S3 records (`{}`, `{"from", "to"}`, a
 * scheduled event) starts a run over a window instead (window-run.ts).
 *
 * - Through SQS it answers `batchItemFailures` naming only the messages
 *   whose objects did not all ship; otherwise a failed object fails the
 *   invocation ({@link IngestError}), so Lambda's retries and its
 *   on-failure destination apply.
 * - With `deleteProcessed` an object is deleted once every one of its lines
 *   was accepted, never after a partial one.
 */

import type { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Location } from '../config/environment.ts';
import type { ExportConfig } from '../config/export-config.ts';
import type { MappingConfig } from '../config/mapping-config.ts';
import { addShipCounts, type ShipCounts, zeroShipCounts } from '../contract/counts.ts';
import { InputValidationError } from '../contract/errors.ts';
import type { RunInputFields } from '../contract/state-machine.ts';
import type { OtlpExporter } from '../otlp/exporter.ts';
import { type IngestOutcome, ingestObject, type StateMachineStarter } from './ingest-object.ts';
import { ingestLogEvents, isLogEventsEvent, type LogEventsSummary } from './log-events.ts';
import { readNotifications } from './notifications.ts';
import { type WindowRequest, windowRequestOf, windowRun } from './window-run.ts';

export interface IngestDependencies {
  s3: S3Client;
  exporter: OtlpExporter;
  config: ExportConfig;
  mapping: MappingConfig;
  now: () => number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  handoff?: StateMachineStarter;
  handoffBytes: number;
  deleteProcessed: boolean;
  /** An invocation without S3 records runs over these logs (window-run.ts). */
  logs?: S3Location;
  /** Whether such a run may delete, when its event asks (`ELB_OTLP_ALLOW_DELETE`). */
  allowDelete?: boolean;
  /** The function's Region: the resource's for CloudWatch Logs events (their envelope names only the account). */
  region?: string;
  rangeBytes?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** What a direct invocation answers (and logs): one line per object, and the totals. */
export interface IngestSummary extends ShipCounts {
  objects: number;
  shipped: number;
  handedOff: number;
  ignored: number;
  deleted: number;
  /** Shipped objects kept instead of deleted: they changed since they were read. */
  keptChanged: number;
  failedObjects: number;
}

/** What an invocation without S3 records answers: the run it started (or found started). */
export interface WindowRunStarted {
  run: { executionArn: string; name: string; started: boolean; input: RunInputFields };
}

/** What an invocation through SQS answers: the messages to deliver again. */
export interface BatchItemFailures {
  batchItemFailures: { itemIdentifier: string }[];
}

/** One or more objects of a direct invocation did not ship: Lambda retries the event. */
export class IngestError extends Error {
  override readonly name = 'IngestError';
}

/** The part of the Lambda context ingestion reads (a replay gives its own). */
export interface IngestContext {
  getRemainingTimeInMillis(): number;
  invokedFunctionArn?: string;
}

/** The ingest engine, given its dependencies (the handler, `elb-otlp redrive` and tests pass theirs). */
export function createIngest(
  dependencies: (context: IngestContext) => IngestDependencies | Promise<IngestDependencies>,
) {
  return async (
    event: unknown,
    context: IngestContext,
  ): Promise<IngestSummary | BatchItemFailures | WindowRunStarted | LogEventsSummary> => {
    const deps = await dependencies(context);
    if (isLogEventsEvent(event)) {
      return ingestLogEvents(event, deps, deps.now() + context.getRemainingTimeInMillis());
    }
    const request = windowRequestOf(event, deps.now());
    if (request !== undefined) return startWindowRun(request, deps);
    const deadlineMs = deps.now() + context.getRemainingTimeInMillis();
    const { via, units } = readNotifications(event);
    let summary: IngestSummary = {
      objects: 0,
      shipped: 0,
      handedOff: 0,
      ignored: 0,
      deleted: 0,
      keptChanged: 0,
      failedObjects: 0,
      ...zeroShipCounts(),
    };
    const failures: string[] = [];
    const failedMessages: string[] = [];
    for (const unit of units) {
      let unitFailed = unit.error !== undefined;
      if (unit.error !== undefined) {
        deps.logger.error('notification not understood', { error: unit.error });
        failures.push(unit.error);
      }
      for (const reason of unit.ignored) deps.logger.info('notification ignored', { reason });
      for (const notice of unit.objects) {
        summary.objects++;
        const outcome = await ingestObject(notice, { ...deps, deadlineMs });
        const object = `s3://${notice.bucket}/${notice.key}`;
        summary = record(summary, outcome);
        logOutcome(deps.logger, object, outcome);
        if (outcome.status === 'failed') {
          unitFailed = true;
          failures.push(`${object}: ${outcome.error.name}: ${outcome.error.message}`);
        }
      }
      if (unitFailed && unit.messageId !== undefined) failedMessages.push(unit.messageId);
    }
    if (via === 'sqs') {
      return { batchItemFailures: failedMessages.map((itemIdentifier) => ({ itemIdentifier })) };
    }
    if (failures.length > 0) {
      throw new IngestError(
        `${failures.length} of ${Math.max(summary.objects, failures.length)} failed: ${failures.slice(0, 5).join('; ')}`,
      );
    }
    return summary;
  };
}

/** Starts the run an invocation without S3 records asks for. */
async function startWindowRun(
  request: WindowRequest,
  deps: IngestDependencies,
): Promise<WindowRunStarted> {
  const { name, input } = windowRun(request, {
    ...(deps.logs !== undefined && { logs: deps.logs }),
    allowDelete: deps.allowDelete === true,
  });
  if (deps.handoff === undefined) {
    throw new InputValidationError(
      'an invocation without S3 records starts a reprocessing run, and this function has no state machine (REPROCESS_STATE_MACHINE_NAME or _ARN)',
    );
  }
  const { started, executionArn } = await deps.handoff.start(name, input);
  deps.logger.info(started ? 'run started' : 'run already started under this name', {
    execution: executionArn,
    input,
  });
  return { run: { executionArn, name, started, input } };
}

/** The summary with one more object's outcome in it. */
function record(summary: IngestSummary, outcome: IngestOutcome): IngestSummary {
  switch (outcome.status) {
    case 'ignored':
      summary.ignored++;
      return summary;
    case 'handed-off':
      summary.handedOff++;
      return summary;
    case 'shipped':
      summary.shipped++;
      if (outcome.deleted) summary.deleted++;
      if (outcome.changed) summary.keptChanged++;
      break;
    case 'failed':
      summary.failedObjects++;
      break;
  }
  return { ...summary, ...addShipCounts(summary, outcome.counts) };
}

function logOutcome(logger: IngestDependencies['logger'], object: string, outcome: IngestOutcome) {
  switch (outcome.status) {
    case 'ignored':
      logger.info('object ignored', { object, reason: outcome.reason });
      return;
    case 'handed-off':
      logger.info('object handed to the reprocessing state machine', {
        object,
        execution: outcome.execution,
        started: outcome.started,
        reason: outcome.reason,
      });
      return;
    case 'shipped':
      logger.info('object shipped', {
        object,
        ...outcome.counts,
        deleted: outcome.deleted,
        ...(outcome.changed && { kept: 'changed since it was read: not deleted' }),
      });
      return;
    case 'failed':
      logger.error('object failed', { object, ...outcome.counts, error: outcome.error });
      return;
  }
}
