/**
 * The ELB metric catalogue against the AWS dimension tables it was written
 * from, and the CloudWatch exporter configuration generated from it, as the
 * committed file and as the command writes it.
 */

import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  CATALOGUE,
  findMetric,
  SEED_DIMENSIONS,
  SEED_METRICS,
  sameDimensions,
} from '../../shared/metrics/catalogue.ts';
import type { CatalogueMetric } from '../../shared/metrics/catalogue-types.ts';
import {
  buildExporterConfig,
  CatalogueError,
  checkMetric,
  type ExporterRule,
} from '../../shared/metrics/exporter-config.ts';
import { labelName, seriesName } from '../../shared/metrics/names.ts';
import { runCli } from '../helpers/cli.ts';

const COMMITTED = new URL('../../collector/cloudwatch-exporter.yaml', import.meta.url);
const METRICS_PAGE = new URL('../../docs/metrics.md', import.meta.url);

describe('the metric catalogue', () => {
  it('holds every metric of the guide, in AWS/ApplicationELB', () => {
    expect(SEED_METRICS).toHaveLength(30);
    const missing = SEED_METRICS.filter(
      (name) => findMetric('AWS/ApplicationELB', name) === undefined,
    );
    expect(missing).toEqual([]);
  });

  it('asks each metric only for a dimension set CloudWatch publishes it under', () => {
    const wrong = CATALOGUE.filter(
      (m) => !m.published.some((set) => sameDimensions(set, m.dimensions)),
    ).map((m) => `${m.namespace} ${m.name}`);
    expect(wrong).toEqual([]);
    for (const metric of CATALOGUE) expect(() => checkMetric(metric)).not.toThrow();
  });

  it('sums counts of events and only sums them', () => {
    const events = CATALOGUE.filter((m) => m.kind === 'events');
    expect(events.length).toBeGreaterThan(50);
    for (const metric of events) expect(metric.statistics, metric.name).toEqual(['Sum']);
  });

  it.each([
    ['AWS/ApplicationELB', 'TargetResponseTime', ['Average', 'Maximum', 'p99'], 's'],
    ['AWS/ApplicationELB', 'ELBAuthLatency', ['Average', 'Maximum', 'p99'], 'ms'],
    ['AWS/ApplicationELB', 'HealthyHostCount', ['Minimum', 'Maximum'], '{count}'],
    ['AWS/ApplicationELB', 'UnHealthyHostCount', ['Minimum', 'Maximum'], '{count}'],
    ['AWS/ApplicationELB', 'AnomalousHostCount', ['Minimum', 'Maximum'], '{count}'],
    ['AWS/NetworkELB', 'HealthyHostCount', ['Minimum', 'Maximum'], '{count}'],
    ['AWS/ApplicationELB', 'ConsumedLCUs', ['Average', 'Maximum'], '{LCU}'],
    ['AWS/ApplicationELB', 'RequestCount', ['Sum'], '{count}'],
    ['AWS/ApplicationELB', 'ProcessedBytes', ['Sum'], 'By'],
  ])('reads %s %s with %j in %s', (namespace, name, statistics, unit) => {
    const metric = findMetric(namespace, name);
    expect(metric?.statistics).toEqual(statistics);
    expect(metric?.unit).toBe(unit);
  });

  it('finds the guide got nothing for the load balancer metrics, and this catalogue gets all 30', () => {
    // The guide asked every metric for [TargetGroup, AvailabilityZone, LoadBalancer];
    // CloudWatch returns only metrics published with exactly that set.
    const seed = SEED_METRICS.map(
      (name) => findMetric('AWS/ApplicationELB', name) as CatalogueMetric,
    );
    const emptyForSeed = seed
      .filter((m) => !m.published.some((set) => sameDimensions(set, SEED_DIMENSIONS)))
      .map((m) => m.name);
    expect(emptyForSeed.sort()).toEqual(
      [
        'ActiveConnectionCount',
        'ConsumedLCUs',
        'DesyncMitigationMode_NonCompliant_Request_Count',
        'ForwardedInvalidHeaderRequestCount',
        'HTTPCode_ELB_4XX_Count',
        'HTTPCode_ELB_502_Count',
        'HTTPCode_ELB_503_Count',
        'HTTPCode_ELB_504_Count',
        'HTTPCode_ELB_5XX_Count',
        'HTTP_Fixed_Response_Count',
        'NewConnectionCount',
        'PeakLCUs',
        'ProcessedBytes',
        'RuleEvaluations',
      ].sort(),
    );
    for (const metric of seed) {
      expect(metric.published.some((set) => sameDimensions(set, metric.dimensions))).toBe(true);
    }
  });

  it('keeps averages and percentiles per target group, where they are not added across zones', () => {
    expect(findMetric('AWS/ApplicationELB', 'TargetResponseTime')?.dimensions).toEqual([
      'LoadBalancer',
      'TargetGroup',
    ]);
    expect(findMetric('AWS/ApplicationELB', 'RequestCountPerTarget')?.dimensions).toEqual([
      'LoadBalancer',
      'TargetGroup',
    ]);
    expect(findMetric('AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count')?.dimensions).toEqual([
      'AvailabilityZone',
      'LoadBalancer',
      'TargetGroup',
    ]);
  });
});

