/**
 * Walks a tokenized line through a format's field table: the record's time,
 * severity, trace id and load balancer come back in a {@link ParsedLine}, the
 * typed attributes go to an {@link AttributeSink} as they are read (a list, or
 * straight into protobuf bytes).
 */

import {
  type AttributeSink,
  SEVERITY_ERROR,
  SEVERITY_INFO,
  SEVERITY_WARN,
} from '../records/model.ts';
import { type QueryRedactor, redactQueriesIn, redactUrl } from '../records/redaction.ts';
import { EXTRA_FIELDS_KEY, type FieldSpec, KIND_CODES, type LogFormatSpec } from './field-spec.ts';
import { FIELD_LOOSE, type FieldEdit } from './line-redaction.ts';
import { mapRequestLine } from './request-line.ts';
import { type LineTokens, unescapeField } from './tokenizer.ts';
import { FieldError, parseDecimal, parseInteger, parseTimestamp, splitHostPort } from './values.ts';

/** What one line says besides its attributes. Reused from line to line. */
export interface ParsedLine {
  timeUnixNano: bigint;
  severityNumber: number;
  traceId: string | undefined;
  /** The line's `elb` field, when the format has one. */
  loadBalancer: string | undefined;
  /**
   * The fields whose text the body holds redacted, in order: each field's
   * index and its redacted text (decoded, when the field was escaped). Empty
   * when nothing was redacted, as for nearly every line.
   */
  edits: FieldEdit[];
}

/** A {@link ParsedLine} to pass to {@link parseFields}. */
export function emptyParsedLine(): ParsedLine {
  return {
    timeUnixNano: 0n,
    severityNumber: SEVERITY_INFO,
    traceId: undefined,
    loadBalancer: undefined,
    edits: [],
  };
}

const DASH = 0x2d;
const TIME = KIND_CODES.time;

/** Longest excerpt of a bad value quoted in a parse error. */
const MAX_QUOTED_VALUE = 64;

function quote(value: string): string {
  const cut = value.length > MAX_QUOTED_VALUE ? `${value.slice(0, MAX_QUOTED_VALUE)}…` : value;
  return JSON.stringify(cut);
}

/**
 * Maps the fields of `tokens` by `format` into `out` (overwritten) and
 * `attributes`. Fields that `loose` marks (a `?` or an `@` outside the URL
 * fields: `line-redaction.ts`) have whatever looks like a query string or
 * URL credentials redacted first. Throws {@link FieldError} naming the first
 * field that cannot be read; `attributes` may then have received the fields
 * before it.
 */
export function parseFields(
  format: LogFormatSpec,
  tokens: LineTokens,
  redact: QueryRedactor,
  out: ParsedLine,
  attributes: AttributeSink,
  loose?: Uint8Array,
): void {
  const fields = format.fields;
  if (tokens.count < format.minFields) {
    const missing = fields[tokens.count];
    throw new FieldError(
      missing.name,
      `missing: the line has ${tokens.count} fields; ${format.title} lines have at least ${format.minFields}`,
    );
  }
  out.timeUnixNano = 0n;
  out.severityNumber = SEVERITY_INFO;
  out.traceId = undefined;
  out.loadBalancer = undefined;
  if (out.edits.length !== 0) out.edits.length = 0;
  const n = Math.min(tokens.count, fields.length);
  const line = tokens.line;
  for (let i = 0; i < n; i++) {
    const spec = fields[i];
    let start = tokens.starts[i];
    let end = tokens.ends[i];
    if (end === start || (end - start === 1 && line.charCodeAt(start) === DASH)) {
      if (spec.code === TIME) throw new FieldError(spec.name, 'missing timestamp');
      continue;
    }
    let text = line;
    if (tokens.escaped[i] === 1) {
      text = unescapeField(line, start, end);
      start = 0;
      end = text.length;
    }
    if (loose !== undefined && loose[i] === FIELD_LOOSE) {
      const value = text.slice(start, end);
      const kept = redactQueriesIn(value, redact);
      if (kept !== value) {
        out.edits.push({ index: i, text: kept });
        text = kept;
        start = 0;
        end = kept.length;
      }
    }
    mapField(spec, i, text, start, end, tokens, format, out, attributes, redact);
  }
  if (tokens.count > fields.length) {
    const extra: string[] = new Array(tokens.count - fields.length);
    for (let i = fields.length; i < tokens.count; i++) {
      let value = tokens.text(i);
      if (loose !== undefined && loose[i] === FIELD_LOOSE) {
        const kept = redactQueriesIn(value, redact);
        if (kept !== value) out.edits.push({ index: i, text: kept });
        value = kept;
      }
      extra[i - fields.length] = value;
    }
    attributes.strings(EXTRA_FIELDS_KEY, extra);
  }
}

