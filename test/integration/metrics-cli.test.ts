/**
 * `elb-otlp metrics` as a user runs it: the real command and AWS SDK clients
 * against loopback stand-ins for CloudWatch and STS (no local CloudWatch or
 * STS exists; the stand-ins speak the SDK's AWS JSON 1.0 and awsQuery
 * protocols) and the test receiver.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExportConfig } from '../../shared/config/export-config.ts';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { createMetrics } from '../../shared/metrics/metrics-run.ts';
import { loadMetricsSettings } from '../../shared/metrics/metrics-settings.ts';
import { createOtlpExporter, SYSTEM_CLOCK } from '../../shared/otlp/exporter.ts';
import { runCli } from '../helpers/cli.ts';
import {
  type CloudWatchServer,
  createFakeCloudWatch,
  type FakeSeries,
  startCloudWatchServer,
} from '../helpers/cloudwatch-fake.ts';
import { attributeValues, type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { startSts, TEST_CALLER, type TestSts } from '../helpers/sts.ts';

const ALB = 'app/web/50dc6c495c0c9188';
const SERIES: FakeSeries[] = [
  {
    namespace: 'AWS/ApplicationELB',
    metricName: 'RequestCount',
    dimensions: {
      LoadBalancer: ALB,
      AvailabilityZone: 'us-east-1a',
      TargetGroup: 'targetgroup/web/943f017f100becff',
    },
    values: {
      Sum: [
        ['2026-11-20T10:00:00Z', 120],
        ['2026-11-20T10:30:00Z', 80],
        ['2026-11-20T11:00:00Z', 1],
      ],
    },
  },
  {
    namespace: 'AWS/ApplicationELB',
    metricName: 'TargetResponseTime',
    dimensions: { LoadBalancer: ALB, TargetGroup: 'targetgroup/web/943f017f100becff' },
    status: 'Forbidden',
  },
];

let cloudwatch: CloudWatchServer;
let receiver: OtlpReceiver;
let sts: TestSts;

beforeAll(async () => {
  [cloudwatch, receiver, sts] = await Promise.all([
    startCloudWatchServer(createFakeCloudWatch(SERIES)),
    startOtlpReceiver(),
    startSts(),
  ]);
});
afterAll(async () => {
  await Promise.all([cloudwatch.close(), receiver.close(), sts.close()]);
});

/**
 * The resource of this load balancer's logs (their object's name gives the
 * account and Region): the metrics must land on it, whichever path ships them.
 */
const LOGS_RESOURCE = {
  'cloud.provider': 'aws',
  'cloud.account.id': TEST_CALLER.account,
  'cloud.region': 'us-east-1',
  'cloud.resource_id': `arn:aws:elasticloadbalancing:us-east-1:${TEST_CALLER.account}:loadbalancer/${ALB}`,
  'aws.elb.name': 'web',
  'service.name': 'web',
};
const ALB_ARN = LOGS_RESOURCE['cloud.resource_id'];

function run(args: string[], env: Record<string, string> = { AWS_REGION: 'us-east-1' }) {
  return runCli(['metrics', ...args], {
    clear: ['OTEL_', 'ELB_OTLP_', 'AWS_'],
    env: {
      AWS_ENDPOINT_URL_CLOUDWATCH: cloudwatch.url,
      AWS_ENDPOINT_URL_STS: sts.url,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      // No shared config file: the Region comes from the environment or nowhere.
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      ...env,
    },
  });
}