describe('docs/metrics.md', () => {
  it('shows the guide’s 30 metrics as the catalogue has them, row by row', async () => {
    const text = await readFile(METRICS_PAGE, 'utf8');
    const rows = [
      ...text.matchAll(/^\| `(\w+)`\s*\| (yes|\*\*no\*\*)\s*\| ([\w, ]+?)\s*\| ([\w, ]+?)\s*\|$/gm),
    ];
    expect(rows.map((r) => r[1])).toEqual(SEED_METRICS);
    for (const [, name, got, dimensions, statistics] of rows) {
      const metric = findMetric('AWS/ApplicationELB', name as string) as CatalogueMetric;
      const seedGotData = metric.published.some((set) => sameDimensions(set, SEED_DIMENSIONS));
      expect(got, name).toBe(seedGotData ? 'yes' : '**no**');
      expect(dimensions?.split(', '), name).toEqual(metric.dimensions);
      expect(statistics?.split(', '), name).toEqual(metric.statistics);
    }
    const counts = text.match(/holds (\d+) ALB and (\d+) NLB\s+metrics/);
    expect(counts?.slice(1).map(Number)).toEqual([
      CATALOGUE.filter((m) => m.namespace === 'AWS/ApplicationELB').length,
      CATALOGUE.filter((m) => m.namespace === 'AWS/NetworkELB').length,
    ]);
  });
});

describe('checking an entry', () => {
  const base = findMetric('AWS/ApplicationELB', 'HTTPCode_ELB_5XX_Count') as CatalogueMetric;

  it.each([
    [
      'a dimension set that is not published',
      { ...base, dimensions: SEED_DIMENSIONS },
      /HTTPCode_ELB_5XX_Count: asks for \[TargetGroup, AvailabilityZone, LoadBalancer\], which CloudWatch does not publish/,
    ],
    [
      'a count read with Average',
      { ...base, statistics: ['Average', 'Maximum'] as const },
      /HTTPCode_ELB_5XX_Count: counts events, so Sum is its statistic \(not Average, Maximum\)/,
    ],
  ])('refuses %s, naming the metric', (_, metric, message) => {
    expect(() => checkMetric(metric)).toThrow(message);
    expect(() => buildExporterConfig({ region: 'eu-west-1', catalogue: [metric] })).toThrow(
      CatalogueError,
    );
  });

  it('refuses a metric listed twice (the exporter would write its family twice)', () => {
    expect(() => buildExporterConfig({ region: 'eu-west-1', catalogue: [base, base] })).toThrow(
      /AWS\/ApplicationELB HTTPCode_ELB_5XX_Count: listed twice/,
    );
  });
});

describe('exporter names', () => {
  it.each([
    ['AWS/ELB', 'RequestCount', 'Sum', 'aws_elb_request_count_sum'],
    [
      'AWS/ApplicationELB',
      'HTTPCode_ELB_5XX_Count',
      'Sum',
      'aws_applicationelb_httpcode_elb_5_xx_count_sum',
    ],
    [
      'AWS/ApplicationELB',
      'UnHealthyHostCount',
      'Minimum',
      'aws_applicationelb_un_healthy_host_count_minimum',
    ],
    [
      'AWS/ApplicationELB',
      'TargetResponseTime',
      'p99',
      'aws_applicationelb_target_response_time_p99',
    ],
    ['AWS/ApplicationELB', 'ConsumedLCUs', 'Average', 'aws_applicationelb_consumed_lcus_average'],
    ['AWS/NetworkELB', 'TCP_ELB_Reset_Count', 'Sum', 'aws_networkelb_tcp_elb_reset_count_sum'],
    ['AWS/ApplicationELB', 'IPv6RequestCount', 'Sum', 'aws_applicationelb_ipv6_request_count_sum'],
  ] as const)('%s %s %s is %s', (namespace, metric, statistic, name) => {
    expect(seriesName(namespace, metric, statistic)).toBe(name);
  });

  it.each([
    ['LoadBalancer', 'load_balancer'],
    ['AvailabilityZone', 'availability_zone'],
    ['TargetGroup', 'target_group'],
  ])('labels %s as %s', (dimension, label) => {
    expect(labelName(dimension)).toBe(label);
  });
});

