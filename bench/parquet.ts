/**
 * Parquet benchmark: rows/s and peak RSS of shipping a vended Parquet
 * object of one row group just under the size bound (16 MiB uncompressed,
 * `shared/pipeline/parquet-object.ts`), the generated ALB requests as its
 * rows, in a fresh process whose exporter takes every batch at once (the
 * network is not measured). The bound is stated against this figure: a
 * worker must stay well under 200 MB whatever the rows.
 *
 * Prints one JSON line. Run through `npm run bench -- parquet`.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { generateAlbLines } from '../shared/generate/alb-lines.ts';
import { MAX_ROW_GROUP_BYTES } from '../shared/pipeline/parquet-object.ts';
import { MAX_RSS } from './ship.ts';
import { toVended } from './vended.ts';

/** A Parquet file of `rows` generated requests in one row group, and its uncompressed size. */
function parquetFile(rows: number): { bytes: Uint8Array; uncompressed: number } {
  const records = toVended([...generateAlbLines(rows, { seed: 7 })]).json.map(
    (line) => JSON.parse(line) as Record<string, string>,
  );
  const names = Object.keys(records[0]);
  const columnData = names.map((name) => ({
    name,
    data: records.map((record) => record[name] ?? null),
    type: 'STRING' as const,
  }));
  const bytes = new Uint8Array(parquetWriteBuffer({ columnData, rowGroupSize: rows }));
  const uncompressed = Number(parquetMetadata(bytes).row_groups[0].total_byte_size);
  return { bytes, uncompressed };
}

export function runParquetBench(): Record<string, unknown> {
  // Rows per uncompressed byte, from a small file; then the largest row group under the bound.
  const probe = parquetFile(2000);
  let rows = Math.floor((MAX_ROW_GROUP_BYTES / probe.uncompressed) * 2000 * 0.97);
  let file = parquetFile(rows);
  while (file.uncompressed > MAX_ROW_GROUP_BYTES) {
    rows = Math.floor(rows * 0.97);
    file = parquetFile(rows);
  }
  const dir = mkdtempSync(join(tmpdir(), 'elb-otlp-parquet-'));
  try {
    const path = join(dir, 'delivery.parquet');
    writeFileSync(path, file.bytes);
    const child = new URL('./parquet-ship.ts', import.meta.url).pathname;
    const run = spawnSync(process.execPath, ['--import', MAX_RSS, child, path], {
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`parquet ship failed: ${run.stderr}`);
    const shipped = JSON.parse(run.stdout) as { rows: number; seconds: number; failed: number };
    if (shipped.rows !== rows || shipped.failed !== 0) {
      throw new Error(`shipped ${shipped.rows} of ${rows} rows, ${shipped.failed} failed`);
    }
    return {
      bench: 'parquet',
      rows,
      storedBytes: file.bytes.length,
      rowGroupUncompressedBytes: file.uncompressed,
      rowsPerSecond: Math.round(rows / shipped.seconds),
      peakRssMiB: Math.round(Number(/max-rss-kib=(\d+)/.exec(run.stderr)?.[1] ?? 0) / 1024),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
