/**
 * Redaction of a parsed line: which of its fields to redact, and its body.
 *
 * The URL fields of a format (the request line, `redirect_url`,
 * `transformed_uri`) are redacted as URLs (`request-line.ts`, `redactUrl`).
 * Any other field holding a `?` or an `@` may hold a query string or URL
 * credentials too (a user agent with a link in it, or a line whose fields
 * shifted, putting a URL where a plain string was expected): it is redacted
 * loosely (`redactQueriesIn`), in its attribute and in the body. The parser
 * notes each field it redacted (`ParsedLine.edits`); the body is the line
 * with those fields in their redacted form, written as ALB writes fields
 * (escapes and all), the rest as it was.
 */

import { KIND_CODES, type LogFormatSpec } from './field-spec.ts';
import { type LineTokens, tokenAt } from './tokenizer.ts';

/** A field the record's body holds in a redacted form: its index and its redacted text. */
export interface FieldEdit {
  index: number;
  text: string;
}

/** How a field is redacted: not at all (or as its kind says), as a URL, or loosely. */
export const FIELD_PLAIN = 0;
export const FIELD_URL = 1;
export const FIELD_LOOSE = 2;

/** Per field index of a format: {@link FIELD_URL} for its URL fields, else {@link FIELD_PLAIN}. */
export function urlFieldKinds(format: LogFormatSpec): Uint8Array {
  return Uint8Array.from(format.fields, (spec) =>
    spec.code === KIND_CODES.request || spec.code === KIND_CODES.url ? FIELD_URL : FIELD_PLAIN,
  );
}

/**
 * How each field of the line just tokenized is redacted: its format's URL
 * fields as URLs, and any other field (extra ones included) holding `?` or
 * `@` loosely. Fills `into` (grown as needed) and returns it, or `undefined`
 * when no field is to be redacted loosely (`urlFields` then says all).
 */
export function looseFields(
  line: string,
  tokens: LineTokens,
  urlFields: Uint8Array,
  into: { kinds: Uint8Array },
): Uint8Array | undefined {
  let marked = false;
  for (const mark of MARKS) {
    for (let at = line.indexOf(mark); at !== -1; at = line.indexOf(mark, at + 1)) {
      const field = tokenAt(tokens.starts, tokens.ends, tokens.count, at);
      if (field === -1 || (field < urlFields.length && urlFields[field] !== FIELD_PLAIN)) continue;
      if (!marked) {
        if (into.kinds.length < tokens.count) into.kinds = new Uint8Array(tokens.count * 2);
        into.kinds.fill(FIELD_PLAIN, 0, tokens.count);
        into.kinds.set(urlFields.subarray(0, Math.min(urlFields.length, tokens.count)));
        marked = true;
      }
      into.kinds[field] = FIELD_LOOSE;
    }
  }
  return marked ? into.kinds : undefined;
}

/** The characters that may start a query string (`?`) or end URL credentials (`@`). */
const MARKS = ['?', '@'];

/**
 * The body of a line (just tokenized into `tokens`) whose fields `edits`
 * redacted: each such field in its redacted form, written as ALB writes
 * fields (escaped again, when the field was), the rest of the line as it
 * was. The line itself when there is no edit.
 */
export function redactedBody(
  line: string,
  tokens: LineTokens,
  edits: readonly FieldEdit[],
): string {
  if (edits.length === 0) return line;
  let out = '';
  let from = 0;
  for (const { index, text } of edits) {
    const start = tokens.starts[index];
    out += line.slice(from, start) + (tokens.escaped[index] === 1 ? escapeField(text) : text);
    from = tokens.ends[index];
  }
  return out + line.slice(from);
}

const HEX = '0123456789ABCDEF';

/**
 * Text written as ALB writes a quoted field: `"`, `\`, control characters
 * and every byte of a non-ASCII character as `\xHH`.
 */
export function escapeField(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (code >= 0x20 && code < 0x7f && code !== 0x22 && code !== 0x5c) {
      out += char;
      continue;
    }
    for (const byte of Buffer.from(char, 'utf8')) out += `\\x${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}
