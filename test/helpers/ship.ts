/**
 * Runs the real shipping path (parser, encoder, exporter, HTTP) against the
 * test receiver, with an injected clock: sleeps are recorded and move the
 * clock forward instead of waiting.
 */

import { gzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import type { JsonRecord } from '../../receiver/otlp-decoder.ts';
import {
  type ExportConfig,
  type ExportOverrides,
  loadExportConfig,
} from '../../shared/config/export-config.ts';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import {
  createOtlpExporter,
  type ExporterClock,
  type OtlpExporter,
} from '../../shared/otlp/exporter.ts';
import { ObjectParser } from '../../shared/pipeline/object-parser.ts';
import { type ShipResult, shipObject } from '../../shared/pipeline/ship-object.ts';
import type { ChunkContext } from '../../shared/reprocess/chunk-step.ts';
import { createProcessUnit } from '../../shared/reprocess/unit-step.ts';
import type { OtlpReceiver } from './otlp-receiver.ts';
import { OBSERVED } from './records.ts';

/** A clock whose `sleep` returns at once and advances `now`; every sleep is kept. */
export function fakeClock(start = Date.parse('2026-11-25T10:00:00Z'), randomValue = 0.5) {
  let now = start;
  const sleeps: number[] = [];
  const clock: ExporterClock = {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    random: () => randomValue,
  };
  return { clock, sleeps, start };
}

/**
 * A clock that moves `stepMs` forward each time it is read, and on every
 * sleep: work that reads the clock runs into its deadline after a known
 * number of steps, without waiting.
 */
export function steppingClock(stepMs: number, start = Date.parse('2026-11-27T10:00:00Z')) {
  let now = start;
  const clock: ExporterClock = {
    now: () => {
      now += stepMs;
      return now;
    },
    sleep: async (ms) => {
      now += ms;
    },
    random: () => 0.5,
  };
  return clock;
}

/**
 * The Lambda context stand-in (there is no local Lambda runtime): `budgetMs`
 * from the call's start, as `clock` reads the time.
 */
export function contextFor(clock: ExporterClock, budgetMs: number): ChunkContext {
  const end = clock.now() + budgetMs;
  return { getRemainingTimeInMillis: () => end - clock.now() };
}

export interface UnitWorkerOptions {
  s3: S3Client;
  /** The receiver's base URL. */
  endpoint: string;
  clock: ExporterClock;
  /** Export settings, as the environment gives them. */
  env?: Record<string, string>;
  rangeBytes: number;
  /** Stands between the worker and the exporter (to watch its calls). */
  wrap?: (exporter: OtlpExporter) => OtlpExporter;
  /** Whether the deployment allows deletion (`ELB_OTLP_ALLOW_DELETE`). */
  allowDelete?: boolean;
}

/** The unit worker with a quiet logger, its own exporter and the test S3; close when done. */
export function unitWorker(options: UnitWorkerOptions) {
  const config = loadExportConfig(options.env ?? {}, { endpoint: options.endpoint });
  const exporter = createOtlpExporter(config, options.clock);
  const run = createProcessUnit(() => ({
    s3: options.s3,
    exporter: options.wrap?.(exporter) ?? exporter,
    config,
    mapping: loadMappingConfig({}),
    clock: options.clock,
    logger: { info: () => {}, warn: () => {}, error: () => {} },
    rangeBytes: options.rangeBytes,
    ...(options.allowDelete !== undefined && { allowDelete: options.allowDelete }),
  }));
  return { run, close: () => exporter.close() };
}

export interface ShipTestOptions {
  env?: Record<string, string>;
  overrides?: ExportOverrides;
  clock?: ExporterClock;
  deadlineMs?: number;
  key?: string;
  bucket?: string;
  /** Input pieces are this many bytes (default: one piece). */
  pieceBytes?: number;
  /** Called for every piece the shipper pulls from the source. */
  onPull?: (bytes: number) => void;
}

/** Ships `input` (text, or gzip bytes) to `receiver` through the real pipeline. */
export async function shipTo(
  receiver: OtlpReceiver,
  input: string | Buffer,
  options: ShipTestOptions = {},
): Promise<ShipResult> {
  const env = options.env ?? {};
  const config = loadExportConfig(env, { endpoint: receiver.url, ...options.overrides });
  const exporter = createOtlpExporter(config, options.clock ?? fakeClock().clock);
  try {
    return await shipThrough(exporter, config, input, options);
  } finally {
    await exporter.close();
  }
}

/**
 * Ships `input` through the real pipeline with an exporter built elsewhere
 * (as a function's start-up builds it); the caller closes it.
 */
export async function shipThrough(
  exporter: OtlpExporter,
  config: ExportConfig,
  input: string | Buffer,
  options: Omit<ShipTestOptions, 'overrides' | 'clock'> = {},
): Promise<ShipResult> {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const env = options.env ?? {};
  const size = options.pieceBytes ?? bytes.length;
  async function* source() {
    for (let at = 0; at < bytes.length; at += size) {
      const piece = bytes.subarray(at, at + size);
      options.onPull?.(piece.length);
      yield piece;
    }
  }
  return shipObject({
    source: source(),
    parser: new ObjectParser({
      identity: { bucket: options.bucket, key: options.key },
      format: 'auto',
      config: loadMappingConfig(env),
    }),
    exporter,
    protocol: config.protocol,
    limits: { maxRecords: config.maxBatchRecords, maxBytes: config.maxBatchBytes },
    concurrency: config.concurrency,
    nowNanos: () => OBSERVED,
    ...(options.deadlineMs !== undefined && { deadlineMs: options.deadlineMs }),
  });
}

/** docs/design.md#counts-and-conservation: every line is accepted, rejected or failed, once. */
export function expectConserved(result: ShipResult): void {
  expect(result.lines).toBe(result.accepted + result.rejected + result.failed);
}

/**
 * Records in line order (by the byte offset in their uid): with several
 * requests in flight, batches may arrive in any order.
 */
export function inLineOrder<T extends JsonRecord>(records: T[]): T[] {
  const offset = (record: JsonRecord) => Number(uids([record])[0].split(':')[1]);
  return [...records].sort((x, y) => offset(x) - offset(y));
}

/** The `log.record.uid` of each record, in order. */
export function uids(
  records: readonly { attributes?: readonly { key: string; value: object }[] }[],
) {
  return records.map((record) => {
    const attribute = record.attributes?.find((a) => a.key === 'log.record.uid');
    return String((attribute?.value as { stringValue?: string } | undefined)?.stringValue);
  });
}

export const gzip = (text: string): Buffer => gzipSync(Buffer.from(text));
