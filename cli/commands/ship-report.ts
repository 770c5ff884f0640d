/**
 * What `ship` prints when it is done: one JSON summary line on stdout (the
 * counts, lines = accepted + rejected + failed) and a human summary on
 * stderr; and the exit code they add up to.
 */

import { describeReadError } from '../../shared/pipeline/read-error.ts';
import type { ShipResult } from '../../shared/pipeline/ship-object.ts';
import { write } from '../output.ts';
import { EXIT_FAILED, EXIT_FAILURE, EXIT_OK, EXIT_REJECTED } from '../usage-error.ts';
import type { CommandIo } from './parse.ts';

/** Prints the JSON summary and the human one; returns the exit code. */
export async function report(
  io: CommandIo,
  name: string,
  result: ShipResult,
  started: number,
  url: string,
): Promise<number> {
  const durationMs = Math.round(performance.now() - started);
  const { lines, accepted, rejected, failed, parseErrors, batches, retries, bytesIn } = result;
  const summary = {
    lines,
    accepted,
    rejected,
    failed,
    parseErrors,
    batches,
    retries,
    bytesIn,
    durationMs,
  };
  await write(io.stdout, `${JSON.stringify(summary)}\n`);
  await write(io.stderr, describe(name, result, durationMs, url));
  if (result.readError !== undefined) return EXIT_FAILURE;
  if (failed > 0) return EXIT_FAILED;
  if (rejected > 0) return EXIT_REJECTED;
  return EXIT_OK;
}

/** The human summary: what happened, and for anything short of success, why. */
function describe(name: string, result: ShipResult, durationMs: number, url: string): string {
  const n = (value: number) => value.toLocaleString('en-US');
  const seconds = Math.max(durationMs / 1000, 0.001);
  const out = [
    `elb-otlp ship: ${name}: ${n(result.lines)} lines in ${seconds.toFixed(1)} s (${n(Math.round(result.lines / seconds))}/s) to ${url}: ` +
      `${n(result.accepted)} accepted, ${n(result.rejected)} rejected, ${n(result.failed)} failed; ` +
      `${n(result.parseErrors)} parse errors, ${n(result.batches)} batches, ${n(result.retries)} retries`,
  ];
  if (result.readError !== undefined) {
    out.push(
      `  input: ${describeReadError(result.readError)} (lines after this point were not read)`,
    );
  }
  if (result.exportError !== undefined) {
    out.push(`  export: ${result.exportError.name}: ${result.exportError.message}`);
  }
  for (const message of result.rejectionMessages)
    out.push(`  receiver rejected records: ${message}`);
  return `${out.join('\n')}\n`;
}
