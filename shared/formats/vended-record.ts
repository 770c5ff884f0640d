/**
 * One record of a vended delivery (docs/vended-logs.md), as named values,
 * → the same record its classic line gives. The values are laid out in the
 * classic table's order and handed to the classic {@link parseFields}, so
 * attributes, types, time, severity, trace id and redaction are the classic
 * format's own; a name without a classic field becomes `aws.elb.<name>`.
 * The encodings (JSON lines, W3C and `plain` rows) only say which value has
 * which name.
 */

import type { AttributeSink } from '../records/model.ts';
import { type QueryRedactor, redactQueriesIn } from '../records/redaction.ts';
import { EXTRA_FIELDS_KEY, type FieldSpec, KIND_CODES, type LogFormatSpec } from './field-spec.ts';
import { looseFields, urlFieldKinds } from './line-redaction.ts';
import { type ParsedLine, parseFields } from './parse-fields.ts';
import { LineTokens, TOKENIZED, tokenize } from './tokenizer.ts';
import { FieldError } from './values.ts';
import { classicIndexOf, type VendedColumn, vendedColumn } from './vended-fields.ts';

/** The encodings of a vended delivery elb-otlp reads line by line. */
export type VendedEncoding = 'json' | 'w3c' | 'plain';

export const VENDED_ENCODINGS: readonly VendedEncoding[] = ['json', 'w3c', 'plain'];

/** How a vended object's records are written. */
export type VendedLayout =
  /** One JSON object per line, its keys the field names. */
  | { readonly encoding: 'json' }
  /**
   * One row per line, its values in the order of `fields`, separated by
   * `delimiter`: `plain` (the names from settings or the delivery) or `w3c`
   * (the names from the object's `#Fields:` header; the delimiter, unless
   * given, from its first row).
   */
  | {
      readonly encoding: 'plain' | 'w3c';
      fields: readonly string[];
      delimiter: string | undefined;
    };

/** A value the body holds in a redacted form: its position among the record's values, and its text. */
export interface ValueEdit {
  column: number;
  text: string;
}

/** Separates values in the line handed to the classic parser: no ELB value holds it. */
const SEPARATOR = '\n';

/**
 * Parses records of one log type given as named values; reused from record
 * to record of an object.
 */
export class NamedRecordParser {
  readonly format: LogFormatSpec;
  private readonly tokens: LineTokens;
  private readonly urlFields: Uint8Array;
  private readonly marks = { kinds: new Uint8Array(64) };
  /** Per classic index, the value's position among the record's values (-1: none). */
  private readonly columnOf: Int32Array;
  private readonly byIndex: (string | undefined)[];
  private readonly requiredIndexes: { name: string; index: number }[];
  private readonly columnCache = new Map<string, VendedColumn>();
  /** The values the record's body holds redacted, by position; refilled by {@link parse}. */
  readonly edits: ValueEdit[] = [];
  private readonly keysSeen = new Set<string>();

  constructor(format: LogFormatSpec) {
    this.format = format;
    this.tokens = new LineTokens(format.fields.length);
    this.urlFields = urlFieldKinds(format);
    this.columnOf = new Int32Array(format.fields.length);
    this.byIndex = new Array(format.fields.length);
    this.requiredIndexes = (format.vended?.required ?? []).map((name) => ({
      name,
      index: classicIndexOf(format, name),
    }));
  }

  /** Where a field named `name` goes (cached per name). */
  column(name: string): VendedColumn {
    let column = this.columnCache.get(name);
    if (column === undefined) {
      column = vendedColumn(this.format, name);
      this.columnCache.set(name, column);
    }
    return column;
  }

  /** The classic field spec a column fills, if any. */
  spec(column: VendedColumn): FieldSpec | undefined {
    return column.index === -1 ? undefined : this.format.fields[column.index];
  }

  /**
   * Parses the record whose value `i` is `values[i]`, named by `columns[i]`
   * (`undefined`, `''` and `-` are absent values); values past the columns
   * go to `aws.elb.extra_fields`, as a classic line's extra fields do.
   * Fills `out` and `attributes` as {@link parseFields} does for the
   * classic line and {@link edits} with the values the body redacts.
   * Throws {@link FieldError} naming the field as the record names it.
   */
  parse(
    columns: readonly VendedColumn[],
    values: readonly (string | undefined)[],
    redact: QueryRedactor,
    out: ParsedLine,
    attributes: AttributeSink,
  ): void {
    const fields = this.format.fields;
    const byIndex = this.byIndex;
    const columnOf = this.columnOf;
    byIndex.fill(undefined);
    columnOf.fill(-1);
    this.edits.length = 0;
    const named = Math.min(columns.length, values.length);
    for (let c = 0; c < named; c++) {
      const index = columns[c].index;
      const value = values[c];
      if (index === -1 || value === undefined || value === '' || byIndex[index] !== undefined) {
        continue;
      }
      byIndex[index] = value;
      columnOf[index] = c;
    }
    for (const { name, index } of this.requiredIndexes) {
      const value = byIndex[index];
      if (value === undefined || value === '-') {
        throw new FieldError(name, `missing: ${this.format.title} records cannot do without it`);
      }
    }
    const tokens = this.tokens;
    tokens.count = 0;
    let line = '';
    for (let i = 0; i < fields.length; i++) {
      const value = byIndex[i];
      const start = line.length;
      if (value !== undefined) line += value;
      tokens.push(start, line.length, 0, 0);
      line += SEPARATOR;
    }
    tokens.line = line;
    const loose = looseFields(line, tokens, this.urlFields, this.marks);
    try {
      parseFields(this.format, tokens, redact, out, attributes, loose);
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      const index = fields.findIndex((spec) => spec.name === error.field);
      const column = index === -1 ? -1 : columnOf[index];
      if (column === -1) throw error;
      throw new FieldError(columns[column].name, error.message.slice(error.field.length + 2));
    }
    for (const edit of out.edits)
      this.edits.push({ column: columnOf[edit.index], text: edit.text });
    const keys = this.keysSeen;
    keys.clear();
    for (let c = 0; c < named; c++) {
      const column = columns[c];
      const value = values[c];
      if (value === undefined || value === '' || value === '-') continue;
      if (column.index !== -1) {
        // A second value of a field (two spellings of one name): not read, but never left unredacted.
        if (columnOf[column.index] !== c) this.loosely(c, value, redact);
        continue;
      }
      const kept = this.loosely(c, value, redact);
      // Two spellings of one unknown name: the first is kept, as for known names.
      if (keys.has(column.key)) continue;
      keys.add(column.key);
      attributes.string(column.key, kept);
    }
    if (values.length > columns.length) {
      const extra: string[] = [];
      for (let c = columns.length; c < values.length; c++) {
        extra.push(this.loosely(c, values[c] ?? '', redact));
      }
      attributes.strings(EXTRA_FIELDS_KEY, extra);
    }
  }

