/**
 * The metrics function's own settings, read once from the environment:
 * which namespaces and load balancers to read, and which window of time.
 */

import { ConfigError } from '../config/config-error.ts';
import { parseDuration } from '../config/export-config.ts';
import {
  COUNTS_AS,
  type CountsAs,
  NAMESPACES,
  type Namespace,
  UNITS_AS,
  type UnitsAs,
} from './catalogue-types.ts';
import type { MetricWindow } from './fetch.ts';

/** The schedule's default rate: a window of five one-minute periods per run. */
export const DEFAULT_WINDOW_MS = 5 * 60_000;
/** CloudWatch's ELB values settle within a few minutes of their period. */
export const DEFAULT_DELAY_MS = 5 * 60_000;
/** A run reads at most a day (a manual backfill); schedules read minutes. */
export const MAX_WINDOW_MS = 24 * 60 * 60_000;
const PERIOD_MS = 60_000;

export interface MetricsSettings {
  namespaces: readonly Namespace[];
  /** `app/name/id` or `net/name/id`; empty for every load balancer found. */
  loadBalancers: string[];
  /** The account and Region the listed ARNs name, if any did. */
  arns: { account?: string; region?: string };
  windowMs: number;
  delayMs: number;
  /** Counts of events as delta sums, or as gauges. */
  counts: CountsAs;
  /** Metrics with their UCUM unit, or none. */
  units: UnitsAs;
}

const NAMESPACE_NAMES: Record<string, Namespace> = {
  alb: 'AWS/ApplicationELB',
  nlb: 'AWS/NetworkELB',
  'aws/applicationelb': 'AWS/ApplicationELB',
  'aws/networkelb': 'AWS/NetworkELB',
};

type Env = Record<string, string | undefined>;

/**
 * Reads `ELB_OTLP_METRICS_NAMESPACES` (`alb,nlb`, or the namespaces' names),
 * `ELB_OTLP_METRICS_LOAD_BALANCERS` (ARNs or `app/name/id`, comma-separated),
 * `ELB_OTLP_METRICS_WINDOW` and `ELB_OTLP_METRICS_DELAY` (durations such as
 * `5m`, whole minutes), `ELB_OTLP_METRICS_COUNTS` (`delta` or `gauge`),
 * `ELB_OTLP_METRICS_UNITS` (`ucum` or `none`).
 *
 * @throws ConfigError naming the setting at fault.
 */
