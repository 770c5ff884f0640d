/**
 * Reads the datapoints of a set of series over one window with
 * `GetMetricData`: one query per series and statistic, 500 queries a call,
 * following `NextToken` until every query is complete. A query CloudWatch
 * answers with `InternalError` or `Forbidden` is reported, never dropped
 * silently.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 */

import {
  GetMetricDataCommand,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import type { Statistic } from './catalogue-types.ts';
import type { CloudWatchApi, Series } from './discover.ts';

/** CloudWatch's limit on queries in one `GetMetricData` call. */
export const MAX_QUERIES_PER_CALL = 500;
/** CloudWatch's ELB metrics are per minute. */
export const PERIOD_SECONDS = 60;

/** The time range read: `[start, end)`, both on period boundaries. */
export interface MetricWindow {
  start: Date;
  end: Date;
}

/** The datapoints of one statistic of one series. */
export interface Datapoints {
  series: Series;
  statistic: Statistic;
  /** Period starts, ascending, each with its value. */
  points: { timestamp: Date; value: number }[];
}

/** A query CloudWatch could not answer. */
export interface QueryFailure {
  series: Series;
  statistic: Statistic;
  status: string;
  message: string;
}

export interface FetchResult {
  data: Datapoints[];
  failures: QueryFailure[];
  /** `GetMetricData` calls made (pages included). */
  requests: number;
}

/**
 * Reads every statistic of every series over `window`.
 *
 * @example
 * const { data, failures } = await fetchDatapoints(cloudwatch, series, window);
 */
export async function fetchDatapoints(
  client: CloudWatchApi,
  series: readonly Series[],
  window: MetricWindow,
): Promise<FetchResult> {
  const queries: { id: string; datapoints: Datapoints; query: MetricDataQuery }[] = [];
  for (const one of series) {
    for (const statistic of one.metric.statistics) {
      const id = `q${queries.length}`;
      queries.push({
        id,
        datapoints: { series: one, statistic, points: [] },
        query: {
          Id: id,
          ReturnData: true,
          MetricStat: {
            Metric: {
              Namespace: one.metric.namespace,
              MetricName: one.metric.name,
              Dimensions: Object.entries(one.dimensions).map(([Name, Value]) => ({ Name, Value })),
            },
            Period: PERIOD_SECONDS,
            Stat: statistic,
          },
        },
      });
    }
  }
  const byId = new Map(queries.map((q) => [q.id, q]));
  const failures: QueryFailure[] = [];
  let requests = 0;
  for (let at = 0; at < queries.length; at += MAX_QUERIES_PER_CALL) {
    const group = queries.slice(at, at + MAX_QUERIES_PER_CALL);
    const status = new Map<string, string>();
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new GetMetricDataCommand({
          MetricDataQueries: group.map((q) => q.query),
          StartTime: window.start,
          EndTime: window.end,
          ScanBy: 'TimestampAscending',
          NextToken: nextToken,
        }),
      );
      requests++;
      for (const result of page.MetricDataResults ?? []) {
        const query = byId.get(result.Id ?? '');
        if (query === undefined) continue;
        addPoints(query.datapoints, result);
        status.set(query.id, describeStatus(result));
      }
      nextToken = page.NextToken;
    } while (nextToken !== undefined && nextToken !== '');
    for (const query of group) {
      const last = status.get(query.id) ?? 'Missing: CloudWatch returned no result for the query';
      if (last === 'Complete' || last.startsWith('PartialData')) continue;
      const [code, ...rest] = last.split(': ');
      failures.push({
        series: query.datapoints.series,
        statistic: query.datapoints.statistic,
        status: code ?? last,
        message: rest.join(': '),
      });
    }
  }
  for (const query of queries) query.datapoints.points.sort((a, b) => +a.timestamp - +b.timestamp);
  return { data: queries.map((q) => q.datapoints), failures, requests };
}

function addPoints(datapoints: Datapoints, result: MetricDataResult): void {
  const timestamps = result.Timestamps ?? [];
  const values = result.Values ?? [];
  for (let i = 0; i < timestamps.length && i < values.length; i++) {
    const value = values[i] as number;
    if (Number.isFinite(value)) datapoints.points.push({ timestamp: timestamps[i] as Date, value });
  }
}

/** `Complete`, or the status code and CloudWatch's messages. */
function describeStatus(result: MetricDataResult): string {
  const code = result.StatusCode ?? 'Missing';
  if (code === 'Complete') return code;
  const messages = (result.Messages ?? []).map((m) => `${m.Code ?? ''} ${m.Value ?? ''}`.trim());
  return `${code}: ${messages.join('; ') || 'no message'}`;
}
