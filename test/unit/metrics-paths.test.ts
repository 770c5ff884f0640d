/**
 * One series whichever path ships it: the same CloudWatch datapoints,
 * followed to a Prometheus backend's OTLP receiver along both paths.
 *
 * - The `metrics` function's path is the real encoder, its bytes decoded by
 *   the test receiver's decoder (the OTLP schema).
 * - The Collector path is modelled from its committed configuration: the
 *   exporter's sample (its name, its `job` and empty `instance` labels,
 *   CloudWatch's timestamp), the scrape (target labels win, a clashing one
 *   is kept as `exported_…`, then `metric_relabel_configs`), the prometheus
 *   receiver (job and instance become the resource), and the
 *   `transform/minute_end` statements, read from the file and run here. No
 *   Collector or Prometheus runs in the tests.
 * - Both then meet Prometheus's naming (test/helpers/prometheus-otlp.ts).
 *
 * The decision these hold is docs/metrics.md#one-series-whichever-path; its
 * table of names and its counts are checked against what the code sends.
 */

import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { decodeMetricsRequest } from '../../receiver/otlp-decoder.ts';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import { CATALOGUE } from '../../shared/metrics/catalogue.ts';
import type { CatalogueMetric, CountsAs, UnitsAs } from '../../shared/metrics/catalogue-types.ts';
import type { Datapoints } from '../../shared/metrics/fetch.ts';
import { labelName, seriesName } from '../../shared/metrics/names.ts';
import { encodeMetricsRequests } from '../../shared/metrics/otlp-metrics.ts';
import {
  identityLabels,
  type OtlpMetricShape,
  prometheusName,
  TRANSLATION_STRATEGIES,
  type TranslationStrategy,
} from '../helpers/prometheus-otlp.ts';

const ALB = 'app/web/50dc6c495c0c9188';
const NLB = 'net/edge/0123456789abcdef';
/** CloudWatch's timestamp of the minute read: its start. */
const MINUTE = Date.parse('2026-11-27T15:59:00Z');

interface RelabelConfig {
  action?: string;
  source_labels?: string[];
  separator?: string;
  regex?: string;
  target_label?: string;
  replacement?: string;
}

interface CollectorFile {
  receivers: {
    'prometheus/cloudwatch': {
      config: {
        scrape_configs: {
          job_name: string;
          honor_labels?: boolean;
          static_configs: { targets: string[] }[];
          metric_relabel_configs: RelabelConfig[];
        }[];
      };
    };
  };
  processors: Record<string, { metric_statements?: unknown[] }>;
  service: { pipelines: Record<string, { processors?: string[] }> };
}

/** A sample as a Prometheus backend stores it. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  timeMs: number;
  value: number;
}

/** One datapoint of every catalogued series: each metric, statistic and its collected dimensions. */
function everySeries(): Datapoints[] {
  return CATALOGUE.flatMap((metric, i) =>
    metric.statistics.map((statistic, j) => ({
      series: { metric, dimensions: dimensionsOf(metric) },
      statistic,
      points: [{ timestamp: new Date(MINUTE), value: i * 10 + j + 0.5 }],
    })),
  );
}

function dimensionsOf(metric: CatalogueMetric): Record<string, string> {
  const values: Record<string, string> = {
    LoadBalancer: metric.namespace === 'AWS/NetworkELB' ? NLB : ALB,
    AvailabilityZone: 'eu-west-1a',
    TargetGroup: 'targetgroup/web/943f017f100becff',
  };
  return Object.fromEntries(metric.dimensions.map((d) => [d, values[d] as string]));
}

/** `${env:NAME:-default}` → its default. */
function envDefault(value: string): string {
  return /^\$\{env:[A-Z_]+:-(.*)\}$/.exec(value)?.[1] ?? value;
}

async function collectorFile(): Promise<CollectorFile> {
  const url = new URL('../../collector/otel-collector.yaml', import.meta.url);
  return parse(await readFile(url, 'utf8')) as CollectorFile;
}

// The function's path.

