/**
 * CloudWatch datapoints as OTLP metrics, in requests per load balancer: its
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
import type { OtlpProtocol } from '../config/export-config.ts';
import type { MappingConfig } from '../config/mapping-config.ts';
import { buildResource } from '../otlp/resource.ts';
import { SCOPE } from '../otlp/scope.ts';
import type { Attribute } from '../records/model.ts';
import type { CountsAs, UnitsAs } from './catalogue-types.ts';
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

/** The label the guide's Collector relabelling adds to every ELB series. */
export const SERVICE_LABEL = { key: 'service', value: 'elb' } as const;

/** Bounds on one request, as for log records (`ELB_OTLP_MAX_BATCH_*`). */
export interface MetricsLimits {
  maxDatapoints: number;
  /** Encoded (uncompressed) bytes. */
  maxBytes: number;
}

/** One metric of a load balancer: its name, what it was read from, its datapoints. */
interface MetricPoints {
  name: string;
  template: Datapoints;
  points: DataPoint<number>[];
}

/**
 * Groups datapoints by load balancer and encodes OTLP metrics requests for
 * each: one, or several when its datapoints exceed `limits` (a long window
 * read by hand). Series without datapoints are left out; so are load
 * balancers without any.
 *
 * @example
 * const requests = encodeMetricsRequests(data, { account, region }, mapping, { protocol: 'http/protobuf', limits });
 */
export function encodeMetricsRequests(
  data: readonly Datapoints[],
  origin: MetricsOrigin,
  mapping: MappingConfig,
  options: { protocol: OtlpProtocol; counts?: CountsAs; units?: UnitsAs; limits: MetricsLimits },
): MetricsRequest[] {
  const byLoadBalancer = new Map<string, Map<string, MetricPoints>>();
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
      metric = { name, template: one, points: [] };
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

  const encoder: Encoder = {
    serializer:
      options.protocol === 'http/json' ? JsonMetricsSerializer : ProtobufMetricsSerializer,
    counts: options.counts ?? 'delta',
    units: options.units ?? 'ucum',
    maxBytes: options.limits.maxBytes,
  };
  const requests: MetricsRequest[] = [];
  for (const [loadBalancer, metrics] of byLoadBalancer) {
    const resource = resourceFromAttributes(resourceAttributes(loadBalancer, origin, mapping));
    for (const piece of pieces([...metrics.values()], options.limits.maxDatapoints)) {
      requests.push(...encodeBounded(encoder, loadBalancer, resource, piece));
    }
  }
  return requests;
}

interface Encoder {
  serializer: typeof ProtobufMetricsSerializer;
  counts: CountsAs;
  units: UnitsAs;
  maxBytes: number;
}

/** Consecutive slices of `metrics` with at most `max` datapoints in each. */
function* pieces(metrics: MetricPoints[], max: number): Generator<MetricPoints[]> {
  let piece: MetricPoints[] = [];
  let size = 0;
  for (const metric of metrics) {
    for (let at = 0; at < metric.points.length; ) {
      const take = Math.min(max - size, metric.points.length - at);
      piece.push({ ...metric, points: metric.points.slice(at, at + take) });
      size += take;
      at += take;
      if (size === max) {
        yield piece;
        piece = [];
        size = 0;
      }
    }
  }
  if (size > 0) yield piece;
}

/** Encodes `piece`, halving it until each request is within the byte limit. */
function encodeBounded(
  encoder: Encoder,
  loadBalancer: string,
  resource: ResourceMetrics['resource'],
  piece: MetricPoints[],
): MetricsRequest[] {
  const datapoints = piece.reduce((sum, m) => sum + m.points.length, 0);
  const body = encode(encoder, loadBalancer, resource, piece);
  if (body.length <= encoder.maxBytes || datapoints <= 1) {
    return [{ loadBalancer, body, datapoints }];
  }
  const halves = [...pieces(piece, Math.ceil(datapoints / 2))];
  return halves.flatMap((half) => encodeBounded(encoder, loadBalancer, resource, half));
}

function encode(
  encoder: Encoder,
  loadBalancer: string,
  resource: ResourceMetrics['resource'],
  piece: MetricPoints[],
): Buffer {
  const metricData: MetricData[] = piece.map(({ name, template, points }) => {
    const { metric } = template.series;
    const descriptor = {
      name,
      description: `CloudWatch ${metric.namespace} ${metric.name} (${template.statistic}): ${metric.description}`,
      unit: encoder.units === 'ucum' ? metric.unit : '',
      valueType: ValueType.DOUBLE,
    };
    return encoder.counts === 'delta' && metric.kind === 'events' && template.statistic === 'Sum'
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
        };
  });
  const body = encoder.serializer.serializeRequest({
    resource,
    scopeMetrics: [{ scope: { name: SCOPE.name, version: SCOPE.version }, metrics: metricData }],
  });
  if (body === undefined) {
    throw new Error(`the OTLP metrics of ${loadBalancer} could not be serialized`);
  }
  return Buffer.from(body);
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