  /** `value` with whatever looks like a query or URL credentials redacted, noted as an edit. */
  private loosely(column: number, value: string, redact: QueryRedactor): string {
    const kept = redactQueriesIn(value, redact);
    if (kept !== value) this.edits.push({ column, text: kept });
    return kept;
  }
}

/**
 * The text a JSON value stands for in the classic field `spec`: strings as
 * they are, numbers and booleans as written, lists joined as the classic
 * line writes them, `null` absent, anything else as JSON.
 */
export function jsonValueText(value: unknown, spec: FieldSpec | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((item) => typeof item !== 'object' || item === null)) {
    const items = value.map((item) => (item === null ? '-' : String(item)));
    return items.join(spec?.code === KIND_CODES['space-list'] ? ' ' : ',');
  }
  return JSON.stringify(value);
}

/** A number as a decimal without an exponent (`1e-7` → `0.0000001`), as ELB writes numbers. */
function numberText(value: number): string {
  const text = String(value);
  if (!/e/i.test(text) || !Number.isFinite(value)) return text;
  return value.toFixed(20).replace(/\.?0+$/, '');
}

/**
 * The delimiters a delivery may choose, tried in this order when it does
 * not say: a space last, since values (a user agent) hold spaces.
 */
export const KNOWN_DELIMITERS = ['\t', ',', ' '] as const;

/**
 * The delimiter of a row of `fieldCount` fields: the first of
 * {@link KNOWN_DELIMITERS} that splits it (quotes kept together) into
 * exactly that many values, else the one giving the most values that do
 * not exceed it; a space when none splits it at all.
 */
export function inferDelimiter(row: string, fieldCount: number, into: LineTokens): string {
  let best = ' ';
  let bestCount = 0;
  for (const delimiter of KNOWN_DELIMITERS) {
    if (!row.includes(delimiter)) continue;
    if (tokenize(row, into, delimiter) !== TOKENIZED) continue;
    if (into.count === fieldCount) return delimiter;
    if (into.count < fieldCount && into.count > bestCount) {
      best = delimiter;
      bestCount = into.count;
    }
  }
  return best;
}

/**
 * The field names of a W3C `#Fields:` directive (separated by spaces, tabs
 * or commas), or `undefined` when `line` is not one.
 *
 * @example
 * w3cFields('#Fields: time elb client_port'); // ['time', 'elb', 'client_port']
 */
export function w3cFields(line: string): string[] | undefined {
  const match = /^\uFEFF?#Fields:/i.exec(line);
  if (match === null) return undefined;
  const names = line
    .slice(match[0].length)
    .split(/[\s,]+/)
    .filter((name) => name !== '');
  return names.length === 0 ? undefined : names;
}

/** The JSON object `line` holds, or `undefined` when it holds none (a byte order mark before it is no matter). */
export function jsonObject(line: string): Record<string, unknown> | undefined {
  if (line.charCodeAt(0) !== 0x7b /* { */ && !/^\uFEFF?\s*\{/.test(line)) return undefined;
  try {
    const value: unknown = JSON.parse(line.charCodeAt(0) === 0xfeff ? line.slice(1) : line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A JSON record as its body may show it: every string in it (nested ones
 * too) with whatever looks like a query or URL credentials redacted, and
 * `edits` (values the attributes redacted) in their redacted form. The line
 * itself is no body when it may hide a secret from a plain search: JSON
 * escapes (`\u0026token=`), or a key given twice (the parser reads one).
 */
export function redactedJson(
  object: Record<string, unknown>,
  keys: readonly string[],
  edits: readonly ValueEdit[],
  redact: QueryRedactor,
): string {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(object)) copy[key] = redactStrings(object[key], redact);
  for (const { column, text } of edits) {
    if (column < keys.length) copy[keys[column]] = text;
  }
  return JSON.stringify(copy);
}

function redactStrings(value: unknown, redact: QueryRedactor): unknown {
  if (typeof value === 'string') return redactQueriesIn(value, redact);
  if (Array.isArray(value)) return value.map((item) => redactStrings(item, redact));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, redactStrings(item, redact)]),
    );
  }
  return value;
}
