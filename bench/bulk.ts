/**
 * Bulk benchmark: `elb-otlp reprocess` (the reprocessing state machine run
 * on this machine) over many generated log objects in s3rver, to a receiver
 * that only drains requests, at several `--max-concurrency` settings: how
 * throughput scales with chunks shipped at once, as a whole process with its
 * peak RSS. s3rver and the receiver run in the benchmark's own process, on
 * the same cores.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { generateElbObjects } from '../shared/generate/elb-objects.ts';
import { CLI, CLI_NODE_OPTIONS, cpuMsOf, MAX_RSS, startDrain, timeProcess } from './ship.ts';

const LINES = 600_000;
const CONCURRENCY = [1, 2, 4, 8];
const BUCKET = 'bench-logs';
/** s3rver's fixed credentials. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export async function runBulkBench(): Promise<Record<string, unknown>[]> {
  const dir = mkdtempSync(join(tmpdir(), 'elb-otlp-bench-bulk-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: join(dir, 's3'),
    configureBuckets: [{ name: BUCKET }],
  });
  const drain = await startDrain();
  try {
    const { port } = await server.run();
    const endpoint = `http://127.0.0.1:${port}`;
    const client = new S3Client({
      endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: CREDENTIALS,
    });
    let objects = 0;
    let lines = 0;
    let stored = 0;
    for (const object of generateElbObjects({ totalLines: LINES })) {
      await client.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: object.key, Body: object.body }),
      );
      objects++;
      lines += object.lines;
      stored += object.body.length;
    }
    client.destroy();
    const env = {
      ...process.env,
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
    };
    const results: Record<string, unknown>[] = [];
    for (const concurrency of CONCURRENCY) {
      const run = await timeProcess(
        [
          ...CLI_NODE_OPTIONS,
          '--import',
          MAX_RSS,
          CLI,
          'reprocess',
          '--bucket',
          BUCKET,
          '--prefix',
          'AWSLogs/',
          '--endpoint',
          drain.url,
          '--max-concurrency',
          String(concurrency),
        ],
        env,
      );
      const report = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}');
      if (run.code !== 0 || report.accepted !== lines) {
        throw new Error(
          `reprocess at ${concurrency} exited ${run.code}: ${run.stderr.slice(-500)}`,
        );
      }
      const rssKib = Number(/max-rss-kib=(\d+)/.exec(run.stderr)?.[1]);
      results.push({
        bench: 'bulk',
        maxConcurrency: concurrency,
        objects,
        lines,
        storedMiB: Math.round((stored / 1048576) * 10) / 10,
        linesPerSecond: Math.round((lines * 1000) / run.ms),
        objectsPerSecond: Math.round((objects * 10_000) / run.ms) / 10,
        seconds: Math.round(run.ms) / 1000,
        cpuSeconds: Math.round(cpuMsOf(run.stderr)) / 1000,
        peakRssMiB: Math.round(rssKib / 1024),
      });
    }
    return results;
  } finally {
    drain.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
