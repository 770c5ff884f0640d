/**
 * The window a metrics run reads, from what invoked it: a scheduled event
 * (its `time`), a `{start, end}` given by hand, or the clock.
 */

import type { MetricWindow } from './fetch.ts';
import { MAX_WINDOW_MS, type MetricsSettings, metricWindow } from './metrics-settings.ts';

/** The input is neither a scheduled event nor a `{start, end}` window. */
export class MetricsInputError extends Error {
  override readonly name = 'MetricsInputError';
}

/** The window an event asks for. */
export function windowOf(event: unknown, settings: MetricsSettings, nowMs: number): MetricWindow {
  const input = (event ?? {}) as { time?: unknown; start?: unknown; end?: unknown };
  if (input.start !== undefined || input.end !== undefined) {
    const start = minute(input.start, 'start');
    const end = minute(input.end, 'end');
    if (end <= start || end - start > MAX_WINDOW_MS) {
      throw new MetricsInputError(
        `"end" must be after "start" and at most 24 hours later (got ${String(input.start)} to ${String(input.end)})`,
      );
    }
    return { start: new Date(start), end: new Date(end) };
  }
  let at = nowMs;
  if (typeof input.time === 'string') {
    at = Date.parse(input.time);
    if (Number.isNaN(at)) {
      throw new MetricsInputError(`"time" is not a timestamp: ${JSON.stringify(input.time)}`);
    }
  }
  return metricWindow(at, settings.windowMs, settings.delayMs);
}

function minute(value: unknown, field: string): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms) || ms % 60_000 !== 0) {
    throw new MetricsInputError(
      `"${field}" must be an ISO timestamp on a whole minute, like 2026-11-27T16:00:00Z (got ${JSON.stringify(value)})`,
    );
  }
  return ms;
}
