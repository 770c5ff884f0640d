#!/usr/bin/env -S node --max-semi-space-size=2 --expose-gc

/**
 * The `elb-otlp` command.
 *
 * The `#!` line caps V8's young generation at 2 MiB per semi-space: left to
 * grow, it took about 100 MB of a `ship` run's peak RSS, and `ship` creates so
 * few JavaScript objects per line that 2 MiB is as fast as 8 (`BENCHMARKS.md`).
 * `--expose-gc` lets `shared/pipeline/memory-guard.ts` collect at once when
 * garbage ArrayBuffers pile up. `npm run bench` runs the command with the same
 * options.
 *
 * This file only switches on Node's compile cache, then loads the commands:
 * modules imported after that are stripped of their types and compiled once,
 * not on every run (about 0.2 s of each start, `BENCHMARKS.md`). Node keeps the
 * cache in the system's temporary directory; `NODE_DISABLE_COMPILE_CACHE=1`
 * turns it off.
 */

import { enableCompileCache } from 'node:module';

enableCompileCache();
const { main } = await import('./main.ts');
const { isBrokenPipe } = await import('./output.ts');
const { EXIT_FAILURE, EXIT_OK } = await import('./exit-codes.ts');

process.stdout.on('error', (error) => {
  if (isBrokenPipe(error)) process.exit(EXIT_OK);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`elb-otlp: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = EXIT_FAILURE;
  },
);
