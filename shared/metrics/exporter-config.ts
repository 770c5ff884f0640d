/**
 * The Prometheus CloudWatch exporter's configuration, generated from the
 * catalogue: one rule per metric, asking for a dimension combination that
 * CloudWatch publishes and the statistics that mean something for it.
 *
 * The exporter keeps only the metrics whose dimensions are exactly the rule's
 * `aws_dimensions`, so a rule asking a load-balancer metric for
 * `TargetGroup` returns nothing (the guide's mistake); and it must see each
 * metric once, or it writes the same Prometheus family twice and the scrape
 * fails. Both are checked here before anything is written.
 *
 * @see https://github.com/prometheus/cloudwatch_exporter#configuration
 */

import { Document, isMap, isSeq, visit } from 'yaml';
import { CATALOGUE, sameDimensions } from './catalogue.ts';
import {
  BASIC_STATISTICS,
  type CatalogueMetric,
  NAMESPACES,
  type Namespace,
} from './catalogue-types.ts';

/** CloudWatch's ELB metrics are per minute. */
export const PERIOD_SECONDS = 60;
/**
 * How old the newest datapoint asked for is: CloudWatch's ELB values settle
 * within a few minutes; the exporter's own default (600 s) delays alerts more.
 */
export const DEFAULT_DELAY_SECONDS = 300;
/** The exporter exports the newest datapoint of this window. */
export const RANGE_SECONDS = 300;
/** The tagging API type of Application and Network Load Balancers. */
export const LOAD_BALANCER_RESOURCE_TYPE = 'elasticloadbalancing:loadbalancer';

export interface ExporterConfigOptions {
  region: string;
  /** Namespaces to include; both by default. */
  namespaces?: readonly Namespace[];
  /** Only load balancers with these tags (`{team: ['edge']}`), through the tagging API. */
  tags?: Record<string, string[]>;
  delaySeconds?: number;
  /** The catalogue to generate from (tests pass a faulty one). */
  catalogue?: readonly CatalogueMetric[];
}

/** One `metrics` entry of the exporter's configuration. */
export interface ExporterRule {
  aws_namespace: string;
  aws_metric_name: string;
  aws_dimensions: string[];
  aws_statistics?: string[];
  aws_extended_statistics?: string[];
  aws_tag_select?: {
    tag_selections: Record<string, string[]>;
    resource_type_selection: string;
    resource_id_dimension: string;
  };
}

export interface ExporterConfig {
  region: string;
  period_seconds: number;
  range_seconds: number;
  delay_seconds: number;
  use_get_metric_data: boolean;
  metrics: ExporterRule[];
}

/** A catalogue entry the exporter could not use as it stands. */
export class CatalogueError extends Error {
  override readonly name = 'CatalogueError';
}

/**
 * Checks a catalogue entry: its collected dimensions are a published
 * combination, and counts of events are summed and nothing else.
 *
 * @throws CatalogueError naming the metric and what is wrong.
 */
export function checkMetric(metric: CatalogueMetric): void {
  const where = `${metric.namespace} ${metric.name}`;
  if (!metric.published.some((set) => sameDimensions(set, metric.dimensions))) {
    throw new CatalogueError(
      `${where}: asks for [${metric.dimensions.join(', ')}], which CloudWatch does not publish (published: ${metric.published.map((s) => `[${s.join(', ')}]`).join(' ')})`,
    );
  }
  if (
    metric.kind === 'events' &&
    (metric.statistics.length !== 1 || metric.statistics[0] !== 'Sum')
  ) {
    throw new CatalogueError(
      `${where}: counts events, so Sum is its statistic (not ${metric.statistics.join(', ')})`,
    );
  }
  if (metric.statistics.length === 0) throw new CatalogueError(`${where}: has no statistic`);
}

/**
 * Builds the exporter configuration.
 *
 * @throws CatalogueError when an entry fails {@link checkMetric} or a metric appears twice.
 */
export function buildExporterConfig(options: ExporterConfigOptions): ExporterConfig {
  const namespaces = options.namespaces ?? NAMESPACES;
  const seen = new Set<string>();
  const metrics: ExporterRule[] = [];
  for (const metric of options.catalogue ?? CATALOGUE) {
    if (!namespaces.includes(metric.namespace)) continue;
    checkMetric(metric);
    const id = `${metric.namespace} ${metric.name}`;
    if (seen.has(id)) {
      throw new CatalogueError(
        `${id}: listed twice; the exporter would write its Prometheus family twice and the scrape would fail`,
      );
    }
    seen.add(id);
    const rule: ExporterRule = {
      aws_namespace: metric.namespace,
      aws_metric_name: metric.name,
      aws_dimensions: [...metric.dimensions],
    };
    const basic = metric.statistics.filter((s) => BASIC_STATISTICS.includes(s));
    const extended = metric.statistics.filter((s) => !BASIC_STATISTICS.includes(s));
    // Without aws_statistics the exporter asks for all five, unless extended ones are given.
    if (basic.length > 0) rule.aws_statistics = basic;
    if (extended.length > 0) rule.aws_extended_statistics = extended;
    if (options.tags !== undefined && Object.keys(options.tags).length > 0) {
      rule.aws_tag_select = {
        tag_selections: options.tags,
        resource_type_selection: LOAD_BALANCER_RESOURCE_TYPE,
        resource_id_dimension: 'LoadBalancer',
      };
    }
    metrics.push(rule);
  }
  return {
    region: options.region,
    period_seconds: PERIOD_SECONDS,
    range_seconds: RANGE_SECONDS,
    delay_seconds: options.delaySeconds ?? DEFAULT_DELAY_SECONDS,
    // One GetMetricData call covers many series; GetMetricStatistics takes one each.
    use_get_metric_data: true,
    metrics,
  };
}

/** The command that generated a file, written at its top. */
export function generatedHeader(command: string): string {
  return [
    '# Prometheus CloudWatch exporter configuration for ELB metrics.',
    `# Generated by: ${command}`,
    '# from the catalogue in shared/metrics/catalogue.ts; regenerate instead of editing.',
    '# Each metric asks for a dimension set CloudWatch publishes (see docs/metrics.md).',
    '',
  ].join('\n');
}

/**
 * The configuration as YAML, headed by the command that made it.
 *
 * @example
 * renderExporterConfig({ region: 'eu-west-1' }, 'elb-otlp metrics-config --region eu-west-1');
 */
export function renderExporterConfig(options: ExporterConfigOptions, command: string): string {
  const config = buildExporterConfig(options);
  const catalogue = options.catalogue ?? CATALOGUE;
  const doc = new Document(config, { aliasDuplicateObjects: false });
  visit(doc, {
    Seq(_, node) {
      // Lists of names read best on one line, as in the exporter's own examples.
      if (node.items.every((item) => !isMap(item) && !isSeq(item))) node.flow = true;
    },
    Map(_, node) {
      const name = node.get('aws_metric_name');
      const namespace = node.get('aws_namespace');
      const metric = catalogue.find((m) => m.name === name && m.namespace === namespace);
      if (metric !== undefined) {
        node.commentBefore = ` ${metric.description}${metric.note === undefined ? '' : ` ${metric.note}`}`;
      }
    },
  });
  return `${generatedHeader(command)}${doc.toString({ lineWidth: 0, flowCollectionPadding: false })}`;
}
