/**
 * The metrics function end to end: the catalogue's series found with
 * ListMetrics, read with GetMetricData, and exported as OTLP metrics to the
 * loopback receiver, which decodes them with its own schema.
 *
 * CloudWatch is mocked (test/helpers/cloudwatch-fake.ts): no local
 * CloudWatch exists. The exporter, the encoders and the receiver are real.
 */

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JsonMetric, JsonMetricsRequest } from '../../receiver/otlp-decoder.ts';
import { ConfigError } from '../../shared/config/config-error.ts';
import { loadExportConfig } from '../../shared/config/export-config.ts';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import { createMetrics, MetricsDeliveryError } from '../../shared/metrics/metrics-run.ts';
import { loadMetricsSettings } from '../../shared/metrics/metrics-settings.ts';
import { MetricsInputError } from '../../shared/metrics/window.ts';
import { createOtlpExporter, SYSTEM_CLOCK } from '../../shared/otlp/exporter.ts';
import { createFakeCloudWatch, type FakeSeries } from '../helpers/cloudwatch-fake.ts';
import { attributeValues, type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';

const ALB = 'app/web/50dc6c495c0c9188';
const ALB_2 = 'app/api/73e2d6bc24d8a067';
const NLB = 'net/edge/0123456789abcdef';
const TG = 'targetgroup/web-tg/943f017f100becff';
const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:elb-otlp-dev-metrics';
/** A scheduled run at 16:05 reads 15:55 to 16:00 (five minutes, five minutes late). */
const SCHEDULED = {
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  time: '2026-11-27T16:05:00Z',
};

const minutes = (values: number[], from = '2026-11-27T15:55:00Z'): [string, number][] =>
  values.map((v, i) => [new Date(Date.parse(from) + i * 60_000).toISOString(), v]);

/** Series as CloudWatch lists them: collected sets, other sets, and metrics not catalogued. */
function publishedSeries(): FakeSeries[] {
  return [
    {
      namespace: 'AWS/ApplicationELB',
      metricName: 'RequestCount',
      dimensions: { LoadBalancer: ALB, AvailabilityZone: 'eu-west-1a', TargetGroup: TG },
      // 15:54 and 16:00 lie outside the window and must not be read.
      values: {
        Sum: [
          ['2026-11-27T15:54:00Z', 999],
          ...minutes([10, 20, 30, 40, 50]),
          ['2026-11-27T16:00:00Z', 999],
        ],
      },
    },
    {
      namespace: 'AWS/ApplicationELB',
      metricName: 'RequestCount',
      dimensions: { LoadBalancer: ALB, AvailabilityZone: 'eu-west-1b', TargetGroup: TG },
      values: { Sum: minutes([1, 2, 3, 4, 5]) },
    },
    {
      // Published too, but not the collected set: reading it would count twice.
      namespace: 'AWS/ApplicationELB',
      metricName: 'RequestCount',
      dimensions: { LoadBalancer: ALB },
      values: { Sum: minutes([11, 22, 33, 44, 55]) },
    },
    {
      namespace: 'AWS/ApplicationELB',
      metricName: 'TargetResponseTime',
      dimensions: { LoadBalancer: ALB, TargetGroup: TG },
      values: {
        Average: minutes([0.012, 0.015]),
        Maximum: minutes([0.25, 0.5]),
        p99: minutes([0.125, 0.375]),
      },
    },
    {
      namespace: 'AWS/ApplicationELB',
      metricName: 'HealthyHostCount',
      dimensions: { LoadBalancer: ALB, TargetGroup: TG },
      values: { Minimum: minutes([2, 2, 1]), Maximum: minutes([3, 3, 3]) },
    },
    {
      namespace: 'AWS/ApplicationELB',
      metricName: 'HTTPCode_ELB_5XX_Count',
      dimensions: { LoadBalancer: ALB_2, AvailabilityZone: 'eu-west-1a' },
      values: { Sum: minutes([7]) },
    },
    {
      namespace: 'AWS/ApplicationELB',
      metricName: 'SomeFutureMetric',
      dimensions: { LoadBalancer: ALB },
      values: { Sum: minutes([1]) },
    },
    {
      namespace: 'AWS/NetworkELB',
      metricName: 'ActiveFlowCount',
      dimensions: { LoadBalancer: NLB, AvailabilityZone: 'eu-west-1a' },
      values: { Average: minutes([100, 120]), Maximum: minutes([150, 160]) },
    },
    {
      namespace: 'AWS/NetworkELB',
      metricName: 'NewFlowCount',
      dimensions: { LoadBalancer: NLB, AvailabilityZone: 'eu-west-1a' },
      values: { Sum: minutes([5, 6, 7]) },
    },
  ];
}

let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(() => {
  receiver.requests.length = 0;
  receiver.reset();
});
afterAll(async () => {
  await receiver.close();
});

function handlerFor(
  series: FakeSeries[],
  env: Record<string, string> = {},
  fakeOptions: Parameters<typeof createFakeCloudWatch>[1] = { listPageSize: 3, dataPageSize: 4 },
) {
  const cloudwatch = createFakeCloudWatch(series, fakeOptions);
  const allEnv = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...env };
  const config = loadExportConfig(allEnv, {}, 'metrics');
  const exporter = createOtlpExporter(config, SYSTEM_CLOCK);
  const errors: unknown[][] = [];
  const handler = createMetrics(() => ({
    cloudwatch,
    exporter,
    config,
    mapping: loadMappingConfig(allEnv),
    settings: loadMetricsSettings(allEnv),
    clock: SYSTEM_CLOCK,
    logger: { info: () => {}, warn: () => {}, error: (...args: unknown[]) => errors.push(args) },
    region: 'eu-west-1',
  }));
  const context = { getRemainingTimeInMillis: () => 60_000, invokedFunctionArn: FUNCTION_ARN };
  return { cloudwatch, exporter, handler, context, errors };
}

