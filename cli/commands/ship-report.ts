/**
 * What every `ship` run shares, local file or S3 object: an exporter and a
 * progress bar for the run, then one JSON summary line on stdout (the counts,
 * lines = accepted + rejected + failed), a human summary on stderr, and the
 * exit code they add up to.
 */

import type { ExportConfig, OtlpProtocol } from '../../shared/config/export-config.ts';
import { printableUrl } from '../../shared/config/printable-url.ts';
import { type ShipCounts, shipCounts } from '../../shared/contract/counts.ts';
import type { BatchLimits } from '../../shared/otlp/batch-encoder.ts';
import { createOtlpExporter, type OtlpExporter, SYSTEM_CLOCK } from '../../shared/otlp/exporter.ts';
import { isRefusedInput } from '../../shared/pipeline/not-a-log.ts';
import { describeReadError } from '../../shared/pipeline/read-error.ts';
import type { ShipResult } from '../../shared/pipeline/ship-object.ts';
import type { CommandIo } from '../command-io.ts';
import { EXIT_FAILED, EXIT_FAILURE, EXIT_OK, EXIT_REJECTED } from '../exit-codes.ts';
import { write } from '../output.ts';
import { createProgress } from '../progress.ts';

/** What the engine needs from a run: its exporter, the export settings, progress. */
export interface Shipping {
  exporter: OtlpExporter;
  protocol: OtlpProtocol;
  limits: BatchLimits;
  concurrency: number;
  onProgress: (counts: Readonly<ShipCounts>) => void;
}

/**
 * Runs `ship` with an exporter and a progress bar (over `size` stored bytes,
 * when known), closes them, prints the summaries; returns the exit code.
 */
export async function shipAndReport(
  io: CommandIo,
  run: { name: string; config: ExportConfig; started: number; size: number | undefined },
  ship: (shipping: Shipping) => Promise<ShipResult>,
): Promise<number> {
  const { config } = run;
  const exporter = createOtlpExporter(config, SYSTEM_CLOCK);
  const progress = createProgress(io.stderr, run.size);
  let result: ShipResult;
  try {
    result = await ship({
      exporter,
      protocol: config.protocol,
      limits: { maxRecords: config.maxBatchRecords, maxBytes: config.maxBatchBytes },
      concurrency: config.concurrency,
      onProgress: (counts) => progress.update(counts),
    });
  } finally {
    progress.done();
    await exporter.close();
  }
  return report(io, run.name, result, run.started, printableUrl(config.url));
}

/** Prints the JSON summary and the human one (`url` as it may be printed); returns the exit code. */
async function report(
  io: CommandIo,
  name: string,
  result: ShipResult,
  started: number,
  url: string,
): Promise<number> {
  const durationMs = Math.round(performance.now() - started);
  const summary = { ...shipCounts(result), durationMs };
  await write(io.stdout, `${JSON.stringify(summary)}\n`);
  await write(io.stderr, describe(name, result, durationMs, url));
  if (result.readError !== undefined) return EXIT_FAILURE;
  if (result.failed > 0) return EXIT_FAILED;
  if (result.rejected > 0) return EXIT_REJECTED;
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
  const readError = result.readError;
  if (isRefusedInput(readError)) {
    out.push(`  input: ${readError.name}: ${readError.message}; nothing of it was shipped`);
  } else if (readError !== undefined) {
    out.push(`  input: ${describeReadError(readError)} (lines after this point were not read)`);
  }
  if (result.exportError !== undefined) {
    out.push(`  export: ${result.exportError.name}: ${result.exportError.message}`);
  }
  for (const message of result.rejectionMessages)
    out.push(`  receiver rejected records: ${message}`);
  return `${out.join('\n')}\n`;
}
