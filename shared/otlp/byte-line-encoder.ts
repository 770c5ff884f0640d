/**
 * The fast path of `ship`: one ELB log line, as the bytes it was read in,
 * straight to a protobuf `LogRecord`, with no string per line or per field.
 *
 * It takes only the common shape of a line: ASCII without escapes, numbers,
 * times and requests as ELB writes them, query keys without `%` or `+`. Any
 * other line (non-ASCII, `\xHH` escapes, a parse error, an unusual request)
 * is declined, with nothing written, and goes through the string path of
 * `line-encoder.ts`, which this path must match byte for byte: the
 * differential tests in `test/unit/byte-line-encoder.test.ts` hold it to that.
 * Hand-written because it is the hot path of `npm run bench` (ship): the
 * string path spends most of its time creating and collecting strings.
 */

import { isAscii } from 'node:buffer';
import {
  EXTRA_FIELDS_KEY,
  type FieldSpec,
  KIND_CODES,
  type LogFormatSpec,
} from '../formats/field-spec.ts';
import { FIELD_URL, urlFieldKinds } from '../formats/line-redaction.ts';
import { REQUEST_ATTRIBUTES } from '../formats/request-line.ts';
import { tokenAt } from '../formats/tokenizer.ts';
import {
  FRACTION_SCALE,
  MAX_INT_DIGITS,
  POWERS_OF_TEN,
  parseTimestamp,
} from '../formats/values.ts';
import { SEVERITY_ERROR, SEVERITY_INFO, SEVERITY_WARN, severityText } from '../records/model.ts';
import type { ByteQueryRedactor } from '../records/redaction.ts';
import {
  ARN,
  AT,
  authorityEndIn,
  BACKSLASH,
  COLON,
  COMMA,
  DASH,
  DOT,
  HTTP_SLASH,
  hasMark,
  hexDigit,
  integerAt,
  isTcpRequest,
  knownMethod,
  lower,
  NextByte,
  NINE,
  NOT_AFTER,
  NOT_BEFORE,
  QUESTION,
  QUOTE,
  ROOT,
  SEMICOLON,
  SPACE,
  schemeEndIn,
  startsWith,
  unquotedEnd,
  unquotedStart,
  VALUE_2,
  VALUE_3,
  VALUE_HTTP,
  VALUE_OTHER,
  ZERO,
} from './byte-scan.ts';
import {
  ANY_ARRAY,
  ANY_DOUBLE,
  ANY_INT,
  ANY_STRING,
  ARRAY_VALUES,
  encodedKeyField,
  KEY_VALUE_VALUE,
  LOG_ATTRIBUTES,
  LOG_BODY,
  LOG_OBSERVED_TIME_UNIX_NANO,
  LOG_SEVERITY_NUMBER,
  LOG_SEVERITY_TEXT,
  LOG_TIME_UNIX_NANO,
  LOG_TRACE_ID,
} from './otlp-protobuf.ts';
import {
  type ProtobufWriter,
  varintSize,
  WIRE_FIXED64,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
} from './protobuf-writer.ts';

const tag = (field: number, wire: number) => (field << 3) | wire;
const TAG_ATTRIBUTE = tag(LOG_ATTRIBUTES, WIRE_LENGTH_DELIMITED);
const TAG_VALUE = tag(KEY_VALUE_VALUE, WIRE_LENGTH_DELIMITED);
const TAG_STRING = tag(ANY_STRING, WIRE_LENGTH_DELIMITED);
const TAG_INT = tag(ANY_INT, WIRE_VARINT);
const TAG_DOUBLE = tag(ANY_DOUBLE, WIRE_FIXED64);
const TAG_ARRAY = tag(ANY_ARRAY, WIRE_LENGTH_DELIMITED);
const TAG_ELEMENT = tag(ARRAY_VALUES, WIRE_LENGTH_DELIMITED);
const TAG_TIME = tag(LOG_TIME_UNIX_NANO, WIRE_FIXED64);
const TAG_SEVERITY = tag(LOG_SEVERITY_NUMBER, WIRE_VARINT);
const TAG_SEVERITY_TEXT = tag(LOG_SEVERITY_TEXT, WIRE_LENGTH_DELIMITED);
const TAG_BODY = tag(LOG_BODY, WIRE_LENGTH_DELIMITED);
const TAG_TRACE_ID = tag(LOG_TRACE_ID, WIRE_LENGTH_DELIMITED);
const TAG_OBSERVED = tag(LOG_OBSERVED_TIME_UNIX_NANO, WIRE_FIXED64);

/** Most fields a line may have on this path (ALB has 33 and a few appended). */
const MAX_TOKENS = 128;
/**
 * Output bytes per line byte, at most. Bytes are written without bounds
 * checks (a byte past the end would be lost), so this must hold for any line: a one-byte query value becomes
 * `REDACTED` (8×) in `url.full`, `url.query` and the body, a two-byte `-1` a
 * ten-byte varint, a one-byte list element twelve bytes of framing; the body
 * adds one more copy of the rest.
 */
