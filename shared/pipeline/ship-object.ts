/**
 * Ships one log object: bytes → (gunzip) → lines → records → batches → OTLP,
 * with a bounded number of batches in flight. When they are all busy, reading
 * waits, so memory stays bounded whatever the object's size.
 *
 * Every line read is counted exactly once: accepted, rejected (by the
 * receiver's partial success) or failed (its batch never got through).
 */

import { ExportConfigError } from '../config/config-error.ts';
import type { OtlpProtocol } from '../config/export-config.ts';
import { type ShipCounts, zeroShipCounts } from '../contract/counts.ts';
import type { Compression } from '../contract/state-machine.ts';
import {
  type BatchEncoder,
  type BatchLimits,
  createBatchEncoder,
  type EncodedBatch,
  ProtobufBatchEncoder,
} from '../otlp/batch-encoder.ts';
import { type BufferLineEncoder, createBufferLineEncoder } from '../otlp/buffer-line-encoder.ts';
import type { BatchResult, OtlpExporter } from '../otlp/exporter.ts';
import { createLineMapper, type LineMapper } from '../otlp/line-mapper.ts';
import { type LineMapperOptions, PARSE_ERROR_KEY } from '../otlp/line-parser.ts';
import { SCOPE_LOGS_LOG_RECORDS } from '../otlp/otlp-protobuf.ts';
import { SCOPE } from '../otlp/scope.ts';
import type { LogRecord } from '../records/model.ts';
import { chunkWindow, windowStart } from './chunk-window.ts';
import { decompressed } from './decompress.ts';
import { readLines } from './line-reader.ts';
import { createMemoryGuard } from './memory-guard.ts';
import type { LineTarget, ObjectParser, SettledObject } from './object-parser.ts';

/** Distinct rejection messages kept for the summary; the rest are only counted. */
const MAX_MESSAGES = 5;

export interface ShipResult extends ShipCounts {
  /** The first export error that failed records (later ones are only counted). */
  exportError?: Error;
  /**
   * Why the object could not be read to its end (corrupt gzip, an endless
   * line, I/O), or why none of it was shipped: it is not an ELB log
   * (`NotAnElbLogError`, `UnsupportedCompressionError`; its lines are read
   * to the end, or until `shouldStop`, and counted as failed).
   */
  readError?: Error;
  /** The receiver's partial-success messages, distinct, first few. */
  rejectionMessages: string[];
  /**
   * False when {@link ShipObjectOptions.shouldStop} ended the run early:
   * every line before {@link cursor} was handled, none after. An object
   * refused as not a log is done however far it was read.
   */
  done: boolean;
  /**
   * Byte of the object's content where the next line to handle starts:
   * pass it as the window's start to carry on (meaningful when not done).
   */
  cursor: number;
}

export interface ShipObjectOptions {
  /** The object's bytes as stored. */
  source: AsyncIterable<Uint8Array>;
  /** How the source is stored; detected from its first bytes when left out. */
  compression?: Compression;
  /**
   * Byte of the object's content where `source` begins (plain objects read
   * from the middle); 0 by default. Gzip sources always begin at 0.
   */
  contentOffset?: number;
  /**
   * Ship only the lines whose first byte lies in `[start, end)` of the
   * object's content, reading no further than the last of them needs
   * (`end` may be `Infinity`). Default: every line.
   */
  window?: { start: number; end: number };
  /**
   * Asked after each piece of input: true stops reading there, at a line
   * boundary; batches already made are still sent, and the result says
   * where to carry on ({@link ShipResult.cursor}).
   */
  shouldStop?: () => boolean;
  parser: ObjectParser;
  exporter: OtlpExporter;
  protocol: OtlpProtocol;
  limits: BatchLimits;
  /** Batches in flight at once. */
  concurrency: number;
  /** Nanoseconds since the epoch: each record's observed time. */
  nowNanos: () => bigint;
  /** Passed to every export: stop retrying at this time (ms since the epoch). */
  deadlineMs?: number;
  /** Called after each piece of input with the counts so far. */
  onProgress?: (counts: Readonly<ShipCounts>) => void;
  /**
   * Called once the input is read (or reading stopped) and its last batch
   * is made, before the batches still sending are awaited.
   */
  onReadEnd?: () => void;
  /**
   * The requests in flight of every object shipped at once with this one
   * (default: this object's own): `concurrency` bounds them all together.
   */
  requestSlots?: Set<Promise<void>>;
}