/** Maps present field `index`, whose value is `text[start, end)`. */
function mapField(
  spec: FieldSpec,
  index: number,
  text: string,
  start: number,
  end: number,
  tokens: LineTokens,
  format: LogFormatSpec,
  out: ParsedLine,
  attributes: AttributeSink,
  redact: QueryRedactor,
): void {
  const keys = spec.keys;
  // Cases are KIND_CODES values, named in the comment beside each.
  switch (spec.code) {
    case 0: {
      // time
      const time = parseTimestamp(text, start, end);
      if (time === undefined) {
        throw new FieldError(spec.name, `not an ISO 8601 time: ${quote(text.slice(start, end))}`);
      }
      out.timeUnixNano = time;
      return;
    }
    case 1: // elb
      out.loadBalancer = text.slice(start, end);
      return;
    case 2: // string
      attributes.string(keys[0], text.slice(start, end));
      return;
    case 3: // int
      attributes.int(keys[0], readInteger(spec, text, start, end));
      return;
    case 4: {
      // double
      const number = parseDecimal(text, start, end);
      if (Number.isNaN(number)) {
        throw new FieldError(spec.name, `not a number: ${quote(text.slice(start, end))}`);
      }
      attributes.double(keys[0], number);
      return;
    }
    case 5: // host-port
      pushHostPort(spec, text, start, end, attributes);
      return;
    case 15: // target
      if (text.startsWith('arn:', start)) {
        attributes.string(keys[2], text.slice(start, end));
      } else {
        pushHostPort(spec, text, start, end, attributes);
      }
      return;
    case 6: {
      // request
      const kept = mapRequestLine(text.slice(start, end), attributes, redact);
      if (kept !== undefined) out.edits.push({ index, text: kept });
      return;
    }
    case 17: {
      // url
      const value = text.slice(start, end);
      const kept = redactUrl(value, redact);
      attributes.string(keys[0], kept);
      if (kept !== value) out.edits.push({ index, text: kept });
      return;
    }
    case 7: {
      // status
      const code = readInteger(spec, text, start, end);
      attributes.int(keys[0], code);
      if (code >= 500) out.severityNumber = SEVERITY_ERROR;
      else if (code >= 400) out.severityNumber = SEVERITY_WARN;
      return;
    }
    case 8: // tls-version
      attributes.string(keys[0], tlsVersion(text.slice(start, end)));
      return;
    case 9: {
      // trace
      const value = text.slice(start, end);
      attributes.string(keys[0], value);
      const traceId = traceIdFromXRay(value);
      if (traceId !== undefined) out.traceId = traceId;
      return;
    }
    case 10: // comma-list
      attributes.strings(keys[0], text.slice(start, end).split(','));
      return;
    case 11: // space-list
      attributes.strings(keys[0], text.slice(start, end).split(' '));
      return;
    case 12: // alpn-list
      attributes.strings(keys[0], alpnList(text.slice(start, end)));
      return;
    case 13: // cert-validity
      pushValidity(spec, text.slice(start, end), attributes);
      return;
    case 14: {
      // warn-status
      const value = text.slice(start, end);
      attributes.string(keys[0], value);
      if (value.startsWith(keys[1]) && out.severityNumber < SEVERITY_WARN) {
        out.severityNumber = SEVERITY_WARN;
      }
      return;
    }
    case 16: {
      // clb-bytes
      const bytes = readInteger(spec, text, start, end);
      const request = requestIndex(format);
      const tcp =
        request >= 0 && request < tokens.count && tokens.text(request).startsWith('- - -');
      attributes.int(tcp ? keys[1] : keys[0], bytes);
      return;
    }
  }
}