function functionPath(
  data: Datapoints[],
  options: { counts: CountsAs; units: UnitsAs },
  strategy: TranslationStrategy,
): Sample[] {
  const requests = encodeMetricsRequests(
    data,
    { account: '123456789012', region: 'eu-west-1' },
    loadMappingConfig({}),
    { protocol: 'http/protobuf', ...options, limits: { maxDatapoints: 8192, maxBytes: 4 << 20 } },
  );
  const samples: Sample[] = [];
  for (const request of requests) {
    for (const resourceMetrics of decodeMetricsRequest(request.body, {
      'content-type': 'application/x-protobuf',
    }).resourceMetrics) {
      const resource = Object.fromEntries(
        (resourceMetrics.resource?.attributes ?? []).map((a) => [a.key, a.value.stringValue]),
      );
      for (const metric of resourceMetrics.scopeMetrics.flatMap((s) => s.metrics)) {
        const shape: OtlpMetricShape = {
          name: metric.name,
          unit: metric.unit ?? '',
          type: metric.sum?.isMonotonic === true ? 'monotonic-sum' : 'gauge',
        };
        for (const point of (metric.sum ?? metric.gauge)?.dataPoints ?? []) {
          const labels = Object.fromEntries(
            (point.attributes ?? []).map((a) => [a.key, String(a.value.stringValue)]),
          );
          samples.push({
            name: prometheusName(shape, strategy),
            labels: { ...labels, ...identityLabels(resource) },
            timeMs: Number(BigInt(point.timeUnixNano ?? '0') / 1_000_000n),
            value: point.asDouble ?? Number.NaN,
          });
          // The minute the value covers starts at CloudWatch's timestamp.
          expect(Number(BigInt(point.startTimeUnixNano ?? '0') / 1_000_000n)).toBe(MINUTE);
        }
      }
    }
  }
  return samples;
}

// The Collector's path.

/** What the exporter serves for a datapoint (CloudWatchCollector.java: name, job, instance, dimensions). */
function exporterSample(one: Datapoints) {
  const { metric, dimensions } = one.series;
  const labels: Record<string, string> = {
    __name__: seriesName(metric.namespace, metric.name, one.statistic),
    job: metric.namespace.toLowerCase().replace(/[^a-zA-Z0-9:_]/g, '_'),
    instance: '',
  };
  for (const [name, value] of Object.entries(dimensions)) labels[labelName(name)] = value;
  const [point] = one.points;
  return { labels, timeMs: point?.timestamp.getTime() ?? 0, value: point?.value ?? 0 };
}

/** Prometheus's relabelling, for the actions the file uses; another action fails the test. */
function relabel(labels: Record<string, string>, configs: RelabelConfig[]): Record<string, string> {
  const out = { ...labels };
  for (const config of configs) {
    const regex = new RegExp(`^(?:${config.regex ?? '(.*)'})$`);
    switch (config.action ?? 'replace') {
      case 'replace': {
        const source = (config.source_labels ?? [])
          .map((name) => out[name] ?? '')
          .join(config.separator ?? ';');
        const match = regex.exec(source);
        if (match === null || config.target_label === undefined) break;
        out[config.target_label] = (config.replacement ?? '$1').replace(
          /\$(\d+)/g,
          (_, n: string) => match[Number(n)] ?? '',
        );
        break;
      }
      case 'labeldrop':
        for (const name of Object.keys(out)) if (regex.test(name)) delete out[name];
        break;
      default:
        throw new Error(`relabel action ${config.action} is not modelled here`);
    }
  }
  return out;
}

/** `set(datapoint.A, datapoint.B[ + N]) where IsMatch(metric.name, "RE")`, run on a datapoint. */
function transformStatement(statement: string) {
  const parts =
    /^set\(datapoint\.(\w+), datapoint\.(\w+)(?: \+ (\d+))?\) where IsMatch\(metric\.name, "([^"]+)"\)$/.exec(
      statement,
    );
  if (parts === null) throw new Error(`OTTL statement not modelled here: ${statement}`);
  const [, target = '', source = '', add, pattern = ''] = parts;
  return (name: string, point: Record<string, bigint>) => {
    if (!new RegExp(pattern).test(name)) return;
    point[target] = (point[source] ?? 0n) + BigInt(add ?? '0');
  };
}

