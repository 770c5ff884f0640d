/**
 * S3 for the benchmarks: s3rver on loopback in a temporary directory, one
 * bucket, an SDK client for putting the input, and the environment that
 * points a child process (the `elb-otlp` command) at it.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { listCommonPrefixesAsS3 } from '../shared/local/s3rver-listing.ts';

/** s3rver's fixed credentials. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface BenchS3 {
  /** A temporary directory for the benchmark's own files too. */
  dir: string;
  client: S3Client;
  /** This process's environment, pointed at the server. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startBenchS3(bucket: string): Promise<BenchS3> {
  const dir = mkdtempSync(join(tmpdir(), 'elb-otlp-bench-s3-'));
  listCommonPrefixesAsS3();
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: join(dir, 's3'),
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: CREDENTIALS,
  });
  return {
    dir,
    client,
    env: {
      ...process.env,
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
    },
    async close() {
      client.destroy();
      await server.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
