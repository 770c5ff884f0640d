/**
 * Scale benchmark: `elb-otlp reprocess --dry-run` over 3.1 million objects
 * (a year-long backlog's scale: one account and Region, 135 days of 40 load
 * balancers with 2 nodes each, an object every 5 minutes), listed from a
 * stand-in S3 that synthesises the listing and answers each page after 60 ms
 * (bench/listing-s3.ts, in a process of its own), as a user runs the command
 * (start-up included), with its wall time, CPU time and peak RSS. One page
 * after another would wait 187 s alone; the target is ≤ 150 s and ≤ 512 MB.
 *
 * `SCALE_DAYS` and `SCALE_LATENCY_MS` change the size and the latency.
 */

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fleetObjects, type SyntheticFleet } from './listing-s3.ts';
import { CLI, CLI_NODE_OPTIONS, cpuMsOf, MAX_RSS, timeProcess } from './ship.ts';

const LISTING_S3 = new URL('./listing-s3.ts', import.meta.url).pathname;

const FLEET: SyntheticFleet = {
  bucket: 'scale-logs',
  workBucket: 'scale-work',
  accounts: ['123456789012'],
  regions: ['eu-west-1'],
  firstDay: '2026-01-01',
  days: Number(process.env.SCALE_DAYS ?? 135),
  loadBalancers: 40,
  nodes: 2,
  // A 5-minute object of a busy load balancer: one chunk, no trailer read.
  objectBytes: 20_000,
  latencyMs: Number(process.env.SCALE_LATENCY_MS ?? 60),
};

/** The plan of a dry run, timed. */
async function planDryRun(): Promise<Record<string, unknown>> {
  const server = spawn(process.execPath, [LISTING_S3, JSON.stringify(FLEET)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [line] = await once(server.stdout, 'data');
    const { port } = JSON.parse(String(line)) as { port: number };
    const env = {
      ...process.env,
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
      AWS_ACCESS_KEY_ID: 'scale',
      AWS_SECRET_ACCESS_KEY: 'scale',
      AWS_REGION: 'us-east-1',
    };
    const run = await timeProcess(
      [
        ...CLI_NODE_OPTIONS,
        '--import',
        MAX_RSS,
        CLI,
        'reprocess',
        '--dry-run',
        '--bucket',
        FLEET.bucket,
        '--work-bucket',
        FLEET.workBucket,
        // A dry run exports nothing; the setting is only required.
        '--endpoint',
        'http://127.0.0.1:9',
      ],
      env,
    );
    if (run.code !== 0) throw new Error(`reprocess --dry-run exited ${run.code}: ${run.stderr}`);
    const plan = JSON.parse(run.stdout.trim().split('\n').at(-1) as string) as {
      objects: number;
      units: number;
      listingParts: number;
    };
    const objects = fleetObjects(FLEET);
    if (plan.objects !== objects) throw new Error(`planned ${plan.objects} of ${objects} objects`);
    const peak = Number(/max-rss-kib=(\d+)/.exec(run.stderr)?.[1] ?? 0);
    const seconds = run.ms / 1000;
    return {
      bench: 'scale-plan',
      objects,
      units: plan.units,
      listingParts: plan.listingParts,
      latencyMs: FLEET.latencyMs,
      pageAfterPageWaitSeconds: Math.round((objects / 1000) * FLEET.latencyMs) / 1000,
      seconds: Math.round(seconds * 10) / 10,
      secondsPerMillionObjects: Math.round((seconds / objects) * 1e7) / 10,
      cpuSeconds: Math.round(cpuMsOf(run.stderr) / 100) / 10,
      peakRssMiB: Math.round(peak / 1024),
    };
  } finally {
    server.kill('SIGTERM');
  }
}

const REPORT_RUN = new URL('./report-run.ts', import.meta.url).pathname;

/**
 * The report of a run whose `units` units of `chunksPerUnit` chunks all
 * shipped, read from a stand-in that makes the run's files as they are read
 * (no file is stored: the manifest, ResultWriter's manifest and JSON Lines
 * results), in a process of its own: its time and peak RSS.
 */
async function reportAtScale(
  name: string,
  units: number,
  chunksPerUnit: number,
): Promise<Record<string, unknown>> {
  const prefix = 'elb-otlp/runs/synthetic/';
  const fleet: SyntheticFleet = {
    ...FLEET,
    days: 1,
    run: { prefix, units, chunksPerUnit, unitsPerFile: Math.ceil(units / 4) },
  };
  const server = spawn(process.execPath, [LISTING_S3, JSON.stringify(fleet)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [line] = await once(server.stdout, 'data');
    const { port } = JSON.parse(String(line)) as { port: number };
    const chunks = units * chunksPerUnit;
    const plan = {
      runId: 'synthetic',
      plannedAt: new Date().toISOString(),
      bucket: FLEET.bucket,
      prefix: '',
      dryRun: false,
      deleteProcessed: false,
      maxConcurrency: 1000,
      objects: chunks,
      emptyObjects: 0,
      chunks,
      units,
      unitBytes: 134217728,
      bytes: chunks * 20_000,
      skipped: {},
      manifest: {
        Bucket: FLEET.workBucket,
        Prefix: `${prefix}manifest/`,
        Keys: [`${prefix}manifest/part-00.jsonl`],
      },
      listingParts: 1,
      planWorkers: [],
      results: { Bucket: FLEET.workBucket, Prefix: `${prefix}results` },
    };
    const passes = [
      {
        ResultWriterDetails: {
          Bucket: FLEET.workBucket,
          Key: `${prefix}results/map/manifest.json`,
        },
      },
    ];
    const run = await timeProcess([
      ...CLI_NODE_OPTIONS,
      ...(process.env.SCALE_HEAP_MB === undefined
        ? []
        : [`--max-old-space-size=${process.env.SCALE_HEAP_MB}`]),
      '--import',
      MAX_RSS,
      REPORT_RUN,
      JSON.stringify({ endpoint: `http://127.0.0.1:${port}`, plan, passes }),
    ]);
    if (run.code !== 0) throw new Error(`the report exited ${run.code}: ${run.stderr}`);
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1) as string) as {
      chunks: number;
      objects: number;
      lines: number;
      failedChunks: number;
    };
    if (summary.chunks !== chunks || summary.objects !== chunks || summary.failedChunks !== 0) {
      throw new Error(`the report counted ${JSON.stringify(summary)} of ${chunks} chunks`);
    }
    const seconds = run.ms / 1000;
    return {
      bench: `scale-report-${name}`,
      childResults: units,
      chunkResults: chunks,
      seconds: Math.round(seconds * 10) / 10,
      secondsPerMillionChunks: Math.round((seconds / chunks) * 1e7) / 10,
      cpuSeconds: Math.round(cpuMsOf(run.stderr) / 100) / 10,
      peakRssMiB: Math.round(Number(/max-rss-kib=(\d+)/.exec(run.stderr)?.[1] ?? 0) / 1024),
    };
  } finally {
    server.kill('SIGTERM');
  }
}

export async function runScaleBench(): Promise<Record<string, unknown>[]> {
  const only = process.env.SCALE_ONLY;
  const lines: Record<string, unknown>[] = [];
  if (only === undefined || only === 'plan') lines.push(await planDryRun());
  // A million Map children of one chunk each; ten million chunks in units of 276.
  if (only === undefined || only === 'report') {
    lines.push(
      await reportAtScale('1m-children', Number(process.env.SCALE_CHILDREN ?? 1_000_000), 1),
    );
    lines.push(await reportAtScale('10m-chunks', Number(process.env.SCALE_UNITS ?? 36_232), 276));
  }
  return lines;
}
