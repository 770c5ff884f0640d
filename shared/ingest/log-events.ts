/**
 * Live ingestion from CloudWatch Logs (docs/vended-logs.md#cloudwatch-logs):
 * a subscription filter on the log group a load balancer's vended delivery
 * writes to invokes the ingest function with `awslogs` events (base64 gzip
 * JSON; Powertools' schema decodes them). Each log event's message is one
 * record, read as the lines of an object are: its log type and encoding
 * from its names, each line's `log.record.uid` from the event's id, so the
 * events a retried invocation sends again are the same records.
 *
 * CloudWatch Logs invokes Lambda asynchronously and takes no partial
 * answer: an invocation whose records did not all ship throws
 * {@link IngestError}, Lambda retries it whole, then hands it to the
 * dead-letter queue. A `CONTROL_MESSAGE` (CloudWatch checking the
 * destination) ships nothing.
 */

import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchLogsSchema } from '@aws-lambda-powertools/parser/schemas/cloudwatch';
import type { ExportConfig } from '../config/export-config.ts';
import type { MappingConfig } from '../config/mapping-config.ts';
import { type ShipCounts, shipCounts, zeroShipCounts } from '../contract/counts.ts';
import { InputValidationError } from '../contract/errors.ts';
import type { OtlpExporter } from '../otlp/exporter.ts';
import { ObjectParser } from '../pipeline/object-parser.ts';
import { shipObject } from '../pipeline/ship-object.ts';
import type { Attribute } from '../records/model.ts';

/** What shipping log events needs: the ingest function's exporter and settings, and its Region. */
export interface LogEventsDependencies {
  exporter: OtlpExporter;
  config: ExportConfig;
  mapping: MappingConfig;
  now: () => number;
  logger: Pick<Logger, 'info' | 'error'>;
  /** The function's Region: the resource's (the envelope names only the account). */
  region?: string;
}

/** Whether `event` is a CloudWatch Logs subscription event (`{"awslogs": {"data": …}}`). */
export function isLogEventsEvent(event: unknown): boolean {
  const awslogs = (event as { awslogs?: { data?: unknown } } | null)?.awslogs;
  return typeof awslogs?.data === 'string';
}

/** What one subscription event came to. */
export interface LogEventsSummary extends ShipCounts {
  logGroup: string;
  logStream: string;
  /** Log events in the invocation (every one a line). */
  events: number;
  /** `DATA_MESSAGE`, or `CONTROL_MESSAGE` (nothing shipped). */
  messageType: string;
}

/** The records of one invocation did not all ship: Lambda retries the event, then dead-letters it. */
export class LogEventsError extends Error {
  override readonly name = 'LogEventsError';
}

/**
 * Ships the log events of one subscription event. Throws
 * {@link InputValidationError} for an event that does not decode, and
 * {@link LogEventsError} when any record was not accepted.
 */
export async function ingestLogEvents(
  event: unknown,
  deps: LogEventsDependencies,
  deadlineMs: number,
): Promise<LogEventsSummary> {
  const decoded = CloudWatchLogsSchema.safeParse(event);
  if (!decoded.success) {
    throw new InputValidationError(
      `not a CloudWatch Logs subscription event: ${decoded.error.issues.map((i) => i.message).join('; ')}`,
    );
  }
  const { owner, logGroup, logStream, messageType, logEvents } = decoded.data.awslogs.data;
  const summary = { logGroup, logStream, events: logEvents.length, messageType };
  if (messageType !== 'DATA_MESSAGE') {
    deps.logger.info('control message: nothing to ship', summary);
    return { ...summary, ...zeroShipCounts() };
  }
  // One line per event (an ELB record holds no newline; one that does is
  // read with its newlines as spaces), each event's id kept by its offset.
  const ids = new Map<number, string>();
  const lines: string[] = [];
  let offset = 0;
  for (const logEvent of logEvents) {
    const line = `${logEvent.message.replace(/\r?\n/g, ' ')}\n`;
    ids.set(offset, logEvent.id);
    offset += Buffer.byteLength(line);
    lines.push(line);
  }
  const text = lines.join('');
  const prefix = createHash('sha256')
    .update(`${owner}\n${logGroup}\n${logStream}`)
    .digest('hex')
    .slice(0, 16);
  const where = `log group ${logGroup} (stream ${logStream})`;
  const attributes: Attribute[] = [
    { key: 'aws.log.group.names', type: 'strings', value: [logGroup] },
    { key: 'aws.log.stream.names', type: 'strings', value: [logStream] },
  ];
  const parser = new ObjectParser({
    identity: { key: undefined },
    displayName: where,
    format: 'auto',
    config: deps.mapping,
    source: {
      account: owner,
      ...(deps.region !== undefined && { region: deps.region }),
      attributes,
      uidOf: (offset) => `${prefix}:${ids.get(offset) ?? offset}`,
    },
  });
  const { config } = deps;
  const result = await shipObject({
    source: (async function* () {
      yield Buffer.from(text);
    })(),
    compression: 'none',
    parser,
    exporter: deps.exporter,
    protocol: config.protocol,
    limits: { maxRecords: config.maxBatchRecords, maxBytes: config.maxBatchBytes },
    concurrency: config.concurrency,
    nowNanos: () => BigInt(deps.now()) * 1_000_000n,
    deadlineMs,
  });
  const counts = shipCounts(result);
  const shipped = { ...summary, ...counts };
  const error = result.readError ?? result.exportError;
  if (error !== undefined || counts.failed > 0 || counts.rejected > 0) {
    deps.logger.error('log events failed', { ...shipped, error });
    const why =
      error !== undefined
        ? `${error.name}: ${error.message}`
        : `${counts.failed} failed, ${counts.rejected} rejected of ${counts.lines} records`;
    throw new LogEventsError(`${where}: ${why}`);
  }
  deps.logger.info('log events shipped', shipped);
  return shipped;
}
