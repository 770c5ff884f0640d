/**
 * The {@link LineParser} of a vended object's lines (docs/vended-logs.md):
 * each line, a JSON object or a delimited row, is read into named values,
 * and {@link NamedRecordParser} maps them as the classic line's fields. The
 * body is the line as delivered, with the values the attributes redact
 * redacted in it too.
 */

import type { LogFormatSpec } from '../formats/field-spec.ts';
import { escapeField } from '../formats/line-redaction.ts';
import type { ParsedLine } from '../formats/parse-fields.ts';
import { LineTokens, TOKENIZED, tokenize } from '../formats/tokenizer.ts';
import { FieldError } from '../formats/values.ts';
import type { VendedColumn } from '../formats/vended-fields.ts';
import {
  inferDelimiter,
  jsonObject,
  jsonValueText,
  NamedRecordParser,
  redactedJson,
  type VendedLayout,
} from '../formats/vended-record.ts';
import type { AttributeSink } from '../records/model.ts';
import { type QueryRedactor, redactQueriesIn } from '../records/redaction.ts';

/** What a {@link LineParser} needs of the vended path; `finish` adds what every parsed line ends with. */
export interface VendedLineParser {
  parse(line: string, parsed: ParsedLine, attributes: AttributeSink): string | undefined;
  body(line: string): string;
  /** The body of a line that could not be parsed, its secrets redacted. */
  failedBody(line: string): string;
}

/**
 * Whether a JSON line read without a redaction may still hold a secret the
 * parser did not see: behind a `\u` escape, or, in a line with a `?` or
 * an `@`, in a key given twice (the parser reads the last), which shows as
 * fewer keys than `":` marks. Every value the parser saw was redacted
 * already (its edits).
 */
function mayHide(line: string, keys: number): boolean {
  if (line.indexOf('\\u') !== -1) return true;
  if (line.indexOf('?') === -1 && line.indexOf('@') === -1) return false;
  let marks = 0;
  for (let at = line.indexOf('":'); at !== -1; at = line.indexOf('":', at + 2)) marks++;
  return marks !== keys;
}

/** Creates the parser of one vended object's lines, laid out as `layout` says. */
export function createVendedLineParser(
  format: LogFormatSpec,
  layout: VendedLayout,
  redact: QueryRedactor,
): VendedLineParser {
  const record = new NamedRecordParser(format);
  return layout.encoding === 'json'
    ? jsonLines(record, redact)
    : delimitedLines(record, layout, redact);
}

function jsonLines(record: NamedRecordParser, redact: QueryRedactor): VendedLineParser {
  let object: Record<string, unknown> = {};
  let keys: string[] = [];
  const columns: VendedColumn[] = [];
  const values: (string | undefined)[] = [];
  return {
    parse(line, parsed, attributes) {
      const found = jsonObject(line);
      if (found === undefined) return 'not a JSON object, as every record of a json delivery is';
      object = found;
      keys = Object.keys(found);
      columns.length = keys.length;
      values.length = keys.length;
      for (let i = 0; i < keys.length; i++) {
        const column = record.column(keys[i]);
        columns[i] = column;
        values[i] = jsonValueText(found[keys[i]], record.spec(column));
      }
      return parseNamed(record, columns, values, redact, parsed, attributes);
    },
    body(line) {
      // Nothing redacted and nothing hidden: the line as delivered.
      if (record.edits.length === 0 && !mayHide(line, keys.length)) return line;
      return redactedJson(object, keys, record.edits, redact);
    },
    failedBody(line) {
      const found = jsonObject(line);
      return found === undefined
        ? redactQueriesIn(line, redact)
        : redactedJson(found, [], [], redact);
    },
  };
}

function delimitedLines(
  record: NamedRecordParser,
  layout: Extract<VendedLayout, { fields: readonly string[] }>,
  redact: QueryRedactor,
): VendedLineParser {
  const tokens = new LineTokens();
  let fields: readonly string[] = [];
  let columns: VendedColumn[] = [];
  const values: (string | undefined)[] = [];
  return {
    parse(line, parsed, attributes) {
      // A W3C object may repeat its header, with other fields.
      if (layout.fields !== fields) {
        fields = layout.fields;
        columns = fields.map((name) => record.column(name));
      }
      layout.delimiter ??= inferDelimiter(line, fields.length, tokens);
      const unterminated = tokenize(line, tokens, layout.delimiter);
      if (unterminated !== TOKENIZED) {
        const name = columns[unterminated]?.name ?? `field ${unterminated + 1}`;
        return `${name}: quoted field has no closing quote`;
      }
      values.length = tokens.count;
      for (let i = 0; i < tokens.count; i++) values[i] = tokens.value(i);
      return parseNamed(record, columns, values, redact, parsed, attributes);
    },
    body(line) {
      const edits = record.edits;
      if (edits.length === 0) return line;
      const sorted = [...edits].sort((a, b) => a.column - b.column);
      let out = '';
      let from = 0;
      for (const { column, text } of sorted) {
        out += line.slice(from, tokens.starts[column]);
        out += tokens.escaped[column] === 1 ? escapeField(text) : text;
        from = tokens.ends[column];
      }
      return out + line.slice(from);
    },
    failedBody: (line) => redactQueriesIn(line, redact),
  };
}

function parseNamed(
  record: NamedRecordParser,
  columns: readonly VendedColumn[],
  values: readonly (string | undefined)[],
  redact: QueryRedactor,
  parsed: ParsedLine,
  attributes: AttributeSink,
): string | undefined {
  try {
    record.parse(columns, values, redact, parsed, attributes);
  } catch (error) {
    if (error instanceof FieldError) return redactQueriesIn(error.message, redact);
    throw error;
  }
  return undefined;
}
