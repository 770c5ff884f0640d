/**
 * Finds the series to read: the catalogue's metrics, under the dimension set
 * each is collected with, for the load balancers that published them in the
 * last three hours (`ListMetrics` with `RecentlyActive`), optionally narrowed
 * to a list of load balancers.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListMetrics.html
 */

import { type CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { CATALOGUE, sameDimensions } from './catalogue.ts';
import type { CatalogueMetric, Namespace } from './catalogue-types.ts';

/** The client calls used here; a test passes a stand-in. */
export type CloudWatchApi = Pick<CloudWatchClient, 'send'>;

/** One CloudWatch series: a catalogued metric under one set of dimension values. */
export interface Series {
  metric: CatalogueMetric;
  /** Dimension name → value, e.g. `{LoadBalancer: 'app/web/50dc6c495c0c9188'}`. */
  dimensions: Record<string, string>;
}

export interface DiscoverOptions {
  namespaces: readonly Namespace[];
  /** Load balancers to keep (`app/name/id`, `net/name/id`); all when empty. */
  loadBalancers?: readonly string[];
  catalogue?: readonly CatalogueMetric[];
}

export interface Discovery {
  series: Series[];
  /** `ListMetrics` calls made (pages). */
  requests: number;
}

/**
 * Lists the series of every catalogued metric in `namespaces`.
 *
 * @example
 * const { series } = await discoverSeries(cloudwatch, { namespaces: ['AWS/ApplicationELB'] });
 */
export async function discoverSeries(
  client: CloudWatchApi,
  options: DiscoverOptions,
): Promise<Discovery> {
  const catalogue = options.catalogue ?? CATALOGUE;
  const wanted = new Set(options.loadBalancers ?? []);
  const series: Series[] = [];
  const seen = new Set<string>();
  let requests = 0;
  for (const namespace of options.namespaces) {
    const byName = new Map(
      catalogue.filter((m) => m.namespace === namespace).map((m) => [m.name, m]),
    );
    if (byName.size === 0) continue;
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new ListMetricsCommand({
          Namespace: namespace,
          RecentlyActive: 'PT3H',
          NextToken: nextToken,
        }),
      );
      requests++;
      for (const listed of page.Metrics ?? []) {
        const metric = byName.get(listed.MetricName ?? '');
        if (metric === undefined) continue;
        const dimensions: Record<string, string> = {};
        for (const d of listed.Dimensions ?? []) {
          if (d.Name !== undefined && d.Value !== undefined) dimensions[d.Name] = d.Value;
        }
        // CloudWatch lists each published combination separately; keep the collected one.
        if (!sameDimensions(Object.keys(dimensions), metric.dimensions)) continue;
        const loadBalancer = dimensions.LoadBalancer;
        if (wanted.size > 0 && (loadBalancer === undefined || !wanted.has(loadBalancer))) continue;
        const key = seriesKey(metric, dimensions);
        if (seen.has(key)) continue;
        seen.add(key);
        series.push({ metric, dimensions });
      }
      nextToken = page.NextToken;
    } while (nextToken !== undefined && nextToken !== '');
  }
  return { series, requests };
}

/** A stable identity of a series, for de-duplication and sorting. */
export function seriesKey(metric: CatalogueMetric, dimensions: Record<string, string>): string {
  const pairs = Object.keys(dimensions)
    .sort()
    .map((name) => `${name}=${dimensions[name]}`);
  return `${metric.namespace} ${metric.name} ${pairs.join(',')}`;
}
