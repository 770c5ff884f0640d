/**
 * `elb-otlp parse [FILE|-]`: prints every line of an ELB log file as an
 * OTLP/JSON `{resource, logRecord}` object, one per line. Reads gzip or plain
 * input (by its first bytes) and exports nothing.
 */

import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import { PARSE_ERROR_KEY } from '../../shared/otlp/line-parser.ts';
import { logRecordToJson, resourceToJson } from '../../shared/otlp/otlp-json.ts';
import { decompressed } from '../../shared/pipeline/decompress.ts';
import { readLines } from '../../shared/pipeline/line-reader.ts';
import {
  ObjectParser,
  type ObjectParserOptions,
  RecordCollector,
} from '../../shared/pipeline/object-parser.ts';
import { describeReadError } from '../../shared/pipeline/read-error.ts';
import type { Resource } from '../../shared/records/model.ts';
import { recordUidPrefix } from '../../shared/records/record-uid.ts';
import type { CommandIo } from '../command-io.ts';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.ts';
import { write } from '../output.ts';
import { UsageError } from '../usage-error.ts';
import {
  FORMAT_OPTIONS,
  formatOptionsHelp,
  lineFormat,
  readAsParquet,
  readFormatOptions,
} from './format-options.ts';
import { parseObjectLocation } from './object-location.ts';

export const PARSE_USAGE = `Usage: elb-otlp parse [FILE|-] [--format FORMAT] [--fields NAMES] [--delimiter D]
                      [--key S3_KEY]

Prints each line of an ELB log file (classic, or a vended delivery's JSON
lines, W3C or plain rows) as one OTLP/JSON object
{"resource": …, "logRecord": …} per line on stdout. The input may be gzip
or plain text (detected from its first bytes); "-" or no FILE reads stdin.
Input that is not an ELB log (another compression, binary data, or first
lines of no ELB format, or not of --format) is refused: nothing is printed.

Exit status: 0 done; 1 the input could not be read, or is not an ELB log;
2 bad options or settings.

Options:
${formatOptionsHelp(19)}
  --key S3_KEY       the object's S3 key (or s3://bucket/key), for the resource
                     attributes and log.record.uid; by default the file name
                     is read as an ELB log object name
  -h, --help         show this help

Environment: OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
ELB_OTLP_INCLUDE_BODY, ELB_OTLP_REDACT_QUERY_PARAMS, ELB_OTLP_VENDED_FIELDS,
ELB_OTLP_VENDED_DELIMITER (see docs/configuration.md).`;

/** Runs `parse` and returns the exit code. */
export async function runParse(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...FORMAT_OPTIONS,
      key: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    await write(io.stdout, `${PARSE_USAGE}\n`);
    return EXIT_OK;
  }
  if (positionals.length > 1) throw new UsageError(`expected one FILE, got ${positionals.length}`);
  const file = positionals[0] ?? '-';
  const location = values.key === undefined ? undefined : parseObjectLocation(values.key);
  const config = loadMappingConfig(io.env);
  const format = readFormatOptions(values, config);
  const name = file === '-' ? 'stdin' : file;
  const identity = location ?? { key: undefined };
  if (await readAsParquet(file, format)) {
    return parseParquet(io, { identity, nameHint: basename(file), displayName: name, config });
  }
  const parser = new ObjectParser({
    identity,
    nameHint: file === '-' ? undefined : basename(file),
    displayName: name,
    format: lineFormat(format),
    config,
  });
  const input = file === '-' ? io.stdin : createReadStream(file);

  let resourceJson = '';
  let lines = 0;
  let parseErrors = 0;
  const collector = new RecordCollector();
  const records = collector.records;
  const flush = async () => {
    if (records.length === 0) return;
    if (resourceJson === '' && parser.resource !== undefined) {
      resourceJson = JSON.stringify(resourceToJson(parser.resource));
    }
    let text = '';
    for (const record of records) {
      if (record.attributes[0]?.key === PARSE_ERROR_KEY) parseErrors++;
      text += `{"resource":${resourceJson},"logRecord":${JSON.stringify(logRecordToJson(record))}}\n`;
    }
    lines += records.length;
    records.length = 0;
    await write(io.stdout, text);
  };

  /** Prints why the input is not a log (nothing of it was printed) and gives the exit code. */
  const refused = async (refusal: Error) => {
    await write(io.stderr, `elb-otlp parse: ${refusal.name}: ${refusal.message}\n`);
    return EXIT_FAILURE;
  };
  const content = decompressed(input, undefined, {
    onForeign: (found, insideGzip) => parser.refuseCompression(found, insideGzip),
  });
  try {
    for await (const batch of readLines(content)) {
      // Refused: the rest is not read, there is nothing to print.
      if (parser.refusal !== undefined) break;
      parser.pushBatch(batch, io.now(), collector);
      await flush();
    }
  } catch (error) {
    parser.finish(collector);
    if (parser.refusal !== undefined) return refused(parser.refusal);
    await flush();
    await write(
      io.stderr,
      `elb-otlp parse: ${name}: ${describeReadError(error)} (after ${lines} lines)\n`,
    );
    return EXIT_FAILURE;
  }
  parser.finish(collector);
  if (parser.refusal !== undefined) return refused(parser.refusal);
  await flush();
  await write(
    io.stderr,
    `elb-otlp parse: ${name}: ${lines} lines, ${parseErrors} parse errors, format ${parser.format ?? 'unrecognised'}\n`,
  );
  return EXIT_OK;
}