function collectorPath(
  data: Datapoints[],
  file: CollectorFile,
  strategy: TranslationStrategy,
): Sample[] {
  const [scrape] = file.receivers['prometheus/cloudwatch'].config.scrape_configs;
  if (scrape === undefined) throw new Error('no scrape config');
  // Modelled without honor_labels: the exporter's job would otherwise name the resource.
  expect(scrape.honor_labels ?? false).toBe(false);
  const target = {
    job: scrape.job_name,
    instance: envDefault(scrape.static_configs[0]?.targets[0] ?? ''),
  };
  const statements = (file.service.pipelines['metrics/elb']?.processors ?? []).flatMap((name) =>
    ((file.processors[name]?.metric_statements ?? []) as string[]).map(transformStatement),
  );
  return data.map((one) => {
    const sample = exporterSample(one);
    // The scrape, without honor_labels: an exposed label the target also has is kept as exported_….
    const labels: Record<string, string> = {};
    for (const [name, value] of Object.entries(sample.labels)) {
      if (value === '') continue;
      let kept = name;
      while (kept in target || kept in labels) kept = `exported_${kept}`;
      labels[kept] = value;
    }
    Object.assign(labels, target);
    const scraped = relabel(labels, scrape.metric_relabel_configs);
    // The prometheus receiver: job and instance become the resource; a gauge, no unit, no start.
    const { __name__: name = '', job, instance, ...attributes } = scraped;
    const resource = { 'service.name': job, 'service.instance.id': instance };
    const point: Record<string, bigint> = {
      time_unix_nano: BigInt(sample.timeMs) * 1_000_000n,
      start_time_unix_nano: 0n,
    };
    for (const statement of statements) statement(name, point);
    expect(Number((point.start_time_unix_nano ?? 0n) / 1_000_000n)).toBe(MINUTE);
    return {
      name: prometheusName({ name, unit: '', type: 'gauge' }, strategy),
      labels: { ...attributes, ...identityLabels(resource) },
      timeMs: Number((point.time_unix_nano ?? 0n) / 1_000_000n),
      value: sample.value,
    };
  });
}

/** Samples keyed as a dashboard sees them: name and labels, but not job and instance. */
function byDashboardKey(samples: Sample[]): Map<string, Omit<Sample, 'labels'>> {
  const keyed = new Map<string, Omit<Sample, 'labels'>>();
  for (const { name, labels, timeMs, value } of samples) {
    const { job, instance, ...rest } = labels;
    const pairs = Object.keys(rest)
      .sort()
      .map((k) => `${k}="${rest[k]}"`);
    keyed.set(`${name}{${pairs.join(',')}}`, { name, timeMs, value });
  }
  return keyed;
}

/** A case of prometheus/otlptranslator's own tests (metric_namer_test.go): strategy, metric, name. */
type UpstreamCase = [TranslationStrategy, string, string, OtlpMetricShape['type'], string];

