/**
 * A vended delivery's Apache Parquet object (docs/vended-logs.md#parquet),
 * read by row groups through hyparquet: its footer, then each row group its
 * chunk owns (the one whose first byte lies in the chunk's byte range), read
 * whole from a few ranged reads, its rows handed to the vended JSON path one
 * JSON line each, so a row gives the record its classic line gives. A row's
 * `log.record.uid` is the object's prefix and the row's index in the file.
 *
 * Memory: a row group is decoded whole, so it is bounded: one whose
 * uncompressed size is over {@link MAX_ROW_GROUP_BYTES} is not read
 * (`ParquetRowGroupTooLargeError`, its rows counted failed).
 */

import {
  type AsyncBuffer,
  type FileMetaData,
  parquetMetadataAsync,
  parquetReadObjects,
} from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { ExportConfigError } from '../config/config-error.ts';
import { addShipCounts, type ShipCounts, zeroShipCounts } from '../contract/counts.ts';
import { ExportRetryableError } from '../contract/errors.ts';
import { normaliseFieldName } from '../formats/field-spec.ts';
import { recordUidPrefix } from '../records/record-uid.ts';
import type { ObjectParserOptions } from './object-parser.ts';
import { ObjectParser } from './object-parser.ts';
import { type ShipObjectOptions, type ShipResult, shipObject } from './ship-object.ts';

/**
 * The largest row group read, uncompressed (`total_byte_size`). Decoded,
 * its values (a string each) and rows take about 60 times that: at this
 * bound a worker peaked at 154 MiB (BENCHMARKS.md, Parquet), under the
 * 200 MB every worker keeps to.
 */
export const MAX_ROW_GROUP_BYTES = 1024 * 1024;

/** A row group is larger than {@link MAX_ROW_GROUP_BYTES}: its rows are not read. */
export class ParquetRowGroupTooLargeError extends Error {
  override readonly name = 'ParquetRowGroupTooLargeError';
}

/** One row group: where its bytes are, and which rows it holds. */
export interface RowGroupSpan {
  index: number;
  /** First and one past the last byte of its column chunks. */
  start: number;
  end: number;
  /** Index of its first row in the file, and its row count. */
  firstRow: number;
  rows: number;
  /** Uncompressed size. */
  bytes: number;
}

/**
 * The row groups of a file, in the order of their bytes (the footer's order
 * gives each its first row). A column chunk's first page is its dictionary
 * page when it has one; an offset below 4 (inside the `PAR1` magic) is a
 * writer's way of saying it has none, as hyparquet reads it too.
 */
export function rowGroupsOf(metadata: FileMetaData): RowGroupSpan[] {
  let firstRow = 0;
  const spans = metadata.row_groups.map((group, index) => {
    let start = Number.POSITIVE_INFINITY;
    let end = 0;
    for (const column of group.columns) {
      const meta = column.meta_data;
      if (meta === undefined) continue;
      const dictionary = Number(meta.dictionary_page_offset ?? 0);
      const from = dictionary >= 4 ? dictionary : Number(meta.data_page_offset);
      start = Math.min(start, from);
      end = Math.max(end, from + Number(meta.total_compressed_size));
    }
    const rows = Number(group.num_rows);
    const span = {
      index,
      start: Number.isFinite(start) ? start : 0,
      end,
      firstRow,
      rows,
      bytes: Number(group.total_byte_size),
    };
    firstRow += rows;
    return span;
  });
  return spans.sort((x, y) => x.start - y.start);
}

/** Column names of a file's schema (its top-level fields). */
export function columnNames(metadata: FileMetaData): string[] {
  // The first element is the schema's root; its children follow, nested ones after their parent.
  const [root, ...rest] = metadata.schema;
  const names: string[] = [];
  let i = 0;
  for (let n = 0; n < (root?.num_children ?? 0) && i < rest.length; n++) {
    names.push(rest[i].name);
    i += 1 + descendants(rest, i);
  }
  return names;
}

function descendants(elements: FileMetaData['schema'], at: number): number {
  let count = 0;
  for (let c = 0, i = at + 1; c < (elements[at].num_children ?? 0); c++) {
    const below = descendants(elements, i);
    count += 1 + below;
    i += 1 + below;
  }
  return count;
}

/**
 * The first row's `elb` value (its column only, of the first row group),
 * or `undefined` when the file has no such column or the value does not
 * read. A read that fails throws.
 */