/**
 * Ships `source` and resolves with the counts; never rejects for what the
 * receiver or the input does. After an error that will not go away (the
 * retry deadline passed, the endpoint or credentials are wrong), the rest of
 * the object is still read and counted, as failed, without being sent; so is
 * all of an object the parser refuses as not an ELB log.
 */
export async function shipObject(options: ShipObjectOptions): Promise<ShipResult> {
  const { parser, exporter, concurrency, deadlineMs } = options;
  const result: ShipResult = {
    ...zeroShipCounts(),
    rejectionMessages: [],
    done: true,
    cursor: 0,
  };
  /** Set once sending is pointless; later records are counted failed unsent. */
  let stopped = false;
  const inFlight = new Set<Promise<void>>();

  const settle = (outcome: BatchResult) => {
    result.retries += outcome.retries;
    if (outcome.status === 'success') {
      result.accepted += outcome.accepted;
      result.rejected += outcome.rejected;
      const message = outcome.rejectionMessage;
      if (
        message !== undefined &&
        result.rejectionMessages.length < MAX_MESSAGES &&
        !result.rejectionMessages.includes(message)
      ) {
        result.rejectionMessages.push(message);
      }
      return;
    }
    result.failed += outcome.failed;
    result.exportError ??= outcome.error;
    if (outcome.status === 'retryable' || outcome.error instanceof ExportConfigError) {
      stopped = true;
    }
  };

  // Requests in flight, this object's and those of the objects it shares the limit with.
  const slots = options.requestSlots ?? inFlight;
  const dispatch = async (batch: EncodedBatch) => {
    while (slots.size >= concurrency) await Promise.race(slots);
    if (stopped) {
      result.failed += batch.records;
      batch.release?.();
      return;
    }
    result.batches++;
    const sent = exporter
      .export(batch, deadlineMs === undefined ? {} : { deadlineMs })
      .catch(
        (error: unknown): BatchResult => ({
          status: 'failure',
          failed: batch.records,
          retries: 0,
          error: error instanceof Error ? error : new Error(String(error)),
        }),
      )
      .then(settle);
    const tracked = sent.finally(() => {
      inFlight.delete(tracked);
      slots.delete(tracked);
    });
    inFlight.add(tracked);
    slots.add(tracked);
  };

  /** Batches completed while lines were handed over, waiting to be dispatched. */
  const ready: EncodedBatch[] = [];
  const target = new ShipTarget(options, result, ready, () => stopped);
  const dispatchReady = async () => {
    for (let i = 0; i < ready.length; i++) await dispatch(ready[i]);
    ready.length = 0;
  };

  async function* counted(source: AsyncIterable<Uint8Array>) {
    for await (const piece of source) {
      result.bytesIn += piece.length;
      yield piece;
    }
  }

  const start = options.window?.start ?? 0;
  const end = options.window?.end ?? Number.POSITIVE_INFINITY;
  const contentOffset = options.contentOffset ?? 0;
  const inflated = decompressed(counted(options.source), options.compression, {
    atObjectStart: contentOffset === 0,
    onForeign: (format, insideGzip) => parser.refuseCompression(format, insideGzip),
  });
  // A chunk that begins mid-object still reads a W3C header at its start
  // (docs/vended-logs.md): a gzip one from the content it inflates before
  // the chunk, a plain one from a read of the object's first bytes (ship-chunk.ts).
  const content =
    start > 0 && contentOffset === 0
      ? withHead(inflated, (head) => parser.readHead(head))
      : inflated;
  const guardMemory = createMemoryGuard();
  const first = start === 0 ? contentOffset : windowStart(start);
  result.cursor = first;
  try {
    const lines =
      start === 0 && end === Number.POSITIVE_INFINITY
        ? readLines(content, contentOffset)
        : readLines(chunkWindow(content, contentOffset, start, end), first);
    for await (const batch of lines) {
      const observed = options.nowNanos();
      const { source, starts, ends, offsets } = batch;
      // Only the window's first line can start before `start`: it is the
      // previous chunk's.
      let i = starts.length > 0 && offsets[0] < start ? 1 : 0;
      for (; i < starts.length; i++) {
        parser.push(source, starts[i], ends[i], offsets[i], observed, target);
      }
      result.cursor += batch.bytes;
      guardMemory();
      await dispatchReady();
      options.onProgress?.(result);
      // Not while the look-ahead holds lines undecided (a few KiB at most).
      if (result.cursor < end && !parser.deciding && options.shouldStop?.() === true) {
        result.done = false;
        break;
      }
    }
  } catch (error) {
    result.readError = error instanceof Error ? error : new Error(String(error));
  }
  parser.finish(target);
  const refusal = parser.refusal;
  if (refusal !== undefined) {
    // Not a log: nothing was sent, and its lines count as failed. This
    // outranks a read error met later: the object would not ship anyway.
    // Stopped early, it is still done: carrying on would only count more.
    result.lines += parser.refusedLines;
    result.failed += parser.refusedLines;
    result.readError = refusal;
    result.done = true;
  }
  target.flush();
  options.onReadEnd?.();
  await dispatchReady();
  await Promise.all(inFlight);
  options.onProgress?.(result);
  return result;
}