const BYTES_PER_LINE_BYTE = 28;
/** URL fields a line may have redacted in its body (ALB: the request, `redirect_url`, `transformed_uri`). */
const MAX_BODY_EDITS = 4;
/** Numbers per body edit (see `LineState.edits`). */
const EDIT_STRIDE = 4;
/** Framing of one attribute besides its key and value: three tags, three varints of up to five bytes. */
const ATTRIBUTE_FRAMING = 18;
/** Framing per array element, for lists split at one-byte separators. */
const ELEMENT_FRAMING = 12;
/** Tail fields (time, severity, trace id, observed time, body framing) and the record's own framing. */
const TAIL_BYTES = 128;
const TWO_TO_32 = 2 ** 32;
/**
 * Values up to this many bytes are copied by a loop, longer ones by
 * `Buffer.copy` (about 12 ns whatever the length, against 0.7 ns a byte for
 * the loop); keys by `Uint8Array#set` (about 10 ns).
 */
const SHORT_COPY = 16;
/** Bytes of `YYYY-MM-DDTHH:MM:SS`, the part of a timestamp shared by a second's lines. */
const SECOND_PREFIX = 19;

/** Field kinds this path reads; a format with any other kind never takes it. */
const FAST_KINDS = new Set([
  KIND_CODES.time,
  KIND_CODES.elb,
  KIND_CODES.string,
  KIND_CODES.int,
  KIND_CODES.double,
  KIND_CODES['host-port'],
  KIND_CODES.request,
  KIND_CODES.status,
  KIND_CODES['tls-version'],
  KIND_CODES.trace,
  KIND_CODES['comma-list'],
  KIND_CODES['space-list'],
  KIND_CODES['warn-status'],
  KIND_CODES.target,
  KIND_CODES['clb-bytes'],
  KIND_CODES['alpn-list'],
  KIND_CODES['cert-validity'],
  KIND_CODES.url,
]);

export interface ByteLineEncoderOptions {
  format: LogFormatSpec;
  includeBody: boolean;
  /** `undefined` when no query is ever redacted. */
  redactQuery: ByteQueryRedactor | undefined;
  /** `log.record.uid` is this, a colon, and the line's offset. */
  uidPrefix: string;
  resourceLoadBalancerId: string | undefined;
  /** The key of `log.record.uid`. */
  uidKey: string;
  /** The key that carries a line's `elb` when it is not the resource's. */
  lineElbKey: string;
}

/**
 * Writes the line `source[start, end)` at byte `offset` of its object as a
 * `LogRecord` in field `field` of what `writer` is writing, and returns true;
 * or returns false, having written nothing, when the line is not one this
 * path takes.
 */
export type ByteLineEncoder = (
  source: Buffer,
  start: number,
  end: number,
  offset: number,
  observedTimeUnixNano: bigint,
  writer: ProtobufWriter,
  field: number,
) => boolean;

/** Encoded key fields of the attributes that do not come from a field table. */
interface Keys {
  method: Buffer;
  methodOriginal: Buffer;
  urlFull: Buffer;
  urlScheme: Buffer;
  urlPath: Buffer;
  urlQuery: Buffer;
  serverAddress: Buffer;
  serverPort: Buffer;
  protocolName: Buffer;
  protocolVersion: Buffer;
  extraFields: Buffer;
  lineElb: Buffer;
  uid: Buffer;
}

/**
 * The fast path for one object's lines, or `undefined` when its format has a
 * field kind the path does not read (those objects take the string path).
 */
export function createByteLineEncoder(
  options: ByteLineEncoderOptions,
): ByteLineEncoder | undefined {
  const fields = options.format.fields;
  if (!fields.every((spec) => FAST_KINDS.has(spec.code))) return undefined;
  const urlFields = urlFieldKinds(options.format).filter((kind) => kind === FIELD_URL);
  if (urlFields.length > MAX_BODY_EDITS) return undefined;
  const state = new LineState(options);
  return (source, start, end, offset, observed, writer, field) =>
    state.encode(source, start, end, offset, observed, writer, field);
}

/** Per-object state of the fast path; every buffer is reused from line to line. */
class LineState {
  private readonly codes: Uint8Array;
  private readonly fieldKeys: Buffer[][];
  /** Each `warn-status` field's prefix as bytes (`undefined` for other fields). */
  private readonly warnPrefixes: (Buffer | undefined)[];
  private readonly minFields: number;
  private readonly requestIndex: number;
  private readonly includeBody: boolean;
  private readonly redactQuery: ByteQueryRedactor | undefined;
  private readonly uidPrefix: Buffer;
  private readonly resourceElb: Buffer | undefined;
  private readonly keys: Keys;
  private readonly severityTexts: Buffer[];
  /** Output bytes a record needs whatever its line: every key and its framing, the tail, the uid prefix. */
  private readonly fixedBytes: number;

  /** The source buffer last checked by {@link plain}, whether it is all ASCII, and its next backslash. */
  private checked: Buffer | undefined;
  private checkedAscii = false;
  private backslash = -1;
  private searchedFrom = 0;

  /** The next `?` and `@` of the source buffer, for {@link marksInUrls}. */
  private readonly questions = new NextByte(QUESTION);
  private readonly ats = new NextByte(AT);
  /** Per field: `FIELD_URL` for a URL field (the request line, `redirect_url`…), redacted as a URL. */
  private readonly urlFields: Uint8Array;

  private readonly starts = new Int32Array(MAX_TOKENS);
  private readonly ends = new Int32Array(MAX_TOKENS);
  private readonly traceId = Buffer.alloc(16);
  /**
   * Spans of the line whose redacted form the body holds instead, in order:
   * `[start, end, redacted length, where the redacted form was written]` each
   * (an attribute already holds it; the body copies it from there).
   */
  private readonly edits = new Int32Array(EDIT_STRIDE * MAX_BODY_EDITS);
  private editCount = 0;

