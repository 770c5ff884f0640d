/**
 * `elb-otlp redrive` in a child process: the ingest dead-letter queue (a
 * loopback stand-in for SQS, see test/helpers/sqs.ts) replayed against
 * s3rver and the test OTLP receiver.
 */

import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { runCli } from '../helpers/cli.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { S3RVER_ENV, startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';
import { uids } from '../helpers/ship.ts';
import { startQueue, type TestQueue } from '../helpers/sqs.ts';

const DAY = 'AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/27/';
const key = (n: number) =>
  `${DAY}123456789012_elasticloadbalancing_us-east-2_app.shop.0123456789abcdef_20261127T12${String(n).padStart(2, '0')}Z_10.0.0.${n}_r${n}.log.gz`;
const s3Event = (...keys: string[]) => ({
  Records: keys.map((k) => ({
    eventSource: 'aws:s3',
    eventName: 'ObjectCreated:Put',
    s3: { bucket: { name: TEST_BUCKET }, object: { key: k } },
  })),
});
/** What Lambda's on-failure destination sends for a failed asynchronous invocation. */
const onFailure = (event: unknown) => ({
  version: '1.0',
  timestamp: '2026-11-27T12:10:00.000Z',
  requestContext: {
    requestId: 'e4b46cbf-b738-xmpl-8880-a18cdf61200e',
    functionArn: 'arn:aws:lambda:us-east-2:123456789012:function:elb-otlp-dev-ingest:$LATEST',
    condition: 'RetriesExhausted',
    approximateInvokeCount: 3,
  },
  requestPayload: event,
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  responsePayload: { errorType: 'IngestError', errorMessage: '1 of 1 failed' },
});

let s3: TestS3;
let receiver: OtlpReceiver;
let queue: TestQueue;
let env: Record<string, string>;
beforeAll(async () => {
  [s3, receiver, queue] = await Promise.all([startS3(), startOtlpReceiver(), startQueue()]);
  for (const n of [1, 2, 3]) {
    await s3.put(key(n), gzipSync(`${[...generateAlbLines(40 * n, { seed: n })].join('\n')}\n`));
  }
  const broken = gzipSync(`${[...generateAlbLines(200, { seed: 4 })].join('\n')}\n`);
  await s3.put(key(4), broken.subarray(0, broken.length - 50));
  env = {
    ...S3RVER_ENV,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  };
});
afterAll(async () => {
  await Promise.all([receiver.close(), s3.close(), queue.close()]);
});

describe('elb-otlp redrive', () => {
  it('lists the objects the queue names with --dry-run, shipping and deleting nothing', async () => {
    queue.send(JSON.stringify(onFailure(s3Event(key(1), key(2)))));
    queue.send(JSON.stringify(s3Event(key(3))));
    queue.send(JSON.stringify(onFailure(s3Event(key(4)))));

    const dry = await runCli(['redrive', '--queue-url', queue.url, '--dry-run'], { env });
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout.trim())).toMatchObject({
      messages: 3,
      keys: [1, 2, 3, 4].map((n) => `s3://${TEST_BUCKET}/${key(n)}`),
    });
    expect(receiver.requests).toHaveLength(0);
    expect(queue.ids()).toHaveLength(3);
  });

  it('replays the queue, deleting the messages whose objects all shipped and keeping the other (exit 4)', async () => {
    // The dry run's messages are hidden for 30 s; these are fresh copies.
    const fresh = await startQueue('fresh');
    try {
      fresh.send(JSON.stringify(onFailure(s3Event(key(1), key(2)))));
      fresh.send(JSON.stringify(s3Event(key(3))));
      const brokenId = fresh.send(JSON.stringify(onFailure(s3Event(key(4)))));
      // A run over a window that failed to start: nothing to replay here, kept, saying so.
      const runId = fresh.send(JSON.stringify(onFailure({ from: '2026-11-27T11:00:00Z' })));
      // `{}`: the hour it asked for, from when Lambda gave up on it (12:10).
      const lastHourId = fresh.send(JSON.stringify(onFailure({})));
      const { code, stdout, stderr } = await runCli(['redrive', '--queue-url', fresh.url], { env });
      expect(code, stderr).toBe(4);
      const summary = JSON.parse(stdout.trim());
      expect(summary).toMatchObject({
        messages: 5,
        replayed: 2,
        kept: 3,
        objects: 3,
        lines: 240,
        accepted: 240,
      });
      expect(summary.failures[0]).toContain(key(4));
      expect(summary.failures[1]).toContain(
        'a run request (an invocation without S3 records), not a notification: nothing to replay here; start the run with "elb-otlp reprocess --remote --from 2026-11-27T11:00:00Z"',
      );
      expect(summary.failures[2]).toContain(
        '"elb-otlp reprocess --remote --from 2026-11-27T11:00:00.000Z --to 2026-11-27T12:00:00.000Z" with --stage and --bucket',
      );
      expect(fresh.ids()).toEqual([brokenId, runId, lastHourId]);
      const delivered = uids(receiver.deliveredRecords());
      expect(new Set(delivered).size).toBeGreaterThanOrEqual(240);
    } finally {
      await fresh.close();
    }
  });
});
