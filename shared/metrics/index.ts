export {
  CATALOGUE,
  findMetric,
  SEED_DIMENSIONS,
  SEED_METRICS,
  sameDimensions,
} from './catalogue.ts';
export {
  BASIC_STATISTICS,
  type CatalogueMetric,
  COUNTS_AS,
  type CountsAs,
  type Dimension,
  type DimensionSet,
  type MetricKind,
  NAMESPACES,
  type Namespace,
  type Statistic,
} from './catalogue-types.ts';
export {
  type CollectOptions,
  type CollectSummary,
  collectMetrics,
  type FailedExport,
  type FailedQuery,
} from './collect.ts';
export {
  type CloudWatchApi,
  type Discovery,
  discoverSeries,
  type Series,
  seriesKey,
} from './discover.ts';
export {
  buildExporterConfig,
  CatalogueError,
  checkMetric,
  type ExporterConfig,
  type ExporterConfigOptions,
  type ExporterRule,
  renderExporterConfig,
} from './exporter-config.ts';
export {
  type Datapoints,
  type FetchResult,
  fetchDatapoints,
  MAX_QUERIES_PER_CALL,
  type MetricWindow,
  type QueryFailure,
} from './fetch.ts';
export {
  loadBalancerDimension,
  loadMetricsSettings,
  type MetricsSettings,
  metricWindow,
} from './metrics-settings.ts';
export { labelName, seriesName, snakeCase } from './names.ts';
export {
  encodeMetricsRequests,
  type MetricsLimits,
  type MetricsOrigin,
  type MetricsRequest,
  SERVICE_LABEL,
} from './otlp-metrics.ts';
export { MetricsInputError, windowOf } from './window.ts';