export async function firstElb(
  file: ReadTracker,
  metadata: FileMetaData,
  names: readonly string[],
): Promise<string | undefined> {
  const column = names.find((name) => normaliseFieldName(name) === 'elb');
  if (column === undefined || metadata.row_groups.length === 0) return undefined;
  try {
    const [row] = await parquetReadObjects({
      file,
      metadata,
      columns: [column],
      rowStart: 0,
      rowEnd: 1,
      compressors,
    });
    const value = row?.[column];
    return typeof value === 'string' && value !== '-' && value !== '' ? value : undefined;
  } catch {
    // A value that does not decode says no load balancer; a failed read is thrown.
    if (file.error !== undefined) throw file.error;
    return undefined;
  }
}

/** Reads the footer of a Parquet file. */
export function parquetFooter(file: AsyncBuffer): Promise<FileMetaData> {
  return parquetMetadataAsync(file);
}

export interface ShipParquetOptions
  extends Omit<ShipObjectOptions, 'source' | 'compression' | 'contentOffset' | 'parser'> {
  file: AsyncBuffer;
  /** The row group bound ({@link MAX_ROW_GROUP_BYTES}; tests lower it). */
  maxRowGroupBytes?: number;
  /** How the parser names the object and builds its resource (its format is always vended JSON rows). */
  parser: Omit<ObjectParserOptions, 'format' | 'source'>;
}

/**
 * The file as hyparquet reads it, counting the bytes read and keeping the
 * first read error as it was thrown (an S3 read's own error, such as
 * `ObjectReadRetryableError`, so that it is retried, or `ObjectNotFoundError`
 * for an object gone): hyparquet's errors around it are then not taken for
 * a file that does not decode.
 */
export class ReadTracker implements AsyncBuffer {
  readonly byteLength: number;
  bytes = 0;
  error: unknown;
  private readonly file: AsyncBuffer;

  constructor(file: AsyncBuffer) {
    this.file = file;
    this.byteLength = file.byteLength;
  }

  async slice(start: number, end?: number): Promise<ArrayBuffer> {
    try {
      const bytes = await this.file.slice(start, end);
      this.bytes += bytes.byteLength;
      return bytes;
    } catch (error) {
      this.error ??= error;
      throw error;
    }
  }

  /** The read error behind `error`, or `error` named as `what` failed with the file named. */
  explain(error: unknown, what: string): Error {
    if (this.error instanceof Error) return this.error;
    return new Error(`${what} (${(error as Error).message})`, { cause: error });
  }
}

/**
 * Ships the row groups whose first byte lies in the window (the whole file
 * by default), from the first at or after the window's start, and resolves
 * with their counts; `shouldStop` is asked between row groups, and the
 * cursor is then where the next one starts. `bytesIn` counts the bytes read
 * from the file, as stored.
 */
export async function shipParquet(options: ShipParquetOptions): Promise<ShipResult> {
  try {
    return await shipRowGroups(options);
  } finally {
    options.onReadEnd?.();
  }
}

async function shipRowGroups(options: ShipParquetOptions): Promise<ShipResult> {
  const { window } = options;
  const file = new ReadTracker(options.file);
  const start = window?.start ?? 0;
  const end = window?.end ?? Number.POSITIVE_INFINITY;
  const result: ShipResult = {
    ...zeroShipCounts(),
    rejectionMessages: [],
    done: true,
    cursor: start,
  };
  const name = nameOf(options.parser);
  let metadata: FileMetaData;
  try {
    metadata = await parquetFooter(file);
  } catch (error) {
    result.readError = file.explain(error, `${name}: not a readable Parquet file`);
    result.bytesIn = file.bytes;
    return result;
  }
  const owned = rowGroupsOf(metadata).filter((g) => g.start >= start && g.start < end);
  const prefix = recordUidPrefix(options.parser.identity);
  /** Set once sending is pointless (as shipObject decides); the rest is counted failed, unread. */
  let stopped = false;
  for (const [i, group] of owned.entries()) {
    if (i > 0 && options.shouldStop?.() === true) {
      result.done = false;
      result.cursor = group.start;
      result.bytesIn = file.bytes;
      return result;
    }
    const failedRest = () => {
      const rows = owned.slice(i).reduce((sum, g) => sum + g.rows, 0);
      result.lines += rows;
      result.failed += rows;
    };
    if (stopped || result.readError !== undefined) {
      failedRest();
      break;
    }
    const bound = options.maxRowGroupBytes ?? MAX_ROW_GROUP_BYTES;
    if (group.bytes > bound) {
      result.readError = new ParquetRowGroupTooLargeError(
        `${name}: row group ${group.index} holds ${group.bytes} bytes uncompressed, over the ${bound} elb-otlp reads at once; its rows, and those of the chunk's row groups after it, are not shipped`,
      );
      failedRest();
      break;
    }
    const shipped = await shipRowGroup(options, file, metadata, group, prefix, { ...result });
    Object.assign(result, addShipCounts(result, shipped));
    result.exportError ??= shipped.exportError;
    result.readError ??= shipped.readError;
    const error = shipped.exportError;
    if (error instanceof ExportRetryableError || error instanceof ExportConfigError) stopped = true;
    for (const message of shipped.rejectionMessages) {
      if (!result.rejectionMessages.includes(message)) result.rejectionMessages.push(message);
    }
  }
  result.cursor = Number.isFinite(end) ? end : (owned.at(-1)?.end ?? start);
  result.bytesIn = file.bytes;
  return result;
}