const requestIndexes = new WeakMap<LogFormatSpec, number>();

/** Position of the format's request field, looked up once per format. */
function requestIndex(format: LogFormatSpec): number {
  let index = requestIndexes.get(format);
  if (index === undefined) {
    index = format.fields.findIndex((f) => f.kind === 'request');
    requestIndexes.set(format, index);
  }
  return index;
}

function readInteger(spec: FieldSpec, text: string, start: number, end: number): number {
  const number = parseInteger(text, start, end);
  if (Number.isNaN(number)) {
    throw new FieldError(spec.name, `not an integer: ${quote(text.slice(start, end))}`);
  }
  return number;
}

function pushHostPort(
  spec: FieldSpec,
  text: string,
  start: number,
  end: number,
  attributes: AttributeSink,
): void {
  const hostPort = splitHostPort(text, start, end);
  if (hostPort === undefined) {
    throw new FieldError(spec.name, `expected address:port, got ${quote(text.slice(start, end))}`);
  }
  attributes.string(spec.keys[0], hostPort.address);
  attributes.int(spec.keys[1], hostPort.port);
}

/** `TLSv1.2` (ALB, CLB) or `tlsv12` (NLB) → `1.2`; anything else is kept as logged. */
export function tlsVersion(value: string): string {
  const lower = value.toLowerCase();
  if (!lower.startsWith('tlsv')) return value;
  const version = lower.slice(4);
  if (version.length === 2 && !version.includes('.')) return `${version[0]}.${version[1]}`;
  return version;
}

/**
 * The W3C trace id in an `X-Amzn-Trace-Id` value: `Root=1-5759e988-bd862e3fe1be46a994272793`
 * gives `5759e988bd862e3fe1be46a994272793`. `undefined` when there is no
 * well-formed, non-zero root.
 */
export function traceIdFromXRay(value: string): string | undefined {
  const at = value.indexOf('Root=1-');
  if (at === -1) return undefined;
  const start = at + 7;
  const end = start + 33;
  if (value.length < end || value.charCodeAt(start + 8) !== 0x2d) return undefined;
  if (end < value.length && value.charCodeAt(end) !== 0x3b /* ; */) return undefined;
  let nonZero = false;
  let upper = false;
  for (let i = start; i < end; i++) {
    if (i === start + 8) continue;
    const raw = value.charCodeAt(i);
    const c = raw | 0x20;
    const digit = c >= 0x30 && c <= 0x39;
    if (!digit && !(c >= 0x61 && c <= 0x66)) return undefined;
    if (c !== 0x30) nonZero = true;
    if (raw !== c) upper = true;
  }
  if (!nonZero) return undefined;
  const id = value.slice(start, start + 8) + value.slice(start + 9, end);
  return upper ? id.toLowerCase() : id;
}

/**
 * `"h2","http/1.1"` → `['h2', 'http/1.1']`. The tokenizer has already taken
 * the token's outer quotes away, so each part loses whatever quotes remain.
 */
function alpnList(value: string): string[] {
  const parts = value.split(',');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i].replace(/^"|"$/g, '');
    try {
      parts[i] = decodeURIComponent(part);
    } catch {
      parts[i] = part;
    }
  }
  return parts;
}

function pushValidity(spec: FieldSpec, value: string, attributes: AttributeSink): void {
  const match = /^NotBefore=([^;]*);NotAfter=(.*)$/.exec(value);
  if (match === null) {
    throw new FieldError(spec.name, `expected NotBefore=…;NotAfter=…, got ${quote(value)}`);
  }
  if (match[1] !== '') attributes.string(spec.keys[0], match[1]);
  if (match[2] !== '') attributes.string(spec.keys[1], match[2]);
}
