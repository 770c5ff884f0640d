/**
 * A minimal protobuf wire-format writer: varints, fixed64, doubles, strings
 * and length-delimited messages, written in one pass into a growing buffer.
 *
 * Hand-written because this is the hot path of every export: the general
 * encoders either walk a reflection schema or size every message twice
 * (`BENCHMARKS.md`, "Encode", has the numbers). A nested message reserves one
 * length byte; when its body turns out to need a longer varint, the body is
 * moved up by the difference (a `memmove`, rare for attributes).
 *
 * @see https://protobuf.dev/programming-guides/encoding/
 */

/** Where a buffer starts: big enough for a few hundred records without growing. */
const INITIAL_BYTES = 1024 * 1024;
/** UTF-16 code units encode to at most 3 UTF-8 bytes each. */
const MAX_UTF8_BYTES_PER_UNIT = 3;
/** A tag, the longest length varint, and slack for the byte a message reserves. */
const FIELD_OVERHEAD = 16;

/**
 * Strings shorter than this are copied by a JavaScript loop, longer ones by
 * `utf8Write` (measured on ALB values: the loop wins below about 16 units).
 */
const SHORT_STRING = 16;
/** Byte arrays up to this long are copied by a JavaScript loop, longer ones by `set`. */
const SHORT_COPY = 64;

/** Wire types, combined with field numbers into tags as `(field << 3) | wireType`. */
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;

/**
 * Bytes a non-negative varint up to 2^53 takes. The lengths of a log line's
 * values and attributes take one to three bytes: those are told without a
 * division (the byte-level fast path asks for several per attribute).
 */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  let size = 5;
  for (let rest = Math.floor(value / 0x800000000); rest > 0; rest = Math.floor(rest / 0x80)) size++;
  return size;
}

