/**
 * Counts the log records of an OTLP `ExportLogsServiceRequest` (protobuf) by
 * walking its fields' tags and lengths, without building objects: the
 * demo's receiver counts every record this way and decodes whole
 * (`otlp-decoder.ts`, protobufjs) only the requests it shows, because a
 * full decode on the same thread as the pipeline costs more CPU time than
 * encoding and shipping the records (BENCHMARKS.md "Demo").
 *
 * Written from the OTLP specification's `.proto` (`otlp-logs.proto`, beside
 * this file), like the decoder, and importing nothing of `shared/`; a body it
 * cannot walk to its end (a length past the end, an unknown wire type)
 * throws, so a count is exact or absent. Unknown fields are skipped, as
 * protobuf readers do.
 */

// Field numbers of otlp-logs.proto.
const REQUEST_RESOURCE_LOGS = 1;
const RESOURCE_LOGS_RESOURCE = 1;
const RESOURCE_LOGS_SCOPE_LOGS = 2;
const RESOURCE_ATTRIBUTES = 1;
const SCOPE_LOGS_LOG_RECORDS = 2;
const LOG_RECORD_ATTRIBUTES = 6;
const KEY_VALUE_KEY = 1;
const KEY_VALUE_VALUE = 2;
const ANY_VALUE_STRING = 1;
const ANY_VALUE_INT = 3;

// Wire types.
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** What one `ResourceLogs` of a request holds, in the order of the request. */
export interface ResourceLogsCount {
  /** The resource's attributes that hold a string, key → value. */
  resource: Map<string, string>;
  /** Its log records, over all its scopes. */
  records: number;
  /**
   * Records by the integer value of the attribute asked for (`intAttribute`);
   * records without it (or with a value that is not an integer) under `null`.
   * Empty when no attribute was asked for.
   */
  byIntValue: Map<number | null, number>;
}

/**
 * Walks a protobuf `ExportLogsServiceRequest` (decompressed) and counts its
 * log records per `ResourceLogs`; with `intAttribute`, also by that record
 * attribute's integer value (e.g. `http.response.status_code`).
 *
 * @throws Error when the body is not well-formed protobuf of that message.
 * @example
 * const total = countLogRecords(body).reduce((sum, r) => sum + r.records, 0);
 */
export function countLogRecords(
  bytes: Uint8Array,
  options: { intAttribute?: string } = {},
): ResourceLogsCount[] {
  const key = options.intAttribute === undefined ? undefined : utf8(options.intAttribute);
  const reader = new WireReader(bytes);
  const out: ResourceLogsCount[] = [];
  reader.fields(0, bytes.length, (field, start, end) => {
    if (field !== REQUEST_RESOURCE_LOGS) return;
    const count: ResourceLogsCount = { resource: new Map(), records: 0, byIntValue: new Map() };
    reader.fields(start, end, (rlField, rlStart, rlEnd) => {
      if (rlField === RESOURCE_LOGS_RESOURCE) {
        reader.fields(rlStart, rlEnd, (resField, aStart, aEnd) => {
          if (resField !== RESOURCE_ATTRIBUTES) return;
          const attribute = reader.stringAttribute(aStart, aEnd);
          if (attribute !== undefined) count.resource.set(attribute[0], attribute[1]);
        });
      } else if (rlField === RESOURCE_LOGS_SCOPE_LOGS) {
        reader.fields(rlStart, rlEnd, (slField, recStart, recEnd) => {
          if (slField !== SCOPE_LOGS_LOG_RECORDS) return;
          count.records++;
          if (key === undefined) return;
          const value = reader.intAttributeOf(recStart, recEnd, key);
          count.byIntValue.set(value, (count.byIntValue.get(value) ?? 0) + 1);
        });
      }
    });
    out.push(count);
  });
  return out;
}

/** A cursor over protobuf bytes; every length is checked against its message's end. */
class WireReader {
  readonly bytes: Uint8Array;
  pos = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /**
   * Calls `visit` with each length-delimited field of the message in
   * `[start, end)` (field number and the bounds of its value); skips the
   * fields of other wire types.
   */
  fields(start: number, end: number, visit: (field: number, start: number, end: number) => void) {
    let at = start;
    while (at < end) {
      this.pos = at;
      const tag = this.varint(end);
      const wireType = tag & 7;
      const field = tag >>> 3;
      if (wireType === LENGTH_DELIMITED) {
        const length = this.varint(end);
        const valueStart = this.pos;
        const valueEnd = valueStart + length;
        if (valueEnd > end)
          throw new Error(`field ${field}: length ${length} runs past its message`);
        visit(field, valueStart, valueEnd);
        at = valueEnd;
      } else {
        at = this.skip(wireType, field, end);
      }
    }
  }

