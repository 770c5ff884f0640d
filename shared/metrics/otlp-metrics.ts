/**
 * CloudWatch datapoints as OTLP metrics, one request per load balancer: its
 * resource is the one its logs carry (`cloud.resource_id`, `aws.elb.name`,
 * `service.name`, …), its series are named and labelled as the Prometheus
 * CloudWatch exporter names them (`aws_applicationelb_request_count_sum`,
 * `load_balancer`, `availability_zone`, `target_group`, and the guide's
 * `service=elb`), so dashboards work whichever path the metrics took.
 *
 * Counts of events are delta sums: each datapoint covers its one-minute
 * period, from `startTimeUnixNano` (CloudWatch's timestamp) to
 * `timeUnixNano`. Everything else is a gauge stamped the same way; so are
 * counts with `counts: 'gauge'`, for backends that take no delta sums and to
 * match the exporter path exactly.
 * Encoded by the OpenTelemetry JS serializers (not a hot path: a few
 * thousand datapoints every few minutes).
 *
 * @see https://opentelemetry.io/docs/specs/otel/metrics/data-model/
 */

import { type Attributes, type HrTime, ValueType } from '@opentelemetry/api';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type DataPoint,
  DataPointType,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { MappingConfig } from '../config/mapping-config.ts';
import type { OtlpProtocol } from '../otlp/batch-encoder.ts';
import type { Attribute } from '../otlp/model.ts';
import { buildResource } from '../otlp/resource.ts';
import { SCOPE } from '../otlp/scope.ts';
import { type Datapoints, PERIOD_SECONDS } from './fetch.ts';
import { labelName, seriesName } from './names.ts';

/** Where the load balancers are: the resource attributes the datapoints do not carry. */
export interface MetricsOrigin {
  account?: string;
  region?: string;
}

/** One request body: the metrics of one load balancer. */
export interface MetricsRequest {
  loadBalancer: string;
  body: Buffer;
  /** Datapoints in the request (the unit OTLP's partial success counts in). */
  datapoints: number;
}

/** How counts of events are sent: delta sums (OpenTelemetry's own), or gauges as the exporter sends them. */
export type CountsAs = 'delta' | 'gauge';
export const COUNTS_AS: readonly CountsAs[] = ['delta', 'gauge'];

/** The label the guide's Collector relabelling adds to every ELB series. */
export const SERVICE_LABEL = { key: 'service', value: 'elb' } as const;

/**
 * Groups datapoints by load balancer and encodes one OTLP metrics request
 * for each. Series without datapoints are left out; so are load balancers
 * without any.
 *
 * @example
 * const requests = encodeMetricsRequests(data, { account, region }, mapping, 'http/protobuf');
 */
export function encodeMetricsRequests(
  data: readonly Datapoints[],
  origin: MetricsOrigin,
  mapping: MappingConfig,
  protocol: OtlpProtocol,
  counts: CountsAs = 'delta',
): MetricsRequest[] {
  const byLoadBalancer = new Map<
    string,
    Map<string, { template: Datapoints; points: DataPoint<number>[] }>
  >();
  for (const one of data) {
    if (one.points.length === 0) continue;
    const loadBalancer = one.series.dimensions.LoadBalancer ?? '';
    let metrics = byLoadBalancer.get(loadBalancer);
    if (metrics === undefined) {
      metrics = new Map();
      byLoadBalancer.set(loadBalancer, metrics);
    }
    const name = seriesName(one.series.metric.namespace, one.series.metric.name, one.statistic);
    let metric = metrics.get(name);
    if (metric === undefined) {
      metric = { template: one, points: [] };
      metrics.set(name, metric);
    }
    const attributes: Attributes = { [SERVICE_LABEL.key]: SERVICE_LABEL.value };
    for (const [dimension, value] of Object.entries(one.series.dimensions)) {
      attributes[labelName(dimension)] = value;
    }
    for (const point of one.points) {
      const start = point.timestamp.getTime();
      metric.points.push({
        startTime: hrTime(start),
        endTime: hrTime(start + PERIOD_SECONDS * 1000),
        attributes,
        value: point.value,
      });
    }
  }

  const serializer = protocol === 'http/json' ? JsonMetricsSerializer : ProtobufMetricsSerializer;
  const requests: MetricsRequest[] = [];
  for (const [loadBalancer, metrics] of byLoadBalancer) {
    const metricData: MetricData[] = [];
    let datapoints = 0;
    for (const [name, { template, points }] of metrics) {
      datapoints += points.length;
      const { metric } = template.series;
      const descriptor = {
        name,
        description: `CloudWatch ${metric.namespace} ${metric.name} (${template.statistic}): ${metric.description}`,
        unit: metric.unit,
        valueType: ValueType.DOUBLE,
      };
      metricData.push(
        counts === 'delta' && metric.kind === 'events' && template.statistic === 'Sum'
          ? {
              descriptor,
              aggregationTemporality: AggregationTemporality.DELTA,
              dataPointType: DataPointType.SUM,
              isMonotonic: true,
              dataPoints: points,
            }
          : {
              descriptor,
              aggregationTemporality: AggregationTemporality.CUMULATIVE,
              dataPointType: DataPointType.GAUGE,
              dataPoints: points,
            },
      );
    }
    const resourceMetrics: ResourceMetrics = {
      resource: resourceFromAttributes(resourceAttributes(loadBalancer, origin, mapping)),
      scopeMetrics: [{ scope: { name: SCOPE.name, version: SCOPE.version }, metrics: metricData }],
    };
    const body = serializer.serializeRequest(resourceMetrics);
    if (body === undefined) {
      throw new Error(`the OTLP metrics of ${loadBalancer} could not be serialized`);
    }
    requests.push({ loadBalancer, body: Buffer.from(body), datapoints });
  }
  return requests;
}

/** The logs' resource for the load balancer `app/name/id`, as plain attributes. */
function resourceAttributes(
  loadBalancer: string,
  origin: MetricsOrigin,
  mapping: MappingConfig,
): Record<string, string | number | string[]> {
  const resource = buildResource(
    {
      ...(loadBalancer === '' ? {} : { lineLoadBalancer: loadBalancer }),
      ...(origin.account === undefined ? {} : { account: origin.account }),
      ...(origin.region === undefined ? {} : { region: origin.region }),
    },
    mapping,
  );
  const attributes: Record<string, string | number | string[]> = {};
  for (const attribute of resource.attributes) attributes[attribute.key] = plain(attribute);
  return attributes;
}

function plain(attribute: Attribute): string | number | string[] {
  return attribute.type === 'strings' ? [...attribute.value] : attribute.value;
}

/** Milliseconds since the epoch as `[seconds, nanoseconds]`, exactly. */
function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, (ms - seconds * 1000) * 1_000_000];
}