describe('the generated exporter configuration', () => {
  it('is the committed file, exactly (regenerate with npm run metrics-config)', async () => {
    const run = await runCli(['metrics-config', '--region', 'us-east-1']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(await readFile(COMMITTED, 'utf8'));
  });

  it('writes the same file with --output, readable by all, and says where', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'elb-otlp-metrics-config-'));
    try {
      const file = join(dir, 'exporter.yaml');
      // A file left by a strict umask: the exporter's unprivileged user could not read it.
      await writeFile(file, '', { mode: 0o600 });
      const run = await runCli(['metrics-config', '--region', 'us-east-1', '--output', file]);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(`elb-otlp metrics-config: wrote ${file}\n`);
      expect(await readFile(file, 'utf8')).toBe(await readFile(COMMITTED, 'utf8'));
      expect((await stat(file)).mode & 0o777).toBe(0o644);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('has one rule per catalogue metric, each with a published dimension set', async () => {
    const config = parse(await readFile(COMMITTED, 'utf8')) as {
      region: string;
      period_seconds: number;
      metrics: ExporterRule[];
    };
    expect(config.region).toBe('us-east-1');
    expect(config.period_seconds).toBe(60);
    expect(config.metrics).toHaveLength(CATALOGUE.length);
    const ids = config.metrics.map((r) => `${r.aws_namespace} ${r.aws_metric_name}`);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of config.metrics) {
      const metric = findMetric(rule.aws_namespace, rule.aws_metric_name) as CatalogueMetric;
      expect(metric.published.some((set) => sameDimensions(set, rule.aws_dimensions))).toBe(true);
      const asked = [...(rule.aws_statistics ?? []), ...(rule.aws_extended_statistics ?? [])];
      expect(asked).toEqual(metric.statistics);
      if (metric.kind === 'events') expect(rule.aws_statistics).toEqual(['Sum']);
    }
    for (const name of SEED_METRICS) {
      expect(ids).toContain(`AWS/ApplicationELB ${name}`);
    }
  });

  it('filters by tags through the load balancer dimension, and by namespace', async () => {
    const run = await runCli([
      'metrics-config',
      '--region',
      'eu-west-1',
      '--namespace',
      'nlb',
      '--tag',
      'team=edge',
      '--tag',
      'team=core',
      '--tag',
      'env=prod',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      '# Generated by: elb-otlp metrics-config --region eu-west-1 --namespace nlb --tag team=edge --tag team=core --tag env=prod',
    );
    const config = parse(run.stdout) as { region: string; metrics: ExporterRule[] };
    expect(config.region).toBe('eu-west-1');
    expect(config.metrics.length).toBe(
      CATALOGUE.filter((m) => m.namespace === 'AWS/NetworkELB').length,
    );
    for (const rule of config.metrics) {
      expect(rule.aws_namespace).toBe('AWS/NetworkELB');
      expect(rule.aws_tag_select).toEqual({
        tag_selections: { team: ['edge', 'core'], env: ['prod'] },
        resource_type_selection: 'elasticloadbalancing:loadbalancer',
        resource_id_dimension: 'LoadBalancer',
      });
      expect(rule.aws_dimensions).toContain('LoadBalancer');
    }
  });

  it.each([
    [['--region', 'Europe'], /--region "Europe" is not a Region name/],
    [['--region', 'eu-west-1', '--namespace', 'gwlb'], /unknown --namespace "gwlb"/],
    [['--region', 'eu-west-1', '--tag', 'team'], /--tag expects KEY=VALUE, got "team"/],
    [['--region', 'eu-west-1', '--delay', '5m'], /--delay expects whole seconds/],
  ])('refuses %j with a usage error', async (args, message) => {
    const run = await runCli(['metrics-config', ...args], {
      clear: ['OTEL_', 'ELB_OTLP_', 'AWS_'],
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('needs a Region', async () => {
    const run = await runCli(['metrics-config'], { clear: ['OTEL_', 'ELB_OTLP_', 'AWS_'] });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/give --region \(or set AWS_REGION\)/);
  });
});
