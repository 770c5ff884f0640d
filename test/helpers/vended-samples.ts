/**
 * The constructed vended samples (test/fixtures/vended/samples.json) and
 * the ways a delivery may write them: JSON lines, W3C and plain rows, all
 * fields or a chosen subset, each delimiter. Written here, independently of
 * the code that reads them.
 */

import { readFileSync } from 'node:fs';
import type { LogFormatId } from '../../shared/formats/field-spec.ts';

export interface VendedSample {
  logType: string;
  format: LogFormatId;
  what: string;
  /** The same request as a classic line. */
  classic: string;
  /** The record's fields, by their vended name, in the delivery's default order. */
  record: Record<string, string>;
}

export const SAMPLES: readonly VendedSample[] = JSON.parse(
  readFileSync(new URL('../fixtures/vended/samples.json', import.meta.url), 'utf8'),
).samples;

/** The delimiters a delivery may choose (the load balancer controller allows these three). */
export const DELIMITERS = { tab: '\t', space: ' ', comma: ',' } as const;

/**
 * A value as a delimited row writes it: in double quotes when it holds the
 * delimiter or a quote, a quote or backslash inside escaped as ALB escapes
 * them in its quoted fields (`\x22`, `\x5C`).
 */
function cell(value: string, delimiter: string): string {
  if (!value.includes(delimiter) && !value.includes('"') && value !== '') return value;
  return `"${value.replaceAll('\\', '\\x5C').replaceAll('"', '\\x22')}"`;
}

/** One row of `names`' values, `-` for a name the record lacks. */
export function row(record: Record<string, string>, names: readonly string[], delimiter: string) {
  return names.map((name) => cell(record[name] ?? '-', delimiter)).join(delimiter);
}

/** A W3C object: its directives, then one row per record. */
export function w3cObject(
  records: readonly Record<string, string>[],
  names: readonly string[],
  delimiter: string,
): string {
  const rows = records.map((record) => row(record, names, delimiter));
  return `#Version: 1.0\n#Fields: ${names.join(' ')}\n${rows.join('\n')}\n`;
}

/**
 * A chosen subset of a sample's fields in an order of the user's, not the
 * default: `time`, `elb`, then every third other field, last first.
 */
export function subsetOf(record: Record<string, string>): string[] {
  const others = Object.keys(record).filter((name) => name !== 'time' && name !== 'elb');
  return ['time', 'elb', ...others.filter((_, i) => i % 3 === 0).reverse()];
}

/**
 * The classic line of the same request with only `names` kept: every other
 * field `-`. The record's names are in the classic order (the ALB access
 * log's `ip_address` is its 34th field).
 */
export function classicWith(record: Record<string, string>, names: readonly string[]): string {
  return Object.keys(record)
    .map((name) => (names.includes(name) ? cell(record[name], ' ') : '-'))
    .join(' ');
}

/**
 * A record's attributes as its vended record has them, for comparing the
 * two: `log.record.uid` left out (it differs by design), and the classic
 * line's first extra field, the ALB node IP, named `aws.elb.ip_address` as
 * the vended field is (left out when `-`).
 */
export function withNodeIpNamed<T extends { key: string; value: unknown }>(
  attributes: readonly T[],
): T[] {
  const out: T[] = [];
  for (const attribute of attributes) {
    if (attribute.key === 'log.record.uid') continue;
    if (attribute.key !== 'aws.elb.extra_fields') {
      out.push(attribute);
      continue;
    }
    const value = attribute.value as { arrayValue?: { values?: { stringValue?: string }[] } };
    const ip = value.arrayValue?.values?.[0];
    if (ip?.stringValue !== undefined && ip.stringValue !== '-') {
      out.push({ ...attribute, key: 'aws.elb.ip_address', value: ip });
    }
  }
  return out;
}