/** Rows turned into JSON lines at a time: a slice's text and ids are all that is held besides the rows. */
const ROWS_PER_SLICE = 2048;

/** The rows of one row group as JSON lines, and each line's id. */
export interface RowGroupText {
  /** The lines, a slice of rows at a time. */
  pieces: AsyncGenerator<Buffer>;
  /** The `log.record.uid` of the line at `offset` of the text, while its slice is read. */
  uidOf: (offset: number) => string;
}

/**
 * Reads row group `group` of `file` (its bytes at once) and gives its rows
 * as JSON lines, each row's id `<prefix>:<row index in the file>`.
 *
 * @throws when the row group does not decode.
 */
export async function rowGroupText(
  file: AsyncBuffer,
  metadata: FileMetaData,
  group: RowGroupSpan,
  prefix: string,
): Promise<RowGroupText> {
  const bytes = await file.slice(group.start, group.end);
  const cached: AsyncBuffer = {
    byteLength: file.byteLength,
    slice: (from, to) =>
      from >= group.start && to !== undefined && to <= group.end
        ? bytes.slice(from - group.start, to - group.start)
        : file.slice(from, to),
  };
  const rows: (Record<string, unknown> | undefined)[] = await parquetReadObjects({
    file: cached,
    metadata,
    rowStart: group.firstRow,
    rowEnd: group.firstRow + group.rows,
    compressors,
  });
  // Each line's row by its offset in the text, for the slice being read.
  const ids = new Map<number, number>();
  async function* pieces(): AsyncGenerator<Buffer> {
    let offset = 0;
    for (let from = 0; from < rows.length; from += ROWS_PER_SLICE) {
      ids.clear();
      const lines: string[] = [];
      for (let i = from; i < Math.min(rows.length, from + ROWS_PER_SLICE); i++) {
        const line = `${JSON.stringify(rows[i], jsonValue)}\n`;
        ids.set(offset, group.firstRow + i);
        offset += Buffer.byteLength(line);
        lines.push(line);
        rows[i] = undefined;
      }
      yield Buffer.from(lines.join(''));
    }
  }
  return { pieces: pieces(), uidOf: (offset) => `${prefix}:${ids.get(offset) ?? `?${offset}`}` };
}

/** Ships one row group, its rows as JSON lines through the vended path. */
async function shipRowGroup(
  options: ShipParquetOptions,
  file: ReadTracker,
  metadata: FileMetaData,
  group: RowGroupSpan,
  prefix: string,
  before: ShipCounts,
): Promise<ShipResult> {
  let text: RowGroupText;
  try {
    text = await rowGroupText(file, metadata, group, prefix);
  } catch (error) {
    return {
      ...zeroShipCounts(),
      lines: group.rows,
      failed: group.rows,
      rejectionMessages: [],
      done: true,
      cursor: 0,
      readError: file.explain(
        error,
        `${nameOf(options.parser)}: row group ${group.index} does not decode`,
      ),
    };
  }
  // Whole: stopping is between row groups, progress counts the ones before.
  const {
    file: _file,
    maxRowGroupBytes: _bound,
    parser,
    window: _window,
    shouldStop: _shouldStop,
    onReadEnd: _onReadEnd,
    onProgress,
    ...shipping
  } = options;
  return shipObject({
    ...shipping,
    ...(onProgress !== undefined && {
      onProgress: (counts) => onProgress(addShipCounts(before, counts)),
    }),
    source: text.pieces,
    compression: 'none',
    parser: new ObjectParser({ ...parser, format: 'json', source: { uidOf: text.uidOf } }),
  });
}

/** How messages name the object. */
function nameOf(parser: ShipParquetOptions['parser']): string {
  return parser.displayName ?? parser.identity.key ?? parser.nameHint ?? 'the Parquet file';
}

/** Parquet values JSON has no form for: 64-bit integers as digits, timestamps in ISO 8601. */
function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return value;
}
