/**
 * `npm run bench`: runs every benchmark and prints one JSON line each, with
 * the same-run baselines the targets are stated against. Benchmarks are never
 * tests: nothing here fails on a number.
 *
 * `npm run bench -- parse encode` runs only the named ones.
 */

import { cpus } from 'node:os';
import { runBulkBench } from './bulk.ts';
import { runChunkBench } from './chunk.ts';
import { runEncodeBench } from './encode.ts';
import { runFleetBench } from './fleet.ts';
import { runParquetBench } from './parquet.ts';
import { runParseBench } from './parse.ts';
import { runScaleBench } from './scale.ts';
import { runShipBench } from './ship.ts';
import { runVendedBench } from './vended.ts';

const BENCHES: Record<string, () => Promise<Record<string, unknown>[]> | Record<string, unknown>> =
  {
    parse: runParseBench,
    vended: runVendedBench,
    parquet: runParquetBench,
    encode: runEncodeBench,
    ship: runShipBench,
    chunk: runChunkBench,
    bulk: runBulkBench,
    fleet: runFleetBench,
    scale: runScaleBench,
  };

const chosen = process.argv.slice(2);
for (const name of chosen) {
  if (!(name in BENCHES))
    throw new Error(`unknown bench ${name}; expected ${Object.keys(BENCHES).join(', ')}`);
}
const machine = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length };
console.log(JSON.stringify({ bench: 'machine', ...machine, date: new Date().toISOString() }));
for (const [name, run] of Object.entries(BENCHES)) {
  if (chosen.length > 0 && !chosen.includes(name)) continue;
  const result = await run();
  for (const line of Array.isArray(result) ? result : [result]) console.log(JSON.stringify(line));
}
