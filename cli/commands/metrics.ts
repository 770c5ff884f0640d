/**
 * `elb-otlp metrics`: one run of the metrics function from this machine. It
 * reads the catalogue's ELB metrics from CloudWatch and exports them as OTLP
 * metrics: to try the metrics path before deploying it, or to ship a window
 * again (a backfill of up to a day at a time).
 */

import { parseArgs } from 'node:util';
import { ConfigError } from '../../shared/config/config-error.ts';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import { COUNTS_AS, UNITS_AS } from '../../shared/metrics/catalogue-types.ts';
import {
  arnOrigin,
  loadMetricsSettings,
  parseLoadBalancer,
} from '../../shared/metrics/metrics-settings.ts';
import { windowOf } from '../../shared/metrics/window.ts';
import type { CommandIo } from '../command-io.ts';
import { EXIT_FAILED, EXIT_FAILURE, EXIT_OK, EXIT_REJECTED } from '../exit-codes.ts';
import { write } from '../output.ts';
import { UsageError } from '../usage-error.ts';
import { EXPORT_OPTIONS, exportConfigFrom } from './export-options.ts';

export const METRICS_USAGE = `Usage: elb-otlp metrics [--start TIME --end TIME] [options]

Reads the ELB metrics of the catalogue from CloudWatch and exports them as
OTLP metrics (to v1/metrics), as the deployed metrics function does. Without
--start and --end, reads the five minutes that ended five minutes ago. A
summary is the last line of stdout.

Options:
  --start TIME, --end TIME  the window, ISO 8601 on whole minutes, at most
                            24 hours (CloudWatch keeps one-minute data 15 days)
  --namespace NS            alb, nlb or both (default both)
  --load-balancer LB        only this load balancer (ARN or app/NAME/ID);
                            repeat for more. An ARN also gives the account
                            and the Region read
  --account ID              the account the load balancers are in, for the
                            metrics' resource (default: an ARN's, else the
                            caller's, from STS GetCallerIdentity)
  --counts C                counts of events as delta sums (delta, the
                            default) or gauges (gauge), as the stack's
                            metricsCounts (ELB_OTLP_METRICS_COUNTS)
  --units U                 metrics with their UCUM unit (ucum, the default)
                            or none, as the stack's metricsUnits
                            (ELB_OTLP_METRICS_UNITS)
  --endpoint URL, --protocol P, --compression C, --header NAME=VALUE,
  --max-retry-time T        as for "elb-otlp ship" (OTEL_EXPORTER_OTLP_METRICS_*
                            variables win over the generic ones)
  -h, --help                show this help

Exit status: 0 every datapoint delivered; 3 the receiver rejected some; 4
some were not delivered, or CloudWatch did not answer a query; 2 bad options
or settings, or load balancers of another account than the credentials'; 1
no credentials, or STS refused them, or the account could not be learnt.
STS is asked on every run; when it cannot be reached, the run goes on with
the account given (--account, or an ARN's).

The datapoints carry the resource the load balancer's logs and the deployed
metrics function carry: cloud.account.id, cloud.region, cloud.resource_id
(the load balancer's ARN), aws.elb.name, service.name. A backfill lands in
the series the stack writes with the stack's OTEL_SERVICE_NAME,
OTEL_RESOURCE_ATTRIBUTES, --counts and --units.

Environment: AWS credentials and Region as the AWS SDK reads them,
AWS_ENDPOINT_URL_CLOUDWATCH, AWS_ENDPOINT_URL_STS, ELB_OTLP_METRICS_* (see
docs/configuration.md), and the export settings of "elb-otlp ship --help".`;

const NAMESPACES: Record<string, string> = { alb: 'alb', nlb: 'nlb', both: 'alb,nlb' };

