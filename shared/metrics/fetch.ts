/**
 * Reads the datapoints of a set of series over one window with
 * `GetMetricData`: one query per series and statistic, 500 queries a call,
 * following `NextToken` until every query is complete, page by page. A query CloudWatch
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
  failures: QueryFailure[];
  /** Queries asked (one per series and statistic). */
  queries: number;
  /** `GetMetricData` calls made (pages included). */
  requests: number;
}

/**
 * Reads every statistic of every series over `window`, handing each page's
 * datapoints to `onPage` before the next page is asked for: memory holds one
 * page (at most 100 800 datapoints), whatever the window's length. A series
 * whose datapoints span pages comes in several parts, each sorted by time.
 *
 * @example
 * const { failures } = await fetchDatapoints(cloudwatch, series, window, async (data) => ship(data));
 */
export async function fetchDatapoints(
  client: CloudWatchApi,
  series: readonly Series[],
  window: MetricWindow,
  onPage: (data: Datapoints[]) => Promise<void>,
): Promise<FetchResult> {
  const queries: { id: string; series: Series; statistic: Statistic; query: MetricDataQuery }[] =
    [];
  for (const one of series) {
    for (const statistic of one.metric.statistics) {
      const id = `q${queries.length}`;
      queries.push({
        id,
        series: one,
        statistic,
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
    const status = new Map<string, QueryStatus>();
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
      const data: Datapoints[] = [];
      for (const result of page.MetricDataResults ?? []) {
        const query = byId.get(result.Id ?? '');
        if (query === undefined) continue;
        status.set(query.id, statusOf(result));
        const points = pointsOf(result);
        if (points.length > 0)
          data.push({ series: query.series, statistic: query.statistic, points });
      }
      if (data.length > 0) await onPage(data);
      nextToken = page.NextToken;
    } while (nextToken !== undefined && nextToken !== '');
    for (const query of group) {
      const last = status.get(query.id) ?? MISSING;
      if (last.code === 'Complete' || last.code === 'PartialData') continue;
      failures.push({
        series: query.series,
        statistic: query.statistic,
        status: last.code,
        message: last.message,
      });
    }
  }
  return { failures, queries: queries.length, requests };
}

/** A result's datapoints, by time. */
function pointsOf(result: MetricDataResult): Datapoints['points'] {
  const timestamps = result.Timestamps ?? [];
  const values = result.Values ?? [];
  const points: Datapoints['points'] = [];
  for (let i = 0; i < timestamps.length && i < values.length; i++) {
    const value = values[i] as number;
    if (Number.isFinite(value)) points.push({ timestamp: timestamps[i] as Date, value });
  }
  return points.sort((a, b) => +a.timestamp - +b.timestamp);
}

/** How CloudWatch answered a query, as of its last page. */
interface QueryStatus {
  code: string;
  message: string;
}

const MISSING: QueryStatus = {
  code: 'Missing',
  message: 'CloudWatch returned no result for the query',
};

/** The result's status code and CloudWatch's messages. */
function statusOf(result: MetricDataResult): QueryStatus {
  const messages = (result.Messages ?? []).map((m) => `${m.Code ?? ''} ${m.Value ?? ''}`.trim());
  return { code: result.StatusCode ?? 'Missing', message: messages.join('; ') || 'no message' };
}