function viewOf(buffer: Buffer): DataView {
  return new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Writes protobuf fields into one buffer. `bytes()` views what was written;
 * `reset()` starts over in the same memory.
 */
export class ProtobufWriter {
  private buffer: Buffer;
  /** Over {@link buffer}, for fixed-width numbers without intermediate values. */
  private view: DataView;
  private position = 0;

  /** Starts in a new buffer of `initial` bytes, or in the buffer given. */
  constructor(initial: number | Buffer = INITIAL_BYTES) {
    this.buffer = typeof initial === 'number' ? Buffer.allocUnsafe(initial) : initial;
    this.view = viewOf(this.buffer);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.position;
  }

  /** A view of the bytes written (valid until the next write or reset). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.position);
  }

  /** A copy of the bytes written, independent of later writes. */
  copy(): Buffer {
    return Buffer.from(this.bytes());
  }

  reset(): void {
    this.position = 0;
  }

  /**
   * Continues in `next`: the bytes written at `[from, to)` are copied to
   * `next` at `at`, and writing resumes after them. Returns the buffer left
   * behind, which the writer no longer touches.
   */
  swap(next: Buffer, from: number, to: number, at: number): Buffer {
    const previous = this.buffer;
    this.buffer = next;
    this.view = viewOf(next);
    this.position = at;
    this.ensure(to - from);
    previous.copy(this.buffer, at, from, to);
    this.position = at + to - from;
    return previous;
  }

  /**
   * Makes room for `bytes` more bytes and returns the buffer to write them
   * into, from {@link length} on, for a caller that writes bytes itself; it
   * then moves the end past them with {@link truncate}.
   */
  room(bytes: number): Buffer {
    this.ensure(bytes);
    return this.buffer;
  }

  /** Forgets everything written after the first `length` bytes (or moves the end there). */
  truncate(length: number): void {
    this.position = length;
  }

  /** A field tag for field numbers up to 15. */
  tag(field: number, wireType: number): void {
    this.ensure(1);
    this.buffer[this.position++] = (field << 3) | wireType;
  }

  /** A non-negative integer up to 2^53 as a varint. */
  varint(value: number): void {
    this.ensure(10);
    const buffer = this.buffer;
    let position = this.position;
    while (value >= 128) {
      buffer[position++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    buffer[position++] = value;
    this.position = position;
  }

  /** An `int64` varint: negative values take ten bytes (two's complement), as protobuf says. */
  int64(value: number): void {
    if (value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
      this.varint(value);
      return;
    }
    let bits = BigInt.asUintN(64, BigInt(Math.trunc(value)));
    this.ensure(10);
    while (bits >= 128n) {
      this.buffer[this.position++] = Number(bits & 0x7fn) | 0x80;
      bits >>= 7n;
    }
    this.buffer[this.position++] = Number(bits);
  }

  /** A `fixed64` from an unsigned 64-bit bigint. */
  fixed64(value: bigint): void {
    this.ensure(8);
    this.view.setBigUint64(this.position, value, true);
    this.position += 8;
  }

  double(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.position, value, true);
    this.position += 8;
  }

  /** A length-delimited string field: tag, UTF-8 length, bytes. */
  string(field: number, value: string): void {
    this.ensure(value.length * MAX_UTF8_BYTES_PER_UNIT + FIELD_OVERHEAD);
    const buffer = this.buffer;
    buffer[this.position] = (field << 3) | WIRE_LENGTH_DELIMITED;
    const start = this.position + 2;
    const length = value.length;
    let written = 0;
    if (length < SHORT_STRING) {
      // Very short ASCII strings copy faster in JavaScript than through a native call.
      while (written < length) {
        const code = value.charCodeAt(written);
        if (code >= 0x80) break;
        buffer[start + written++] = code;
      }
      if (written < length) written = buffer.write(value, start, 'utf8');
    } else {
      written = buffer.write(value, start, 'utf8');
    }
    this.position = start + written;
    this.finishLength(start - 1);
  }

  /**
   * The hot case of every attribute: a `KeyValue` with a short ASCII string
   * value, framed as field `tagByte` of the enclosing message, with all
   * lengths known before writing (one byte each). Returns false, having
   * written nothing, when the value is too long or not ASCII.
   *
   * @param keyField the encoded `KeyValue.key` field (tag, length, bytes).
   */
  asciiStringKeyValue(tagByte: number, keyField: Uint8Array, value: string): boolean {
    const length = value.length;
    const keyLength = keyField.length;
    // KeyValue = key field + value tag + value length + AnyValue(tag + length + bytes).
    const pairLength = keyLength + 4 + length;
    if (pairLength >= 128) return false;
    // Room for the longest UTF-8 encoding, which the native write below may need.
    this.ensure(pairLength + 2 + length * (MAX_UTF8_BYTES_PER_UNIT - 1));
    const buffer = this.buffer;
    let position = this.position;
    const start = position;
    buffer[position++] = tagByte;
    buffer[position++] = pairLength;
    for (let i = 0; i < keyLength; i++) buffer[position++] = keyField[i];
    buffer[position++] = 0x12;
    buffer[position++] = length + 2;
    buffer[position++] = 0x0a;
    buffer[position++] = length;
    if (length < SHORT_STRING) {
      for (let i = 0; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) {
          this.position = start;
          return false;
        }
        buffer[position++] = code;
      }
    } else {
      // With room for any UTF-8 encoding, as many bytes as units means ASCII.
      if (buffer.write(value, position, 'utf8') !== length) {
        this.position = start;
        return false;
      }
      position += length;
    }
    this.position = position;
    return true;
  }

  /** A `bytes` field from hex text (a trace id). */
  hexBytes(field: number, hex: string): void {
    const length = hex.length >>> 1;
    this.ensure(length + FIELD_OVERHEAD);
    this.buffer[this.position++] = (field << 3) | WIRE_LENGTH_DELIMITED;
    this.buffer[this.position++] = length;
    this.position += this.buffer.write(hex, this.position, length, 'hex');
  }

  /** Bytes that are already a complete encoding (a cached field, a finished message). */
  raw(value: Uint8Array): void {
    const length = value.length;
    this.ensure(length);
    if (length <= SHORT_COPY) {
      const buffer = this.buffer;
      const position = this.position;
      for (let i = 0; i < length; i++) buffer[position + i] = value[i];
    } else {
      this.buffer.set(value, this.position);
    }
    this.position += length;
  }

  /**
   * Opens a length-delimited field; write its body, then pass the returned
   * mark to {@link end}.
   */
  begin(field: number): number {
    this.ensure(FIELD_OVERHEAD);
    this.buffer[this.position] = (field << 3) | WIRE_LENGTH_DELIMITED;
    this.position += 2;
    return this.position - 1;
  }

  /** Closes the field opened at `mark`, writing its length. */
  end(mark: number): void {
    this.finishLength(mark);
  }

  /**
   * Opens a length-delimited field whose body will most likely take 128 to
   * 16 383 bytes (a log record): two length bytes are reserved, so closing it
   * with {@link endMedium} moves nothing in the common case.
   */
  beginMedium(field: number): number {
    this.ensure(FIELD_OVERHEAD);
    this.buffer[this.position] = (field << 3) | WIRE_LENGTH_DELIMITED;
    this.position += 3;
    return this.position - 2;
  }

  /** Closes the field opened at `mark` by {@link beginMedium}. */
  endMedium(mark: number): void {
    const length = this.position - mark - 2;
    if (length >= 128 && length < 16384) {
      this.buffer[mark] = (length & 0x7f) | 0x80;
      this.buffer[mark + 1] = length >>> 7;
      return;
    }
    // Shorter or longer than planned: move the body to one reserved byte, then widen as usual.
    this.buffer.copyWithin(mark + 1, mark + 2, this.position);
    this.position--;
    this.finishLength(mark);
  }

  /** The body after the length byte at `mark` is complete: write its length, widening if needed. */
  private finishLength(mark: number): void {
    const bodyStart = mark + 1;
    const length = this.position - bodyStart;
    if (length < 128) {
      this.buffer[mark] = length;
      return;
    }
    const size = varintSize(length);
    this.ensure(size);
    this.buffer.copyWithin(mark + size, bodyStart, this.position);
    this.position += size - 1;
    const buffer = this.buffer;
    let position = mark;
    let value = length;
    while (value >= 128) {
      buffer[position++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    buffer[position] = value;
  }

  private ensure(extra: number): void {
    const needed = this.position + extra;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.position);
    this.buffer = grown;
    this.view = viewOf(grown);
  }
}
