/**
 * The shape of the metric catalogue: what CloudWatch publishes for a load
 * balancer metric, and which of it elb-otlp collects.
 *
 * CloudWatch treats each combination of dimensions as its own metric: a
 * request for a combination that was never published returns nothing. So
 * every entry lists the combinations the AWS documentation gives
 * (`published`) and the one that is collected (`dimensions`, one of them).
 */

export const NAMESPACES = ['AWS/ApplicationELB', 'AWS/NetworkELB'] as const;
export type Namespace = (typeof NAMESPACES)[number];

export type Dimension = 'LoadBalancer' | 'AvailabilityZone' | 'TargetGroup';
export type DimensionSet = readonly Dimension[];

/** The CloudWatch statistics used here; percentiles are extended statistics. */
export type Statistic = 'Sum' | 'Average' | 'Minimum' | 'Maximum' | 'p99';
export const BASIC_STATISTICS: readonly Statistic[] = ['Sum', 'Average', 'Minimum', 'Maximum'];

/**
 * `events`: a number of things that happened in the period (requests, errors,
 * bytes); its `Sum` is a delta count. `level`: a value seen during the period
 * (connections open, healthy hosts, latency); its statistics are gauges.
 */
export type MetricKind = 'events' | 'level';

/** How counts of events are sent: delta sums (OpenTelemetry's own), or gauges as the exporter sends them. */
export type CountsAs = 'delta' | 'gauge';
export const COUNTS_AS: readonly CountsAs[] = ['delta', 'gauge'];

/**
 * Whether metrics carry their UCUM unit (`s`, `By`, `{count}`), or none, as
 * the exporter's series reach a backend: Prometheus-style backends append a
 * unit to the name (docs/metrics.md#series-names-on-prometheus).
 */
export type UnitsAs = 'ucum' | 'none';
export const UNITS_AS: readonly UnitsAs[] = ['ucum', 'none'];

export interface CatalogueMetric {
  namespace: Namespace;
  name: string;
  kind: MetricKind;
  /** The statistics worth having, per the AWS documentation. */
  statistics: readonly Statistic[];
  /** UCUM unit for OTLP (`{count}`, `s`, `ms`, `By`, `%`). */
  unit: string;
  /** Every dimension combination CloudWatch publishes the metric under. */
  published: readonly DimensionSet[];
  /** The combination collected: one of {@link published}. */
  dimensions: DimensionSet;
  /** One line: what the metric counts or measures. */
  description: string;
  /** Why the entry departs from the documentation's "most useful statistic", when it does. */
  note?: string;
}