describe('elb-otlp metrics', () => {
  it('ships a window by hand, and names the query CloudWatch refused (exit 4)', async () => {
    const result = await run(['--start', '2026-11-20T10:00:00Z', '--end', '2026-11-20T11:00:00Z']);
    expect(result.stderr).toContain(
      'elb-otlp metrics: AWS/ApplicationELB, AWS/NetworkELB, 2026-11-20T10:00:00.000Z to 2026-11-20T11:00:00.000Z',
    );
    expect(result.stderr).toMatch(
      /CloudWatch did not answer AWS\/ApplicationELB TargetResponseTime LoadBalancer=app\/web\/50dc6c495c0c9188,TargetGroup=targetgroup\/web\/943f017f100becff Average: Forbidden/,
    );
    expect(result.code).toBe(4);
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1) as string);
    expect(summary).toMatchObject({
      window: { start: '2026-11-20T10:00:00.000Z', end: '2026-11-20T11:00:00.000Z' },
      series: 2,
      datapoints: 2,
      accepted: 2,
      failed: 0,
      failedQueries: 3,
    });
    const [request] = receiver.requests;
    expect(request?.path).toBe('/v1/metrics');
    // The account is the caller's: the credentials read that account's CloudWatch.
    expect(attributeValues(request?.metrics?.resourceMetrics[0]?.resource?.attributes)).toEqual(
      LOGS_RESOURCE,
    );
    expect(sts.calls).toEqual(['GetCallerIdentity']);
    const metric = request?.metrics?.resourceMetrics[0]?.scopeMetrics[0]?.metrics[0];
    expect(metric?.name).toBe('aws_applicationelb_request_count_sum');
    expect(metric?.sum?.dataPoints.map((p) => p.asDouble)).toEqual([120, 80]);
  });

  it('exits 3 when the receiver rejected datapoints, naming its message', async () => {
    const answered = await startCloudWatchServer(createFakeCloudWatch([SERIES[0] as FakeSeries]));
    try {
      receiver.requests.length = 0;
      receiver.script({ kind: 'partial', rejected: 1, message: 'one point too old' });
      const result = await run(
        ['--start', '2026-11-20T10:00:00Z', '--end', '2026-11-20T11:00:00Z'],
        {
          AWS_REGION: 'us-east-1',
          AWS_ENDPOINT_URL_CLOUDWATCH: answered.url,
        },
      );
      expect(result.stderr).toContain(
        `the receiver rejected datapoints: ${ALB}: one point too old`,
      );
      expect(result.code).toBe(3);
      const summary = JSON.parse(result.stdout.trim().split('\n').at(-1) as string);
      expect(summary).toMatchObject({
        datapoints: 2,
        accepted: 1,
        rejected: 1,
        failed: 0,
        failedQueries: 0,
      });
    } finally {
      await answered.close();
    }
  });

  it('sends the resource of the logs and of the deployed function, the load balancer given by ARN or not', async () => {
    receiver.requests.length = 0;
    sts.calls.length = 0;
    const window = ['--start', '2026-11-20T10:00:00Z', '--end', '2026-11-20T11:00:00Z'];
    // A log object of this load balancer, named as ELB names it.
    const dir = mkdtempSync(join(tmpdir(), 'elb-otlp-metrics-'));
    const file = join(
      dir,
      `${TEST_CALLER.account}_elasticloadbalancing_us-east-1_app.web.50dc6c495c0c9188_20261120T1000Z_10.0.0.1_2soosksg.log.gz`,
    );
    writeFileSync(file, gzipSync(`${[...generateAlbLines(3, { seed: 22 })].join('\n')}\n`));
    const logs = await runCli(['ship', file], {
      clear: ['OTEL_', 'ELB_OTLP_', 'AWS_'],
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    });
    expect(logs.code, logs.stderr).toBe(0);
    // By ARN, from a shell set to another Region: the ARN says where the metrics are.
    const byArn = await run([...window, '--load-balancer', ALB_ARN], { AWS_REGION: 'eu-west-1' });
    expect(byArn.stderr).toContain(`account ${TEST_CALLER.account} in us-east-1`);
    // By dimension value, with the account given.
    const byValue = await run([
      ...window,
      '--load-balancer',
      ALB,
      '--account',
      TEST_CALLER.account,
    ]);
    expect([byArn.code, byValue.code]).toEqual([4, 4]);
    // Each checked that the credentials read that account's CloudWatch.
    expect(sts.calls).toEqual(['GetCallerIdentity', 'GetCallerIdentity']);
    // The deployed function, in the same account and Region.
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const config = loadExportConfig(env, {}, 'metrics');
    const exporter = createOtlpExporter(config, SYSTEM_CLOCK);
    await createMetrics(() => ({
      cloudwatch: createFakeCloudWatch([SERIES[0] as FakeSeries]),
      exporter,
      config,
      mapping: loadMappingConfig(env),
      settings: loadMetricsSettings(env),
      clock: SYSTEM_CLOCK,
      logger: { info: () => {}, warn: () => {}, error: () => {} },
      region: 'us-east-1',
    }))(
      { start: '2026-11-20T10:00:00Z', end: '2026-11-20T11:00:00Z' },
      {
        getRemainingTimeInMillis: () => 60_000,
        invokedFunctionArn: `arn:aws:lambda:us-east-1:${TEST_CALLER.account}:function:elb-otlp-dev-metrics`,
      },
    );
    await exporter.close();

    const [logRequest, ...metricRequests] = receiver.requests;
    expect(attributeValues(logRequest?.body?.resourceLogs[0]?.resource?.attributes)).toEqual(
      LOGS_RESOURCE,
    );
    expect(metricRequests.map((r) => r.path)).toEqual([
      '/v1/metrics',
      '/v1/metrics',
      '/v1/metrics',
    ]);
    for (const request of metricRequests) {
      expect(attributeValues(request.metrics?.resourceMetrics[0]?.resource?.attributes)).toEqual(
        LOGS_RESOURCE,
      );
    }
  });

  it("reads the ARN's Region and partition without AWS_REGION, with the counts and units asked", async () => {
    receiver.requests.length = 0;
    const arn = `arn:aws-cn:elasticloadbalancing:cn-north-1:${TEST_CALLER.account}:loadbalancer/${ALB}`;
    const result = await run(
      [
        ...['--start', '2026-11-20T10:00:00Z', '--end', '2026-11-20T11:00:00Z'],
        ...['--load-balancer', arn, '--counts', 'gauge', '--units', 'none'],
      ],
      // No Region set; the stack's service name.
      { OTEL_SERVICE_NAME: 'edge' },
    );
    expect(result.stderr).toContain(
      `account ${TEST_CALLER.account} in cn-north-1, counts gauge, units none`,
    );
    expect(result.code).toBe(4);
    const [request] = receiver.requests;
    expect(attributeValues(request?.metrics?.resourceMetrics[0]?.resource?.attributes)).toEqual({
      ...LOGS_RESOURCE,
      'cloud.region': 'cn-north-1',
      'cloud.resource_id': arn,
      'service.name': 'edge',
    });
    const metric = request?.metrics?.resourceMetrics[0]?.scopeMetrics[0]?.metrics[0];
    expect(metric?.sum).toBeUndefined();
    expect(metric?.gauge?.dataPoints.map((p) => p.asDouble)).toEqual([120, 80]);
    expect(metric?.unit ?? '').toBe('');
  });

  it('refuses load balancers of another account than the credentials read, before reading', async () => {
    receiver.requests.length = 0;
    const listed = cloudwatch.fake.listCalls.length;
    const other = ALB_ARN.replace(TEST_CALLER.account, '210987654321');
    const byArn = await run(['--load-balancer', other]);
    const byFlag = await run(['--account', '210987654321']);
    for (const [result, source] of [
      [byArn, '--load-balancer'],
      [byFlag, '--account'],
    ] as const) {
      expect(result.code).toBe(2);
      // One line: the credentials are at fault, not the command line.
      expect(result.stderr).toBe(
        `elb-otlp metrics: ${source}: the load balancers are of account 210987654321, but the credentials are of ${TEST_CALLER.account}, whose CloudWatch holds none of their metrics: use credentials of 210987654321\n`,
      );
      expect(result.stdout).toBe('');
    }
    expect(cloudwatch.fake.listCalls.length).toBe(listed);
    expect(receiver.requests).toEqual([]);
  });

  it('fails naming STS and the way round it when the account cannot be learnt, and goes on with one given', async () => {
    const window = ['--start', '2026-11-20T10:00:00Z', '--end', '2026-11-20T11:00:00Z'];
    // Nothing listens there.
    const down = { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9' };
    const unknown = await run(window, down);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /^elb-otlp metrics: the account of the load balancers \(cloud\.account\.id\) could not be read from STS GetCallerIdentity \(.+\): give --account, or --load-balancer as an ARN$/m,
    );
    // Said, not a stack trace.
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
    expect(unknown.stdout).toBe('');
    receiver.requests.length = 0;
    const given = await run([...window, '--account', '210987654321'], down);
    expect(given.stderr).toMatch(
      /^elb-otlp metrics: STS GetCallerIdentity could not be reached \(.+\): going on with account 210987654321 \(--account\); if the credentials are of another account, no series will be found$/m,
    );
    expect(given.code).toBe(4);
    expect(
      attributeValues(receiver.requests[0]?.metrics?.resourceMetrics[0]?.resource?.attributes)[
        'cloud.account.id'
      ],
    ).toBe('210987654321');
  });

  it('stops in one line, whatever the account given, when the credentials are missing or refused', async () => {
    const expired = await startSts(TEST_CALLER, {
      code: 'ExpiredToken',
      message: 'The security token included in the request is expired',
    });
    try {
      const window = ['--start', '2026-11-20T10:00:00Z', '--end', '2026-11-20T11:00:00Z'];
      const refused = await run([...window, '--account', TEST_CALLER.account], {
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_STS: expired.url,
      });
      expect(refused.stderr).toBe(
        'elb-otlp metrics: STS GetCallerIdentity refused the credentials (ExpiredToken: The security token included in the request is expired): renew or set the AWS credentials\n',
      );
      const none = await run([...window, '--load-balancer', ALB_ARN], {
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        // No instance metadata to ask on this machine.
        AWS_EC2_METADATA_DISABLED: 'true',
      });
      expect(none.stderr).toMatch(
        /^elb-otlp metrics: no AWS credentials \(CredentialsProviderError: .+\): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n$/,
      );
      expect([refused.code, none.code]).toEqual([1, 1]);
      expect([refused.stdout, none.stdout]).toEqual(['', '']);
    } finally {
      await expired.close();
    }
  });

  it('exits 2 naming AWS_REGION when no Region is set', async () => {
    const result = await run([], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('AWS_REGION: no Region is set');
  });

  it.each([
    [['--start', '2026-11-20T10:00:00Z'], /give both --start and --end/],
    [
      ['--start', '2026-11-20T10:00:10Z', '--end', '2026-11-20T11:00:00Z'],
      /--start must be an ISO timestamp on a whole minute/,
    ],
    [['--namespace', 'classic'], /unknown --namespace "classic"/],
    [['--load-balancer', 'web'], /--load-balancer "web" is not a load balancer ARN/],
    [['--account', '1234'], /--account "1234" is not an AWS account ID \(12 digits\)/],
    [['--counts', 'cumulative'], /unknown --counts "cumulative"; expected delta or gauge/],
    [['--units', 'seconds'], /unknown --units "seconds"; expected ucum or none/],
    [
      ['--load-balancer', ALB_ARN, '--account', '210987654321'],
      /--account 210987654321 is not the account of the load balancer ARNs of --load-balancer \(123456789012\)/,
    ],
    [
      ['--load-balancer', ALB_ARN, '--load-balancer', ALB_ARN.replace('us-east-1', 'eu-west-1')],
      /--load-balancer: load balancers in several Regions \(us-east-1, eu-west-1\): one run reads/,
    ],
  ])('refuses %j with a usage error', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
