/**
 * `elb-otlp ship FILE|s3://bucket/key`: parses an ELB log file, local or in
 * S3 (the chunk engine the Lambda uses, with `--start/--end` for one chunk),
 * exports every line over OTLP/HTTP, then prints one JSON summary line on
 * stdout.
 */

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import { ObjectParser } from '../../shared/pipeline/object-parser.ts';
import { describeReadError } from '../../shared/pipeline/read-error.ts';
import { shipObject } from '../../shared/pipeline/ship-object.ts';
import type { CommandIo } from '../command-io.ts';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.ts';
import { write } from '../output.ts';
import { UsageError } from '../usage-error.ts';
import { EXPORT_OPTIONS, exportConfigFrom } from './export-options.ts';
import {
  FORMAT_OPTIONS,
  formatOptionsHelp,
  lineFormat,
  readAsParquet,
  readFormatOptions,
} from './format-options.ts';
import { parseObjectLocation } from './object-location.ts';
import { shipAndReport } from './ship-report.ts';

export const SHIP_USAGE = `Usage: elb-otlp ship FILE|s3://BUCKET/KEY [options]

Parses an ELB log file (gzip or plain, "-" for stdin, or an S3 object read in
ranged GETs) and exports every line as an OpenTelemetry log record over
OTLP/HTTP. Prints one JSON summary on
stdout: {"lines", "accepted", "rejected", "failed", "parseErrors", "batches",
"retries", "bytesIn", "durationMs"}, where lines = accepted + rejected + failed.

Options:
  --endpoint URL          the receiver (http://host:4318; /v1/logs is added
                          unless the URL ends with it); default from
                          OTEL_EXPORTER_OTLP_LOGS_ENDPOINT or
                          OTEL_EXPORTER_OTLP_ENDPOINT
  --protocol PROTOCOL     http/protobuf (default) or http/json
  --compression ALGO      gzip (default), zstd or none
  --header NAME=VALUE     a request header (repeatable), e.g. an API key
  --key S3_KEY            the object's S3 key (or s3://bucket/key), for the
                          resource attributes when the file name is not one
  --start N, --end N      S3 objects only: ship the lines whose first byte
                          lies in [N, M) of the content (decompressed for
                          gzip), as one chunk of a reprocessing run does
${formatOptionsHelp(26)}
  --max-retry-time TIME   how long one batch may be retried, e.g. 30s, 2m
                          (default 2m); then the run stops sending and counts
                          the remaining lines as failed
  -h, --help              show this help

Exit status: 0 every line accepted; 1 the file could not be read to its end,
or is not an ELB log (then nothing of it is shipped); 3 some lines rejected
by the receiver; 4 some lines failed to be delivered; 2 bad options or
settings.

Environment: AWS credentials and Region as the AWS SDK reads them, and
AWS_ENDPOINT_URL_S3 for another S3 endpoint (path-style addresses);
OTEL_EXPORTER_OTLP_* (endpoint, headers, protocol, compression,
timeout), ELB_OTLP_MAX_BATCH_RECORDS, ELB_OTLP_MAX_BATCH_BYTES,
ELB_OTLP_EXPORT_CONCURRENCY, ELB_OTLP_MAX_RETRY_TIME, and the record settings
of "elb-otlp parse --help" (see docs/configuration.md).`;

/** Runs `ship` and returns the exit code. */
export async function runShip(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...EXPORT_OPTIONS,
      key: { type: 'string' },
      start: { type: 'string' },
      end: { type: 'string' },
      ...FORMAT_OPTIONS,
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    await write(io.stdout, `${SHIP_USAGE}\n`);
    return EXIT_OK;
  }
  if (positionals.length !== 1) {
    throw new UsageError(`expected one FILE, got ${positionals.length}`);
  }
  const mapping = loadMappingConfig(io.env);
  const format = readFormatOptions(values, mapping);
  const file = positionals[0];
  const s3 = file.startsWith('s3://') ? parseObjectLocation(file) : undefined;
  if (s3 !== undefined && values.key !== undefined) {
    throw new UsageError('--key is for local files; an s3:// object names its own key');
  }
  if (s3 !== undefined && format !== 'auto') {
    throw new UsageError(
      '--format is for local files; S3 objects are detected from their key and lines',
    );
  }
  const start = offsetOption('--start', values.start);
  const end = offsetOption('--end', values.end);
  if (s3 === undefined && (start !== undefined || end !== undefined)) {
    throw new UsageError('--start and --end are for s3:// objects');
  }
  if (start !== undefined && end !== undefined && end <= start) {
    throw new UsageError(`--end ${end} must be greater than --start ${start}`);
  }
  const location = values.key === undefined ? undefined : parseObjectLocation(values.key);
  const config = await exportConfigFrom(io, values, 'ship');

  const name = file === '-' ? 'stdin' : file;
  const started = performance.now();
  if (s3 !== undefined) {
    const object = { bucket: s3.bucket as string, key: s3.key as string, start, end };
    // Loaded only here: the AWS SDK costs start-up time and memory local files do not need.
    const { shipS3 } = await import('./ship-s3.ts');
    return shipS3(object, { io, config, mapping, started });
  }
  let size: number | undefined;
  if (file !== '-') {
    try {
      size = (await stat(file)).size;
    } catch (error) {
      await write(io.stderr, `elb-otlp ship: ${name}: ${describeReadError(error)}\n`);
      return EXIT_FAILURE;
    }
  }
  if (await readAsParquet(file, format)) {
    // Loaded only for a Parquet file, as the SDK only for S3.
    const { asyncBufferFromFile } = await import('hyparquet');
    const { shipParquet } = await import('../../shared/pipeline/parquet-object.ts');
    const parquetFile = await asyncBufferFromFile(file);
    return shipAndReport(io, { name, config, started, size }, (shipping) =>
      shipParquet({
        file: parquetFile,
        parser: {
          identity: location ?? { key: undefined },
          nameHint: basename(file),
          displayName: name,
          config: mapping,
        },
        nowNanos: io.now,
        ...shipping,
      }),
    );
  }
  return shipAndReport(io, { name, config, started, size }, (shipping) =>
    shipObject({
      source: file === '-' ? io.stdin : createReadStream(file, { highWaterMark: 256 * 1024 }),
      parser: new ObjectParser({
        identity: location ?? { key: undefined },
        nameHint: file === '-' ? undefined : basename(file),
        displayName: name,
        format: lineFormat(format),
        config: mapping,
      }),
      nowNanos: io.now,
      ...shipping,
    }),
  );
}

/** A byte offset option (a whole number), or `undefined` when not given. */
function offsetOption(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw new UsageError(
      `${option} expects a byte offset (a whole number), got ${JSON.stringify(text)}`,
    );
  }
  return value;
}
