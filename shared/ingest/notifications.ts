/**
 * Every shape in which an S3 "object created" notification reaches the
 * ingest function, reduced to the objects it names:
 *
 * - an S3 event (`Records[].eventSource = "aws:s3"`), sent to Lambda
 *   directly, through SNS (`Records[].Sns.Message`), through SQS
 *   (`Records[].body`), or SNS then SQS (the body is the SNS envelope);
 * - an EventBridge `Object Created` event (`source = "aws.s3"`), directly or
 *   through SQS;
 * - S3's `s3:TestEvent`, sent when a notification is set up: nothing to do.
 *
 * S3 event records carry keys form-encoded (`+` for a space, `%3D` for `=`);
 * EventBridge events carry them as they are.
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
 */

import { z } from 'zod';
import { problemsOf } from '../contract/parse.ts';

/** One object a notification names. */
export interface ObjectNotice {
  bucket: string;
  /** Decoded: the key as S3's API takes it. */
  key: string;
  /** Stored bytes, when the notification says. */
  size?: number;
  etag?: string;
  /** Orders the events of one key (hex); part of a hand-off's name. */
  sequencer?: string;
}

/** What one delivery (an SQS message, or the whole event) asks for. */
export interface NotificationUnit {
  /** The SQS message id (for `batchItemFailures`), when the event came through SQS. */
  messageId?: string;
  objects: ObjectNotice[];
  /** Notifications that name nothing to ship, and why (a test event, a deletion…). */
  ignored: string[];
  /** Why (part of) the delivery could not be read, when it could not. */
  error?: string;
}

export interface ReadNotifications {
  /** `sqs`: answer `batchItemFailures`; `direct`: fail the invocation. */
  via: 'sqs' | 'direct';
  units: NotificationUnit[];
}

// Only the fields elb-otlp needs; the rest of each shape may vary.
const s3Record = z.object({
  eventSource: z.literal('aws:s3'),
  eventName: z.string(),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      eTag: z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});

const eventBridgeEvent = z.object({
  source: z.literal('aws.s3'),
  'detail-type': z.string(),
  detail: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      etag: z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});

const snsRecord = z.object({
  EventSource: z.literal('aws:sns'),
  Sns: z.object({ Message: z.string() }),
});

const sqsRecord = z.object({
  eventSource: z.literal('aws:sqs'),
  messageId: z.string(),
  body: z.string(),
});

/** Splits an invocation's event into deliveries and the objects they name. */
export function readNotifications(event: unknown): ReadNotifications {
  const records = (event as { Records?: unknown } | null)?.Records;
  if (Array.isArray(records) && records.length > 0 && sqsRecord.safeParse(records[0]).success) {
    return {
      via: 'sqs',
      units: records.map((record, index) => {
        const parsed = sqsRecord.safeParse(record);
        if (!parsed.success) {
          return { objects: [], ignored: [], error: `Records[${index}] is not an SQS message` };
        }
        const unit: NotificationUnit = {
          messageId: parsed.data.messageId,
          objects: [],
          ignored: [],
        };
        let body: unknown;
        try {
          body = JSON.parse(parsed.data.body);
        } catch {
          unit.error = `message ${parsed.data.messageId}: the body is not JSON`;
          return unit;
        }
        collect(body, unit, `message ${parsed.data.messageId}`);
        return unit;
      }),
    };
  }
  const unit: NotificationUnit = { objects: [], ignored: [] };
  collect(event, unit, 'the event');
  return { via: 'direct', units: [unit] };
}

function collect(value: unknown, unit: NotificationUnit, where: string): void {
  const shape = value as Record<string, unknown> | null;
  if (shape === null || typeof shape !== 'object') {
    fail(unit, `${where} is not an S3 notification`);
    return;
  }
  if (shape.Event === 's3:TestEvent') {
    unit.ignored.push(`${where}: S3's test event (sent when a notification is set up)`);
    return;
  }
  // SNS's envelope, as SQS receives it from a topic without raw delivery.
  if (shape.Type === 'Notification' && typeof shape.Message === 'string') {
    let message: unknown;
    try {
      message = JSON.parse(shape.Message);
    } catch {
      fail(unit, `${where}: the SNS message is not JSON`);
      return;
    }
    collect(message, unit, where);
    return;
  }
  if (shape.source === 'aws.s3') {
    const parsed = eventBridgeEvent.safeParse(shape);
    if (!parsed.success) {
      fail(unit, `${where}: an EventBridge S3 event without ${issuePath(parsed.error)}`);
    } else if (parsed.data['detail-type'] !== 'Object Created') {
      unit.ignored.push(`${where}: an EventBridge "${parsed.data['detail-type']}" event`);
    } else {
      const { bucket, object } = parsed.data.detail;
      unit.objects.push({
        bucket: bucket.name,
        key: object.key,
        ...(object.size !== undefined && { size: object.size }),
        ...(object.etag !== undefined && { etag: object.etag }),
        ...(object.sequencer !== undefined && { sequencer: object.sequencer }),
      });
    }
    return;
  }
  const records = shape.Records;
  if (!Array.isArray(records) || records.length === 0) {
    fail(unit, `${where} is not an S3 notification (no Records, no EventBridge detail)`);
    return;
  }
  records.forEach((record, index) => {
    const at = `${where}, Records[${index}]`;
    const sns = snsRecord.safeParse(record);
    if (sns.success) {
      let message: unknown;
      try {
        message = JSON.parse(sns.data.Sns.Message);
      } catch {
        fail(unit, `${at}: the SNS message is not JSON`);
        return;
      }
      collect(message, unit, at);
      return;
    }
    const parsed = s3Record.safeParse(record);
    if (!parsed.success) {
      fail(unit, `${at} is not an S3 event record (${issuePath(parsed.error)})`);
      return;
    }
    const { eventName, s3 } = parsed.data;
    if (!eventName.startsWith('ObjectCreated:')) {
      unit.ignored.push(`${at}: a ${eventName} event`);
      return;
    }
    let key: string;
    try {
      key = decodeEventKey(s3.object.key, at);
    } catch (error) {
      fail(unit, (error as Error).message);
      return;
    }
    unit.objects.push({
      bucket: s3.bucket.name,
      key,
      ...(s3.object.size !== undefined && { size: s3.object.size }),
      ...(s3.object.eTag !== undefined && { etag: s3.object.eTag }),
      ...(s3.object.sequencer !== undefined && { sequencer: s3.object.sequencer }),
    });
  });
}

/** S3 event keys are form-encoded: `+` is a space, `%XX` a byte of UTF-8. */
export function decodeEventKey(key: string, where = 'the event'): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    throw new TypeError(`${where}: the key ${JSON.stringify(key)} is not form-encoded`);
  }
}

function fail(unit: NotificationUnit, message: string): void {
  unit.error = unit.error === undefined ? message : `${unit.error}; ${message}`;
}

/** The fields a refused notification lacks or holds wrong, all of them. */
function issuePath(error: z.ZodError): string {
  const fields = problemsOf(error, 'its fields').map((problem) => problem.field);
  return fields.length === 0 ? 'its fields' : [...new Set(fields)].join(', ');
}
