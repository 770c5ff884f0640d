/**
 * The Collector configuration and the compose file that runs it beside the
 * CloudWatch exporter. No Collector or Docker engine runs in the tests, so
 * the files are parsed and their wiring checked: every pipeline's parts are
 * defined and used, the scrape reaches the exporter's service, the guide's
 * `service=elb` label covers every series the exporter writes, TLS is on
 * unless asked off, and the ports of the check step of docs/metrics.md are
 * published on loopback only. The check step itself is held to the files:
 * the series it greps for are ones the generated exporter configuration
 * yields, and the components it names are the Collector's.
 */

import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CATALOGUE } from '../../shared/metrics/catalogue.ts';
import type { Statistic } from '../../shared/metrics/catalogue-types.ts';
import type { ExporterRule } from '../../shared/metrics/exporter-config.ts';
import { labelName, seriesName } from '../../shared/metrics/names.ts';

const folder = new URL('../../collector/', import.meta.url);

interface Pipeline {
  receivers: string[];
  processors?: string[];
  exporters: string[];
}

interface CollectorConfig {
  receivers: Record<string, unknown>;
  processors: Record<string, unknown>;
  exporters: Record<string, { endpoint: string; tls?: { insecure?: unknown } }>;
  service: {
    telemetry?: {
      metrics?: {
        readers?: { pull?: { exporter?: { prometheus?: { host?: string; port?: number } } } }[];
      };
    };
    pipelines: Record<string, Pipeline>;
  };
}

interface ScrapeConfig {
  job_name: string;
  scrape_interval: string;
  static_configs: { targets: string[] }[];
  metric_relabel_configs: {
    source_labels: string[];
    regex: string;
    target_label: string;
    replacement: string;
  }[];
}

interface ComposeService {
  image: string;
  command?: string[];
  volumes: string[];
  environment: string[];
  ports?: string[];
}

async function load<T>(name: string): Promise<{ text: string; value: T }> {
  const text = await readFile(new URL(name, folder), 'utf8');
  return { text, value: parse(text) as T };
}

/** `${…}` written out, without the linter taking it for a template placeholder. */
function ref(inner: string): string {
  return `\${${inner}}`;
}

/** `${env:NAME:-default}` → its default; a value without one stays as it is. */
function envDefault(value: unknown): unknown {
  const match = /^\$\{env:[A-Z_]+:-(.*)\}$/.exec(String(value));
  return match === null ? value : match[1];
}

describe('the Collector configuration', async () => {
  const { text, value: config } = await load<CollectorConfig>('otel-collector.yaml');
  const pipelines = Object.entries(config.service.pipelines);

  it('wires only defined receivers, processors and exporters, and uses each of them', () => {
    const used = {
      receivers: new Set<string>(),
      processors: new Set<string>(),
      exporters: new Set<string>(),
    };
    for (const [name, pipeline] of pipelines) {
      expect(pipeline.receivers.length, name).toBeGreaterThan(0);
      expect(pipeline.exporters.length, name).toBeGreaterThan(0);
      for (const kind of ['receivers', 'processors', 'exporters'] as const) {
        for (const part of pipeline[kind] ?? []) {
          expect(Object.keys(config[kind]), `${name} ${kind}`).toContain(part);
          used[kind].add(part);
        }
      }
    }
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      expect([...used[kind]].sort()).toEqual(Object.keys(config[kind]).sort());
    }
  });

  it('sends the scraped ELB metrics, and OTLP logs and metrics, to the backend', () => {
    const byName = Object.fromEntries(pipelines);
    expect(byName['metrics/elb']?.receivers).toEqual(['prometheus/cloudwatch']);
    expect(byName.logs?.receivers).toEqual(['otlp']);
    expect(byName['metrics/otlp']?.receivers).toEqual(['otlp']);
    for (const [, pipeline] of pipelines) expect(pipeline.exporters).toEqual(['otlp_grpc']);
    expect(config.exporters.otlp_grpc?.endpoint).toBe(ref('env:OTLP_BACKEND_ENDPOINT'));
  });

  it('verifies the backend certificate unless OTLP_BACKEND_INSECURE=true is set', () => {
    const insecure = config.exporters.otlp_grpc?.tls?.insecure;
    expect(insecure).toBe(ref('env:OTLP_BACKEND_INSECURE:-false'));
    expect(envDefault(insecure)).toBe('false');
    expect(text).not.toMatch(/insecure:\s*true/);
  });

  it('scrapes the exporter every minute and labels every ELB series service=elb', () => {
    const prometheus = config.receivers['prometheus/cloudwatch'] as {
      config: { scrape_configs: ScrapeConfig[] };
    };
    const [scrape] = prometheus.config.scrape_configs;
    expect(scrape?.scrape_interval).toBe('60s');
    expect(envDefault(scrape?.static_configs[0]?.targets[0])).toBe('cloudwatch-exporter:9106');
    const [relabel] = scrape?.metric_relabel_configs ?? [];
    expect(relabel).toMatchObject({
      source_labels: ['__name__'],
      target_label: 'service',
      replacement: 'elb',
    });
    // Prometheus anchors relabel regexes at both ends.
    const regex = new RegExp(`^(?:${relabel?.regex})$`);
    for (const metric of CATALOGUE) {
      for (const statistic of metric.statistics) {
        expect(seriesName(metric.namespace, metric.name, statistic)).toMatch(regex);
      }
    }
    expect('cloudwatch_exporter_scrape_error').not.toMatch(regex);
  });

  it('receives OTLP on the standard ports', () => {
    const otlp = config.receivers.otlp as {
      protocols: { grpc: { endpoint: string }; http: { endpoint: string } };
    };
    expect(otlp.protocols.grpc.endpoint).toBe('0.0.0.0:4317');
    expect(otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');
  });
});