  /** The record being written: output buffer and position in it. */
  private out: Buffer = Buffer.alloc(0);
  private at = 0;
  private src: Buffer = Buffer.alloc(0);

  // What the line says besides attributes.
  private severity = SEVERITY_INFO;
  private hasTrace = false;
  private timeLow = 0;
  private timeHigh = 0;
  private elbStart = -1;
  private elbEnd = -1;

  /** The last second seen (`YYYY-MM-DDTHH:MM:SS`) and its nanoseconds, as two 32-bit halves. */
  private readonly second = Buffer.alloc(SECOND_PREFIX);
  private secondKnown = false;
  private secondLow = 0;
  private secondHigh = 0;

  private observed = -1n;
  private readonly observedBytes = Buffer.alloc(8);

  constructor(options: ByteLineEncoderOptions) {
    const fields = options.format.fields;
    this.codes = Uint8Array.from(fields, (spec) => spec.code);
    this.fieldKeys = fields.map((spec) => spec.keys.map(encodedKeyField));
    this.warnPrefixes = fields.map((spec: FieldSpec) =>
      spec.code === KIND_CODES['warn-status'] ? Buffer.from(spec.keys[1]) : undefined,
    );
    this.minFields = options.format.minFields;
    this.requestIndex = fields.findIndex((spec) => spec.code === KIND_CODES.request);
    this.urlFields = urlFieldKinds(options.format);
    this.includeBody = options.includeBody;
    this.redactQuery = options.redactQuery;
    this.uidPrefix = Buffer.from(`${options.uidPrefix}:`);
    this.resourceElb =
      options.resourceLoadBalancerId === undefined
        ? undefined
        : Buffer.from(options.resourceLoadBalancerId);
    const [
      method,
      methodOriginal,
      urlFull,
      urlScheme,
      urlPath,
      urlQuery,
      serverAddress,
      serverPort,
      protocolName,
      protocolVersion,
    ] = REQUEST_ATTRIBUTES.map(encodedKeyField);
    this.keys = {
      method,
      methodOriginal,
      urlFull,
      urlScheme,
      urlPath,
      urlQuery,
      serverAddress,
      serverPort,
      protocolName,
      protocolVersion,
      extraFields: encodedKeyField(EXTRA_FIELDS_KEY),
      lineElb: encodedKeyField(options.lineElbKey),
      uid: encodedKeyField(options.uidKey),
    };
    const allKeys = [...this.fieldKeys.flat(), ...Object.values(this.keys)];
    this.fixedBytes =
      allKeys.reduce((sum, key) => sum + key.length + ATTRIBUTE_FRAMING, 0) +
      this.uidPrefix.length +
      TAIL_BYTES;
    this.severityTexts = Array.from({ length: 25 }, (_, n) => {
      const text = Buffer.from(severityText(n));
      return Buffer.concat([Buffer.of(TAG_SEVERITY_TEXT, text.length), text]);
    });
  }

  encode(
    source: Buffer,
    start: number,
    end: number,
    offset: number,
    observed: bigint,
    writer: ProtobufWriter,
    field: number,
  ): boolean {
    if (!this.plain(source, start, end)) return false;
    const count = this.tokenize(source, start, end);
    if (count < this.minFields) return false;
    if (!this.marksInUrls(source, start, end, count)) return false;
    const fields = this.codes.length;
    const before = writer.length;
    const mark = writer.beginMedium(field);
    this.out = writer.room(
      (end - start) * BYTES_PER_LINE_BYTE + count * ELEMENT_FRAMING + this.fixedBytes,
    );
    this.at = writer.length;
    this.src = source;
    this.severity = SEVERITY_INFO;
    this.hasTrace = false;
    this.timeLow = 0;
    this.timeHigh = 0;
    this.elbStart = -1;
    this.editCount = 0;
    const n = Math.min(count, fields);
    for (let i = 0; i < n; i++) {
      const s = this.starts[i];
      const e = this.ends[i];
      if (e === s || (e - s === 1 && source[s] === DASH)) {
        if (this.codes[i] === KIND_CODES.time) return this.decline(writer, before);
        continue;
      }
      if (!this.field(i, s, e, count)) return this.decline(writer, before);
    }
    if (count > fields) this.fieldList(this.keys.extraFields, fields, count);
    if (this.elbStart !== -1 && !this.elbIsResource()) {
      this.stringValue(this.keys.lineElb, source, this.elbStart, this.elbEnd);
    }
    this.uid(offset);
    this.tail(source, start, end, observed);
    writer.truncate(this.at);
    writer.endMedium(mark);
    return true;
  }

  private decline(writer: ProtobufWriter, before: number): false {
    writer.truncate(before);
    return false;
  }

  /**
   * Whether `source[start, end)` can be copied as it is: ASCII (so its UTF-8
   * decoding is itself) and free of backslashes (so no field has escapes).
   * Lines of a buffer come in order, so each buffer is checked once for ASCII
   * and searched once for backslashes, by native code. A buffer must not
   * change while its lines are being encoded.
   */
  private plain(source: Buffer, start: number, end: number): boolean {
    if (source !== this.checked) {
      this.checked = source;
      this.checkedAscii = isAscii(source);
      this.backslash = -1;
    }
    // The backslash found holds for lines after the search's start only.
    if (this.backslash < start || start < this.searchedFrom) {
      this.searchedFrom = start;
      this.backslash = source.indexOf(BACKSLASH, start);
      if (this.backslash === -1) this.backslash = source.length;
    }
    if (this.backslash < end) return false;
    return this.checkedAscii || isAscii(source.subarray(start, end));
  }

