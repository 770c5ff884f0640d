/**
 * Splits a byte stream into lines, keeping each line's byte offset (the
 * position `log.record.uid` and chunk boundaries are stated in).
 *
 * Lines end at `\n`; a trailing `\r` is dropped; blank lines are not log lines
 * and are skipped. Bytes are decoded as UTF-8.
 */

/** Lines longer than this are not ELB log lines; reading stops with an error instead of growing without bound. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

const NEWLINE = 0x0a;
const CR = 0x0d;

/** Lines read from one piece of input, with the byte offset of each line's first byte. */
export interface LineBatch {
  lines: string[];
  offsets: number[];
  /** Bytes consumed by this batch, newlines included. */
  bytes: number;
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
 * Yields one {@link LineBatch} per input chunk (empty batches are skipped).
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
    const lines: string[] = [];
    const offsets: number[] = [];
    const before = offset;
    let start = 0;
    let newline = chunk.indexOf(NEWLINE);
    if (newline !== -1 && carryBytes > 0) {
      carry.push(chunk.subarray(0, newline));
      const whole = Buffer.concat(carry, carryBytes + newline);
      pushLine(whole, 0, whole.length, offset, lines, offsets);
      offset += whole.length + 1;
      carry = [];
      carryBytes = 0;
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    while (newline !== -1) {
      pushLine(chunk, start, newline, offset, lines, offsets);
      offset += newline - start + 1;
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) {
      carry.push(chunk.subarray(start));
      carryBytes += chunk.length - start;
      if (carryBytes > MAX_LINE_BYTES) throw new LineTooLongError(offset);
    }
    if (lines.length > 0) yield { lines, offsets, bytes: offset - before };
  }
  if (carryBytes > 0) {
    const whole = Buffer.concat(carry, carryBytes);
    const lines: string[] = [];
    const offsets: number[] = [];
    pushLine(whole, 0, whole.length, offset, lines, offsets);
    yield { lines, offsets, bytes: carryBytes };
  }
}

function pushLine(
  buffer: Buffer,
  start: number,
  end: number,
  offset: number,
  lines: string[],
  offsets: number[],
): void {
  if (end > start && buffer[end - 1] === CR) end--;
  if (end === start) return;
  const line = buffer.toString('utf8', start, end);
  if (isBlank(line)) return;
  lines.push(line);
  offsets.push(offset);
}

function isBlank(line: string): boolean {
  const first = line.charCodeAt(0);
  if (first !== 0x20 && first !== 0x09) return false;
  return line.trim() === '';
}
