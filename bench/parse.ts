/**
 * Parse benchmark: lines/s of tokenizing and mapping ALB lines to OTLP log
 * records on one core, next to the seed guide's own Python
 * `convert_log_line_to_json` on the same lines, in the same run.
 *
 * Prints one JSON line. Run through `npm run bench`.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MAX_BATCH_BYTES } from '../shared/config/export-config.ts';
import { loadMappingConfig } from '../shared/config/mapping-config.ts';
import { ALB_ACCESS } from '../shared/formats/alb-access.ts';
import { generateAlbLines } from '../shared/generate/alb-lines.ts';
import { createBufferLineEncoder } from '../shared/otlp/buffer-line-encoder.ts';
import { createLineEncoder } from '../shared/otlp/line-encoder.ts';
import { createLineMapper } from '../shared/otlp/line-mapper.ts';
import { SCOPE_LOGS_LOG_RECORDS } from '../shared/otlp/otlp-protobuf.ts';
import { ProtobufWriter } from '../shared/otlp/protobuf-writer.ts';

/** Lines parsed per timed run: enough for the JIT to settle, small enough for a quick bench. */
const LINES = 200_000;
/** Timed runs; the best one is reported (the others absorb JIT and GC warm-up). */
const RUNS = 7;
/** Lines given to the Python seed, three timed runs: it reads a few thousand lines/s. */
const SEED_LINES = 10_000;

/** Where the seed guide sits: beside the repository, as `shared/seed/`, unless SEED_GUIDE says otherwise. */
export function seedGuidePath(): string {
  return (
    process.env.SEED_GUIDE ??
    new URL('../../shared/seed/elb-telemetry-guide.md', import.meta.url).pathname
  );
}

/** Times the seed's Python on `lines`; `undefined` (with the reason) when it cannot run. */
export function timeSeed(
  lines: string[],
  mode: 'parse' | 'convert',
): { linesPerSecond?: number; skipped?: string } {
  const guide = seedGuidePath();
  if (!existsSync(guide)) return { skipped: `seed guide not found at ${guide} (set SEED_GUIDE)` };
  const dir = mkdtempSync(join(tmpdir(), 'elb-otlp-bench-'));
  try {
    const file = join(dir, 'lines.log');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const script = new URL('./seed_parse.py', import.meta.url).pathname;
    const result = spawnSync('python3', [script, guide, file, mode], { encoding: 'utf8' });
    if (result.status !== 0) return { skipped: `python3 failed: ${result.stderr || result.error}` };
    return { linesPerSecond: JSON.parse(result.stdout).linesPerSecond };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function runParseBench(): Record<string, unknown> {
  const lines = [...generateAlbLines(LINES, { seed: 42 })];
  const map = createLineMapper({
    format: ALB_ACCESS,
    config: loadMappingConfig({}),
    uidPrefix: '0123456789abcdef',
  });
  let best = 0;
  let errors = 0;
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint();
    let offset = 0;
    for (const line of lines) {
      const record = map(line, offset, 0n);
      offset += line.length + 1;
      if (record.attributes[0].key === 'elb_otlp.parse_error') errors++;
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    best = Math.max(best, LINES / seconds);
  }
  if (errors > 0) throw new Error(`the benchmark's own lines produced ${errors} parse errors`);
  const encoded = parseAndEncode(lines, 'bytes');
  const encodedText = parseAndEncode(lines, 'text');
  const seed = timeSeed(lines.slice(0, SEED_LINES), 'parse');
  return {
    bench: 'parse',
    lines: LINES,
    elbOtlpLinesPerSecond: Math.round(best),
    parseAndEncodeLinesPerSecond: Math.round(encoded),
    stringPathEncodeLinesPerSecond: Math.round(encodedText),
    seedLinesPerSecond: seed.linesPerSecond === undefined ? null : Math.round(seed.linesPerSecond),
    ratio:
      seed.linesPerSecond === undefined ? null : Number((best / seed.linesPerSecond).toFixed(1)),
    ...(seed.skipped !== undefined && { seedSkipped: seed.skipped }),
  };
}

/** `ship`'s default batch size in bytes. */
const BATCH_BYTES = DEFAULT_MAX_BATCH_BYTES;

/**
 * Lines/s of what `ship` does per line: parse straight into protobuf from the
 * line's bytes (`createBufferLineEncoder`, whose fast path takes every
 * generated line), into one writer emptied between runs. With `text`, the
 * string path (`createLineEncoder`) that declined lines take instead. The
 * writer starts over at each batch's size, as `ship`'s batches reuse theirs.
 */
function parseAndEncode(lines: string[], path: 'bytes' | 'text'): number {
  const options = {
    format: ALB_ACCESS,
    config: loadMappingConfig({}),
    uidPrefix: '0123456789abcdef',
  };
  const encodeText = createLineEncoder(options);
  const encodeBytes = createBufferLineEncoder(options);
  const source = Buffer.from(`${lines.join('\n')}\n`);
  const writer = new ProtobufWriter(BATCH_BYTES + 1024 * 1024);
  let best = 0;
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint();
    let offset = 0;
    writer.reset();
    for (const line of lines) {
      if (writer.length >= BATCH_BYTES) writer.reset();
      const end = offset + line.length;
      const parsed =
        path === 'bytes'
          ? encodeBytes(source, offset, end, offset, 0n, writer, SCOPE_LOGS_LOG_RECORDS)
          : encodeText(line, offset, 0n, writer, SCOPE_LOGS_LOG_RECORDS);
      if (!parsed) throw new Error(`the benchmark's own line failed to parse: ${line}`);
      offset = end + 1;
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    best = Math.max(best, lines.length / seconds);
  }
  return best;
}