  /** A `KeyValue` whose value is a string, as [key, value]; undefined for other values. */
  stringAttribute(start: number, end: number): [string, string] | undefined {
    let key: string | undefined;
    let value: string | undefined;
    this.fields(start, end, (field, fStart, fEnd) => {
      if (field === KEY_VALUE_KEY) key = this.text(fStart, fEnd);
      else if (field === KEY_VALUE_VALUE) {
        this.fields(fStart, fEnd, (vField, vStart, vEnd) => {
          if (vField === ANY_VALUE_STRING) value = this.text(vStart, vEnd);
        });
      }
    });
    return key === undefined || value === undefined ? undefined : [key, value];
  }

  /**
   * The integer value of the attribute `key` (UTF-8) of the `LogRecord` in
   * `[start, end)`, or null. Keys are compared as bytes, so no string is built.
   */
  intAttributeOf(start: number, end: number, key: Uint8Array): number | null {
    // Inline loops rather than fields(): this runs for every attribute of every record.
    let found: number | null = null;
    let at = start;
    while (at < end) {
      this.pos = at;
      const tag = this.varint(end);
      if ((tag & 7) !== LENGTH_DELIMITED) {
        at = this.skip(tag & 7, tag >>> 3, end);
        continue;
      }
      const length = this.varint(end);
      const kvStart = this.pos;
      const kvEnd = kvStart + length;
      if (kvEnd > end)
        throw new Error(`field ${tag >>> 3}: length ${length} runs past its message`);
      at = kvEnd;
      if (tag >>> 3 !== LOG_RECORD_ATTRIBUTES) continue;
      let matches = false;
      let kvAt = kvStart;
      while (kvAt < kvEnd) {
        this.pos = kvAt;
        const kvTag = this.varint(kvEnd);
        if ((kvTag & 7) !== LENGTH_DELIMITED) {
          kvAt = this.skip(kvTag & 7, kvTag >>> 3, kvEnd);
          continue;
        }
        const fieldLength = this.varint(kvEnd);
        const fieldStart = this.pos;
        kvAt = fieldStart + fieldLength;
        if (kvAt > kvEnd) throw new Error(`KeyValue: length ${fieldLength} runs past its message`);
        if (kvTag >>> 3 === KEY_VALUE_KEY) matches = this.equals(fieldStart, kvAt, key);
        else if (kvTag >>> 3 === KEY_VALUE_VALUE && matches)
          found = this.intValue(fieldStart, kvAt);
      }
    }
    return found;
  }

  /** An `AnyValue`'s `int_value`, or null when it holds another kind of value. */
  private intValue(start: number, end: number): number | null {
    let at = start;
    let value: number | null = null;
    while (at < end) {
      this.pos = at;
      const tag = this.varint(end);
      if (tag === ((ANY_VALUE_INT << 3) | VARINT)) {
        value = this.int64(end);
        at = this.pos;
      } else if ((tag & 7) === LENGTH_DELIMITED) {
        const length = this.varint(end);
        at = this.pos + length;
        if (at > end) throw new Error(`AnyValue: length ${length} runs past its message`);
      } else {
        at = this.skip(tag & 7, tag >>> 3, end);
      }
    }
    return value;
  }

  private equals(start: number, end: number, key: Uint8Array): boolean {
    if (end - start !== key.length) return false;
    for (let i = 0; i < key.length; i++) if (this.bytes[start + i] !== key[i]) return false;
    return true;
  }

  private text(start: number, end: number): string {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + start, end - start).toString(
      'utf8',
    );
  }

  /** Skips a value that is not length-delimited; returns where the next field starts. */
  private skip(wireType: number, field: number, end: number): number {
    if (wireType === VARINT) this.varint(end);
    else if (wireType === FIXED64) this.pos += 8;
    else if (wireType === FIXED32) this.pos += 4;
    else throw new Error(`field ${field}: wire type ${wireType} is not one OTLP uses`);
    if (this.pos > end) throw new Error(`field ${field}: runs past its message`);
    return this.pos;
  }

  /** An unsigned varint of up to 32 bits (tags and lengths). */
  private varint(end: number): number {
    if (this.pos < end && this.bytes[this.pos] < 0x80) return this.bytes[this.pos++];
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= end) throw new Error('a varint runs past its message');
      const byte = this.bytes[this.pos++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    throw new Error('a varint longer than 32 bits where a tag or a length belongs');
  }

  /** An int64 varint as a number (exact to 2^53; negatives as two's complement). */
  private int64(end: number): number {
    // Up to seven bytes (49 bits, every status code or size) in plain numbers.
    let small = 0;
    for (let i = 0; i < 7 && this.pos + i < end; i++) {
      const byte = this.bytes[this.pos + i];
      small += (byte & 0x7f) * 2 ** (7 * i);
      if (byte < 0x80) {
        this.pos += i + 1;
        return small;
      }
    }
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= end) throw new Error('a varint runs past its message');
      const byte = this.bytes[this.pos++];
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return Number(BigInt.asIntN(64, value));
    }
    throw new Error('a varint longer than 64 bits');
  }
}

function utf8(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}