describe("Prometheus's OTLP naming, as written out for these tests", () => {
  it("names http.server.duration in seconds under each strategy as Prometheus's own test does", () => {
    const metric: OtlpMetricShape = { name: 'http.server.duration', unit: 's', type: 'gauge' };
    expect(TRANSLATION_STRATEGIES.map((strategy) => prometheusName(metric, strategy))).toEqual([
      'http_server_duration_seconds',
      'http.server.duration_seconds',
      'http_server_duration',
      'http.server.duration',
    ]);
  });

  it.each<UpstreamCase>([
    ['UnderscoreEscapingWithSuffixes', 'requests', '', 'monotonic-sum', 'requests_total'],
    ['UnderscoreEscapingWithSuffixes', 'cpu_usage', '1', 'gauge', 'cpu_usage_ratio'],
    ['UnderscoreEscapingWithSuffixes', 'items', '1', 'monotonic-sum', 'items_total'],
    [
      'UnderscoreEscapingWithSuffixes',
      'response_time',
      'ms',
      'gauge',
      'response_time_milliseconds',
    ],
    ['UnderscoreEscapingWithSuffixes', 'memory_usage', 'By', 'gauge', 'memory_usage_bytes'],
    ['UnderscoreEscapingWithSuffixes', 'requests', '1/s', 'gauge', 'requests_per_second'],
    [
      'UnderscoreEscapingWithSuffixes',
      'throughput',
      'By/s',
      'gauge',
      'throughput_bytes_per_second',
    ],
    ['UnderscoreEscapingWithSuffixes', 'custom_metric', '{custom}', 'gauge', 'custom_metric'],
    [
      'UnderscoreEscapingWithSuffixes',
      'custom_metric',
      'By/{custom}',
      'gauge',
      'custom_metric_bytes',
    ],
    ['UnderscoreEscapingWithSuffixes', 'requests_total', '', 'monotonic-sum', 'requests_total'],
    [
      'UnderscoreEscapingWithSuffixes',
      'response_time_seconds',
      's',
      'gauge',
      'response_time_seconds',
    ],
    [
      'UnderscoreEscapingWithSuffixes',
      'metric__with__multiple__underscores',
      'unit__multiple__underscores',
      'gauge',
      'metric_with_multiple_underscores_unit_multiple_underscores',
    ],
    [
      'UnderscoreEscapingWithSuffixes',
      'custom_metric',
      'unit@with#special/chars',
      'gauge',
      'custom_metric_unit_with_special_per_chars',
    ],
    ['NoUTF8EscapingWithSuffixes', 'requests_total', '', 'monotonic-sum', 'requests_total'],
    ['NoUTF8EscapingWithSuffixes', 'response_time_seconds', 's', 'gauge', 'response_time_seconds'],
    ['NoUTF8EscapingWithSuffixes', 'cpu_seconds_total', 's', 'monotonic-sum', 'cpu_seconds_total'],
    ['NoUTF8EscapingWithSuffixes', 'requêsts', '1/s', 'gauge', 'requêsts_per_second'],
    ['NoUTF8EscapingWithSuffixes', 'respønse_time', 'ms', 'gauge', 'respønse_time_milliseconds'],
    [
      'UnderscoreEscapingWithoutSuffixes',
      'metric@with#special$chars',
      '',
      'gauge',
      'metric_with_special_chars',
    ],
    ['UnderscoreEscapingWithoutSuffixes', '123metric', '', 'gauge', '_123metric'],
    ['UnderscoreEscapingWithoutSuffixes', 'metric@@##$$name', '', 'gauge', 'metric_name'],
  ])(
    "%s: %s in %j (%s) is %s, as in otlptranslator's tests",
    (strategy, name, unit, type, expected) => {
      expect(prometheusName({ name, unit, type }, strategy)).toBe(expected);
    },
  );
});

