/**
 * One run of the metrics function, without Lambda: reads the catalogue's
 * CloudWatch metrics for the load balancers found (or listed) over the
 * window the event names (window.ts), exports them as OTLP metrics, and
 * fails, naming them, when datapoints were not delivered or CloudWatch did
 * not answer a query; what could be shipped is shipped first.
 */

import type { Logger } from '@aws-lambda-powertools/logger';
import { ConfigError } from '../config/config-error.ts';
import type { ExportConfig } from '../config/export-config.ts';
import type { MappingConfig } from '../config/mapping-config.ts';
import type { ExporterClock, OtlpExporter } from '../otlp/exporter.ts';
import { type CollectSummary, collectMetrics } from './collect.ts';
import type { CloudWatchApi } from './discover.ts';
import type { MetricsSettings } from './metrics-settings.ts';
import { windowOf } from './window.ts';

/** Exports stop retrying this long before the Lambda would be stopped. */
export const DEADLINE_MARGIN_MS = 5_000;

/** Datapoints were not delivered, or CloudWatch did not answer every query. */
export class MetricsDeliveryError extends Error {
  override readonly name = 'MetricsDeliveryError';
}

/** What a call needs; built once per container. */
export interface MetricsDependencies {
  cloudwatch: CloudWatchApi;
  exporter: OtlpExporter;
  config: ExportConfig;
  mapping: MappingConfig;
  settings: MetricsSettings;
  clock: ExporterClock;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** The Region the load balancers are in (the function's own). */
  region?: string;
}

/** The part of the Lambda context a run reads. */
export interface MetricsContext {
  getRemainingTimeInMillis(): number;
  invokedFunctionArn?: string;
}

/** A metrics run, given its dependencies (the handler and tests pass theirs). */
export function createMetrics(
  dependencies: () => MetricsDependencies | Promise<MetricsDependencies>,
) {
  return async (event: unknown, context: MetricsContext): Promise<CollectSummary> => {
    const deps = await dependencies();
    const { settings, clock, logger } = deps;
    const window = windowOf(event, settings, clock.now());
    // The function's own account and Region: the CloudWatch it reads, and the logs' resource.
    const account = context.invokedFunctionArn?.split(':')[4];
    checkArns(settings.arns, { account, region: deps.region });
    const summary = await collectMetrics({
      cloudwatch: deps.cloudwatch,
      exporter: deps.exporter,
      protocol: deps.config.protocol,
      limits: { maxDatapoints: deps.config.maxBatchRecords, maxBytes: deps.config.maxBatchBytes },
      counts: settings.counts,
      units: settings.units,
      mapping: deps.mapping,
      origin: {
        ...(account ? { account } : {}),
        ...(deps.region ? { region: deps.region } : {}),
      },
      namespaces: settings.namespaces,
      loadBalancers: settings.loadBalancers,
      window,
      deadlineMs: clock.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS,
    });
    const { failedQueries, failedExports, rejectionMessages, ...counts } = summary;
    if (summary.rejected > 0)
      logger.warn('receiver rejected datapoints', { ...counts, rejectionMessages });
    if (failedQueries.length === 0 && failedExports.length === 0) {
      logger.info('metrics shipped', counts);
      return summary;
    }
    logger.error('metrics not all shipped', { ...counts, failedQueries, failedExports });
    throw new MetricsDeliveryError(describeFailures(summary));
  };
}

/**
 * Listed ARNs must be of the account and Region the function reads: the
 * metrics of any other are not in its CloudWatch, and would be read as none.
 *
 * @throws ConfigError naming `ELB_OTLP_METRICS_LOAD_BALANCERS`.
 */
function checkArns(
  arns: MetricsSettings['arns'],
  own: { account: string | undefined; region: string | undefined },
): void {
  for (const part of ['account', 'region'] as const) {
    const listed = arns[part];
    const mine = own[part];
    if (listed !== undefined && mine !== undefined && listed !== mine) {
      throw new ConfigError(
        'ELB_OTLP_METRICS_LOAD_BALANCERS',
        `names load balancers of ${part === 'account' ? 'account' : 'Region'} ${listed}, but this function reads the CloudWatch metrics of ${mine}`,
      );
    }
  }
}

function describeFailures(summary: CollectSummary): string {
  const parts: string[] = [];
  if (summary.failedExports.length > 0) {
    const first = summary.failedExports[0];
    parts.push(
      `${summary.failed} of ${summary.datapoints} datapoints were not delivered (${first?.loadBalancer}: ${first?.errorName}: ${first?.message}${summary.failedExports.length > 1 ? `; and ${summary.failedExports.length - 1} more load balancers` : ''})`,
    );
  }
  if (summary.failedQueries.length > 0) {
    const first = summary.failedQueries[0];
    const where = Object.entries(first?.dimensions ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    parts.push(
      `CloudWatch did not answer ${summary.failedQueries.length} of ${summary.queries} queries (${first?.metric} ${where} ${first?.statistic}: ${first?.status} ${first?.message}${summary.failedQueries.length > 1 ? '; and more' : ''})`,
    );
  }
  return `metrics for ${summary.window.start} to ${summary.window.end}: ${parts.join('; ')}`;
}
