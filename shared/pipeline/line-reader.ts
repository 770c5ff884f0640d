/**
 * Splits a byte stream into lines, keeping each line's byte offset (the
 * position `log.record.uid` and chunk boundaries are stated in).
 *
 * Lines end at `\n`; a trailing `\r` is dropped; blank lines are not log lines
 * and are skipped. Lines stay in the bytes they were read in, so the hot path
 * can encode them without decoding; others decode them as UTF-8.
 */

/** Lines longer than this are not ELB log lines; reading stops with an error instead of growing without bound. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Lines read from one piece of input, left in its bytes: line `i` is
 * `source[starts[i], ends[i])` (newline and trailing `\r` excluded) and starts
 * at byte `offsets[i]` of its object. Decode a line with {@link lineText}
 * when it is needed as a string.
 */
export interface LineBatch {
  source: Buffer;
  starts: number[];
  ends: number[];
  offsets: number[];
  /** Bytes consumed by this batch, newlines included. */
  bytes: number;
}

/** Line `i` of `batch`, decoded as UTF-8. */
export function lineText(batch: LineBatch, i: number): string {
  return batch.source.toString('utf8', batch.starts[i], batch.ends[i]);
}

/** A line exceeded {@link MAX_LINE_BYTES}. */
export class LineTooLongError extends Error {
  override readonly name = 'LineTooLongError';
  readonly offset: number;

  constructor(offset: number) {
    super(
      `the line at byte ${offset} is longer than ${MAX_LINE_BYTES} bytes; this is not an ELB log`,
    );
    this.offset = offset;
  }
}

/**
 * Yields one {@link LineBatch} per input chunk that completes a line, and one
 * of its own for a line that spans chunks. A batch may hold no lines (they
 * were blank); its `bytes` still count.
 *
 * @param startOffset byte offset of the stream's first byte in its object.
 */
export async function* readLines(
  source: AsyncIterable<Uint8Array>,
  startOffset = 0,
): AsyncGenerator<LineBatch> {
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let offset = startOffset;
  for await (const piece of source) {
    const chunk = Buffer.isBuffer(piece)
      ? piece
      : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    let start = 0;
    let newline = chunk.indexOf(NEWLINE);
    if (newline !== -1 && carryBytes > 0) {
      carry.push(chunk.subarray(0, newline));
      const whole = Buffer.concat(carry, carryBytes + newline);
      const batch = newBatch(whole);
      pushLine(batch, 0, whole.length, offset);
      offset += whole.length + 1;
      batch.bytes = whole.length + 1;
      carry = [];
      carryBytes = 0;
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
      yield batch;
    }
    const batch = newBatch(chunk);
    const before = offset;
    while (newline !== -1) {
      pushLine(batch, start, newline, offset);
      offset += newline - start + 1;
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) {
      carry.push(chunk.subarray(start));
      carryBytes += chunk.length - start;
      if (carryBytes > MAX_LINE_BYTES) throw new LineTooLongError(offset);
    }
    batch.bytes = offset - before;
    if (batch.bytes > 0) yield batch;
  }
  if (carryBytes > 0) {
    const whole = Buffer.concat(carry, carryBytes);
    const batch = newBatch(whole);
    pushLine(batch, 0, whole.length, offset);
    batch.bytes = carryBytes;
    yield batch;
  }
}

function newBatch(source: Buffer): LineBatch {
  return { source, starts: [], ends: [], offsets: [], bytes: 0 };
}

function pushLine(batch: LineBatch, start: number, end: number, offset: number): void {
  const source = batch.source;
  if (end > start && source[end - 1] === CR) end--;
  if (end === start) return;
  // Only a line that starts with a space or tab can be blank (as String#trim sees it).
  const first = source[start];
  if ((first === 0x20 || first === 0x09) && source.toString('utf8', start, end).trim() === '') {
    return;
  }
  batch.starts.push(start);
  batch.ends.push(end);
  batch.offsets.push(offset);
}
