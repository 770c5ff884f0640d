/**
 * `elb-otlp ship s3://bucket/key` in a child process, against s3rver
 * (through AWS_ENDPOINT_URL_S3) and the test OTLP receiver.
 */

import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { runCli } from '../helpers/cli.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { S3RVER_ENV, startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';
import { uids } from '../helpers/ship.ts';

const KEY =
  'AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20261101T0000Z_10.0.0.1_cli.log.gz';
const LINES = 800;
const TEXT = `${[...generateAlbLines(LINES, { seed: 8 })].join('\n')}\n`;

let s3: TestS3;
let receiver: OtlpReceiver;
let env: Record<string, string>;
beforeAll(async () => {
  s3 = await startS3();
  await s3.put(KEY, gzipSync(TEXT));
  env = { ...S3RVER_ENV, AWS_ENDPOINT_URL_S3: s3.endpoint, ELB_OTLP_MAX_BATCH_RECORDS: '200' };
});
afterAll(async () => {
  await s3.close();
});
beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await receiver.close();
});

const object = `s3://${TEST_BUCKET}/${KEY}`;

describe('elb-otlp ship s3://', () => {
  it('ships a gzip object through ranged reads, with the resource from its key', async () => {
    const { code, stdout, stderr } = await runCli(['ship', object, '--endpoint', receiver.url], {
      env,
    });
    expect(stderr).toContain(`${object}: 800 lines`);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      lines: LINES,
      accepted: LINES,
      failed: 0,
      batches: 4,
    });
    const resource = receiver.requests[0].body?.resourceLogs[0].resource;
    expect(resource?.attributes).toEqual(
      expect.arrayContaining([
        {
          key: 'cloud.resource_id',
          value: {
            stringValue:
              'arn:aws:elasticloadbalancing:us-east-2:123456789012:loadbalancer/app/my-loadbalancer/50dc6c495c0c9188',
          },
        },
        { key: 'cloud.account.id', value: { stringValue: '123456789012' } },
      ]),
    );
    expect(new Set(uids(receiver.deliveredRecords())).size).toBe(LINES);
  });

  it('ships the two halves of an object with --start/--end, each line once', async () => {
    const middle = Math.floor(Buffer.byteLength(TEXT) / 2);
    const halves = [
      ['--end', String(middle)],
      ['--start', String(middle)],
    ];
    let lines = 0;
    for (const range of halves) {
      const { code, stdout } = await runCli(
        ['ship', object, '--endpoint', receiver.url, ...range],
        {
          env,
        },
      );
      expect(code).toBe(0);
      lines += JSON.parse(stdout).lines;
    }
    expect(lines).toBe(LINES);
    const delivered = uids(receiver.deliveredRecords());
    expect(new Set(delivered).size).toBe(LINES);
  });

  it('exits 1 naming the object when it does not exist', async () => {
    const { code, stderr } = await runCli(
      ['ship', `${object}.missing`, '--endpoint', receiver.url],
      {
        env,
      },
    );
    expect(code).toBe(1);
    expect(stderr).toContain(`${object}.missing: no such object`);
    expect(receiver.requests).toHaveLength(0);
  });

  it.each([
    [['ship', 'local.log', '--start', '5'], '--start and --end are for s3:// objects'],
    [['ship', object, '--start', '9', '--end', '3'], '--end 3 must be greater than --start 9'],
    [['ship', object, '--start=1e3'], '--start expects a byte offset'],
    [['ship', object, '--key', 'x.log'], '--key is for local files'],
  ])('refuses %j', async (args, message) => {
    const { code, stderr } = await runCli([...args, '--endpoint', receiver.url], { env });
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});