/** The metrics of one or more requests by name, a metric's datapoints from every request joined in order. */
function metricsOf(
  requests: JsonMetricsRequest | undefined | (JsonMetricsRequest | undefined)[],
): Map<string, JsonMetric> {
  const merged = new Map<string, JsonMetric>();
  for (const request of [requests].flat()) {
    for (const m of request?.resourceMetrics.flatMap((rm) =>
      rm.scopeMetrics.flatMap((sm) => sm.metrics),
    ) ?? []) {
      const earlier = merged.get(m.name);
      if (earlier === undefined) merged.set(m.name, structuredClone(m));
      else
        (earlier.sum ?? earlier.gauge)?.dataPoints.push(...((m.sum ?? m.gauge)?.dataPoints ?? []));
    }
  }
  return merged;
}

/** Every request with the resource of `loadBalancer`, in the order they came. */
function requestsFor(loadBalancer: string): JsonMetricsRequest[] {
  return receiver.requests
    .map((r) => r.metrics)
    .filter((m): m is JsonMetricsRequest =>
      String(
        attributeValues(m?.resourceMetrics[0]?.resource?.attributes)['cloud.resource_id'],
      ).endsWith(loadBalancer),
    );
}

const nanos = (iso: string) => String(BigInt(Date.parse(iso)) * 1_000_000n);