/**
 * Counts every line and encodes it into the object's batches: protobuf
 * straight from the line, JSON through a record. Once sending has stopped,
 * lines are still parsed (to count parse errors) but not encoded.
 */
class ShipTarget implements LineTarget {
  private readonly options: ShipObjectOptions;
  private readonly result: ShipResult;
  private readonly ready: EncodedBatch[];
  private readonly stopped: () => boolean;
  private protobuf: ProtobufBatchEncoder | undefined;
  private encodeLine: BufferLineEncoder | undefined;
  private json: BatchEncoder | undefined;
  private lineOptions: LineMapperOptions | undefined;
  private map: LineMapper | undefined;

  constructor(
    options: ShipObjectOptions,
    result: ShipResult,
    ready: EncodedBatch[],
    stopped: () => boolean,
  ) {
    this.options = options;
    this.result = result;
    this.ready = ready;
    this.stopped = stopped;
  }

  settle(object: SettledObject): void {
    const { protocol, limits } = this.options;
    this.lineOptions = object.lineOptions;
    if (protocol === 'http/protobuf') {
      this.protobuf = new ProtobufBatchEncoder(object.resource, SCOPE, limits);
      this.encodeLine = createBufferLineEncoder(object.lineOptions);
    } else {
      this.json = createBatchEncoder(protocol, object.resource, SCOPE, limits);
    }
  }

  line(source: Buffer, start: number, end: number, offset: number, observed: bigint): void {
    const result = this.result;
    result.lines++;
    let full: EncodedBatch | undefined;
    if (this.stopped()) {
      const line = source.toString('utf8', start, end);
      if (this.mapped(line, offset, observed).attributes[0]?.key === PARSE_ERROR_KEY) {
        result.parseErrors++;
      }
      result.failed++;
      return;
    }
    const protobuf = this.protobuf;
    if (protobuf !== undefined) {
      const writer = protobuf.writer;
      const before = writer.length;
      const encode = this.encodeLine as BufferLineEncoder;
      if (!encode(source, start, end, offset, observed, writer, SCOPE_LOGS_LOG_RECORDS)) {
        result.parseErrors++;
      }
      full = protobuf.commit(before);
    } else {
      const line = source.toString('utf8', start, end);
      const record = this.mapped(line, offset, observed);
      if (record.attributes[0]?.key === PARSE_ERROR_KEY) result.parseErrors++;
      full = (this.json as BatchEncoder).add(record);
    }
    if (full !== undefined) this.ready.push(full);
  }

  /** Ends the open batch; the object's encoder gives its memory back. */
  flush(): void {
    const last = (this.protobuf ?? this.json)?.flush();
    if (last !== undefined) this.ready.push(last);
    this.protobuf?.close();
    this.protobuf = undefined;
  }

  private mapped(line: string, offset: number, observed: bigint): LogRecord {
    this.map ??= createLineMapper(this.lineOptions as LineMapperOptions);
    return this.map(line, offset, observed);
  }
}

/** Bytes of the content's start in which a W3C header is looked for. */
export const HEAD_BYTES = 64 * 1024;

/**
 * Passes `content` (from the object's first byte) through, handing what has
 * passed of its first {@link HEAD_BYTES} to `onHead` with each piece, before
 * the piece goes on, for as long as `onHead` says the header may go on.
 */
async function* withHead(
  content: AsyncIterable<Buffer>,
  onHead: (head: Buffer) => boolean,
): AsyncGenerator<Buffer> {
  const pieces: Buffer[] = [];
  let bytes = 0;
  let reading = true;
  for await (const piece of content) {
    if (reading) {
      pieces.push(piece);
      bytes += piece.length;
      const head = Buffer.concat(pieces, bytes).subarray(0, HEAD_BYTES);
      reading = onHead(head) && bytes < HEAD_BYTES;
      if (!reading) pieces.length = 0;
    }
    yield piece;
  }
}
