/**
 * S3 chunk benchmark: `elb-otlp ship s3://…` (the chunk engine the
 * `process-chunk` Lambda runs) of a generated gzip ALB object of about 1 GB
 * decompressed, stored in s3rver on loopback, to a receiver that only drains
 * requests, as a whole process with its peak RSS; next to a process that
 * merely GETs the same object, gunzips it and counts its lines, in the same
 * run. Targets: ≥ 30 % of that rate, peak RSS ≤ 200 MB.
 */

import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startBenchS3 } from './s3.ts';
import {
  CLI,
  CLI_NODE_OPTIONS,
  cpuMsOf,
  MAX_RSS,
  startDrain,
  timeProcess,
  writeGzipFile,
} from './ship.ts';

/** About 1.05 GB decompressed. */
const LINES = 1_600_000;
const RUNS = 2;
const BUCKET = 'bench-logs';
const KEY =
  'AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20261101T0000Z_10.0.0.1_chunk.log.gz';
const S3_GUNZIP_COUNT = new URL('./s3-gunzip-count.ts', import.meta.url).pathname;

export async function runChunkBench(): Promise<Record<string, unknown>[]> {
  const s3 = await startBenchS3(BUCKET);
  const drain = await startDrain();
  try {
    const file = join(s3.dir, 'object.log.gz');
    const decompressedBytes = await writeGzipFile(file, LINES, 13);
    const body = readFileSync(file);
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: body }));
    rmSync(file);
    const env = s3.env;
    let baseline = { ms: Infinity, cpuMs: Infinity };
    const shipped: { ms: number; cpuMs: number; rssBytes: number }[] = [];
    // Baseline and ship runs alternate, so a slow spell falls on both sides.
    for (let run = 0; run < RUNS; run++) {
      const count = await timeProcess(['--import', MAX_RSS, S3_GUNZIP_COUNT, BUCKET, KEY], env);
      if (Number(count.stdout) !== LINES) {
        throw new Error(`s3-gunzip-count saw ${count.stdout.trim()} lines: ${count.stderr}`);
      }
      if (count.ms < baseline.ms) baseline = { ms: count.ms, cpuMs: cpuMsOf(count.stderr) };
      const ship = await timeProcess(
        [
          ...CLI_NODE_OPTIONS,
          '--import',
          MAX_RSS,
          CLI,
          'ship',
          `s3://${BUCKET}/${KEY}`,
          '--endpoint',
          drain.url,
        ],
        env,
      );
      if (ship.code !== 0) throw new Error(`ship exited ${ship.code}: ${ship.stderr}`);
      const summary = JSON.parse(ship.stdout);
      if (summary.accepted !== LINES) {
        throw new Error(`ship accepted ${summary.accepted} of ${LINES} lines`);
      }
      shipped.push({
        ms: ship.ms,
        cpuMs: cpuMsOf(ship.stderr),
        rssBytes: Number(/max-rss-kib=(\d+)/.exec(ship.stderr)?.[1]) * 1024,
      });
    }
    const best = shipped.reduce((a, b) => (b.ms < a.ms ? b : a));
    const rate = LINES / (best.ms / 1000);
    const baselineRate = LINES / (baseline.ms / 1000);
    return [
      {
        bench: 's3-chunk',
        lines: LINES,
        objectBytes: body.length,
        decompressedBytes,
        shipLinesPerSecond: Math.round(rate),
        s3GunzipCountLinesPerSecond: Math.round(baselineRate),
        ofGunzipRate: Number((rate / baselineRate).toFixed(3)),
        // The highest of the runs: the bound holds for every run.
        peakRssMiB: Math.round(Math.max(...shipped.map((r) => r.rssBytes)) / 1024 / 1024),
        shipCpuSeconds: Math.min(...shipped.map((r) => r.cpuMs)) / 1000,
        s3GunzipCountCpuSeconds: baseline.cpuMs / 1000,
      },
    ];
  } finally {
    drain.close();
    await s3.close();
  }
}
