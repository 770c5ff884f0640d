/**
 * A stand-in for CloudWatch. No local CloudWatch exists (s3rver has no
 * counterpart for it), so the metrics tests mock it: this object answers
 * `ListMetrics` and `GetMetricData` from a table of series the test writes,
 * the way the API documents them, small pages and `NextToken` included, and
 * records every call. It serves as the client itself (`send`), or over
 * loopback HTTP in the AWS JSON 1.0 protocol the SDK's CloudWatch client
 * speaks (`startCloudWatchServer`), for code that builds its own client.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListMetrics.html
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 */

import {
  GetMetricDataCommand,
  type GetMetricDataInput,
  type GetMetricDataOutput,
  ListMetricsCommand,
  type ListMetricsInput,
  type ListMetricsOutput,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { startAwsJsonServer } from './aws-json-server.ts';

/** One published series and its datapoints per statistic. */
export interface FakeSeries {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  /** Statistic → [ISO minute, value] pairs. */
  values?: Record<string, [string, number][]>;
  /** Answer queries for this series with this status (e.g. `Forbidden`). */
  status?: 'Forbidden' | 'InternalError';
}

export interface FakeCloudWatchOptions {
  /** Metrics per ListMetrics page (CloudWatch's is 500). */
  listPageSize?: number;
  /** Datapoints per GetMetricData page, across its results (CloudWatch's is 100,800). */
  dataPageSize?: number;
}

export interface FakeCloudWatch {
  send(command: unknown): Promise<unknown>;
  listMetrics(input: ListMetricsInput): ListMetricsOutput;
  getMetricData(input: GetMetricDataInput): GetMetricDataOutput;
  listCalls: ListMetricsInput[];
  dataCalls: GetMetricDataInput[];
}

function key(namespace: string, name: string, dimensions: Record<string, string>): string {
  const pairs = Object.keys(dimensions)
    .sort()
    .map((d) => `${d}=${dimensions[d]}`);
  return `${namespace}|${name}|${pairs.join(',')}`;
}

/** Creates the stand-in over `series`. */
export function createFakeCloudWatch(
  series: FakeSeries[],
  options: FakeCloudWatchOptions = {},
): FakeCloudWatch {
  const listPageSize = options.listPageSize ?? 500;
  const dataPageSize = options.dataPageSize ?? 100_800;
  const byKey = new Map(series.map((s) => [key(s.namespace, s.metricName, s.dimensions), s]));
  const listCalls: ListMetricsInput[] = [];
  const dataCalls: GetMetricDataInput[] = [];

  function listMetrics(input: ListMetricsInput): ListMetricsOutput {
    listCalls.push(input);
    const matching = series.filter((s) => s.namespace === input.Namespace);
    const from = Number(input.NextToken ?? 0);
    const page = matching.slice(from, from + listPageSize);
    const output: ListMetricsOutput = {
      Metrics: page.map((s) => ({
        Namespace: s.namespace,
        MetricName: s.metricName,
        Dimensions: Object.entries(s.dimensions).map(([Name, Value]) => ({ Name, Value })),
      })),
    };
    if (from + listPageSize < matching.length) output.NextToken = String(from + listPageSize);
    return output;
  }

  function getMetricData(input: GetMetricDataInput): GetMetricDataOutput {
    dataCalls.push(input);
    const queries = input.MetricDataQueries ?? [];
    if (queries.length > 500) throw new Error('GetMetricData takes at most 500 queries');
    const start = input.StartTime?.getTime() ?? 0;
    const end = input.EndTime?.getTime() ?? 0;
    // Every datapoint of every query, in order; a page is a slice of it.
    const all: { id: string; timestamp: Date; value: number }[] = [];
    const statuses = new Map<string, MetricDataResult>();
    for (const query of queries) {
      const stat = query.MetricStat;
      const metric = stat?.Metric;
      const dimensions: Record<string, string> = {};
      for (const d of metric?.Dimensions ?? []) dimensions[d.Name as string] = d.Value as string;
      const found = byKey.get(key(metric?.Namespace ?? '', metric?.MetricName ?? '', dimensions));
      const id = query.Id as string;
      if (found?.status !== undefined) {
        statuses.set(id, {
          Id: id,
          StatusCode: found.status,
          Messages: [{ Code: found.status, Value: 'scripted by the test' }],
          Timestamps: [],
          Values: [],
        });
        continue;
      }
      statuses.set(id, { Id: id, StatusCode: 'Complete', Timestamps: [], Values: [] });
      for (const [minute, value] of found?.values?.[stat?.Stat ?? ''] ?? []) {
        const at = Date.parse(minute);
        if (at >= start && at < end) all.push({ id, timestamp: new Date(at), value });
      }
    }
    const from = Number(input.NextToken ?? 0);
    const page = all.slice(from, from + dataPageSize);
    const more = from + dataPageSize < all.length;
    const results = new Map<string, MetricDataResult>();
    for (const [id, status] of statuses) {
      // A failed query is reported on the first page only; complete ones on every page.
      if (status.StatusCode !== 'Complete' && from > 0) continue;
      results.set(id, { ...status, Timestamps: [], Values: [] });
    }
    for (const point of page) {
      const result = results.get(point.id) as MetricDataResult;
      result.Timestamps?.push(point.timestamp);
      result.Values?.push(point.value);
    }
    if (more) {
      for (const result of results.values()) {
        if (result.StatusCode === 'Complete') result.StatusCode = 'PartialData';
      }
    }
    const output: GetMetricDataOutput = { MetricDataResults: [...results.values()] };
    if (more) output.NextToken = String(from + dataPageSize);
    return output;
  }

  return {
    listCalls,
    dataCalls,
    listMetrics,
    getMetricData,
    send: async (command) => {
      if (command instanceof ListMetricsCommand) return listMetrics(command.input);
      if (command instanceof GetMetricDataCommand) return getMetricData(command.input);
      throw new Error(`the CloudWatch stand-in has no ${(command as object).constructor.name}`);
    },
  };
}

export interface CloudWatchServer {
  /** For `AWS_ENDPOINT_URL_CLOUDWATCH`. */
  url: string;
  fake: FakeCloudWatch;
  close(): Promise<void>;
}

/** Serves `fake` over loopback HTTP, AWS JSON 1.0 (timestamps in epoch seconds). */
export async function startCloudWatchServer(fake: FakeCloudWatch): Promise<CloudWatchServer> {
  const server = await startAwsJsonServer('application/x-amz-json-1.0', ({ target, body }) => {
    const operation = target.split('.')[1];
    if (operation === 'ListMetrics') return [200, fake.listMetrics(body as ListMetricsInput)];
    if (operation === 'GetMetricData') {
      const output = fake.getMetricData({
        ...body,
        StartTime: new Date(Number(body.StartTime) * 1000),
        EndTime: new Date(Number(body.EndTime) * 1000),
      } as GetMetricDataInput);
      return [
        200,
        {
          ...output,
          MetricDataResults: output.MetricDataResults?.map((r) => ({
            ...r,
            Timestamps: r.Timestamps?.map((t) => t.getTime() / 1000),
          })),
        },
      ];
    }
    return [400, { __type: 'InvalidAction', message: `the stand-in has no ${target}` }];
  });
  return { url: server.url, fake, close: () => server.close() };
}
