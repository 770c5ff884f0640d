/**
 * The measured process of `bench/parquet.ts`: ships the Parquet file named
 * on the command line through `shipParquet`, into an exporter that takes
 * every batch at once, and prints the rows and seconds as JSON.
 */

import { asyncBufferFromFile } from 'hyparquet';
import { loadMappingConfig } from '../shared/config/mapping-config.ts';
import type { OtlpExporter } from '../shared/otlp/exporter.ts';
import { shipParquet } from '../shared/pipeline/parquet-object.ts';

const path = process.argv[2];
const exporter: OtlpExporter = {
  async export(batch) {
    batch.release?.();
    return { status: 'success', accepted: batch.records, rejected: 0, retries: 0 };
  },
  async close() {},
};
const started = performance.now();
const result = await shipParquet({
  file: await asyncBufferFromFile(path),
  parser: { identity: { key: 'delivery.parquet' }, config: loadMappingConfig({}) },
  exporter,
  protocol: 'http/protobuf',
  limits: { maxRecords: 8192, maxBytes: 4 * 1024 * 1024 },
  concurrency: 4,
  nowNanos: () => 0n,
});
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ rows: result.lines, failed: result.failed, seconds }));