/** Runs `metrics` and returns the exit code. */
export async function runMetrics(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      start: { type: 'string' },
      end: { type: 'string' },
      namespace: { type: 'string' },
      'load-balancer': { type: 'string', multiple: true },
      account: { type: 'string' },
      counts: { type: 'string' },
      units: { type: 'string' },
      ...EXPORT_OPTIONS,
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    await write(io.stdout, `${METRICS_USAGE}\n`);
    return EXIT_OK;
  }
  if ((values.start === undefined) !== (values.end === undefined)) {
    throw new UsageError('give both --start and --end, or neither');
  }
  const env = { ...io.env };
  if (values.namespace !== undefined) {
    const namespaces = NAMESPACES[values.namespace];
    if (namespaces === undefined) {
      throw new UsageError(
        `unknown --namespace ${JSON.stringify(values.namespace)}; expected alb, nlb or both`,
      );
    }
    env.ELB_OTLP_METRICS_NAMESPACES = namespaces;
  }
  if (values['load-balancer'] !== undefined) {
    const given = values['load-balancer'].map((lb) => {
      try {
        return parseLoadBalancer(lb);
      } catch {
        throw new UsageError(
          `--load-balancer ${JSON.stringify(lb)} is not a load balancer ARN or app/NAME/ID (net/NAME/ID)`,
        );
      }
    });
    try {
      arnOrigin(given);
    } catch (error) {
      throw new UsageError(`--load-balancer: ${(error as Error).message}`);
    }
    env.ELB_OTLP_METRICS_LOAD_BALANCERS = values['load-balancer'].join(',');
  }
  for (const [flag, variable, allowed] of [
    ['counts', 'ELB_OTLP_METRICS_COUNTS', COUNTS_AS],
    ['units', 'ELB_OTLP_METRICS_UNITS', UNITS_AS],
  ] as const) {
    const value = values[flag];
    if (value === undefined) continue;
    if (!(allowed as readonly string[]).includes(value)) {
      throw new UsageError(
        `unknown --${flag} ${JSON.stringify(value)}; expected ${allowed.join(' or ')}`,
      );
    }
    env[variable] = value;
  }
  const settings = loadMetricsSettings(env);
  const arnsFrom =
    values['load-balancer'] !== undefined ? '--load-balancer' : 'ELB_OTLP_METRICS_LOAD_BALANCERS';
  if (values.account !== undefined) {
    if (!/^\d{12}$/.test(values.account)) {
      throw new UsageError(
        `--account ${JSON.stringify(values.account)} is not an AWS account ID (12 digits)`,
      );
    }
    if (settings.arns.account !== undefined && settings.arns.account !== values.account) {
      throw new UsageError(
        `--account ${values.account} is not the account of the load balancer ARNs of ${arnsFrom} (${settings.arns.account})`,
      );
    }
  }
  const config = await exportConfigFrom({ env, stderr: io.stderr }, values, 'metrics', 'metrics');
  const mapping = loadMappingConfig(env);
  let window: ReturnType<typeof windowOf>;
  try {
    window = windowOf(
      values.start === undefined ? {} : { start: values.start, end: values.end },
      settings,
      Date.now(),
    );
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/"(start|end)"/g, '--$1'));
  }

  // Loaded only here: the AWS SDK.
  const [{ CloudWatchClient }, { collectMetrics }, { createOtlpExporter, SYSTEM_CLOCK }] =
    await Promise.all([
      import('@aws-sdk/client-cloudwatch'),
      import('../../shared/metrics/collect.ts'),
      import('../../shared/otlp/exporter.ts'),
    ]);
  // An ARN's Region is where its metrics are; else the SDK's own.
  const cloudwatch = new CloudWatchClient(
    settings.arns.region === undefined ? {} : { region: settings.arns.region },
  );
  const exporter = createOtlpExporter(config, SYSTEM_CLOCK);
  try {
    const region = await cloudwatch.config.region().catch((cause: unknown) => {
      throw new ConfigError(
        'AWS_REGION',
        'no Region is set: set AWS_REGION, use a profile that has one, or give --load-balancer as an ARN',
        { cause },
      );
    });
    const given = values.account ?? settings.arns.account;
    const givenBy = values.account !== undefined ? '--account' : arnsFrom;
    const caller = await callerAccount(region);
    if (typeof caller !== 'string') {
      const said = `${caller.name}: ${caller.message}`;
      // Credentials missing or refused fail CloudWatch as well: nothing to go on with.
      if (caller.name === 'CredentialsProviderError') {
        await write(
          io.stderr,
          `elb-otlp metrics: no AWS credentials (${said}): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n`,
        );
        return EXIT_FAILURE;
      }
      if (stsAnswered(caller)) {
        await write(
          io.stderr,
          `elb-otlp metrics: STS GetCallerIdentity refused the credentials (${said}): renew or set the AWS credentials\n`,
        );
        return EXIT_FAILURE;
      }
      if (given === undefined) {
        await write(
          io.stderr,
          `elb-otlp metrics: the account of the load balancers (cloud.account.id) could not be read from STS GetCallerIdentity (${said}): give --account, or --load-balancer as an ARN\n`,
        );
        return EXIT_FAILURE;
      }
      await write(
        io.stderr,
        `elb-otlp metrics: STS GetCallerIdentity could not be reached (${said}): going on with account ${given} (${givenBy}); if the credentials are of another account, no series will be found\n`,
      );
    } else if (given !== undefined && given !== caller) {
      throw new ConfigError(
        givenBy,
        `the load balancers are of account ${given}, but the credentials are of ${caller}, whose CloudWatch holds none of their metrics: use credentials of ${given}`,
      );
    }
    const account = given ?? (caller as string);
    await write(
      io.stderr,
      `elb-otlp metrics: ${settings.namespaces.join(', ')}, ${window.start.toISOString()} to ${window.end.toISOString()}, account ${account} in ${region}, counts ${settings.counts}, units ${settings.units}${settings.loadBalancers.length > 0 ? `, ${settings.loadBalancers.join(', ')}` : ''}\n`,
    );
    const summary = await collectMetrics({
      cloudwatch,
      exporter,
      protocol: config.protocol,
      limits: { maxDatapoints: config.maxBatchRecords, maxBytes: config.maxBatchBytes },
      counts: settings.counts,
      units: settings.units,
      mapping,
      origin: { account, region },
      namespaces: settings.namespaces,
      loadBalancers: settings.loadBalancers,
      window,
    });
    for (const failure of summary.failedQueries) {
      const where = Object.entries(failure.dimensions)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      await write(
        io.stderr,
        `elb-otlp metrics: CloudWatch did not answer ${failure.metric} ${where} ${failure.statistic}: ${failure.status} ${failure.message}\n`,
      );
    }
    for (const failure of summary.failedExports) {
      await write(
        io.stderr,
        `elb-otlp metrics: ${failure.datapoints} datapoints of ${failure.loadBalancer} not delivered: ${failure.errorName}: ${failure.message}\n`,
      );
    }
    for (const message of summary.rejectionMessages) {
      await write(io.stderr, `elb-otlp metrics: the receiver rejected datapoints: ${message}\n`);
    }
    const { failedQueries, failedExports, rejectionMessages, ...counts } = summary;
    await write(
      io.stdout,
      `${JSON.stringify({ ...counts, failedQueries: failedQueries.length })}\n`,
    );
    if (summary.failed > 0 || failedQueries.length > 0) return EXIT_FAILED;
    return summary.rejected > 0 ? EXIT_REJECTED : EXIT_OK;
  } finally {
    cloudwatch.destroy();
    await exporter.close();
  }
}

/**
 * The caller's account (STS GetCallerIdentity): whose CloudWatch the
 * credentials read, and so where the load balancers are; or why it could
 * not be read.
 */
async function callerAccount(region: string): Promise<string | Error> {
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  // Bounded: where STS cannot be reached, the run goes on with an account given.
  const sts = new STSClient({
    region,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000 },
  });
  try {
    const { Account } = await sts.send(new GetCallerIdentityCommand({}));
    return Account ?? new Error('the answer had no Account');
  } catch (error) {
    return error as Error;
  } finally {
    sts.destroy();
  }
}

/** Whether the error is STS's own answer (such as ExpiredToken), not a failure to reach it. */
function stsAnswered(error: Error): boolean {
  return (
    (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== undefined
  );
}