export function loadMetricsSettings(env: Env): MetricsSettings {
  const namespaces: Namespace[] = [];
  const namespaceText = env.ELB_OTLP_METRICS_NAMESPACES?.trim();
  for (const item of namespaceText ? namespaceText.split(',') : []) {
    const namespace = NAMESPACE_NAMES[item.trim().toLowerCase()];
    if (namespace === undefined) {
      throw new ConfigError(
        'ELB_OTLP_METRICS_NAMESPACES',
        `unknown namespace ${JSON.stringify(item.trim())}; expected alb, nlb, AWS/ApplicationELB or AWS/NetworkELB`,
      );
    }
    if (!namespaces.includes(namespace)) namespaces.push(namespace);
  }
  const given = (env.ELB_OTLP_METRICS_LOAD_BALANCERS ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map(parseLoadBalancer);
  let arns: MetricsSettings['arns'];
  try {
    arns = arnOrigin(given);
  } catch (error) {
    throw new ConfigError('ELB_OTLP_METRICS_LOAD_BALANCERS', (error as Error).message);
  }
  const counts = (env.ELB_OTLP_METRICS_COUNTS?.trim() || 'delta').toLowerCase();
  if (!(COUNTS_AS as readonly string[]).includes(counts)) {
    throw new ConfigError(
      'ELB_OTLP_METRICS_COUNTS',
      `expected delta or gauge, got ${JSON.stringify(env.ELB_OTLP_METRICS_COUNTS)}`,
    );
  }
  const units = (env.ELB_OTLP_METRICS_UNITS?.trim() || 'ucum').toLowerCase();
  if (!(UNITS_AS as readonly string[]).includes(units)) {
    throw new ConfigError(
      'ELB_OTLP_METRICS_UNITS',
      `expected ucum or none, got ${JSON.stringify(env.ELB_OTLP_METRICS_UNITS)}`,
    );
  }
  return {
    counts: counts as CountsAs,
    units: units as UnitsAs,
    namespaces: namespaces.length > 0 ? namespaces : NAMESPACES,
    loadBalancers: given.map((lb) => lb.dimension),
    arns,
    windowMs: minutes(env, 'ELB_OTLP_METRICS_WINDOW', DEFAULT_WINDOW_MS, PERIOD_MS),
    delayMs: minutes(env, 'ELB_OTLP_METRICS_DELAY', DEFAULT_DELAY_MS, 0),
  };
}

/** A load balancer as given: its `LoadBalancer` dimension value, and where an ARN places it. */
export interface GivenLoadBalancer {
  /** `app/name/id` or `net/name/id`. */
  dimension: string;
  /** The account and Region of an ARN; absent for a dimension value. */
  account?: string;
  region?: string;
}

/** `arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/<dimension>`. */
const LOAD_BALANCER_ARN =
  /^arn:[\w-]+:elasticloadbalancing:([a-z0-9-]+):(\d{12}):loadbalancer\/(.+)$/;
const DIMENSION = /^(app|net)\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/;

/**
 * Reads a load balancer given by ARN or by its `LoadBalancer` dimension value.
 *
 * @example
 * parseLoadBalancer('arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188');
 * // {dimension: 'app/web/50dc6c495c0c9188', account: '123456789012', region: 'eu-west-1'}
 * @throws ConfigError naming `ELB_OTLP_METRICS_LOAD_BALANCERS` when it is neither.
 */
export function parseLoadBalancer(text: string): GivenLoadBalancer {
  const arn = LOAD_BALANCER_ARN.exec(text);
  const dimension = arn === null ? text : arn[3];
  if (dimension !== undefined && DIMENSION.test(dimension)) {
    return arn === null
      ? { dimension }
      : { dimension, region: arn[1] as string, account: arn[2] as string };
  }
  throw new ConfigError(
    'ELB_OTLP_METRICS_LOAD_BALANCERS',
    `${JSON.stringify(text)} is not a load balancer ARN or app/NAME/ID (net/NAME/ID)`,
  );
}

/**
 * The account and Region the ARNs among `given` name: one run reads one
 * account's CloudWatch in one Region, so they must agree.
 *
 * @returns what the ARNs say; nothing for dimension values alone.
 * @throws Error naming the accounts or Regions that differ.
 */
export function arnOrigin(given: readonly GivenLoadBalancer[]): {
  account?: string;
  region?: string;
} {
  const origin: { account?: string; region?: string } = {};
  for (const part of ['account', 'region'] as const) {
    const values = [...new Set(given.flatMap((lb) => (lb[part] === undefined ? [] : [lb[part]])))];
    if (values.length > 1) {
      throw new Error(
        `load balancers in several ${part === 'account' ? 'accounts' : 'Regions'} (${values.join(', ')}): one run reads the CloudWatch metrics of one account in one Region`,
      );
    }
    if (values[0] !== undefined) origin[part] = values[0];
  }
  return origin;
}

function minutes(env: Env, name: string, fallback: number, min: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const ms = parseDuration([name, text]);
  if (ms % PERIOD_MS !== 0 || ms < min || ms > MAX_WINDOW_MS) {
    throw new ConfigError(
      name,
      `expected whole minutes from ${min / PERIOD_MS}m to 24h, got ${JSON.stringify(text)}`,
    );
  }
  return ms;
}

/**
 * The window a run reads: the `windowMs` of whole minutes ending `delayMs`
 * before `atMs` (rounded down to the minute). Runs of a schedule of the same
 * rate, stamped with their scheduled times, read windows that tile: no
 * minute twice, none missed.
 *
 * @example
 * metricWindow(Date.parse('2026-11-27T16:05:00Z'), 300_000, 300_000);
 * // {start: 2026-11-27T15:55:00Z, end: 2026-11-27T16:00:00Z}
 */
export function metricWindow(atMs: number, windowMs: number, delayMs: number): MetricWindow {
  const end = Math.floor((atMs - delayMs) / PERIOD_MS) * PERIOD_MS;
  return { start: new Date(end - windowMs), end: new Date(end) };
}
