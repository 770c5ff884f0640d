/**
 * Ship benchmark: `elb-otlp ship` of a generated gzip ALB file to a loopback
 * receiver that only drains requests, as a whole process with its peak RSS,
 * next to the two baselines the targets are stated against, in the same run:
 * Node merely gunzipping the file and counting its lines (a whole process
 * too), and the seed guide's Python parse-and-convert of the same lines.
 */

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { generateAlbLines } from '../shared/generate/alb-lines.ts';
import { timeSeed } from './parse.ts';

/** The file: 600 000 lines, about 400 MB decompressed. */
const LINES = 600_000;
/** Lines for the 1 GB (decompressed) memory run: about 1.6 million. */
const GIGABYTE_LINES = 1_600_000;
const RUNS = 3;
const SEED_LINES = 10_000;
const NAME =
  '123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20261101T0000Z_10.0.0.1_bench.log.gz';
export const CLI = new URL('../cli/elb-otlp.ts', import.meta.url).pathname;
const GUNZIP_COUNT = new URL('./gunzip-count.ts', import.meta.url).pathname;
export const MAX_RSS = new URL('./max-rss.ts', import.meta.url).pathname;
/** The Node options of the command's `#!` line: the benchmark runs it as users do. */
export const CLI_NODE_OPTIONS = readFileSync(CLI, 'utf8').split('\n', 1)[0].split(' ').slice(3);

/** Writes `lines` generated lines as a gzip file; returns their decompressed size. */
export async function writeGzipFile(path: string, lines: number, seed: number): Promise<number> {
  let bytes = 0;
  async function* text() {
    let chunk = '';
    for (const line of generateAlbLines(lines, { seed })) {
      chunk += `${line}\n`;
      if (chunk.length > 1 << 20) {
        bytes += Buffer.byteLength(chunk);
        yield chunk;
        chunk = '';
      }
    }
    bytes += Buffer.byteLength(chunk);
    yield chunk;
  }
  await pipeline(Readable.from(text()), createGzip(), createWriteStream(path));
  return bytes;
}

export interface Timed {
  ms: number;
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * Runs `node args…` to its end and times it; `onStderr` sees each piece of
 * stderr with the milliseconds since the start, for benchmarks that time a
 * run's phases by its progress lines.
 */
export async function timeProcess(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  onStderr?: (text: string, ms: number) => void,
): Promise<Timed> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
    onStderr?.(String(d), performance.now() - started);
  });
  const [code] = await once(child, 'close');
  return { ms: performance.now() - started, stdout, stderr, code };
}

/** A receiver that reads each request to its end and answers 200: the cheapest honest peer. */
export async function startDrain(): Promise<{
  url: string;
  requests: () => number;
  close: () => void;
}> {
  let requests = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests: () => requests, close: () => server.close() };
}

interface Shipped {
  ms: number;
  summary: { accepted: number; batches: number };
  peakRssBytes: number;
  cpuMs: number;
}

/** The CPU milliseconds `max-rss.ts` reported on a process's stderr. */
export function cpuMsOf(stderr: string): number {
  return Number(/cpu-ms=(\d+)/.exec(stderr)?.[1]);
}

async function ship(file: string, url: string, compression: string): Promise<Shipped> {
  const run = await timeProcess([
    ...CLI_NODE_OPTIONS,
    '--import',
    MAX_RSS,
    CLI,
    'ship',
    file,
    '--endpoint',
    url,
    '--compression',
    compression,
  ]);
  if (run.code !== 0) throw new Error(`ship exited ${run.code}: ${run.stderr}`);
  const summary = JSON.parse(run.stdout);
  const rss = Number(/max-rss-kib=(\d+)/.exec(run.stderr)?.[1]) * 1024;
  return { ms: run.ms, summary, peakRssBytes: rss, cpuMs: cpuMsOf(run.stderr) };
}

export async function runShipBench(): Promise<Record<string, unknown>[]> {
  const dir = mkdtempSync(join(tmpdir(), 'elb-otlp-bench-'));
  const drain = await startDrain();
  try {
    const file = join(dir, NAME);
    await writeGzipFile(file, LINES, 7);
    // Baseline and gzip runs alternate, so a slow spell of this shared
    // machine falls on both sides of the ratio; each keeps its best run.
    let gunzipMs = Infinity;
    let gunzipCpuMs = Infinity;
    const shipRuns: Record<string, Shipped[]> = { gzip: [], zstd: [], none: [] };
    for (let run = 0; run < RUNS; run++) {
      const timed = await timeProcess(['--import', MAX_RSS, GUNZIP_COUNT, file]);
      if (Number(timed.stdout) !== LINES) throw new Error(`gunzip-count saw ${timed.stdout} lines`);
      gunzipMs = Math.min(gunzipMs, timed.ms);
      gunzipCpuMs = Math.min(gunzipCpuMs, cpuMsOf(timed.stderr));
      shipRuns.gzip.push(await ship(file, drain.url, 'gzip'));
    }
    shipRuns.zstd.push(await ship(file, drain.url, 'zstd'));
    shipRuns.none.push(await ship(file, drain.url, 'none'));
    const gunzipRate = LINES / (gunzipMs / 1000);
    const seed = timeSeed([...generateAlbLines(SEED_LINES, { seed: 7 })], 'convert');
    const results: Record<string, unknown>[] = [];
    for (const [compression, runs] of Object.entries(shipRuns)) {
      for (const shipped of runs) {
        if (shipped.summary.accepted !== LINES) {
          throw new Error(`ship accepted ${shipped.summary.accepted} of ${LINES} lines`);
        }
      }
      const best = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
      const rate = LINES / (best.ms / 1000);
      results.push({
        bench: 'ship',
        compression,
        lines: LINES,
        fileBytes: statSync(file).size,
        shipLinesPerSecond: Math.round(rate),
        gunzipCountLinesPerSecond: Math.round(gunzipRate),
        ofGunzipRate: Number((rate / gunzipRate).toFixed(3)),
        seedConvertLinesPerSecond:
          seed.linesPerSecond === undefined ? null : Math.round(seed.linesPerSecond),
        ratioToSeed:
          seed.linesPerSecond === undefined
            ? null
            : Number((rate / seed.linesPerSecond).toFixed(1)),
        // The highest of the runs: the bound holds for every run, not only the fastest.
        peakRssMiB: Math.round(Math.max(...runs.map((r) => r.peakRssBytes)) / 1024 / 1024),
        // CPU time of all threads, least of the runs: steadier than the rates on a shared machine.
        shipCpuSeconds: Math.min(...runs.map((r) => r.cpuMs)) / 1000,
        gunzipCountCpuSeconds: gunzipCpuMs / 1000,
        batches: best.summary.batches,
        ...(seed.skipped !== undefined && { seedSkipped: seed.skipped }),
      });
    }
    rmSync(file);
    const big = join(dir, `big-${NAME}`);
    const bigBytes = await writeGzipFile(big, GIGABYTE_LINES, 11);
    const shipped = await ship(big, drain.url, 'gzip');
    results.push({
      bench: 'ship-1gb',
      lines: GIGABYTE_LINES,
      decompressedBytes: bigBytes,
      accepted: shipped.summary.accepted,
      shipLinesPerSecond: Math.round(GIGABYTE_LINES / (shipped.ms / 1000)),
      peakRssMiB: Math.round(shipped.peakRssBytes / 1024 / 1024),
      cpuSeconds: shipped.cpuMs / 1000,
    });
    return results;
  } finally {
    drain.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
