/**
 * What a command reads and writes, handed in by `cli/main.ts` (the process's
 * streams, environment and clock) or by a test (its own streams and a fixed
 * clock).
 */

import type { Readable, Writable } from 'node:stream';

/** The streams, environment and clock every command runs with. */
export interface CommandIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
  /** Nanoseconds since the epoch; injected so output can be compared in tests. */
  now: () => bigint;
}