  /**
   * Whether every `?` and `@` of the line lies in a URL field, where this
   * path redacts it as the string path does. One elsewhere may start a query
   * string or end URL credentials in free text (or in a line whose fields
   * shifted): the string path redacts such fields loosely
   * (`line-redaction.ts`), so the line is left to it.
   */
  private marksInUrls(source: Buffer, start: number, end: number, count: number): boolean {
    return (
      this.inUrls(this.questions, source, start, end, count) &&
      this.inUrls(this.ats, source, start, end, count)
    );
  }

  /** Whether every byte `marks` finds in `source[start, end)` lies in a URL field. */
  private inUrls(marks: NextByte, source: Buffer, start: number, end: number, count: number) {
    for (let at = marks.next(source, start); at < end; at = marks.next(source, at + 1)) {
      const field = tokenAt(this.starts, this.ends, count, at);
      if (field !== -1 && (field >= this.urlFields.length || this.urlFields[field] !== FIELD_URL)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Splits a {@link plain} line into {@link starts}/{@link ends} as
   * `tokenize()` does. Returns the field count, or -1 for a line this path
   * does not take.
   */
  private tokenize(b: Buffer, start: number, end: number): number {
    const starts = this.starts;
    const ends = this.ends;
    let count = 0;
    let p = start;
    while (p < end) {
      if (count === MAX_TOKENS) return -1;
      let q = p;
      if (b[p] === QUOTE) {
        // The closing quote is the first one followed by a space or the end.
        do {
          q++;
          while (q < end && b[q] !== QUOTE) q++;
          if (q === end) return -1; // no closing quote: a parse error, for the string path
        } while (q + 1 < end && b[q + 1] !== SPACE);
        starts[count] = p + 1;
        ends[count++] = q;
        p = q + 2;
      } else {
        while (q < end && b[q] !== SPACE) q++;
        starts[count] = p;
        ends[count++] = q;
        p = q + 1;
      }
    }
    return count;
  }

  /** Maps present field `i`; false when the line must take the string path. */
  private field(i: number, s: number, e: number, count: number): boolean {
    const keys = this.fieldKeys[i];
    const src = this.src;
    // Cases are KIND_CODES values, named in the comment beside each.
    switch (this.codes[i]) {
      case 0: // time
        return this.time(s, e);
      case 1: // elb
        this.elbStart = s;
        this.elbEnd = e;
        return true;
      case 2: // string
        this.stringValue(keys[0], src, s, e);
        return true;
      case 17: // url
        return this.url(keys[0], s, e);
      case 3: {
        // int
        const value = integerAt(src, s, e);
        if (Number.isNaN(value)) return false;
        this.intValue(keys[0], value);
        return true;
      }
      case 4: // double
        return this.decimal(keys[0], s, e);
      case 5: // host-port
        return this.hostPort(keys, s, e);
      case 15: // target
        if (startsWith(src, s, e, ARN)) {
          this.stringValue(keys[2], src, s, e);
          return true;
        }
        return this.hostPort(keys, s, e);
      case 6: // request
        return this.request(s, e);
      case 7: {
        // status
        const code = integerAt(src, s, e);
        if (Number.isNaN(code)) return false;
        this.intValue(keys[0], code);
        if (code >= 500) this.severity = SEVERITY_ERROR;
        else if (code >= 400) this.severity = SEVERITY_WARN;
        return true;
      }
      case 8: // tls-version
        this.tlsVersion(keys[0], s, e);
        return true;
      case 9: // trace
        this.stringValue(keys[0], src, s, e);
        this.readTraceId(s, e);
        return true;
      case 10: // comma-list
        this.split(keys[0], COMMA, s, e);
        return true;
      case 11: // space-list
        this.split(keys[0], SPACE, s, e);
        return true;
      case 14: {
        // warn-status
        this.stringValue(keys[0], src, s, e);
        const prefix = this.warnPrefixes[i] as Buffer;
        if (startsWith(src, s, e, prefix) && this.severity < SEVERITY_WARN) {
          this.severity = SEVERITY_WARN;
        }
        return true;
      }
      case 16: {
        // clb-bytes
        const bytes = integerAt(src, s, e);
        if (Number.isNaN(bytes)) return false;
        const r = this.requestIndex;
        const tcp = r >= 0 && r < count && isTcpRequest(src, this.starts[r], this.ends[r]);
        this.intValue(tcp ? keys[1] : keys[0], bytes);
        return true;
      }
      case 12: // alpn-list
        return this.alpnList(keys[0], s, e);
      case 13: // cert-validity
        return this.certValidity(keys, s, e);
      default:
        return false;
    }
  }

  /**
   * NLB's `"h2","http/1.1"` (its outer quotes already taken by the
   * tokenizer): each part without its quotes, as `alpnList` gives it. A
   * part with `%` escapes is left to the string path, which decodes them.
   */
  private alpnList(key: Buffer, s: number, e: number): boolean {
    const src = this.src;
    for (let k = s; k < e; k++) if (src[k] === 0x25 /* % */) return false;
    let array = 0;
    let from = s;
    for (let k = s; k <= e; k++) {
      if (k < e && src[k] !== COMMA) continue;
      array += elementSize(unquotedEnd(src, from, k) - unquotedStart(src, from, k));
      from = k + 1;
    }
    let at = this.openArray(key, array);
    const out = this.out;
    from = s;
    for (let k = s; k <= e; k++) {
      if (k < e && src[k] !== COMMA) continue;
      at = writeElement(out, at, src, unquotedStart(src, from, k), unquotedEnd(src, from, k));
      from = k + 1;
    }
    this.at = at;
    return true;
  }

  /** `NotBefore=<time>;NotAfter=<time>` into `keys[0]` and `keys[1]`, each when not empty. */
  private certValidity(keys: Buffer[], s: number, e: number): boolean {
    const src = this.src;
    if (!startsWith(src, s, e, NOT_BEFORE)) return false;
    const from = s + NOT_BEFORE.length;
    let semicolon = from;
    while (semicolon < e && src[semicolon] !== SEMICOLON) semicolon++;
    if (!startsWith(src, semicolon, e, NOT_AFTER)) return false;
    const after = semicolon + NOT_AFTER.length;
    if (semicolon > from) this.stringValue(keys[0], src, from, semicolon);
    if (e > after) this.stringValue(keys[1], src, after, e);
    return true;
  }

  /** The record's time, from `YYYY-MM-DDTHH:MM:SS[.fraction][Z]`. */
  private time(s: number, e: number): boolean {
    const src = this.src;
    if (e - s < SECOND_PREFIX) return false;
    const second = this.second;
    let same = this.secondKnown;
    for (let k = 0; same && k < SECOND_PREFIX; k++) same = src[s + k] === second[k];
    if (!same) {
      const nanos = parseTimestamp(src.toString('latin1', s, s + SECOND_PREFIX));
      if (nanos === undefined || nanos <= 0n) return false;
      src.copy(second, 0, s, s + SECOND_PREFIX);
      this.secondKnown = true;
      this.secondLow = Number(nanos & 0xffffffffn);
      this.secondHigh = Number(nanos >> 32n);
    }
    let i = s + SECOND_PREFIX;
    let fraction = 0;
    if (i < e && src[i] === DOT) {
      const first = ++i;
      while (i < e && i - first < 9) {
        const c = src[i];
        if (c < ZERO || c > NINE) break;
        fraction = fraction * 10 + (c - ZERO);
        i++;
      }
      if (i === first) return false;
      fraction *= FRACTION_SCALE[i - first];
    }
    if (i < e && (src[i] | 0x20) === 0x7a /* Z or z */) i++;
    if (i !== e) return false;
    let low = this.secondLow + fraction;
    let high = this.secondHigh;
    if (low >= TWO_TO_32) {
      low -= TWO_TO_32;
      high++;
    }
    this.timeLow = low;
    this.timeHigh = high;
    return true;
  }

  private hostPort(keys: Buffer[], s: number, e: number): boolean {
    const src = this.src;
    let colon = e - 1;
    while (colon > s && src[colon] !== COLON) colon--;
    if (colon <= s || colon === e - 1 || src[s] === 0x5b /* [ */) return false;
    const port = integerAt(src, colon + 1, e);
    if (!(port >= 0 && port <= 65535) || src[colon + 1] === DASH) return false;
    this.stringValue(keys[0], src, s, colon);
    this.intValue(keys[1], port);
    return true;
  }

  /**
   * `METHOD scheme://authority/path?query HTTP/x.y`, or Classic ELB's `- - - `,
   * as `mapRequestLine` maps them; anything else (no version, a relative URL,
   * credentials, an IPv6 host, an escaped query key) is left to it.
   */
  private request(s: number, e: number): boolean {
    const src = this.src;
    const keys = this.keys;
    let firstSpace = s;
    while (firstSpace < e && src[firstSpace] !== SPACE) firstSpace++;
    if (firstSpace - s === 1 && src[s] === DASH) {
      // A TCP or SSL listener's request: no HTTP at all.
      for (let k = s; k < e; k++) if (src[k] !== DASH && src[k] !== SPACE) return false;
      return true;
    }
    let lastSpace = e - 1;
    while (lastSpace > firstSpace && src[lastSpace] !== SPACE) lastSpace--;
    if (firstSpace === s || lastSpace <= firstSpace) return false;
    if (!startsWith(src, lastSpace + 1, e, HTTP_SLASH)) return false;
    // A query string or credentials outside the URL: the string path redacts them.
    if (hasMark(src, s, firstSpace) || hasMark(src, lastSpace, e)) return false;
    const urlStart = firstSpace + 1;
    const urlEnd = lastSpace;
    let schemeEnd = -1;
    if (urlEnd > urlStart) {
      schemeEnd = schemeEndIn(src, urlStart, urlEnd);
      if (schemeEnd === -1) return false;
    }
    // The URL's parts, checked before anything is written.
    let host = -1;
    let hostEnd = -1;
    let port = -1;
    let authorityEnd = -1;
    let queryStart = -1;
    let queryLength = 0;
    let redacting = false;
    const redact = this.redactQuery;
    const isUrl = schemeEnd !== -1;
    if (isUrl) {
      const authorityStart = schemeEnd + 3;
      authorityEnd = authorityEndIn(src, authorityStart, urlEnd);
      if (authorityEnd === -1) return false;
      if (src[authorityStart] === 0x5b /* [ */) return false;
      host = authorityStart;
      hostEnd = authorityEnd;
      let colon = authorityEnd - 1;
      while (colon >= authorityStart && src[colon] !== COLON) colon--;
      if (colon >= authorityStart) {
        const digits = authorityEnd - colon - 1;
        if (digits < 1 || digits > 5) return false;
        port = integerAt(src, colon + 1, authorityEnd);
        if (Number.isNaN(port) || src[colon + 1] === DASH) return false;
        hostEnd = colon;
      }
      queryStart = authorityEnd;
      while (queryStart < urlEnd && src[queryStart] !== QUESTION) queryStart++;
      if (queryStart === urlEnd) {
        queryStart = -1;
      } else {
        queryLength = redact
          ? redact.measure(src, queryStart + 1, urlEnd)
          : urlEnd - queryStart - 1;
        if (queryLength < 0) return false;
        redacting = redact !== undefined && redact.hits > 0;
      }
    }

    const method = knownMethod(src, s, firstSpace);
    if (method) {
      this.stringValue(keys.method, src, s, firstSpace);
    } else {
      this.stringValue(keys.method, VALUE_OTHER, 0, VALUE_OTHER.length);
      this.stringValue(keys.methodOriginal, src, s, firstSpace);
    }
    if (isUrl) {
      const pathEnd = queryStart === -1 ? urlEnd : queryStart;
      /** Where `url.full`'s query was written: `url.query` and the body copy it. */
      let queryAt = -1;
      if (queryStart === -1) {
        this.stringValue(keys.urlFull, src, urlStart, urlEnd);
      } else {
        this.open(keys.urlFull, queryStart + 1 - urlStart + queryLength);
        this.at = copy(src, urlStart, queryStart + 1, this.out, this.at);
        queryAt = this.at;
        this.query(queryStart + 1, urlEnd);
        if (redacting) this.edit(queryStart + 1, urlEnd, queryLength, queryAt);
      }
      this.stringValue(keys.urlScheme, src, urlStart, schemeEnd);
      if (pathEnd > authorityEnd) this.stringValue(keys.urlPath, src, authorityEnd, pathEnd);
      if (queryLength > 0) {
        this.open(keys.urlQuery, queryLength);
        this.at = copyWithin(this.out, queryAt, queryLength, this.at);
      }
      if (hostEnd > host) this.stringValue(keys.serverAddress, src, host, hostEnd);
      if (port >= 0) this.intValue(keys.serverPort, port);
    }
    this.stringValue(keys.protocolName, VALUE_HTTP, 0, VALUE_HTTP.length);
    const version = lastSpace + 6;
    const versionLength = e - version;
    if (versionLength === 3 && src[version + 1] === DOT && src[version + 2] === ZERO) {
      if (src[version] === 0x32) {
        this.stringValue(keys.protocolVersion, VALUE_2, 0, 1);
        return true;
      }
      if (src[version] === 0x33) {
        this.stringValue(keys.protocolVersion, VALUE_3, 0, 1);
        return true;
      }
    }
    this.stringValue(keys.protocolVersion, src, version, e);
    return true;
  }

  /**
   * A URL field (`redirect_url`, `transformed_uri`) as `redactUrl` writes it:
   * its query redacted; credentials in it are left to the string path.
   */
  private url(key: Buffer, s: number, e: number): boolean {
    const src = this.src;
    const redact = this.redactQuery;
    let authorityEnd = s;
    const schemeEnd = schemeEndIn(src, s, e);
    if (schemeEnd !== -1) {
      authorityEnd = authorityEndIn(src, schemeEnd + 3, e);
      if (authorityEnd === -1) return false;
    }
    let queryStart = authorityEnd;
    while (queryStart < e && src[queryStart] !== QUESTION) queryStart++;
    if (queryStart === e || redact === undefined) {
      this.stringValue(key, src, s, e);
      return true;
    }
    const queryLength = redact.measure(src, queryStart + 1, e);
    if (queryLength < 0) return false;
    if (redact.hits === 0) {
      this.stringValue(key, src, s, e);
      return true;
    }
    this.open(key, queryStart + 1 - s + queryLength);
    this.at = copy(src, s, queryStart + 1, this.out, this.at);
    const queryAt = this.at;
    this.at = redact.write(src, queryStart + 1, e, this.out, this.at);
    this.edit(queryStart + 1, e, queryLength, queryAt);
    return true;
  }

  /**
   * Notes that the body holds `src[s, e)` redacted instead: the `length`
   * bytes already written at `written`.
   */
  private edit(s: number, e: number, length: number, written: number): void {
    const at = EDIT_STRIDE * this.editCount++;
    this.edits[at] = s;
    this.edits[at + 1] = e;
    this.edits[at + 2] = length;
    this.edits[at + 3] = written;
  }

  /** Writes the query at `src[s, e)`, redacted as configured. */
  private query(s: number, e: number): void {
    const redact = this.redactQuery;
    this.at =
      redact === undefined
        ? copy(this.src, s, e, this.out, this.at)
        : redact.write(this.src, s, e, this.out, this.at);
  }

  /** `TLSv1.2` or `tlsv12` → `1.2`; anything else as logged (see `tlsVersion`). */
  private tlsVersion(key: Buffer, s: number, e: number): void {
    const src = this.src;
    const tls =
      e - s >= 4 &&
      (src[s] | 0x20) === 0x74 &&
      (src[s + 1] | 0x20) === 0x6c &&
      (src[s + 2] | 0x20) === 0x73 &&
      (src[s + 3] | 0x20) === 0x76;
    if (!tls) {
      this.stringValue(key, src, s, e);
      return;
    }
    const from = s + 4;
    let dot = false;
    for (let k = from; k < e; k++) if (src[k] === DOT) dot = true;
    const length = e - from === 2 && !dot ? 3 : e - from;
    this.open(key, length);
    const out = this.out;
    let at = this.at;
    if (e - from === 2 && !dot) {
      out[at++] = lower(src[from]);
      out[at++] = DOT;
      out[at++] = lower(src[from + 1]);
    } else {
      for (let k = from; k < e; k++) out[at++] = lower(src[k]);
    }
    this.at = at;
  }

  /** The W3C trace id of an `X-Amzn-Trace-Id` value, as `traceIdFromXRay` reads it. */
  private readTraceId(s: number, e: number): void {
    const src = this.src;
    let at = startsWith(src, s, e, ROOT) ? s : src.indexOf(ROOT, s);
    if (at === -1 || at + ROOT.length > e) return;
    at += ROOT.length;
    const idEnd = at + 33;
    if (idEnd > e || src[at + 8] !== DASH) return;
    if (idEnd < e && src[idEnd] !== SEMICOLON) return;
    const id = this.traceId;
    let nonZero = false;
    let n = 0;
    for (let k = at; k < idEnd; k += 2) {
      if (k === at + 8) k++;
      const hi = hexDigit(src[k]);
      const lo = hexDigit(src[k + 1]);
      if (hi < 0 || lo < 0) return;
      const byte = (hi << 4) | lo;
      if (byte !== 0) nonZero = true;
      id[n++] = byte;
    }
    if (nonZero) this.hasTrace = true;
  }

  private elbIsResource(): boolean {
    const resource = this.resourceElb;
    if (resource === undefined || resource.length !== this.elbEnd - this.elbStart) return false;
    return startsWith(this.src, this.elbStart, this.elbEnd, resource);
  }

  /** `log.record.uid`: the object's prefix, a colon, the offset in decimal. */
  private uid(offset: number): void {
    const prefix = this.uidPrefix;
    let digits = 1;
    for (let rest = offset; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    this.open(this.keys.uid, prefix.length + digits);
    const out = this.out;
    let at = this.at;
    out.set(prefix, at);
    at += prefix.length + digits;
    this.at = at;
    let rest = offset;
    for (let k = 1; k <= digits; k++) {
      out[at - k] = ZERO + (rest % 10);
      rest = Math.floor(rest / 10);
    }
  }

  /** Time, severity, body, trace id and observed time, in `writeLogRecordTail`'s order. */
  private tail(source: Buffer, start: number, end: number, observed: bigint): void {
    const out = this.out;
    let at = this.at;
    if (this.timeLow !== 0 || this.timeHigh !== 0) {
      out[at++] = TAG_TIME;
      out.writeUInt32LE(this.timeLow, at);
      out.writeUInt32LE(this.timeHigh, at + 4);
      at += 8;
    }
    out[at++] = TAG_SEVERITY;
    out[at++] = this.severity;
    const text = this.severityTexts[this.severity];
    out.set(text, at);
    at += text.length;
    if (this.includeBody && this.editCount > 0) {
      at = this.redactedBody(source, start, end, at);
    } else if (this.includeBody) {
      const length = end - start;
      out[at++] = TAG_BODY;
      at = writeVarint(out, at, length + 1 + varintSize(length));
      out[at++] = TAG_STRING;
      at = writeVarint(out, at, length);
      source.copy(out, at, start, end);
      at += length;
    }
    if (this.hasTrace) {
      out[at++] = TAG_TRACE_ID;
      out[at++] = 16;
      out.set(this.traceId, at);
      at += 16;
    }
    if (observed !== this.observed) {
      this.observed = observed;
      this.observedBytes.writeBigUInt64LE(observed);
    }
    out[at++] = TAG_OBSERVED;
    const bytes = this.observedBytes;
    for (let k = 0; k < 8; k++) out[at++] = bytes[k];
    this.at = at;
  }

  /** The body of a line with redacted URLs: the line, each edited span in its redacted form. */
  private redactedBody(source: Buffer, start: number, end: number, at: number): number {
    const out = this.out;
    const edits = this.edits;
    const count = EDIT_STRIDE * this.editCount;
    let length = end - start;
    for (let k = 0; k < count; k += EDIT_STRIDE) length += edits[k + 2] - (edits[k + 1] - edits[k]);
    out[at++] = TAG_BODY;
    at = writeVarint(out, at, length + 1 + varintSize(length));
    out[at++] = TAG_STRING;
    at = writeVarint(out, at, length);
    let from = start;
    for (let k = 0; k < count; k += EDIT_STRIDE) {
      at = copy(source, from, edits[k], out, at);
      at = copyWithin(out, edits[k + 3], edits[k + 2], at);
      from = edits[k + 1];
    }
    return copy(source, from, end, out, at);
  }

  /** Writes an attribute's framing up to the first byte of a string value of `length` bytes. */
  private open(key: Buffer, length: number): void {
    const out = this.out;
    let at = this.at;
    const any = 1 + varintSize(length) + length;
    const pair = key.length + 1 + varintSize(any) + any;
    out[at++] = TAG_ATTRIBUTE;
    at = writeVarint(out, at, pair);
    out.set(key, at);
    at += key.length;
    out[at++] = TAG_VALUE;
    at = writeVarint(out, at, any);
    out[at++] = TAG_STRING;
    this.at = writeVarint(out, at, length);
  }

  /** A string attribute whose value is `from[s, e)`. */
  private stringValue(key: Buffer, from: Buffer, s: number, e: number): void {
    this.open(key, e - s);
    this.at = copy(from, s, e, this.out, this.at);
  }

  private intValue(key: Buffer, value: number): void {
    const out = this.out;
    let at = this.at;
    const size = value < 0 ? 10 : varintSize(value);
    out[at++] = TAG_ATTRIBUTE;
    at = writeVarint(out, at, key.length + 3 + size);
    out.set(key, at);
    at += key.length;
    out[at++] = TAG_VALUE;
    out[at++] = 1 + size;
    out[at++] = TAG_INT;
    if (value < 0) {
      let bits = BigInt.asUintN(64, BigInt(value));
      for (let k = 0; k < 9; k++) {
        out[at++] = Number(bits & 0x7fn) | 0x80;
        bits >>= 7n;
      }
      out[at++] = Number(bits);
    } else {
      at = writeVarint(out, at, value);
    }
    this.at = at;
  }

  /**
   * A double attribute from `-?digits[.digits]` of at most 15 characters
   * after the sign, read as `parseDecimal` reads it; false for anything else.
   * Parsed and written in one method, so the value is never boxed.
   */
  private decimal(key: Buffer, s: number, e: number): boolean {
    const src = this.src;
    const negative = src[s] === DASH;
    const firstDigit = negative ? s + 1 : s;
    if (e - firstDigit > MAX_INT_DIGITS) return false;
    let dot = -1;
    let scaled = 0;
    let k = firstDigit;
    for (; k < e; k++) {
      const c = src[k];
      if (c >= ZERO && c <= NINE) {
        scaled = scaled * 10 + (c - ZERO);
      } else if (c === DOT && dot === -1 && k > firstDigit) {
        dot = k;
      } else {
        return false;
      }
    }
    if (k === firstDigit || dot === e - 1) return false;
    let value = dot === -1 ? scaled : scaled / POWERS_OF_TEN[e - dot - 1];
    if (negative) value = -value;
    const out = this.out;
    let at = this.at;
    out[at++] = TAG_ATTRIBUTE;
    at = writeVarint(out, at, key.length + 11);
    out.set(key, at);
    at += key.length;
    out[at++] = TAG_VALUE;
    out[at++] = 9;
    out[at++] = TAG_DOUBLE;
    out.writeDoubleLE(value, at);
    this.at = at + 8;
    return true;
  }

  /** A string-array attribute: `src[s, e)` split at every `separator` byte. */
  private split(key: Buffer, separator: number, s: number, e: number): void {
    const src = this.src;
    let array = 0;
    let from = s;
    for (let k = s; k < e; k++) {
      if (src[k] !== separator) continue;
      array += elementSize(k - from);
      from = k + 1;
    }
    array += elementSize(e - from);
    let at = this.openArray(key, array);
    const out = this.out;
    from = s;
    for (let k = s; k < e; k++) {
      if (src[k] !== separator) continue;
      at = writeElement(out, at, src, from, k);
      from = k + 1;
    }
    this.at = writeElement(out, at, src, from, e);
  }

  /** A string-array attribute of the line's fields `first` to `last - 1`, as they are. */
  private fieldList(key: Buffer, first: number, last: number): void {
    const starts = this.starts;
    const ends = this.ends;
    let array = 0;
    for (let t = first; t < last; t++) array += elementSize(ends[t] - starts[t]);
    let at = this.openArray(key, array);
    for (let t = first; t < last; t++)
      at = writeElement(this.out, at, this.src, starts[t], ends[t]);
    this.at = at;
  }

  /** Writes an attribute's framing up to the first element of an array of `array` bytes; returns where that goes. */
  private openArray(key: Buffer, array: number): number {
    const out = this.out;
    let at = this.at;
    const any = 1 + varintSize(array) + array;
    out[at++] = TAG_ATTRIBUTE;
    at = writeVarint(out, at, key.length + 1 + varintSize(any) + any);
    out.set(key, at);
    at += key.length;
    out[at++] = TAG_VALUE;
    at = writeVarint(out, at, any);
    out[at++] = TAG_ARRAY;
    return writeVarint(out, at, array);
  }
}

/** Encoded size of an `ArrayValue.values` element holding a string of `length` bytes. */
function elementSize(length: number): number {
  const any = 1 + varintSize(length) + length;
  return 1 + varintSize(any) + any;
}

/** Writes the `ArrayValue.values` element of string `src[s, e)` at `at`; returns the position after it. */
function writeElement(out: Buffer, at: number, src: Buffer, s: number, e: number): number {
  const length = e - s;
  out[at++] = TAG_ELEMENT;
  at = writeVarint(out, at, 1 + varintSize(length) + length);
  out[at++] = TAG_STRING;
  at = writeVarint(out, at, length);
  return copy(src, s, e, out, at);
}

/** Copies `from[s, e)` to `out` at `at`; returns the position after it. */
function copy(from: Buffer, s: number, e: number, out: Buffer, at: number): number {
  if (e - s <= SHORT_COPY) {
    for (let k = s; k < e; k++) out[at++] = from[k];
    return at;
  }
  return at + from.copy(out, at, s, e);
}

/** Copies `length` bytes of `out` from `from` to `at` (earlier bytes, no overlap); returns the position after them. */
function copyWithin(out: Buffer, from: number, length: number, at: number): number {
  if (length <= SHORT_COPY) {
    for (let k = 0; k < length; k++) out[at + k] = out[from + k];
    return at + length;
  }
  out.copyWithin(at, from, from + length);
  return at + length;
}

/** Writes `value` (non-negative, up to 2^53) as a varint at `at`; returns the position after it. */
function writeVarint(out: Buffer, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[at++] = value;
  return at;
}
