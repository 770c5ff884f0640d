/**
 * `elb-otlp metrics-config`: writes the Prometheus CloudWatch exporter
 * configuration for ELB metrics, generated from the metric catalogue.
 */

import { chmod, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { NAMESPACES, type Namespace } from '../../shared/metrics/catalogue-types.ts';
import type { CommandIo } from '../command-io.ts';
import { EXIT_OK } from '../exit-codes.ts';
import { write } from '../output.ts';
import { UsageError } from '../usage-error.ts';

export const METRICS_CONFIG_USAGE = `Usage: elb-otlp metrics-config --region REGION [options]

Writes the Prometheus CloudWatch exporter configuration for the ELB metrics
of the catalogue (Application and Network Load Balancers): each metric with
a dimension set CloudWatch publishes and the statistics that mean something
for it (Sum for counts, Average/Maximum/p99 for latencies, Minimum/Maximum
for host counts).

Options:
  --region REGION      the Region to read (default: AWS_REGION)
  --namespace NS       alb, nlb, or both (default both)
  --tag KEY=VALUE      only load balancers with this tag; repeat for more
                       values or keys (needs tag:GetResources)
  --delay SECONDS      age of the newest datapoint read (default 300)
  -o, --output FILE    write to FILE instead of stdout
  -h, --help           show this help`;

const NAMESPACE_OPTIONS: Record<string, readonly Namespace[]> = {
  alb: ['AWS/ApplicationELB'],
  nlb: ['AWS/NetworkELB'],
  both: NAMESPACES,
};

/** Runs `metrics-config` and returns the exit code. */
export async function runMetricsConfig(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      region: { type: 'string' },
      namespace: { type: 'string', default: 'both' },
      tag: { type: 'string', multiple: true },
      delay: { type: 'string' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    await write(io.stdout, `${METRICS_CONFIG_USAGE}\n`);
    return EXIT_OK;
  }
  const region = values.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  if (region === undefined || region.trim() === '') {
    throw new UsageError('give --region (or set AWS_REGION): the exporter reads one Region');
  }
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new UsageError(`--region ${JSON.stringify(region)} is not a Region name like eu-west-1`);
  }
  const namespaces = NAMESPACE_OPTIONS[values.namespace];
  if (namespaces === undefined) {
    throw new UsageError(
      `unknown --namespace ${JSON.stringify(values.namespace)}; expected alb, nlb or both`,
    );
  }
  const tags = parseTags(values.tag ?? []);
  let delaySeconds: number | undefined;
  if (values.delay !== undefined) {
    delaySeconds = /^\d+$/.test(values.delay) ? Number(values.delay) : Number.NaN;
    if (!Number.isSafeInteger(delaySeconds) || delaySeconds > 86_400) {
      throw new UsageError(`--delay expects whole seconds up to 86400, got ${values.delay}`);
    }
  }
  const command = ['elb-otlp metrics-config', `--region ${region}`];
  if (values.namespace !== 'both') command.push(`--namespace ${values.namespace}`);
  for (const tag of values.tag ?? []) command.push(`--tag ${tag}`);
  if (delaySeconds !== undefined) command.push(`--delay ${delaySeconds}`);
  // Loaded only here: the catalogue and the YAML writer.
  const { renderExporterConfig } = await import('../../shared/metrics/exporter-config.ts');
  const text = renderExporterConfig(
    { region, namespaces, tags, ...(delaySeconds === undefined ? {} : { delaySeconds }) },
    command.join(' '),
  );
  if (values.output === undefined) {
    await write(io.stdout, text);
  } else {
    await writeFile(values.output, text);
    await write(io.stderr, `elb-otlp metrics-config: wrote ${values.output}\n`);
    // The exporter's image reads it as an unprivileged user, whatever the umask.
    await chmod(values.output, 0o644).catch((error: NodeJS.ErrnoException) =>
      write(
        io.stderr,
        `elb-otlp metrics-config: could not make ${values.output} readable by all (${error.code}): run chmod 644 on it, or the exporter's unprivileged user cannot read it\n`,
      ),
    );
  }
  return EXIT_OK;
}

/** `team=edge`, `team=core`, `env=prod` → `{team: ['edge', 'core'], env: ['prod']}`. */
export function parseTags(pairs: readonly string[]): Record<string, string[]> {
  const tags: Record<string, string[]> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--tag expects KEY=VALUE, got ${JSON.stringify(pair)}`);
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const list = tags[key] ?? [];
    if (!list.includes(value)) list.push(value);
    tags[key] = list;
  }
  return tags;
}
