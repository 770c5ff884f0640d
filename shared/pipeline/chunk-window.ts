/**
 * The bytes a chunk needs to see. A chunk `[start, end)` owns exactly the lines
 * whose first byte lies in it (docs/design.md#chunk-item). To tell whether byte
 * `start` begins a line, the byte before it is needed; to finish the last owned
 * line, the bytes up to the first newline at or after `end - 1`. Everything
 * before and after is dropped without being split into lines, and reading stops
 * as soon as the last owned line is complete.
 */

const NEWLINE = 0x0a;

/** Where the windowed bytes begin: the byte before `start` (or 0). */
export function windowStart(start: number): number {
  return start > 0 ? start - 1 : 0;
}

/**
 * Yields the part of `content` a chunk `[start, end)` needs: from
 * {@link windowStart} to the first newline at or after `end - 1`, that
 * newline included (to the end of `content` if there is none, or when `end`
 * is `Infinity`). `content` begins at byte `offset` of the object's content,
 * which must not be past the window's start.
 *
 * Split these bytes into lines from offset `windowStart(start)`: only the
 * first of them can start before `start` (a line the previous chunk owns),
 * and none starts at or after `end`.
 */
export async function* chunkWindow(
  content: AsyncIterable<Buffer>,
  offset: number,
  start: number,
  end: number,
): AsyncGenerator<Buffer> {
  const from = windowStart(start);
  if (offset > from) {
    throw new RangeError(`content starts at byte ${offset}, after the window's start ${from}`);
  }
  /** The window ends at the first newline at or after this byte. */
  const last = end - 1;
  let at = offset;
  for await (const piece of content) {
    const pieceEnd = at + piece.length;
    if (pieceEnd <= from) {
      at = pieceEnd;
      continue;
    }
    const skip = Math.max(0, from - at);
    if (pieceEnd <= last) {
      yield skip === 0 ? piece : piece.subarray(skip);
      at = pieceEnd;
      continue;
    }
    const newline = piece.indexOf(NEWLINE, Math.max(skip, last - at));
    if (newline === -1) {
      yield skip === 0 ? piece : piece.subarray(skip);
      at = pieceEnd;
      continue;
    }
    yield piece.subarray(skip, newline + 1);
    return;
  }
}
