/**
 * `ingest`: live ingestion. Triggered by S3 "object created" notifications
 * in any of their shapes (S3 directly, SQS, SNS, SNS in SQS, EventBridge;
 * see shared/ingest/notifications.ts), it ships every ELB log object they
 * name within the invocation, hands objects too large for that to the
 * reprocessing state machine, and skips the rest with a log line saying why.
 *
 * - Through SQS it answers `batchItemFailures` naming only the messages
 *   whose objects did not all ship; otherwise a failed object fails the
 *   invocation, so Lambda's retries and its on-failure destination apply.
 * - With `DELETE_PROCESSED_FILES=true` an object is deleted once every one
 *   of its lines was accepted, never after a partial one.
 * - Environment: the export settings of `process-chunk` (and its headers
 *   secret), `REPROCESS_STATE_MACHINE_ARN` for hand-offs,
 *   `ELB_OTLP_HANDOFF_BYTES` (stored bytes over which an object is handed
 *   off; default 256 MiB, lowered when the invocation's time would not do).
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { S3Client } from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ExportConfig } from '../shared/config/export-config.ts';
import type { MappingConfig } from '../shared/config/mapping-config.ts';
import {
  type IngestOutcome,
  ingestObject,
  type StateMachineStarter,
} from '../shared/ingest/ingest-object.ts';
import { readNotifications } from '../shared/ingest/notifications.ts';
import { type OtlpExporter, SYSTEM_CLOCK } from '../shared/otlp/exporter.ts';
import {
  SHIP_COUNT_NAMES,
  type ShipCounts,
  zeroShipCounts,
} from '../shared/pipeline/ship-object.ts';
import { startedOnce, startShippingContainer } from './shipping-container.ts';

export const DEFAULT_HANDOFF_BYTES = 256 * 1024 * 1024;

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

/** One or more objects of a direct invocation did not ship: Lambda retries the event. */
export class IngestError extends Error {
  override readonly name = 'IngestError';
}

export type IngestContext = Pick<Context, 'getRemainingTimeInMillis'> &
  Partial<Pick<Context, 'invokedFunctionArn'>>;

/** The ingest handler, given its dependencies (tests pass theirs). */
export function createIngest(
  dependencies: (context: IngestContext) => IngestDependencies | Promise<IngestDependencies>,
) {
  return async (
    event: unknown,
    context: IngestContext,
  ): Promise<IngestSummary | { batchItemFailures: { itemIdentifier: string }[] }> => {
    const deps = await dependencies(context);
    const deadlineMs = deps.now() + context.getRemainingTimeInMillis();
    const { via, units } = readNotifications(event);
    const summary: IngestSummary = {
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
        record(summary, outcome);
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

function record(summary: IngestSummary, outcome: IngestOutcome): void {
  switch (outcome.status) {
    case 'ignored':
      summary.ignored++;
      return;
    case 'handed-off':
      summary.handedOff++;
      return;
    case 'shipped':
      summary.shipped++;
      if (outcome.deleted) summary.deleted++;
      if (outcome.changed) summary.keptChanged++;
      break;
    case 'failed':
      summary.failedObjects++;
      break;
  }
  for (const name of SHIP_COUNT_NAMES) summary[name] += outcome.counts[name];
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

/** Hand-offs through Step Functions' StartExecution. */
export function stepFunctionsStarter(
  client: SFNClient,
  stateMachineArn: string,
): StateMachineStarter {
  return {
    async start(name, input) {
      try {
        await client.send(
          new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
        );
        return true;
      } catch (error) {
        // A duplicate notification of the same object version: its run exists.
        if (error instanceof ExecutionAlreadyExists) return false;
        throw error;
      }
    },
  };
}

const logger = new Logger({ serviceName: 'elb-otlp', persistentKeys: { function: 'ingest' } });

/**
 * The reprocessing state machine's ARN: given, or built from its name and
 * the function's own ARN (`arn:<partition>:lambda:<region>:<account>:…`).
 */
export function stateMachineArnFor(
  env: Record<string, string | undefined>,
  functionArn: string | undefined,
): string | undefined {
  const given = env.REPROCESS_STATE_MACHINE_ARN?.trim();
  if (given) return given;
  const name = env.REPROCESS_STATE_MACHINE_NAME?.trim();
  const parts = functionArn?.split(':') ?? [];
  if (!name || parts.length < 5 || parts[2] !== 'lambda') return undefined;
  return `arn:${parts[1]}:states:${parts[3]}:${parts[4]}:stateMachine:${name}`;
}

async function startContainer(context: IngestContext): Promise<IngestDependencies> {
  const env = process.env;
  const stateMachineArn = stateMachineArnFor(env, context.invokedFunctionArn);
  const handoffBytes = env.ELB_OTLP_HANDOFF_BYTES?.trim();
  if (handoffBytes && !/^\d+$/.test(handoffBytes)) {
    throw new Error(
      `ELB_OTLP_HANDOFF_BYTES: expected a whole number of bytes, got ${handoffBytes}`,
    );
  }
  return {
    ...(await startShippingContainer(env, logger)),
    now: () => SYSTEM_CLOCK.now(),
    logger,
    ...(stateMachineArn && {
      handoff: stepFunctionsStarter(new SFNClient({}), stateMachineArn),
    }),
    handoffBytes: handoffBytes ? Number(handoffBytes) : DEFAULT_HANDOFF_BYTES,
    deleteProcessed: /^(true|1|yes)$/i.test(env.DELETE_PROCESSED_FILES?.trim() ?? ''),
  };
}

export const handler = middy(createIngest(startedOnce(startContainer))).use(
  injectLambdaContext(logger),
);
