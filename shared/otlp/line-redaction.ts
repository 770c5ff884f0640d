/**
 * Redaction of a parsed line: which of its fields to redact, and its body.
 *
 * The URL fields of a format (the request line, `redirect_url`,
 * `transformed_uri`) are redacted as URLs (`redactUrl`, `redactRequestLine`).
 * Any other field holding a `?` or an `@` may hold a query string or URL
 * credentials too (a user agent with a link in it, or a line whose fields
 * shifted, putting a URL where a plain string was expected): it is redacted
 * loosely (`redactQueriesIn`), in its attribute and in the body. The body is
 * the line with each redacted field in its redacted form, written as ALB
 * writes fields (escapes and all), the rest as it was.
 */

import { KIND_CODES, type LogFormatSpec } from '../formats/field-spec.ts';
import { redactRequestLine } from '../formats/request-line.ts';
import type { LineTokens } from '../formats/tokenizer.ts';
import { type QueryRedactor, redactQueriesIn, redactUrl } from './redaction.ts';

/** How a field is redacted: not at all, as a request line, as a URL, or loosely. */
export const FIELD_PLAIN = 0;
export const FIELD_REQUEST = 1;
export const FIELD_URL = 2;
export const FIELD_LOOSE = 3;

/** Per field index of a format: {@link FIELD_REQUEST}, {@link FIELD_URL} or {@link FIELD_PLAIN}. */
export function urlFieldKinds(format: LogFormatSpec): Uint8Array {
  return Uint8Array.from(format.fields, (spec) =>
    spec.code === KIND_CODES.request
      ? FIELD_REQUEST
      : spec.code === KIND_CODES.url
        ? FIELD_URL
        : FIELD_PLAIN,
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
      const field = fieldAt(tokens, at);
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

/** The field whose text holds position `at` of the line, or -1 (a separator or a quote). */
function fieldAt(tokens: LineTokens, at: number): number {
  let low = 0;
  let high = tokens.count - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (tokens.ends[middle] <= at) low = middle + 1;
    else if (tokens.starts[middle] > at) high = middle - 1;
    else return middle;
  }
  return -1;
}

/** A field's text as an attribute holds it: redacted as its kind says. */
export function redactField(text: string, kind: number, redact: QueryRedactor): string {
  if (kind === FIELD_REQUEST) return redactRequestLine(text, redact);
  if (kind === FIELD_URL) return redactUrl(text, redact);
  if (kind === FIELD_LOOSE) return redactQueriesIn(text, redact);
  return text;
}

/**
 * `line` (just tokenized into `tokens`) with each field that `kinds` redacts
 * in its redacted form. A field written with escapes is redacted on its
 * decoded text, as its attribute is, and written back escaped; the rest of
 * the line stays as it was. The same string when nothing changed.
 */
export function redactLine(
  line: string,
  tokens: LineTokens,
  kinds: Uint8Array,
  redact: QueryRedactor,
): string {
  let out = '';
  let from = 0;
  const count = Math.min(tokens.count, kinds.length);
  for (let i = 0; i < count; i++) {
    const kind = kinds[i];
    if (kind === FIELD_PLAIN) continue;
    const start = tokens.starts[i];
    const end = tokens.ends[i];
    let kept: string;
    if (tokens.escaped[i] === 1) {
      const text = tokens.text(i);
      const redacted = redactField(text, kind, redact);
      if (redacted === text) continue;
      kept = escapeField(redacted);
    } else {
      const raw = line.slice(start, end);
      kept = redactField(raw, kind, redact);
      if (kept === raw) continue;
    }
    out += line.slice(from, start) + kept;
    from = end;
  }
  return from === 0 ? line : out + line.slice(from);
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
