/**
 * An ingest invocation without S3 records, as the guide's users made by hand
 * or on a schedule: it starts a reprocessing run over the deployment's logs
 * (`LOG_BUCKET`/`LOG_PREFIX`, or the guide's `S3_BUCKET_NAME`/`S3_PREFIX`)
 * for a window of time, and answers the run's execution ARN
 * (docs/live-ingestion.md#runs-without-an-s3-event).
 *
 * - The event is `{}`, `{"from", "to", "deleteProcessed", "dryRun"}` (each
 *   optional), or EventBridge's "Scheduled Event". Without `from` and `to`
 *   the window is the hour ending {@link DELIVERY_MARGIN_MS} before the
 *   invocation (a scheduled event's own `time`), on a 5-minute boundary, so
 *   an object ELB is still delivering falls in the next hour's run, and an
 *   hourly schedule's windows meet exactly.
 * - The execution's name follows from its input: a retried delivery of the
 *   same event finds its run instead of starting a second one.
 * - It deletes only when the event asks (`"deleteProcessed": true`) and the
 *   deployment allows it (`ELB_OTLP_ALLOW_DELETE`); asked without that, it
 *   is refused before anything starts.
 */

import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { S3Location } from '../config/environment.ts';
import { InputValidationError } from '../contract/errors.ts';
import { describeProblems, problemsOf } from '../contract/parse.ts';
import type { RunInputFields } from '../contract/state-machine.ts';
import { LOG_INTERVAL_MS } from '../formats/s3-key.ts';
import { parseAnyRunInput } from '../reprocess/run-input.ts';

/** The window of a run without `from` and `to`: an hour. */
export const DEFAULT_WINDOW_MS = 60 * 60 * 1000;
/**
 * How long before the invocation the default window ends: ELB writes an
 * object within minutes of its 5-minute interval's end, so the last
 * minutes' objects may not be there yet; they fall in the next window.
 */
export const DELIVERY_MARGIN_MS = 10 * 60 * 1000;

/** The fields of a run request, every one optional. */
const runRequest = z.strictObject({
  from: z.string().optional(),
  to: z.string().optional(),
  deleteProcessed: z.boolean().optional(),
  dryRun: z.boolean().optional(),
});

/** What an event asks of a run, when it is a run request rather than a notification. */
export interface WindowRequest {
  from?: string;
  to?: string;
  deleteProcessed?: boolean;
  dryRun?: boolean;
  /** When it was asked (ms since the epoch): a scheduled event's `time`, or now. */
  at: number;
}

/**
 * Where an S3 notification, in any of its shapes, says what it is; and a
 * CloudWatch Logs subscription's `awslogs` (log-events.ts): none is a run.
 */
const NOTIFICATION_FIELDS = [
  'Records',
  'Event',
  'Type',
  'source',
  'detail-type',
  'detail',
  'awslogs',
];

/**
 * The run an event asks for, or `undefined` when it is a notification (or
 * not an object: the notification reader names what is wrong with it).
 *
 * @throws InputValidationError naming the fields of an event that is no
 *   notification and no run request either.
 */
export function windowRequestOf(event: unknown, now: number): WindowRequest | undefined {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return undefined;
  const shape = event as Record<string, unknown>;
  if (shape['detail-type'] === 'Scheduled Event') {
    const at = typeof shape.time === 'string' ? Date.parse(shape.time) : Number.NaN;
    return { at: Number.isNaN(at) ? now : at };
  }
  if (NOTIFICATION_FIELDS.some((field) => field in shape)) return undefined;
  const parsed = runRequest.safeParse(event);
  if (!parsed.success) {
    throw new InputValidationError(
      `the event is neither an S3 notification nor a run request ({"from", "to", "deleteProcessed", "dryRun"}, each optional): ${describeProblems(problemsOf(parsed.error, 'the event'))}`,
    );
  }
  return { ...parsed.data, at: now };
}

/** What the deployment gives a run without records. */
export interface WindowRunSettings {
  /** The logs: `LOG_BUCKET`/`LOG_PREFIX` or `S3_BUCKET_NAME`/`S3_PREFIX`. */
  logs?: S3Location;
  /** Whether runs may delete (`ELB_OTLP_ALLOW_DELETE`). */
  allowDelete: boolean;
}

/** A run about to start: its execution name and input. */
export interface WindowRun {
  name: string;
  input: RunInputFields;
}

/**
 * The run a request asks for, checked as the plan step will check it.
 *
 * @throws InputValidationError naming what is missing or refused: no log
 *   bucket configured, deletion not allowed, a bad time or a window that
 *   ends before it begins.
 */
export function windowRun(request: WindowRequest, settings: WindowRunSettings): WindowRun {
  if (settings.logs === undefined) {
    throw new InputValidationError(
      'an invocation without S3 records starts a run over LOG_BUCKET (or S3_BUCKET_NAME), which is not set',
    );
  }
  if (request.deleteProcessed === true && !settings.allowDelete) {
    throw new InputValidationError(
      'deleteProcessed: this deployment does not allow deletion (deploy with allowDeleteProcessed=true)',
    );
  }
  const { from, to } = windowOf(request);
  const input: RunInputFields = {
    bucket: settings.logs.bucket,
    prefix: settings.logs.prefix,
    ...(from !== undefined && { from }),
    ...(to !== undefined && { to }),
    deleteProcessed: request.deleteProcessed === true,
    ...(request.dryRun === true && { dryRun: true }),
  };
  // The plan step's own check, before anything starts: a bad time is named here.
  parseAnyRunInput(input);
  return { name: windowRunName(input), input };
}

/**
 * The window a request asks for: its `from` and `to`, or without either the
 * hour ending {@link DELIVERY_MARGIN_MS} before it was asked, on ELB's
 * 5-minute boundaries (the windows of an hourly schedule meet between two
 * intervals).
 */
export function windowOf(request: WindowRequest): { from?: string; to?: string } {
  if (request.from !== undefined || request.to !== undefined) {
    return {
      ...(request.from !== undefined && { from: request.from }),
      ...(request.to !== undefined && { to: request.to }),
    };
  }
  const end = Math.floor((request.at - DELIVERY_MARGIN_MS) / LOG_INTERVAL_MS) * LOG_INTERVAL_MS;
  return { from: new Date(end - DEFAULT_WINDOW_MS).toISOString(), to: new Date(end).toISOString() };
}

/**
 * `window-<from>-<to>-<8 hex>`: the times in UTC (`open` for a side not
 * given), the hex a digest of the whole input, so the same request gives
 * the same name and any other request another.
 */
export function windowRunName(input: RunInputFields): string {
  const time = (iso: string | undefined) =>
    iso === undefined
      ? 'open'
      : new Date(iso).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const digest = createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 8);
  return `window-${time(input.from)}-${time(input.to)}-${digest}`;
}
