/**
 * Helpers for asserting whole records: run text through the real line reader
 * and object parser, and build expected OTLP/JSON values tersely.
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import type { LogFormatId } from '../../shared/formats/field-spec.ts';
import {
  type JsonKeyValue,
  type JsonLogRecord,
  type JsonResource,
  logRecordToJson,
  resourceToJson,
} from '../../shared/otlp/otlp-json.ts';
import { readLines } from '../../shared/pipeline/line-reader.ts';
import type { ReadFormat } from '../../shared/pipeline/object-parser.ts';
import { ObjectParser, RecordCollector } from '../../shared/pipeline/object-parser.ts';

/** The observed time every test record gets (an injected clock, not the real one). */
export const OBSERVED = 1_764_000_000_123_000_000n;
export const OBSERVED_JSON = OBSERVED.toString();

export interface ParseOptions {
  bucket?: string;
  key?: string;
  etag?: string;
  nameHint?: string;
  format?: ReadFormat;
  env?: Record<string, string>;
  /** Split the input into pieces of this many bytes, to cross chunk boundaries. */
  pieceBytes?: number;
}

export interface ParsedObject {
  resource: JsonResource | undefined;
  records: JsonLogRecord[];
  format: LogFormatId | undefined;
  /** Why the parser refused the object (then `records` is empty). */
  refusal: Error | undefined;
  /** Lines of a refused object, none of them passed on. */
  refusedLines: number;
}

/** Parses `input` as one object through the same path `elb-otlp parse` uses. */
export async function parseObject(
  input: string | Buffer,
  options: ParseOptions = {},
): Promise<ParsedObject> {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const parser = new ObjectParser({
    identity: { bucket: options.bucket, key: options.key, etag: options.etag },
    nameHint: options.nameHint,
    format: options.format ?? 'auto',
    config: loadMappingConfig(options.env ?? {}),
  });
  const collector = new RecordCollector();
  const records = collector.records;
  const size = options.pieceBytes ?? 64 * 1024;
  async function* pieces() {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  }
  for await (const batch of readLines(pieces())) {
    for (let i = 0; i < batch.starts.length; i++) {
      parser.push(
        batch.source,
        batch.starts[i],
        batch.ends[i],
        batch.offsets[i],
        OBSERVED,
        collector,
      );
    }
  }
  parser.finish(collector);
  return {
    resource: parser.resource && resourceToJson(parser.resource),
    records: records.map(logRecordToJson),
    format: parser.format,
    refusal: parser.refusal,
    refusedLines: parser.refusedLines,
  };
}

/** A fixture file's cases: each log line with the `#` comment lines above it. */
export function fixtureCases(name: string): { source: string; line: string }[] {
  const text = readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
  const cases: { source: string; line: string }[] = [];
  let comment: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      comment.push(line.replace(/^#\s*/, ''));
    } else if (line.trim() !== '') {
      cases.push({ source: comment.join(' '), line });
      comment = [];
    }
  }
  return cases;
}

/** `log.record.uid` computed independently of the code under test. */
export function uid(
  offset: number,
  identity: { bucket?: string; key?: string; etag?: string } = {},
): JsonKeyValue {
  const prefix = createHash('sha256')
    .update([identity.bucket ?? '', identity.key ?? '', identity.etag ?? ''].join('\n'))
    .digest('hex')
    .slice(0, 16);
  return s('log.record.uid', `${prefix}:${offset}`);
}

export const s = (key: string, value: string): JsonKeyValue => ({
  key,
  value: { stringValue: value },
});
export const i = (key: string, value: number): JsonKeyValue => ({
  key,
  value: { intValue: String(value) },
});
export const d = (key: string, value: number): JsonKeyValue => ({
  key,
  value: { doubleValue: value },
});
export const a = (key: string, values: string[]): JsonKeyValue => ({
  key,
  value: { arrayValue: { values: values.map((stringValue) => ({ stringValue })) } },
});

/** Nanoseconds of an ISO time, from Date's seconds and the fraction's digits: independent of the parser. */
export function nanos(iso: string): string {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z?$/.exec(iso);
  if (match === null) throw new Error(`not a test timestamp: ${iso}`);
  const seconds = BigInt(Date.parse(`${match[1]}Z`) / 1000);
  return (seconds * 1_000_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'))).toString();
}
