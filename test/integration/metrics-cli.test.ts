/**
 * `elb-otlp metrics` as a user runs it: the real command and AWS SDK client
 * against a loopback CloudWatch stand-in (no local CloudWatch exists; the
 * stand-in speaks the SDK's AWS JSON 1.0 protocol) and the test receiver.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import {
  type CloudWatchServer,
  createFakeCloudWatch,
  type FakeSeries,
  startCloudWatchServer,
} from '../helpers/cloudwatch-fake.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';

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

beforeAll(async () => {
  [cloudwatch, receiver] = await Promise.all([
    startCloudWatchServer(createFakeCloudWatch(SERIES)),
    startOtlpReceiver(),
  ]);
});
afterAll(async () => {
  await Promise.all([cloudwatch.close(), receiver.close()]);
});

function run(args: string[], env: Record<string, string> = { AWS_REGION: 'us-east-1' }) {
  return runCli(['metrics', ...args], {
    clear: ['OTEL_', 'ELB_OTLP_', 'AWS_'],
    env: {
      AWS_ENDPOINT_URL_CLOUDWATCH: cloudwatch.url,
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
    const resource = request?.metrics?.resourceMetrics[0]?.resource?.attributes ?? [];
    expect(resource).toContainEqual({ key: 'cloud.region', value: { stringValue: 'us-east-1' } });
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
  ])('refuses %j with a usage error', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
