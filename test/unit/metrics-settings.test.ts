/**
 * The metrics function's settings and windows, and the export settings for
 * the metrics signal.
 */

import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/config/config-error.ts';
import { loadExportConfig } from '../../shared/config/export-config.ts';
import {
  DEFAULT_DELAY_MS,
  DEFAULT_WINDOW_MS,
  loadMetricsSettings,
  metricWindow,
} from '../../shared/metrics/metrics-settings.ts';
import { windowOf } from '../../shared/metrics/window.ts';

describe('loadMetricsSettings', () => {
  it('reads both namespaces and every load balancer, five minutes five minutes late, by default', () => {
    expect(loadMetricsSettings({})).toEqual({
      namespaces: ['AWS/ApplicationELB', 'AWS/NetworkELB'],
      loadBalancers: [],
      arns: {},
      windowMs: DEFAULT_WINDOW_MS,
      delayMs: DEFAULT_DELAY_MS,
      counts: 'delta',
      units: 'ucum',
    });
  });

  it('takes namespaces by short name or full name, and load balancers by ARN or dimension value', () => {
    const settings = loadMetricsSettings({
      ELB_OTLP_METRICS_NAMESPACES: 'nlb, AWS/ApplicationELB',
      ELB_OTLP_METRICS_LOAD_BALANCERS:
        'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188, net/edge/0123456789abcdef',
      ELB_OTLP_METRICS_WINDOW: '10m',
      ELB_OTLP_METRICS_DELAY: '0',
      ELB_OTLP_METRICS_COUNTS: 'Gauge',
      ELB_OTLP_METRICS_UNITS: 'None',
    });
    expect(settings).toEqual({
      namespaces: ['AWS/NetworkELB', 'AWS/ApplicationELB'],
      loadBalancers: ['app/web/50dc6c495c0c9188', 'net/edge/0123456789abcdef'],
      // Where the ARN says its load balancer is.
      arns: { account: '123456789012', region: 'eu-west-1' },
      windowMs: 600_000,
      delayMs: 0,
      counts: 'gauge',
      units: 'none',
    });
  });

  it.each([
    [
      { ELB_OTLP_METRICS_NAMESPACES: 'gwlb' },
      'ELB_OTLP_METRICS_NAMESPACES: unknown namespace "gwlb"',
    ],
    [
      { ELB_OTLP_METRICS_LOAD_BALANCERS: 'web' },
      'ELB_OTLP_METRICS_LOAD_BALANCERS: "web" is not a load balancer ARN',
    ],
    [
      {
        ELB_OTLP_METRICS_LOAD_BALANCERS:
          'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tg/943f017f100becff',
      },
      'is not a load balancer ARN',
    ],
    [
      {
        ELB_OTLP_METRICS_LOAD_BALANCERS:
          'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188,arn:aws:elasticloadbalancing:eu-west-1:210987654321:loadbalancer/net/edge/0123456789abcdef',
      },
      'ELB_OTLP_METRICS_LOAD_BALANCERS: load balancers in several accounts (123456789012, 210987654321): one run reads the CloudWatch metrics of one account in one Region',
    ],
    [
      { ELB_OTLP_METRICS_WINDOW: '90s' },
      'ELB_OTLP_METRICS_WINDOW: expected whole minutes from 1m to 24h, got "90s"',
    ],
    [{ ELB_OTLP_METRICS_WINDOW: '0' }, 'ELB_OTLP_METRICS_WINDOW: expected whole minutes'],
    [{ ELB_OTLP_METRICS_DELAY: '25h' }, 'ELB_OTLP_METRICS_DELAY: expected whole minutes'],
    [
      { ELB_OTLP_METRICS_COUNTS: 'cumulative' },
      'ELB_OTLP_METRICS_COUNTS: expected delta or gauge, got "cumulative"',
    ],
    [
      { ELB_OTLP_METRICS_UNITS: 'seconds' },
      'ELB_OTLP_METRICS_UNITS: expected ucum or none, got "seconds"',
    ],
  ])('refuses %j, naming the setting', (env, message) => {
    expect(() => loadMetricsSettings(env)).toThrow(ConfigError);
    expect(() => loadMetricsSettings(env)).toThrow(message);
  });
});

describe('the window of a run', () => {
  const settings = loadMetricsSettings({});

  it('ends the delay before the scheduled time, on a minute, and spans the window', () => {
    expect(metricWindow(Date.parse('2026-11-27T16:05:00Z'), 300_000, 300_000)).toEqual({
      start: new Date('2026-11-27T15:55:00Z'),
      end: new Date('2026-11-27T16:00:00Z'),
    });
    expect(metricWindow(Date.parse('2026-11-27T16:05:42.5Z'), 300_000, 300_000).end).toEqual(
      new Date('2026-11-27T16:00:00Z'),
    );
  });

  it('tiles time across consecutive scheduled runs, with no minute read twice or missed', () => {
    const windows = [0, 1, 2, 3].map((i) =>
      windowOf(
        { time: new Date(Date.parse('2026-11-27T16:05:00Z') + i * 300_000).toISOString() },
        settings,
        0,
      ),
    );
    for (let i = 1; i < windows.length; i++) {
      expect(windows[i]?.start).toEqual(windows[i - 1]?.end);
    }
  });

  it('uses the clock when the event has no time (a manual invocation)', () => {
    expect(windowOf({}, settings, Date.parse('2026-11-27T16:07:10Z'))).toEqual({
      start: new Date('2026-11-27T15:57:00Z'),
      end: new Date('2026-11-27T16:02:00Z'),
    });
  });
});

describe('export settings for metrics', () => {
  it.each([
    [
      'appends v1/metrics to a base endpoint',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' },
      'http://collector:4318/v1/metrics',
    ],
    [
      'uses the metrics endpoint as is',
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://m:9090/custom',
      },
      'http://m:9090/custom',
    ],
    [
      'ignores the logs endpoint',
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://logs:1/v1/logs',
      },
      'http://collector:4318/v1/metrics',
    ],
  ])('%s', (_, env, url) => {
    const config = loadExportConfig(env, {}, 'metrics');
    expect(config.url).toBe(url);
  });

  it('takes the metrics headers, protocol and timeout, not the logs ones', () => {
    const config = loadExportConfig(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:4318',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=edge',
        OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'x-logs=1',
        OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-metrics=1',
        OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '2500',
      },
      {},
      'metrics',
    );
    expect(config.headers).toEqual({ 'x-tenant': 'edge', 'x-metrics': '1' });
    expect(config.protocol).toBe('http/protobuf');
    expect(config.timeoutMs).toBe(2500);
  });
});