describe('the metrics function', () => {
  it('ships the catalogued series of the scheduled window, page by page, under each load balancer’s resource', async () => {
    const { cloudwatch, handler, context, exporter } = handlerFor(publishedSeries());
    const summary = await handler(SCHEDULED, context);
    await exporter.close();

    expect(summary.window).toEqual({
      start: '2026-11-27T15:55:00.000Z',
      end: '2026-11-27T16:00:00.000Z',
    });
    // RequestCount ×2 zones, TargetResponseTime, HealthyHostCount, ELB 5XX, ActiveFlowCount, NewFlowCount.
    expect(summary.series).toBe(7);
    expect(summary.queries).toBe(1 + 1 + 3 + 2 + 1 + 2 + 1);
    const expected = 5 + 5 + 6 + 6 + 1 + 4 + 3;
    expect(summary).toMatchObject({
      loadBalancers: 3,
      datapoints: expected,
      accepted: expected,
      rejected: 0,
      failed: 0,
      failedQueries: [],
      failedExports: [],
    });

    // Both namespaces listed, every page followed, only recently active metrics.
    expect(cloudwatch.listCalls.map((c) => [c.Namespace, c.NextToken, c.RecentlyActive])).toEqual([
      ['AWS/ApplicationELB', undefined, 'PT3H'],
      ['AWS/ApplicationELB', '3', 'PT3H'],
      ['AWS/ApplicationELB', '6', 'PT3H'],
      ['AWS/NetworkELB', undefined, 'PT3H'],
    ]);
    // Datapoints come four to a page here: the pages are followed to the end.
    expect(cloudwatch.dataCalls.length).toBe(Math.ceil(expected / 4));
    for (const call of cloudwatch.dataCalls) {
      expect(call.StartTime?.toISOString()).toBe('2026-11-27T15:55:00.000Z');
      expect(call.EndTime?.toISOString()).toBe('2026-11-27T16:00:00.000Z');
      const asked = call.MetricDataQueries?.map((q) => {
        const dims = Object.fromEntries(
          q.MetricStat?.Metric?.Dimensions?.map((d) => [d.Name, d.Value]) ?? [],
        );
        return `${q.MetricStat?.Metric?.MetricName} ${Object.keys(dims).sort().join('+')} ${q.MetricStat?.Stat} ${q.MetricStat?.Period}`;
      });
      expect(asked).not.toContain('RequestCount LoadBalancer Sum 60');
      expect(asked).toContain('TargetResponseTime LoadBalancer+TargetGroup p99 60');
    }

    // Each page (four datapoints here) is shipped before the next is read.
    expect(summary.exportRequests).toBeGreaterThanOrEqual(cloudwatch.dataCalls.length);
    expect(receiver.requests).toHaveLength(summary.exportRequests);
    expect(new Set(receiver.requests.map((r) => r.path))).toEqual(new Set(['/v1/metrics']));
    const alb = requestsFor(ALB);
    expect(alb.length).toBeGreaterThan(1);
    const resource = attributeValues(alb[0]?.resourceMetrics[0]?.resource?.attributes);
    for (const request of alb) {
      expect(attributeValues(request.resourceMetrics[0]?.resource?.attributes)).toEqual(resource);
    }
    expect(resource).toMatchObject({
      'cloud.provider': 'aws',
      'cloud.account.id': '123456789012',
      'cloud.region': 'eu-west-1',
      'cloud.resource_id': `arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/${ALB}`,
      'aws.elb.name': 'web',
      'service.name': 'web',
    });
    expect(alb[0]?.resourceMetrics[0]?.scopeMetrics[0]?.scope?.name).toBe('elb-otlp');

    const metrics = metricsOf(alb);
    expect([...metrics.keys()].sort()).toEqual([
      'aws_applicationelb_healthy_host_count_maximum',
      'aws_applicationelb_healthy_host_count_minimum',
      'aws_applicationelb_request_count_sum',
      'aws_applicationelb_target_response_time_average',
      'aws_applicationelb_target_response_time_maximum',
      'aws_applicationelb_target_response_time_p99',
    ]);

    // Counts of requests: delta, monotonic sums, one point per minute and zone.
    const requests = metrics.get('aws_applicationelb_request_count_sum');
    expect(requests?.unit).toBe('{count}');
    expect(requests?.sum?.aggregationTemporality).toBe(1);
    expect(requests?.sum?.isMonotonic).toBe(true);
    const points = requests?.sum?.dataPoints ?? [];
    expect(points).toHaveLength(10);
    const first = points.find(
      (p) => attributeValues(p.attributes).availability_zone === 'eu-west-1a' && p.asDouble === 10,
    );
    expect(first?.startTimeUnixNano).toBe(nanos('2026-11-27T15:55:00Z'));
    expect(first?.timeUnixNano).toBe(nanos('2026-11-27T15:56:00Z'));
    expect(attributeValues(first?.attributes)).toEqual({
      service: 'elb',
      load_balancer: ALB,
      availability_zone: 'eu-west-1a',
      target_group: TG,
    });
    expect(points.reduce((sum, p) => sum + (p.asDouble ?? 0), 0)).toBe(150 + 15);

    // Latency: gauges in seconds, per target group.
    const p99 = metrics.get('aws_applicationelb_target_response_time_p99');
    expect(p99?.unit).toBe('s');
    expect(p99?.sum).toBeUndefined();
    expect(p99?.gauge?.dataPoints.map((p) => [p.timeUnixNano, p.asDouble])).toEqual([
      [nanos('2026-11-27T15:56:00Z'), 0.125],
      [nanos('2026-11-27T15:57:00Z'), 0.375],
    ]);
    expect(attributeValues(p99?.gauge?.dataPoints[0]?.attributes)).toEqual({
      service: 'elb',
      load_balancer: ALB,
      target_group: TG,
    });
    expect(
      metrics
        .get('aws_applicationelb_healthy_host_count_minimum')
        ?.gauge?.dataPoints.map((p) => p.asDouble),
    ).toEqual([2, 2, 1]);

    const nlb = metricsOf(requestsFor(NLB));
    expect(nlb.get('aws_networkelb_new_flow_count_sum')?.sum?.dataPoints).toHaveLength(3);
    expect(nlb.get('aws_networkelb_active_flow_count_average')?.gauge?.dataPoints).toHaveLength(2);
    expect(
      attributeValues(requestsFor(NLB)[0]?.resourceMetrics[0]?.resource?.attributes)[
        'cloud.resource_id'
      ],
    ).toBe(`arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/${NLB}`);
  });

  it('reads only the listed load balancers and namespaces, given by ARN or dimension value', async () => {
    const { handler, context, exporter, cloudwatch } = handlerFor(publishedSeries(), {
      ELB_OTLP_METRICS_NAMESPACES: 'alb',
      ELB_OTLP_METRICS_LOAD_BALANCERS: `arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/${ALB_2}`,
    });
    const summary = await handler(SCHEDULED, context);
    await exporter.close();
    expect(cloudwatch.listCalls.every((c) => c.Namespace === 'AWS/ApplicationELB')).toBe(true);
    expect(summary).toMatchObject({ series: 1, loadBalancers: 1, datapoints: 1, accepted: 1 });
    const [request] = receiver.requests;
    expect([...metricsOf(request?.metrics).keys()]).toEqual([
      'aws_applicationelb_httpcode_elb_5_xx_count_sum',
    ]);
  });

  it.each([
    [
      'account',
      'arn:aws:elasticloadbalancing:eu-west-1:210987654321:loadbalancer',
      'account 210987654321',
      '123456789012',
    ],
    [
      'Region',
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer',
      'Region us-east-1',
      'eu-west-1',
    ],
  ])(
    'refuses a listed load balancer of another %s than its own, reading nothing',
    async (_, arn, listed, own) => {
      const { handler, context, exporter, cloudwatch } = handlerFor(publishedSeries(), {
        ELB_OTLP_METRICS_LOAD_BALANCERS: `${arn}/${ALB}`,
      });
      const run = handler(SCHEDULED, context);
      await expect(run).rejects.toThrow(ConfigError);
      await expect(run).rejects.toThrow(
        `ELB_OTLP_METRICS_LOAD_BALANCERS: names load balancers of ${listed}, but this function reads the CloudWatch metrics of ${own}`,
      );
      await exporter.close();
      expect(cloudwatch.listCalls).toEqual([]);
      expect(receiver.requests).toEqual([]);
    },
  );

  it('sends OTLP/JSON when the metrics protocol says so', async () => {
    const { handler, context, exporter } = handlerFor(publishedSeries(), {
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
      ELB_OTLP_METRICS_LOAD_BALANCERS: NLB,
    });
    const summary = await handler(SCHEDULED, context);
    await exporter.close();
    expect(summary.accepted).toBe(7);
    expect(receiver.requests[0]?.headers['content-type']).toBe('application/json');
    const metrics = metricsOf(receiver.requests.map((r) => r.metrics));
    const flows = metrics.get('aws_networkelb_new_flow_count_sum');
    expect(flows?.sum?.dataPoints.map((p) => p.asDouble)).toEqual([5, 6, 7]);
    expect(String(flows?.sum?.dataPoints[0]?.startTimeUnixNano)).toBe(
      nanos('2026-11-27T15:55:00Z'),
    );
  });

  it('sends counts as gauges, and no units, as the exporter path does, when asked', async () => {
    const { handler, context, exporter } = handlerFor(publishedSeries(), {
      ELB_OTLP_METRICS_COUNTS: 'gauge',
      ELB_OTLP_METRICS_UNITS: 'none',
      ELB_OTLP_METRICS_LOAD_BALANCERS: NLB,
    });
    await handler(SCHEDULED, context);
    await exporter.close();
    const metrics = metricsOf(receiver.requests.map((r) => r.metrics));
    expect([...metrics.values()].map((m) => m.unit ?? '')).toEqual(
      [...metrics.values()].map(() => ''),
    );
    expect(metrics.size).toBeGreaterThan(1);
    const flows = metrics.get('aws_networkelb_new_flow_count_sum');
    expect(flows?.sum).toBeUndefined();
    expect(flows?.gauge?.dataPoints.map((p) => [p.startTimeUnixNano, p.asDouble])).toEqual([
      [nanos('2026-11-27T15:55:00Z'), 5],
      [nanos('2026-11-27T15:56:00Z'), 6],
      [nanos('2026-11-27T15:57:00Z'), 7],
    ]);
  });

  it('re-reads a window given by hand', async () => {
    const { handler, context, exporter, cloudwatch } = handlerFor(publishedSeries(), {
      ELB_OTLP_METRICS_LOAD_BALANCERS: ALB_2,
    });
    const summary = await handler(
      { start: '2026-11-27T15:00:00Z', end: '2026-11-27T16:00:00Z' },
      context,
    );
    await exporter.close();
    expect(summary.window).toEqual({
      start: '2026-11-27T15:00:00.000Z',
      end: '2026-11-27T16:00:00.000Z',
    });
    expect(cloudwatch.dataCalls[0]?.StartTime?.toISOString()).toBe('2026-11-27T15:00:00.000Z');
    expect(summary.accepted).toBe(1);
  });

  it.each([
    [
      { start: '2026-11-27T15:00:30Z', end: '2026-11-27T16:00:00Z' },
      /"start" must be an ISO timestamp on a whole minute/,
    ],
    [{ start: '2026-11-27T16:00:00Z', end: '2026-11-27T15:00:00Z' }, /"end" must be after "start"/],
    [{ start: '2026-11-25T16:00:00Z', end: '2026-11-27T16:00:00Z' }, /at most 24 hours later/],
    [{ time: 'yesterday' }, /"time" is not a timestamp/],
  ])('refuses the input %j', async (event, message) => {
    const { handler, context, exporter } = handlerFor([]);
    await expect(handler(event, context)).rejects.toThrow(MetricsInputError);
    await expect(handler(event, context)).rejects.toThrow(message);
    await exporter.close();
  });

  it('ships what it can, then fails naming the query CloudWatch refused', async () => {
    const series = publishedSeries();
    series[3] = { ...(series[3] as FakeSeries), status: 'Forbidden' };
    const { handler, context, exporter, errors } = handlerFor(series);
    const failure = handler(SCHEDULED, context);
    await expect(failure).rejects.toThrow(MetricsDeliveryError);
    await expect(failure).rejects.toThrow(
      /CloudWatch did not answer 3 of 11 queries \(AWS\/ApplicationELB TargetResponseTime LoadBalancer=app\/web\/50dc6c495c0c9188,TargetGroup=targetgroup\/web-tg\/943f017f100becff Average: Forbidden/,
    );
    await exporter.close();
    const delivered = receiver.requests.flatMap((r) => [...metricsOf(r.metrics).keys()]);
    expect(delivered).toContain('aws_applicationelb_request_count_sum');
    expect(delivered).not.toContain('aws_applicationelb_target_response_time_p99');
    expect(errors).toHaveLength(1);
  });

  it('fails, counting the datapoints, when the receiver stays unavailable', async () => {
    receiver.script(
      ...Array.from({ length: 20 }, () => ({ kind: 'status' as const, status: 503 })),
    );
    const { handler, context, exporter } = handlerFor(publishedSeries(), {
      ELB_OTLP_METRICS_LOAD_BALANCERS: ALB_2,
      ELB_OTLP_MAX_RETRY_TIME: '1s',
    });
    await expect(handler(SCHEDULED, context)).rejects.toThrow(
      /1 of 1 datapoints were not delivered \(app\/api\/73e2d6bc24d8a067: ExportRetryableError: gave up on a batch of 1 records/,
    );
    await exporter.close();
  });

  it('counts datapoints the receiver rejected without failing the run', async () => {
    receiver.script({ kind: 'partial', rejected: 2, message: 'two points out of order' });
    const { handler, context, exporter, errors } = handlerFor(publishedSeries(), {
      ELB_OTLP_METRICS_LOAD_BALANCERS: NLB,
    });
    const summary = await handler(SCHEDULED, context);
    await exporter.close();
    expect(summary).toMatchObject({ datapoints: 7, accepted: 5, rejected: 2, failed: 0 });
    expect(summary.rejectionMessages).toEqual([`${NLB}: two points out of order`]);
    expect(errors).toHaveLength(0);
  });

  it.each([
    ['datapoints', { ELB_OTLP_MAX_BATCH_RECORDS: '4' }],
    ['bytes', { ELB_OTLP_MAX_BATCH_BYTES: '1024', OTEL_EXPORTER_OTLP_COMPRESSION: 'none' }],
  ])(
    'splits a load balancer’s datapoints into requests within the %s bound, each sent once',
    async (_, env) => {
      const { handler, context, exporter } = handlerFor(publishedSeries(), {
        ...env,
        ELB_OTLP_METRICS_LOAD_BALANCERS: ALB,
      });
      const summary = await handler(SCHEDULED, context);
      await exporter.close();
      expect(summary).toMatchObject({ loadBalancers: 1, datapoints: 22, accepted: 22, failed: 0 });
      expect(summary.exportRequests).toBeGreaterThan(1);
      expect(receiver.requests).toHaveLength(summary.exportRequests);
      const points = receiver.requests.flatMap((r) =>
        [...metricsOf(r.metrics).values()].flatMap((m) =>
          (m.sum?.dataPoints ?? m.gauge?.dataPoints ?? []).map(
            (p) =>
              `${m.name} ${JSON.stringify(attributeValues(p.attributes))} ${p.startTimeUnixNano} ${p.asDouble}`,
          ),
        ),
      );
      expect(points).toHaveLength(22);
      expect(new Set(points).size).toBe(22);
      for (const request of receiver.requests) {
        const count = [...metricsOf(request.metrics).values()].reduce(
          (sum, m) => sum + (m.sum?.dataPoints.length ?? m.gauge?.dataPoints.length ?? 0),
          0,
        );
        if ('ELB_OTLP_MAX_BATCH_RECORDS' in env) expect(count).toBeLessThanOrEqual(4);
        else expect(request.wireBytes).toBeLessThanOrEqual(1024);
      }
    },
  );

  it('splits more than 500 queries into calls of at most 500', async () => {
    const many: FakeSeries[] = Array.from({ length: 260 }, (_, i) => ({
      namespace: 'AWS/ApplicationELB',
      metricName: 'HealthyHostCount',
      dimensions: {
        LoadBalancer: ALB,
        TargetGroup: `targetgroup/tg-${i}/${String(i).padStart(16, '0')}`,
      },
      values: { Minimum: minutes([1]), Maximum: minutes([2]) },
    }));
    const { handler, context, exporter, cloudwatch } = handlerFor(many, {}, {});
    const summary = await handler(SCHEDULED, context);
    await exporter.close();
    expect(summary).toMatchObject({ series: 260, queries: 520, datapoints: 520, accepted: 520 });
    expect(cloudwatch.dataCalls.map((c) => c.MetricDataQueries?.length)).toEqual([500, 20]);
    const ids = cloudwatch.dataCalls.flatMap((c) => c.MetricDataQueries?.map((q) => q.Id) ?? []);
    expect(new Set(ids).size).toBe(520);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-zA-Z0-9_]*$/);
  });
});
