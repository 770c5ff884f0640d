/**
 * CloudWatch Logs subscription events as Lambda receives them: the decoded
 * envelope (owner, log group and stream, message type, log events) gzipped
 * and base64-encoded under `awslogs.data`, written here from AWS's
 * description of the format.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html
 */

import { gzipSync } from 'node:zlib';

export interface LogEventsEnvelope {
  owner: string;
  logGroup: string;
  logStream: string;
  messageType?: 'DATA_MESSAGE' | 'CONTROL_MESSAGE';
  /** Each event's message; ids and timestamps are made from `firstId` and `timestampMs`. */
  messages: readonly string[];
  firstId?: bigint;
  timestampMs?: number;
}

/** The event ids the envelope's log events get: 56-digit decimals, as CloudWatch Logs writes them. */
export function eventIds(envelope: LogEventsEnvelope): string[] {
  const first = envelope.firstId ?? 31953106606966983378809025079804211143289615424298221568n;
  return envelope.messages.map((_, i) => String(first + BigInt(i)));
}

/** The `{"awslogs": {"data": …}}` event of `envelope`. */
export function awslogsEvent(envelope: LogEventsEnvelope): { awslogs: { data: string } } {
  const ids = eventIds(envelope);
  const decoded = {
    messageType: envelope.messageType ?? 'DATA_MESSAGE',
    owner: envelope.owner,
    logGroup: envelope.logGroup,
    logStream: envelope.logStream,
    subscriptionFilters: ['elb-otlp'],
    logEvents: envelope.messages.map((message, i) => ({
      id: ids[i],
      timestamp: envelope.timestampMs ?? 1_789_080_180_000,
      message,
    })),
  };
  return { awslogs: { data: gzipSync(JSON.stringify(decoded)).toString('base64') } };
}
