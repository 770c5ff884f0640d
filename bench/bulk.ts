/**
 * Bulk benchmark: `elb-otlp reprocess` (the reprocessing state machine run
 * on this machine) over many generated log objects in s3rver, to a receiver
 * that only drains requests, at several `--max-concurrency` settings: how
 * throughput scales with chunks shipped at once, as a whole process with its
 * peak RSS. s3rver and the receiver run in the benchmark's own process, on
 * the same cores.
 */

import { putElbObjects } from '../shared/generate/elb-objects.ts';
import { startBenchS3 } from './s3.ts';
import { CLI, CLI_NODE_OPTIONS, cpuMsOf, MAX_RSS, startDrain, timeProcess } from './ship.ts';

const LINES = 600_000;
const CONCURRENCY = [1, 2, 4, 8];
const BUCKET = 'bench-logs';

export async function runBulkBench(): Promise<Record<string, unknown>[]> {
  const s3 = await startBenchS3(BUCKET);
  const drain = await startDrain();
  try {
    const {
      objects,
      lines,
      bytes: stored,
    } = await putElbObjects(s3.client, BUCKET, {
      totalLines: LINES,
    });
    const env = s3.env;
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
    await s3.close();
  }
}