describe('one series whichever path ships it, on a Prometheus backend', async () => {
  const file = await collectorFile();
  const data = everySeries();
  const exporterConfig = parse(
    await readFile(new URL('../../collector/cloudwatch-exporter.yaml', import.meta.url), 'utf8'),
  ) as { period_seconds: number; metrics: { period_seconds?: number }[] };
  const exporterPeriodSeconds = exporterConfig.period_seconds;
  // One period for every metric: the Collector moves every datapoint by it.
  expect(exporterConfig.metrics.every((m) => m.period_seconds === undefined)).toBe(true);
  const docs = await readFile(new URL('../../docs/metrics.md', import.meta.url), 'utf8');

  it.each(TRANSLATION_STRATEGIES)(
    'with metricsCounts=gauge and metricsUnits=none: the same names, labels, times and values (%s)',
    (strategy) => {
      const collector = collectorPath(data, file, strategy);
      const fn = functionPath(data, { counts: 'gauge', units: 'none' }, strategy);
      expect(collector).toHaveLength(data.length);
      expect(fn).toHaveLength(data.length);
      // The exporter's names, kept by every strategy.
      expect(collector.map((s) => s.name).sort()).toEqual(
        data
          .map((d) => seriesName(d.series.metric.namespace, d.series.metric.name, d.statistic))
          .sort(),
      );
      expect(byDashboardKey(fn)).toEqual(byDashboardKey(collector));
      // Stamped at the end of CloudWatch's period on both paths: the exporter's period_seconds.
      for (const sample of [...fn, ...collector]) {
        expect(sample.timeMs).toBe(MINUTE + exporterPeriodSeconds * 1000);
      }
    },
  );

  it('labels both paths alike but for job and instance, which say the path', () => {
    const [collector] = collectorPath(data, file, 'UnderscoreEscapingWithSuffixes');
    const [fn] = functionPath(data, { counts: 'gauge', units: 'none' }, 'NoTranslation');
    expect(collector?.labels).toMatchObject({
      job: 'aws-cloudwatch-elb',
      instance: 'cloudwatch-exporter:9106',
      service: 'elb',
    });
    expect(collector?.labels).not.toHaveProperty('exported_job');
    expect(fn?.labels.job).toBe('web');
    expect(fn?.labels).not.toHaveProperty('instance');
    for (const said of [
      'job="aws-cloudwatch-elb"',
      'instance="cloudwatch-exporter:9106"',
      'job="web"',
    ]) {
      expect(docs).toContain(said);
    }
  });

  it("renames the defaults' series as the table of docs/metrics.md says, and as many as it counts", () => {
    const section = docs.slice(docs.indexOf('### Series names on Prometheus'));
    const table = section.slice(
      section.indexOf('\n|'),
      section.indexOf('\n\n', section.indexOf('\n|')),
    );
    const [header, , ...rows] = table.trim().split('\n');
    const columns = (header ?? '')
      .split('|')
      .slice(2, -1)
      .map((cell) => cell.match(/`(\w+)`/g));
    const names = (strategy: TranslationStrategy, counts: CountsAs, units: UnitsAs) =>
      new Map(
        data.map((d, i) => [
          seriesName(d.series.metric.namespace, d.series.metric.name, d.statistic),
          functionPath([d], { counts, units }, strategy)[0]?.name ?? `(${i})`,
        ]),
      );
    const byStrategy = Object.fromEntries(
      TRANSLATION_STRATEGIES.map((s) => [s, names(s, 'delta', 'ucum')]),
    );
    expect(rows.length).toBeGreaterThan(4);
    for (const row of rows) {
      const [series, ...cells] = row
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/`/g, ''));
      cells.forEach((cell, i) => {
        for (const strategy of columns[i] ?? []) {
          expect(
            byStrategy[strategy.replace(/`/g, '')]?.get(series ?? ''),
            `${series} ${strategy}`,
          ).toBe(cell);
        }
      });
    }
    // Every strategy is a column.
    expect(
      columns
        .flat()
        .map((c) => c?.replace(/`/g, ''))
        .sort(),
    ).toEqual([...TRANSLATION_STRATEGIES].sort());

    const renamed = (strategy: TranslationStrategy, counts: CountsAs, units: UnitsAs) =>
      [...names(strategy, counts, units)].filter(([exporter, name]) => exporter !== name).length;
    expect(section.replace(/\s+/g, ' ')).toContain(
      `${renamed('UnderscoreEscapingWithSuffixes', 'delta', 'ucum')} of the catalogue's ${data.length} series`,
    );
    expect(renamed('NoUTF8EscapingWithSuffixes', 'delta', 'ucum')).toBe(
      renamed('UnderscoreEscapingWithSuffixes', 'delta', 'ucum'),
    );
    // Prose, whatever its line breaks.
    expect(section.replace(/\s+/g, ' ')).toContain(
      `renames the ${renamed('UnderscoreEscapingWithSuffixes', 'gauge', 'ucum')} series with a unit under \`UnderscoreEscapingWithSuffixes\` (${renamed('NoUTF8EscapingWithSuffixes', 'gauge', 'ucum')} under`,
    );
    // Units alone left out, counts still end in _total under the suffix strategies.
    expect(renamed('UnderscoreEscapingWithSuffixes', 'delta', 'none')).toBe(
      data.filter((d) => d.series.metric.kind === 'events').length,
    );
  });
});
