/**
 * Metric and label names as the Prometheus CloudWatch exporter forms them, so
 * the serverless path (`functions/metrics.ts`) and the Collector path
 * (`collector/`) name their series alike: one dashboard serves either, given
 * the settings of docs/metrics.md#one-series-whichever-path on a Prometheus
 * backend.
 *
 * The exporter snake-cases the namespace and metric name, replaces what is not
 * `[a-zA-Z0-9:_]` with `_`, merges runs of `_`, and appends the statistic:
 * `AWS/ApplicationELB` `RequestCount` `Sum` → `aws_applicationelb_request_count_sum`.
 * Dimensions become labels the same way: `LoadBalancer` → `load_balancer`.
 *
 * @see https://github.com/prometheus/cloudwatch_exporter#configuration
 */

import type { Statistic } from './catalogue-types.ts';

/** `TargetResponseTime` → `target_response_time`; `HTTPCode_ELB_5XX_Count` → `httpcode_elb_5_xx_count`. */
export function snakeCase(text: string): string {
  return text.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

function safeName(text: string): string {
  return text.replace(/[^a-zA-Z0-9:_]/g, '_').replace(/__+/g, '_');
}

const STATISTIC_SUFFIX: Record<Statistic, string> = {
  Sum: 'sum',
  Average: 'average',
  Minimum: 'minimum',
  Maximum: 'maximum',
  p99: 'p99',
};

/**
 * The exporter's series name for one statistic of a metric.
 *
 * @example
 * seriesName('AWS/ApplicationELB', 'TargetResponseTime', 'p99'); // 'aws_applicationelb_target_response_time_p99'
 */
export function seriesName(namespace: string, metric: string, statistic: Statistic): string {
  return `${safeName(`${namespace.toLowerCase()}_${snakeCase(metric)}`)}_${STATISTIC_SUFFIX[statistic]}`;
}

/** The exporter's label name for a dimension: `AvailabilityZone` → `availability_zone`. */
export function labelName(dimension: string): string {
  return snakeCase(dimension)
    .replace(/[^a-zA-Z0-9_]/g, '_')
    .replace(/__+/g, '_');
}
