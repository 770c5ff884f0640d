/**
 * `metrics`: the serverless path for ELB metrics. On a schedule, reads the
 * catalogue's CloudWatch metrics for the load balancers found (or listed)
 * over the window that ended a few minutes before the scheduled time, and
 * exports them as OTLP metrics with the same exporter and settings as the
 * logs (`OTEL_EXPORTER_OTLP_METRICS_*` where they differ).
 *
 * - A scheduled event reads the window ending `ELB_OTLP_METRICS_DELAY`
 *   before its `time`, so consecutive runs tile time, and a retried run reads
 *   the same minutes again (the same datapoints, the same timestamps).
 * - `{"start": "…", "end": "…"}` (whole minutes, at most a day) re-reads a
 *   window by hand, after an outage of the receiver for example.
 * - The invocation fails, naming them, when datapoints were not delivered or
 *   CloudWatch did not answer a query; what could be shipped is shipped first.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ExportConfig } from '../shared/config/export-config.ts';
import { loadMappingConfig, type MappingConfig } from '../shared/config/mapping-config.ts';
import { type CollectSummary, collectMetrics } from '../shared/metrics/collect.ts';
import type { CloudWatchApi } from '../shared/metrics/discover.ts';
import { loadMetricsSettings, type MetricsSettings } from '../shared/metrics/metrics-settings.ts';
import { windowOf } from '../shared/metrics/window.ts';
import { type ExporterClock, type OtlpExporter, SYSTEM_CLOCK } from '../shared/otlp/exporter.ts';
import { startExport } from './export-start.ts';
import { startedOnce } from './shipping-container.ts';

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

export type MetricsContext = Pick<Context, 'getRemainingTimeInMillis' | 'invokedFunctionArn'>;

/** The handler, given its dependencies (tests pass theirs). */
export function createMetrics(
  dependencies: () => MetricsDependencies | Promise<MetricsDependencies>,
) {
  return async (event: unknown, context: MetricsContext): Promise<CollectSummary> => {
    const deps = await dependencies();
    const { settings, clock, logger } = deps;
    const window = windowOf(event, settings, clock.now());
    const account = context.invokedFunctionArn?.split(':')[4];
    const summary = await collectMetrics({
      cloudwatch: deps.cloudwatch,
      exporter: deps.exporter,
      protocol: deps.config.protocol,
      limits: { maxDatapoints: deps.config.maxBatchRecords, maxBytes: deps.config.maxBatchBytes },
      counts: settings.counts,
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

const logger = new Logger({ serviceName: 'elb-otlp', persistentKeys: { function: 'metrics' } });

const start = startedOnce(async (): Promise<MetricsDependencies> => {
  const env = process.env;
  const { config, exporter } = await startExport(env, { signal: 'metrics', logger });
  return {
    cloudwatch: new CloudWatchClient({}),
    exporter,
    config,
    mapping: loadMappingConfig(env),
    settings: loadMetricsSettings(env),
    clock: SYSTEM_CLOCK,
    logger,
    ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
  };
});

export const handler = middy(createMetrics(start)).use(injectLambdaContext(logger));
