/**
 * `metrics`: the serverless path for ELB metrics. On a schedule, reads the
 * catalogue's CloudWatch metrics for the load balancers found (or listed)
 * over the window that ended a few minutes before the scheduled time, and
 * exports them as OTLP metrics with the same exporter and settings as the
 * logs (`OTEL_EXPORTER_OTLP_METRICS_*` where they differ); the engine is
 * shared/metrics/metrics-run.ts.
 *
 * - A scheduled event reads the window ending `ELB_OTLP_METRICS_DELAY`
 *   before its `time`, so consecutive runs tile time, and a retried run reads
 *   the same minutes again (the same datapoints, the same timestamps).
 * - `{"start": "…", "end": "…"}` (whole minutes, at most a day) re-reads a
 *   window by hand, after an outage of the receiver for example.
 * - The invocation fails, naming them, when datapoints were not delivered or
 *   CloudWatch did not answer a query; what could be shipped is shipped first.
 */

import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { functionRegion } from '../shared/config/environment.ts';
import { loadMappingConfig } from '../shared/config/mapping-config.ts';
import { createMetrics } from '../shared/metrics/metrics-run.ts';
import { loadMetricsSettings } from '../shared/metrics/metrics-settings.ts';
import { SYSTEM_CLOCK } from '../shared/otlp/exporter.ts';
import { startExport } from '../shared/runtime/export-start.ts';
import { startedOnce } from '../shared/runtime/started-once.ts';
import { functionLogger, lambdaHandler } from './lambda.ts';

const logger = functionLogger('metrics');

/** Built at the first call, kept for the container's life. */
const dependencies = startedOnce(async () => {
  const env = process.env;
  const { config, exporter } = await startExport(env, { signal: 'metrics', logger });
  const region = functionRegion(env);
  return {
    cloudwatch: new CloudWatchClient({}),
    exporter,
    config,
    mapping: loadMappingConfig(env),
    settings: loadMetricsSettings(env),
    clock: SYSTEM_CLOCK,
    logger,
    ...(region !== undefined && { region }),
  };
});

export const handler = lambdaHandler(logger, createMetrics(dependencies));