/**
 * Prints the rows of a vended Parquet file as `parse` prints lines: row
 * group by row group, each row read as the vended JSON path reads a line.
 */
async function parseParquet(
  io: CommandIo,
  options: Omit<ObjectParserOptions, 'format' | 'source'> & { displayName: string },
): Promise<number> {
  const name = options.displayName;
  // Loaded only for a Parquet file.
  const { asyncBufferFromFile } = await import('hyparquet');
  const {
    MAX_ROW_GROUP_BYTES,
    ParquetRowGroupTooLargeError,
    parquetFooter,
    rowGroupsOf,
    rowGroupText,
  } = await import('../../shared/pipeline/parquet-object.ts');
  let lines = 0;
  let parseErrors = 0;
  let format: string | undefined;
  try {
    const file = await asyncBufferFromFile(name);
    const metadata = await parquetFooter(file);
    const prefix = recordUidPrefix(
      options.identity.key === undefined
        ? { ...options.identity, key: options.nameHint }
        : options.identity,
    );
    for (const group of rowGroupsOf(metadata)) {
      if (group.bytes > MAX_ROW_GROUP_BYTES) {
        throw new ParquetRowGroupTooLargeError(
          `row group ${group.index} holds ${group.bytes} bytes uncompressed, over the ${MAX_ROW_GROUP_BYTES} elb-otlp reads at once`,
        );
      }
      const text = await rowGroupText(file, metadata, group, prefix);
      const parser = new ObjectParser({
        ...options,
        format: 'json',
        source: { uidOf: text.uidOf },
      });
      const collector = new RecordCollector();
      for await (const batch of readLines(text.pieces))
        parser.pushBatch(batch, io.now(), collector);
      parser.finish(collector);
      if (parser.refusal !== undefined) {
        await write(
          io.stderr,
          `elb-otlp parse: ${parser.refusal.name}: ${parser.refusal.message}\n`,
        );
        return EXIT_FAILURE;
      }
      format ??= parser.format;
      const resource = JSON.stringify(resourceToJson(parser.resource as Resource));
      let out = '';
      for (const record of collector.records) {
        if (record.attributes[0]?.key === PARSE_ERROR_KEY) parseErrors++;
        out += `{"resource":${resource},"logRecord":${JSON.stringify(logRecordToJson(record))}}\n`;
      }
      lines += collector.records.length;
      await write(io.stdout, out);
    }
  } catch (error) {
    await write(
      io.stderr,
      `elb-otlp parse: ${name}: ${describeReadError(error)} (after ${lines} rows)\n`,
    );
    return EXIT_FAILURE;
  }
  await write(
    io.stderr,
    `elb-otlp parse: ${name}: ${lines} rows, ${parseErrors} parse errors, format ${format ?? 'unrecognised'} (parquet)\n`,
  );
  return EXIT_OK;
}
