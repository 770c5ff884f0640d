/**
 * One run of the metrics path: find the series, read their datapoints over
 * the window page by page, export each page as OTLP metrics (requests per
 * load balancer, within the batch bounds), and count what happened to every
 * datapoint: accepted, rejected by the receiver, or failed (never
 * delivered). Queries CloudWatch could not answer are listed by metric and
 * dimensions.
 */

import type { OtlpProtocol } from '../config/export-config.ts';
import type { MappingConfig } from '../config/mapping-config.ts';
import type { OtlpExporter } from '../otlp/exporter.ts';
import type { CountsAs, Namespace, UnitsAs } from './catalogue-types.ts';
import { type CloudWatchApi, discoverSeries } from './discover.ts';
import { fetchDatapoints, type MetricWindow } from './fetch.ts';
import {
  encodeMetricsRequests,
  type MetricsLimits,
  type MetricsOrigin,
  type MetricsRequest,
} from './otlp-metrics.ts';

export interface CollectOptions {
  cloudwatch: CloudWatchApi;
  exporter: OtlpExporter;
  protocol: OtlpProtocol;
  /** Datapoints and bytes per request (the export settings' batch bounds). */
  limits: MetricsLimits;
  /** Counts of events as delta sums (default) or gauges. */
  counts?: CountsAs;
  /** Metrics with their UCUM unit (default), or none. */
  units?: UnitsAs;
  mapping: MappingConfig;
  origin: MetricsOrigin;
  namespaces: readonly Namespace[];
  loadBalancers?: readonly string[];
  window: MetricWindow;
  /** Stop retrying exports at this time (ms since the epoch). */
  deadlineMs?: number;
}

/** A query CloudWatch did not answer, named for the log. */
export interface FailedQuery {
  metric: string;
  dimensions: Record<string, string>;
  statistic: string;
  status: string;
  message: string;
}

/** Datapoints of a load balancer the receiver never accepted (the first error said). */
export interface FailedExport {
  loadBalancer: string;
  datapoints: number;
  /** `ExportRetryableError` when a later run may succeed. */
  errorName: string;
  message: string;
}

export interface CollectSummary {
  window: { start: string; end: string };
  series: number;
  queries: number;
  loadBalancers: number;
  datapoints: number;
  accepted: number;
  rejected: number;
  failed: number;
  cloudWatchRequests: number;
  exportRequests: number;
  failedQueries: FailedQuery[];
  failedExports: FailedExport[];
  /** The receiver's partial-success messages, when it rejected datapoints. */
  rejectionMessages: string[];
}

/**
 * Runs the metrics path once.
 *
 * @example
 * const summary = await collectMetrics({ cloudwatch, exporter, protocol: 'http/protobuf', mapping, origin, namespaces: NAMESPACES, window });
 */
export async function collectMetrics(options: CollectOptions): Promise<CollectSummary> {
  const discovery = await discoverSeries(options.cloudwatch, {
    namespaces: options.namespaces,
    ...(options.loadBalancers === undefined ? {} : { loadBalancers: options.loadBalancers }),
  });
  const summary: CollectSummary = {
    window: { start: options.window.start.toISOString(), end: options.window.end.toISOString() },
    series: discovery.series.length,
    queries: 0,
    loadBalancers: 0,
    datapoints: 0,
    accepted: 0,
    rejected: 0,
    failed: 0,
    cloudWatchRequests: discovery.requests,
    exportRequests: 0,
    failedQueries: [],
    failedExports: [],
    rejectionMessages: [],
  };
  const loadBalancers = new Set<string>();
  const failedByLoadBalancer = new Map<string, FailedExport>();
  // Each page of datapoints is shipped before the next is read.
  const fetched = await fetchDatapoints(
    options.cloudwatch,
    discovery.series,
    options.window,
    async (data) => {
      const requests = encodeMetricsRequests(data, options.origin, options.mapping, {
        protocol: options.protocol,
        limits: options.limits,
        ...(options.counts === undefined ? {} : { counts: options.counts }),
        ...(options.units === undefined ? {} : { units: options.units }),
      });
      const results = await Promise.all(
        requests.map((request) =>
          options.exporter.export(
            { body: request.body, records: request.datapoints },
            options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs },
          ),
        ),
      );
      results.forEach((result, i) => {
        const request = requests[i] as MetricsRequest;
        loadBalancers.add(request.loadBalancer);
        summary.datapoints += request.datapoints;
        summary.exportRequests++;
        if (result.status === 'success') {
          summary.accepted += result.accepted;
          summary.rejected += result.rejected;
          if (result.rejectionMessage !== undefined) {
            summary.rejectionMessages.push(`${request.loadBalancer}: ${result.rejectionMessage}`);
          }
          return;
        }
        summary.failed += result.failed;
        const earlier = failedByLoadBalancer.get(request.loadBalancer);
        if (earlier !== undefined) {
          earlier.datapoints += request.datapoints;
          return;
        }
        failedByLoadBalancer.set(request.loadBalancer, {
          loadBalancer: request.loadBalancer,
          datapoints: request.datapoints,
          errorName: result.error.name,
          message: result.error.message,
        });
      });
    },
  );
  summary.queries = fetched.queries;
  summary.loadBalancers = loadBalancers.size;
  summary.cloudWatchRequests += fetched.requests;
  summary.failedExports = [...failedByLoadBalancer.values()];
  summary.failedQueries = fetched.failures.map((f) => ({
    metric: `${f.series.metric.namespace} ${f.series.metric.name}`,
    dimensions: f.series.dimensions,
    statistic: f.statistic,
    status: f.status,
    message: f.message,
  }));
  return summary;
}
