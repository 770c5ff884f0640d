/**
 * Fleet benchmark: `elb-otlp reprocess` over a backlog shaped like a real
 * fleet's (800 small gzip objects of 1 250 ALB lines under ELB's key layout,
 * 1 000 000 lines, in s3rver on loopback) against `elb-otlp ship` of the same
 * 1 000 000 lines in one gzip file, in the same run, both to a receiver that
 * only drains requests, each as a whole process as a user runs it (start-up
 * included) with its CPU time and peak RSS; `ship` runs before and after
 * `reprocess` and its rate is the two runs' mean. The ratio of the two rates
 * shows the per-object overhead of a reprocessing run (target: ≥ 50 %).
 * s3rver and the receiver run in the benchmark's own process, on the same
 * cores; their CPU time is given apart (`harnessCpuSeconds`).
 */

import { once } from 'node:events';
import { createWriteStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { createGzip, gunzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { generateElbObjects, type LoadBalancerSpec } from '../shared/generate/elb-objects.ts';
import { startBenchS3 } from './s3.ts';
import {
  CLI,
  CLI_NODE_OPTIONS,
  cpuMsOf,
  MAX_RSS,
  startDrain,
  type Timed,
  timeProcess,
} from './ship.ts';

/**
 * Four load balancers of equal share, access logs only: with 2 days of 100
 * objects each, 800 objects of 1 250 lines.
 */
const LOAD_BALANCERS: LoadBalancerSpec[] = [
  { name: 'shop-frontend', id: '50dc6c495c0c9188', share: 0.25, connections: 0 },
  { name: 'payments-api', id: '8f2e1d0c9b8a7f6e', share: 0.25, connections: 0 },
  { name: 'admin-internal', id: '0a1b2c3d4e5f6a7b', share: 0.25, connections: 0 },
  { name: 'media-edge', id: '9c8b7a6f5e4d3c2b', share: 0.25, connections: 0 },
];
const DAYS = ['2026-11-25', '2026-11-26'];
const OBJECTS_PER_DAY = 100;
const LINES = 1_000_000;
const OBJECTS = LOAD_BALANCERS.length * DAYS.length * OBJECTS_PER_DAY;
const BUCKET = 'bench-logs';
/** PUTs to s3rver in flight while the next objects are generated. */
const PUTS_IN_FLIGHT = 8;
const FILE_NAME =
  '123456789012_elasticloadbalancing_eu-west-1_app.fleet.50dc6c495c0c9188_20261126T0000Z_10.0.0.1_fleet.log.gz';

/** One benchmarked process: its wall time, CPU, peak RSS and the CPU the harness spent meanwhile. */
interface Measured {
  run: Timed;
  cpuMs: number;
  peakRssMiB: number;
  harnessCpuMs: number;
}

async function measure(
  args: string[],
  env: NodeJS.ProcessEnv,
  onStderr?: (text: string, ms: number) => void,
): Promise<Measured> {
  const before = process.cpuUsage();
  const run = await timeProcess(
    [...CLI_NODE_OPTIONS, '--import', MAX_RSS, CLI, ...args],
    env,
    onStderr,
  );
  const harness = process.cpuUsage(before);
  if (run.code !== 0) throw new Error(`${args[0]} exited ${run.code}: ${run.stderr.slice(-800)}`);
  return {
    run,
    cpuMs: cpuMsOf(run.stderr),
    peakRssMiB: Math.round(Number(/max-rss-kib=(\d+)/.exec(run.stderr)?.[1]) / 1024),
    harnessCpuMs: (harness.user + harness.system) / 1000,
  };
}

/**
 * Puts the fleet's objects into the bucket and writes the same lines, in
 * the same order, as one gzip file (one member, the default level, as the
 * objects are compressed).
 */
async function putFleet(
  s3: Awaited<ReturnType<typeof startBenchS3>>,
  file: string,
): Promise<{ objects: number; lines: number; storedBytes: number }> {
  const gzip = createGzip();
  const written = gzip.pipe(createWriteStream(file));
  const puts = new Set<Promise<unknown>>();
  let objects = 0;
  let lines = 0;
  let storedBytes = 0;
  for (const object of generateElbObjects({
    totalLines: LINES,
    loadBalancers: LOAD_BALANCERS,
    days: DAYS,
    objectsPerDay: OBJECTS_PER_DAY,
  })) {
    const put = s3.client
      .send(new PutObjectCommand({ Bucket: BUCKET, Key: object.key, Body: object.body }))
      .finally(() => puts.delete(put));
    puts.add(put);
    if (!gzip.write(gunzipSync(object.body))) await once(gzip, 'drain');
    if (puts.size >= PUTS_IN_FLIGHT) await Promise.race(puts);
    objects++;
    lines += object.lines;
    storedBytes += object.body.length;
  }
  await Promise.all(puts);
  gzip.end();
  await once(written, 'close');
  if (objects !== OBJECTS || lines !== LINES) {
    throw new Error(`generated ${objects} objects of ${lines} lines, not ${OBJECTS} of ${LINES}`);
  }
  return { objects, lines, storedBytes };
}

const seconds = (ms: number) => Math.round(ms) / 1000;

export async function runFleetBench(): Promise<Record<string, unknown>[]> {
  const s3 = await startBenchS3(BUCKET);
  const drain = await startDrain();
  try {
    const file = join(s3.dir, FILE_NAME);
    const { objects, lines, storedBytes } = await putFleet(s3, file);

    // A ship run on each side of the reprocess run, so a slow spell of this
    // shared machine falls on both sides of the ratio; their mean is the rate.
    const shipArgs = ['ship', file, '--endpoint', drain.url];
    const before = await measure(shipArgs, s3.env);

    // The run's phases from its progress lines: start-up and plan end with
    // "planned …", the Map with "N/N units …", the report with the process.
    let plannedMs = Number.NaN;
    let shippedMs = Number.NaN;
    const reprocess = await measure(
      ['reprocess', '--bucket', BUCKET, '--prefix', 'AWSLogs/', '--endpoint', drain.url],
      s3.env,
      (text, ms) => {
        if (text.includes('reprocess: planned ')) plannedMs = ms;
        const done = /reprocess: (\d+)\/(\d+) units/.exec(text);
        if (done !== null && done[1] === done[2]) shippedMs = ms;
      },
    );
    const report = JSON.parse(reprocess.run.stdout.trim().split('\n').at(-1) ?? '{}');
    if (report.accepted !== lines || report.objects !== objects) {
      throw new Error(
        `reprocess accepted ${report.accepted} lines of ${report.objects} objects, not ${lines} of ${objects}`,
      );
    }
    const after = await measure(shipArgs, s3.env);
    const ships = [before, after];
    const shipAccepted = ships.map((m) => JSON.parse(m.run.stdout).accepted as number);
    for (const accepted of shipAccepted) {
      if (accepted !== lines) throw new Error(`ship accepted ${accepted} of ${lines} lines`);
    }
    const mean = (of: (m: Measured) => number) => (of(before) + of(after)) / 2;
    const shipMs = mean((m) => m.run.ms);
    const shipCpuMs = mean((m) => m.cpuMs);
    const reprocessRate = lines / (reprocess.run.ms / 1000);
    const shipRate = lines / (shipMs / 1000);
    const result = {
      bench: 'fleet',
      objects,
      lines,
      storedMiB: Math.round((storedBytes / 1048576) * 10) / 10,
      fileMiB: Math.round((statSync(file).size / 1048576) * 10) / 10,
      chunks: report.chunks,
      units: report.units,
      reprocessLinesPerSecond: Math.round(reprocessRate),
      shipLinesPerSecond: Math.round(shipRate),
      reprocessOfShip: Number((reprocessRate / shipRate).toFixed(3)),
      // The same ratio in CPU time: steadier than wall time when other work shares the cores.
      reprocessOfShipByCpu: Number((shipCpuMs / reprocess.cpuMs).toFixed(3)),
      reprocessSeconds: seconds(reprocess.run.ms),
      shipSeconds: ships.map((m) => seconds(m.run.ms)),
      reprocessCpuSeconds: seconds(reprocess.cpuMs),
      shipCpuSeconds: ships.map((m) => seconds(m.cpuMs)),
      reprocessPeakRssMiB: reprocess.peakRssMiB,
      shipPeakRssMiB: Math.max(...ships.map((m) => m.peakRssMiB)),
      reprocessAccepted: report.accepted,
      shipAccepted,
      // Where the reprocess run's wall time went, and the worker time the report counts.
      reprocessPhases: {
        startAndPlanSeconds: seconds(plannedMs),
        mapSeconds: seconds(shippedMs - plannedMs),
        reportAndExitSeconds: seconds(reprocess.run.ms - shippedMs),
        chunkSeconds: report.throughput?.chunkSeconds,
      },
      // s3rver, the receiver and this process while each command ran.
      harnessCpuSeconds: {
        reprocess: seconds(reprocess.harnessCpuMs),
        ship: ships.map((m) => seconds(m.harnessCpuMs)),
      },
    };
    return [result];
  } finally {
    drain.close();
    await s3.close();
  }
}