describe('the compose file', async () => {
  const { value: compose } = await load<{ services: Record<string, ComposeService> }>(
    'docker-compose.yml',
  );
  const exporter = compose.services['cloudwatch-exporter'] as ComposeService;
  const collector = compose.services['otel-collector'] as ComposeService;

  it('runs the exporter on the generated configuration, at the path its image reads', async () => {
    expect(exporter.volumes).toContain('./cloudwatch-exporter.yaml:/config/config.yml:ro');
    await expect(readFile(new URL('cloudwatch-exporter.yaml', folder), 'utf8')).resolves.toContain(
      'aws_namespace: AWS/ApplicationELB',
    );
    // The image serves on 9106, the port the Collector scrapes.
    expect(exporter.ports).toEqual(['127.0.0.1:9106:9106']);
  });

  it('passes the AWS credentials through from the environment, never as values', () => {
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
      expect(exporter.environment).toContain(name);
    }
    for (const entry of exporter.environment) expect(entry).not.toContain('=');
  });

  it('runs the Collector on its configuration and requires the backend endpoint', () => {
    const mount = collector.volumes.find((v) => v.startsWith('./otel-collector.yaml:'));
    const path = mount?.split(':')[1];
    expect(collector.command).toEqual([`--config=${path}`]);
    expect(collector.environment).toContain(
      `OTLP_BACKEND_ENDPOINT=${ref("OTLP_BACKEND_ENDPOINT:?set OTLP_BACKEND_ENDPOINT to the backend's OTLP/gRPC host:port")}`,
    );
    expect(collector.ports).toEqual(['4317:4317', '4318:4318', '127.0.0.1:8888:8888']);
  });

  it('publishes only OTLP beyond this machine, the check ports on loopback only', () => {
    for (const service of [exporter, collector]) {
      for (const port of service.ports ?? []) {
        if (!['4317:4317', '4318:4318'].includes(port)) expect(port).toMatch(/^127\.0\.0\.1:/);
      }
    }
  });

  it('pins both images, the exporter at the release docs/metrics.md names, and says how to find a newer one', async () => {
    for (const service of [exporter, collector]) {
      expect(service.image).toMatch(/:v?\d+\.\d+\.\d+$/);
    }
    const docs = await readFile(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
    const tag = exporter.image.slice(exporter.image.lastIndexOf(':') + 1);
    expect(docs).toContain(`exporter's image, \`${tag}\``);
    const section = docs.slice(docs.indexOf('### Newer exporter releases'));
    expect(section).toContain(
      'https://api.github.com/repos/prometheus/cloudwatch_exporter/releases/latest',
    );
    // The image's own registry and repository.
    const [registry, ...path] = exporter.image.slice(0, exporter.image.lastIndexOf(':')).split('/');
    expect(section).toContain(`https://${registry}/api/v1/repository/${path.join('/')}/tag/`);
  });
});

