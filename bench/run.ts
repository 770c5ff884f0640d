/**
 * `npm run bench`: runs every benchmark and prints one JSON line each, with
 * the same-run baselines the targets are stated against. Benchmarks are never
 * tests: nothing here fails on a number.
 */

import { cpus } from 'node:os';
import { runParseBench } from './parse.ts';

const machine = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length };
console.log(JSON.stringify({ bench: 'machine', ...machine, date: new Date().toISOString() }));
console.log(JSON.stringify(runParseBench()));
