/**
 * Vended benchmark: lines/s of mapping the same ALB requests to OTLP log
 * records on one core when they come as CloudWatch Logs' vended records (a
 * JSON object per line, or a tab-delimited `plain` row of the 34 vended
 * fields) instead of the classic space-separated line, in the same run. A
 * vended record is laid out in classic order and parsed by the classic code,
 * so the classic rate is the baseline and the ratios are what the layout
 * costs. Also the string-path protobuf encode of each.
 *
 * Prints one JSON line. Run through `npm run bench -- vended`.
 */

import { DEFAULT_MAX_BATCH_BYTES } from '../shared/config/export-config.ts';
import { loadMappingConfig } from '../shared/config/mapping-config.ts';
import { ALB_ACCESS } from '../shared/formats/alb-access.ts';
import { LineTokens, TOKENIZED, tokenize } from '../shared/formats/tokenizer.ts';
import type { VendedLayout } from '../shared/formats/vended-record.ts';
import { generateAlbLines } from '../shared/generate/alb-lines.ts';
import { createLineEncoder } from '../shared/otlp/line-encoder.ts';
import { createLineMapper } from '../shared/otlp/line-mapper.ts';
import { PARSE_ERROR_KEY } from '../shared/otlp/line-parser.ts';
import { SCOPE_LOGS_LOG_RECORDS } from '../shared/otlp/otlp-protobuf.ts';
import { ProtobufWriter } from '../shared/otlp/protobuf-writer.ts';

/** Lines per timed run, as in `bench/parse.ts`, so the classic figure is that bench's. */
const LINES = 200_000;
/** Timed runs per path; the best one is reported (the others absorb JIT and GC warm-up). */
const RUNS = 7;
/** `ship`'s default batch size in bytes: the encode writer starts over at it. */
const BATCH_BYTES = DEFAULT_MAX_BATCH_BYTES;

/** The vended field names of an ALB access record, in the delivery's default order. */
function vendedFields(): readonly string[] {
  const fields = ALB_ACCESS.vended?.fields;
  if (fields === undefined) throw new Error('ALB_ACCESS has no vended field names');
  return fields;
}

/** The same requests as vended JSON lines and tab-delimited plain rows. */
export interface VendedLines {
  json: string[];
  plain: string[];
}

/**
 * Rewrites classic lines as vended records: each line's first 33 fields (and
 * the node IP, its 34th, if present) under their vended names, every value
 * a string (`-` included), later fields dropped.
 */
export function toVended(lines: readonly string[]): VendedLines {
  const names = vendedFields();
  const tokens = new LineTokens();
  const json: string[] = [];
  const plain: string[] = [];
  for (const line of lines) {
    if (tokenize(line, tokens) !== TOKENIZED) throw new Error(`unterminated quote in ${line}`);
    const count = Math.min(tokens.count, names.length);
    const object: Record<string, string> = {};
    const row: string[] = [];
    for (let i = 0; i < count; i++) {
      const value = tokens.text(i);
      object[names[i]] = value;
      row.push(plainValue(value));
    }
    json.push(JSON.stringify(object));
    plain.push(row.join('\t'));
  }
  return { json, plain };
}

/** A value of a plain row: quoted, with `"` and `\` escaped, only when it holds a tab or a quote. */
function plainValue(value: string): string {
  if (!value.includes('\t') && !value.includes('"')) return value;
  return `"${value.replaceAll('\\', '\\x5C').replaceAll('"', '\\x22')}"`;
}

/** The mapper and encoder options of every path; `layout` absent for classic lines. */
function options(layout: VendedLayout | undefined) {
  return {
    format: ALB_ACCESS,
    config: loadMappingConfig({}),
    uidPrefix: '0123456789abcdef',
    layout,
  };
}

/** Best lines/s of `createLineMapper` over `lines`; throws if any line is a parse error. */
function timeMapper(lines: readonly string[], layout: VendedLayout | undefined): number {
  const map = createLineMapper(options(layout));
  let best = 0;
  for (let run = 0; run < RUNS; run++) {
    let errors = 0;
    let first = '';
    const start = process.hrtime.bigint();
    let offset = 0;
    for (const line of lines) {
      const record = map(line, offset, 0n);
      offset += line.length + 1;
      if (record.attributes[0].key === PARSE_ERROR_KEY) {
        if (errors++ === 0) first = String(record.attributes[0].value);
      }
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (errors > 0) {
      throw new Error(`the benchmark's own lines produced ${errors} parse errors, first: ${first}`);
    }
    best = Math.max(best, lines.length / seconds);
  }
  return best;
}

/**
 * Best lines/s of the string path to protobuf (`createLineEncoder`) over
 * `lines`, into one writer that starts over at each batch's size, as
 * `parseAndEncode(lines, 'text')` in `bench/parse.ts` does.
 */
function timeEncoder(lines: readonly string[], layout: VendedLayout | undefined): number {
  const encode = createLineEncoder(options(layout));
  const writer = new ProtobufWriter(BATCH_BYTES + 1024 * 1024);
  let best = 0;
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint();
    let offset = 0;
    writer.reset();
    for (const line of lines) {
      if (writer.length >= BATCH_BYTES) writer.reset();
      if (!encode(line, offset, 0n, writer, SCOPE_LOGS_LOG_RECORDS)) {
        throw new Error(`the benchmark's own line failed to parse: ${line}`);
      }
      offset += line.length + 1;
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    best = Math.max(best, lines.length / seconds);
  }
  return best;
}

export function runVendedBench(): Record<string, unknown> {
  const classic = [...generateAlbLines(LINES, { seed: 42 })];
  const { json, plain } = toVended(classic);
  const jsonLayout = (): VendedLayout => ({ encoding: 'json' });
  const plainLayout = (): VendedLayout => ({
    encoding: 'plain',
    fields: [...vendedFields()],
    delimiter: '\t',
  });
  const classicRate = timeMapper(classic, undefined);
  const jsonRate = timeMapper(json, jsonLayout());
  const plainRate = timeMapper(plain, plainLayout());
  const classicEncode = timeEncoder(classic, undefined);
  const jsonEncode = timeEncoder(json, jsonLayout());
  const plainEncode = timeEncoder(plain, plainLayout());
  return {
    bench: 'vended',
    lines: LINES,
    classicLinesPerSecond: Math.round(classicRate),
    jsonLinesPerSecond: Math.round(jsonRate),
    plainLinesPerSecond: Math.round(plainRate),
    jsonRatio: Number((jsonRate / classicRate).toFixed(2)),
    plainRatio: Number((plainRate / classicRate).toFixed(2)),
    classicEncodeLinesPerSecond: Math.round(classicEncode),
    jsonEncodeLinesPerSecond: Math.round(jsonEncode),
    plainEncodeLinesPerSecond: Math.round(plainEncode),
  };
}