describe('the check step of docs/metrics.md', async () => {
  const { value: collector } = await load<CollectorConfig>('otel-collector.yaml');
  const { value: exporterConfig } = await load<{ metrics: ExporterRule[] }>(
    'cloudwatch-exporter.yaml',
  );
  const { value: compose } = await load<{ services: Record<string, ComposeService> }>(
    'docker-compose.yml',
  );
  const docs = await readFile(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
  const start = docs.indexOf('### Check it works');
  const step = docs.slice(start, docs.indexOf('\n## ', start));
  /** What a published `127.0.0.1:HOST:CONTAINER` port of a service leads to. */
  const loopbackPorts = (service: string) =>
    (compose.services[service]?.ports ?? [])
      .map((port) => /^127\.0\.0\.1:(\d+):(\d+)$/.exec(port))
      .filter((m) => m !== null)
      .map((m) => ({ host: Number(m[1]), container: Number(m[2]) }));

  it('is there, with its commands', () => {
    expect(start).toBeGreaterThan(docs.indexOf('## Collector path'));
    expect(step).toContain('```sh');
  });

  it('asks the exporter and the Collector at the ports the compose file publishes on loopback', () => {
    const urls = [...step.matchAll(/curl -s (http:\/\/[^\s]+)/g)].map((m) => new URL(m[1]));
    expect(urls.map((url) => url.port).sort()).toEqual(['8888', '9106']);
    for (const url of urls) {
      expect(url.hostname).toBe('127.0.0.1');
      expect(url.pathname).toBe('/metrics');
    }
    expect(loopbackPorts('cloudwatch-exporter')).toContainEqual({ host: 9106, container: 9106 });
    // The Collector serves its own metrics on every interface of its container, on the published port.
    const [reader] = collector.service.telemetry?.metrics?.readers ?? [];
    const prometheus = reader?.pull?.exporter?.prometheus;
    expect(prometheus?.host).toBe('0.0.0.0');
    expect(loopbackPorts('otel-collector')).toContainEqual({
      host: 8888,
      container: prometheus?.port,
    });
  });

  it('looks for series, jobs and labels the generated exporter configuration yields', () => {
    const series = new Set(
      exporterConfig.metrics.flatMap((rule) =>
        [...(rule.aws_statistics ?? []), ...(rule.aws_extended_statistics ?? [])].map((statistic) =>
          seriesName(rule.aws_namespace, rule.aws_metric_name, statistic as Statistic),
        ),
      ),
    );
    // The exporter's job label: the namespace in lower case, `/` as `_` (aws_applicationelb).
    const jobs = new Set(
      exporterConfig.metrics.map((rule) => rule.aws_namespace.toLowerCase().replace(/\//g, '_')),
    );
    const named = [...step.matchAll(/\b(aws_[a-z0-9_]+)/g)].map((m) => m[1] as string);
    expect(named).toContain('aws_applicationelb_request_count_sum');
    for (const name of named) expect([...series, ...jobs], name).toContain(name);
    // Its example line carries the dimensions of the series it shows.
    const rule = exporterConfig.metrics.find(
      (r) => r.aws_namespace === 'AWS/ApplicationELB' && r.aws_metric_name === 'RequestCount',
    );
    const example = /^aws_applicationelb_request_count_sum\{(.*)\} /m.exec(step)?.[1] ?? '';
    const labels = [...example.matchAll(/(\w+)="/g)].map((m) => m[1]);
    expect(labels.sort()).toEqual(
      ['job', 'instance', ...(rule?.aws_dimensions ?? []).map(labelName)].sort(),
    );
  });

  it("names the Collector's own receiver and exporter of the ELB metrics, and the compose services", () => {
    const pipeline = collector.service.pipelines['metrics/elb'];
    const receivers = [...step.matchAll(/receiver="([^"]+)"/g)].map((m) => m[1]);
    const exporters = [...step.matchAll(/exporter="([^"]+)"/g)].map((m) => m[1]);
    expect(receivers.length).toBeGreaterThan(0);
    expect(exporters.length).toBeGreaterThan(0);
    for (const name of receivers) expect(pipeline?.receivers).toContain(name);
    for (const name of exporters) expect(pipeline?.exporters).toContain(name);
    const services = [...step.matchAll(/docker compose logs ([\w-]+)/g)].map((m) => m[1]);
    expect(services.sort()).toEqual(['cloudwatch-exporter', 'otel-collector']);
    for (const service of services) expect(Object.keys(compose.services)).toContain(service);
  });
});
