/**
 * Turns the lines of one log object into log records: settles the format
 * from its first recognisable line, builds the object's resource, then hands
 * every line to a {@link LineTarget}, which maps it to a record
 * ({@link RecordCollector}) or encodes it straight away.
 *
 * The look-ahead that finds the format also decides whether the object is
 * an ELB log at all: when none of its first lines is recognisable, nothing
 * of it goes to the target (see {@link ObjectParser.refusal}). The cost is
 * paid once, at the start; every later line takes one comparison.
 */

import type { MappingConfig } from '../config/mapping-config.ts';
import { detectFormatFromLine, formatOfKey } from '../formats/detect.ts';
import { type LogFormatId, normaliseFieldName } from '../formats/field-spec.ts';
import { FORMATS } from '../formats/formats.ts';
import { parseS3Key, type S3KeyInfo } from '../formats/s3-key.ts';
import { LineTokens, TOKENIZED, tokenize } from '../formats/tokenizer.ts';
import { foundVendedFormat, vendedFormatOf } from '../formats/vended-fields.ts';
import {
  inferDelimiter,
  jsonObject,
  jsonValueText,
  NamedRecordParser,
  type VendedEncoding,
  type VendedLayout,
  w3cFields,
} from '../formats/vended-record.ts';
import { createLineMapper, type LineMapper } from '../otlp/line-mapper.ts';
import { type LineMapperOptions, PARSE_ERROR_KEY } from '../otlp/line-parser.ts';
import { buildResource, resourceLoadBalancer } from '../otlp/resource.ts';
import type { Attribute, LogRecord, Resource } from '../records/model.ts';
import { type ObjectIdentity, recordUidPrefix } from '../records/record-uid.ts';
import { objectUrl } from '../s3/s3-errors.ts';
import type { LineBatch } from './line-reader.ts';
import { type NotAnElbLogError, notAnElbLog, UnsupportedCompressionError } from './not-a-log.ts';

/**
 * Lines held back while looking for one whose format is recognisable: an
 * ELB log's lines all are, so 20 without one is some other file.
 */
export const DETECTION_LINES = 20;
/**
 * The look-ahead also ends after this many bytes of lines (at least one
 * whole line is always looked at): 20 ALB lines are about 10 KB, and the
 * bound keeps what is held back small when lines are long (a binary
 * file's "lines").
 */
export const DETECTION_BYTES = 64 * 1024;

export interface ObjectParserOptions {
  identity: ObjectIdentity;
  /**
   * A file name to read account, Region and load balancer from when there is
   * no S3 key (a downloaded object keeps ELB's file name); it also stands in
   * for the key in `log.record.uid`, so two local files never share ids.
   */
  nameHint?: string;
  /**
   * `auto` detects; a format id forces it (and then a line in the
   * look-ahead must parse as that format, or the object is refused); a
   * vended encoding forces it, the log type still told by the field names.
   */
  format: ReadFormat;
  config: MappingConfig;
  /**
   * How error messages name the object (a path, `stdin`); by default its
   * `s3://` URL, key or name hint.
   */
  displayName?: string;
  /** Lines that come from elsewhere than an object: where, and each line's id. */
  source?: LineSource;
}

/**
 * Where lines that are not an object's own come from (a CloudWatch Logs
 * subscription's events: shared/ingest/log-events.ts; a Parquet object's
 * rows: parquet-object.ts): the account and Region the resource names,
 * attributes naming the source on it, and each line's `log.record.uid`.
 */
export interface LineSource {
  account?: string;
  region?: string;
  attributes?: readonly Attribute[];
  uidOf: (offset: number) => string;
}

/** What an object is read as: detected, a classic format, or a vended encoding (docs/vended-logs.md). */
export type ReadFormat = LogFormatId | VendedEncoding | 'auto';

/** What a line shows of its object: its log type, and how a vended one is written. */
interface Recognised {
  format: LogFormatId;
  layout?: VendedLayout;
}

/** A W3C directive naming fields, such as `#Version:` or `#Fields:`, is a header, not a log line. */
const W3C_DIRECTIVE = /^\uFEFF?#[A-Za-z-]+:/;

/** What is settled about an object before its first line is handed on. */
export interface SettledObject {
  format: LogFormatId | undefined;
  /** How the records of a vended object are written; absent for classic lines. */
  layout?: VendedLayout;
  resource: Resource;
  /** What a line mapper or encoder for this object needs. */
  lineOptions: LineMapperOptions;
}

/** Where an object's lines go once its format is settled. */
export interface LineTarget {
  /** Called once, before the first line. */
  settle(object: SettledObject): void;
  /**
   * Called for every line, in order: the line is `source[start, end)`
   * (UTF-8, without its newline) and starts at byte `offset` of its object.
   */
  line(source: Buffer, start: number, end: number, offset: number, observed: bigint): void;
}

/** A {@link LineTarget} that maps every line to a {@link LogRecord} and keeps it. */
export class RecordCollector implements LineTarget {
  /** Records so far; empty it to take them. */
  readonly records: LogRecord[] = [];
  private map: LineMapper | undefined;

  settle(object: SettledObject): void {
    this.map = createLineMapper(object.lineOptions);
  }

  line(source: Buffer, start: number, end: number, offset: number, observed: bigint): void {
    // settle() always comes first.
    const line = source.toString('utf8', start, end);
    this.records.push((this.map as LineMapper)(line, offset, observed));
  }
}

/**
 * Parses one object's lines, in order. Lines go to the target of {@link push}
 * and {@link finish}; {@link resource} is set before the first of them.
 */
export class ObjectParser {
  readonly keyInfo: S3KeyInfo | undefined;
  private readonly options: ObjectParserOptions;
  private settled: SettledObject | undefined;
  /** Lines held back until the format is settled: a copy of their bytes, and their text. */
  private pending: { bytes: Buffer; line: string; offset: number; observed: bigint }[] = [];
  private pendingBytes = 0;
  /** Whether the target has been told the object is settled. */
  private announced = false;
  private refused: NotAnElbLogError | UnsupportedCompressionError | undefined;
  private refusedCount = 0;
  /** Maps a line in a format, to tell whether it parses as that format. */
  private readonly probes = new Map<string, LineMapper>();
  /** The field names of a W3C `#Fields:` header met before the format was settled. */
  private w3cHeader: string[] | undefined;
  private lineLoadBalancer: string | undefined;

  constructor(options: ObjectParserOptions) {
    this.options = options;
    const name = options.identity.key ?? options.nameHint;
    this.keyInfo = name === undefined ? undefined : parseS3Key(name);
  }

  /** The format in use, once settled; `undefined` before, or when none was recognised. */
  get format(): LogFormatId | undefined {
    return this.settled?.format;
  }

  /** The object's resource, once the format is settled. */
  get resource(): Resource | undefined {
    return this.settled?.resource;
  }

  /** The `elb` field of the line that settled the format, when it has one. */
  get firstLoadBalancer(): string | undefined {
    return this.lineLoadBalancer;
  }

  /**
   * Why the object is not shipped, once refused: its compression, or its
   * first lines. No line of a refused object reaches a target.
   */
  get refusal(): NotAnElbLogError | UnsupportedCompressionError | undefined {
    return this.refused;
  }

  /**
   * True while lines are held back undecided: stopping now would leave them
   * neither shipped nor refused, so a caller that may stop early waits.
   */
  get deciding(): boolean {
    return this.settled === undefined && this.refused === undefined && this.pending.length > 0;
  }

  /** Lines of a refused object taken (and not handed on), the look-ahead's included. */
  get refusedLines(): number {
    return this.refusedCount;
  }

  /**
   * Takes the line `source[start, end)`; it goes on to `target` now, or
   * with later lines once enough were seen to settle the format, or never
   * when the object is refused.
   */
  push(
    source: Buffer,
    start: number,
    end: number,
    offset: number,
    observed: bigint,
    target: LineTarget,
  ): void {
    if (this.settled !== undefined) {
      const layout = this.settled.layout;
      if (
        layout?.encoding === 'w3c' &&
        source[start] === 0x23 &&
        this.directive(source, start, end)
      ) {
        return;
      }
      target.line(source, start, end, offset, observed);
      return;
    }
    if (this.refused !== undefined) {
      this.refusedCount++;
      return;
    }
    // A byte order mark before the object's first line is no part of it.
    if (
      offset === 0 &&
      end - start >= 3 &&
      source[start] === 0xef &&
      source[start + 1] === 0xbb &&
      source[start + 2] === 0xbf
    ) {
      start += 3;
    }
    // A W3C header, or one after a byte order mark (EF BB BF) at the object's start.
    if ((source[start] === 0x23 || source[start] === 0xef) && this.directive(source, start, end)) {
      return;
    }
    // The source's memory may be reused once this returns: keep a copy.
    const bytes = Buffer.from(source.subarray(start, end));
    const line = bytes.toString('utf8');
    this.pending.push({ bytes, line, offset, observed });
    this.pendingBytes += bytes.length;
    const recognised = this.recognise(line);
    if (recognised !== undefined) {
      this.settle(recognised, line);
      this.drain(target);
    } else if (this.pending.length >= DETECTION_LINES || this.pendingBytes >= DETECTION_BYTES) {
      this.refuse(
        notAnElbLog(
          this.displayName(),
          this.pending,
          false,
          this.options.format,
          this.options.config.redactQuery,
        ),
      );
    }
  }

  /** Takes every line of `batch`, in order, as {@link push} takes each. */
  pushBatch(batch: LineBatch, observed: bigint, target: LineTarget): void {
    const { source, starts, ends, offsets } = batch;
    for (let i = 0; i < starts.length; i++) {
      this.push(source, starts[i], ends[i], offsets[i], observed, target);
    }
  }

  /**
   * Refuses the object for its compression (its magic number said so
   * before any line was read), as `decompressed`'s `onForeign` tells it.
   */
  refuseCompression(format: string, insideGzip: boolean): void {
    if (this.settled !== undefined) return;
    this.refuse(new UnsupportedCompressionError(this.displayName(), format, insideGzip));
  }

  /**
   * Hands on held-back lines at the end of the object, or refuses it when
   * none of them was recognisable. An object without lines is settled (from
   * its key) and is no error.
   */
  finish(target: LineTarget): void {
    if (this.settled !== undefined || this.refused !== undefined) return;
    if (this.pending.length > 0) {
      this.refuse(
        notAnElbLog(
          this.displayName(),
          this.pending,
          true,
          this.options.format,
          this.options.config.redactQuery,
        ),
      );
      return;
    }
    const forced = this.options.format;
    const format = forced in FORMATS ? (forced as LogFormatId) : formatOfKey(this.keyInfo?.kind);
    this.settle(format === undefined ? undefined : { format }, undefined);
    this.drain(target);
  }

  /**
   * Reads the W3C directives at the start of the object's content `head`
   * (its first bytes), for a chunk that begins after them: its rows then
   * have the object's field names. Stops at the first line that is not a
   * directive; a head without directives changes nothing. Returns true when
   * the directives may go on past `head` (it ends in them), so a longer head
   * is worth reading.
   */
  readHead(head: Buffer): boolean {
    let start = 0;
    while (start < head.length && head[start] === 0x23 /* # */) {
      const newline = head.indexOf(0x0a, start);
      if (newline === -1) return true;
      const end = newline > start && head[newline - 1] === 0x0d ? newline - 1 : newline;
      if (!this.directive(head, start, end)) return false;
      start = newline + 1;
    }
    return start >= head.length;
  }

  /**
   * Takes a W3C directive line (`#` and a name), keeping the field names of
   * a `#Fields:` one for the rows after it; false for any other line, which
   * is then read as a line. Directives are headers, not log lines: they
   * are not counted (docs/vended-logs.md).
   */
  private directive(source: Buffer, start: number, end: number): boolean {
    const forced = this.options.format;
    if (forced !== 'auto' && forced !== 'w3c') return false;
    const line = source.toString('utf8', start, Math.min(end, start + 64 * 1024));
    if (!W3C_DIRECTIVE.test(line)) return false;
    const fields = w3cFields(source.toString('utf8', start, end));
    if (fields === undefined) return true;
    const layout = this.settled?.layout;
    // A header repeated further on (objects joined together) replaces the fields.
    if (layout?.encoding === 'w3c') layout.fields = fields;
    else this.w3cHeader = fields;
    return true;
  }

  /**
   * What `line` shows: the forced format, when the line parses as it;
   * else a vended record (a JSON object, a row under a W3C header) of a
   * known log type, any classic format detected from the line, the one the
   * key names when the line parses whole as it (a type token AWS added
   * since, say), or a `plain` record of the fields the settings list.
   */
  private recognise(line: string): Recognised | undefined {
    const forced = this.options.format;
    if (forced === 'json' || forced === 'w3c' || forced === 'plain') {
      return this.vended(forced, line);
    }
    if (forced !== 'auto')
      return this.parsesAs({ format: forced }, line) ? { format: forced } : undefined;
    const vended = this.vended('json', line) ?? this.vended('w3c', line);
    if (vended !== undefined) return vended;
    const detected = detectFormatFromLine(line);
    if (this.options.config.vended.fields !== undefined) {
      // A plain row of exactly the fields set may start like a classic line (a
      // space-separated subset): it is plain unless the fields are the classic
      // order, where both read alike and a line that parses as classic is one.
      const classic =
        detected !== undefined &&
        this.plainInClassicOrder() &&
        this.parsesAs({ format: detected }, line);
      const plain = classic ? undefined : this.vended('plain', line, true);
      if (plain !== undefined) return plain;
    }
    if (detected !== undefined) return { format: detected };
    const named = formatOfKey(this.keyInfo?.kind);
    if (named !== undefined && this.parsesAs({ format: named }, line)) return { format: named };
    return this.options.config.vended.fields === undefined ? undefined : this.vended('plain', line);
  }

  /** Whether the plain fields set are the first of their log type's, in the classic order. */
  private plainInClassicOrder(): boolean {
    const fields = this.options.config.vended.fields ?? [];
    const format = vendedFormatOf(fields);
    const order = format === undefined ? [] : (FORMATS[format].vended?.fields ?? []);
    return fields.every((name, i) => normaliseFieldName(name) === order[i]);
  }

  /**
   * `line` as a record of a vended `encoding`, when its names are a known
   * log type's; with `exact`, a plain row only when it has as many values
   * as the settings have fields.
   */
  private vended(encoding: VendedEncoding, line: string, exact = false): Recognised | undefined {
    const settings = this.options.config.vended;
    if (encoding === 'json') {
      const object = jsonObject(line);
      if (object === undefined) return undefined;
      const keys = Object.keys(object);
      const elbKey = keys.find((key) => key.toLowerCase() === 'elb');
      const elb = elbKey === undefined ? undefined : object[elbKey];
      const format = foundVendedFormat(keys, typeof elb === 'string' ? elb : undefined);
      return format === undefined ? undefined : { format, layout: { encoding } };
    }
    const fields = encoding === 'w3c' ? this.w3cHeader : settings.fields;
    if (fields === undefined) return undefined;
    // The settings' fields are the user's word; a header's must look like ELB's.
    const format =
      encoding === 'w3c' ? foundVendedFormat(fields, undefined, true) : vendedFormatOf(fields);
    if (format === undefined) return undefined;
    const recognised = { format, layout: { encoding, fields, delimiter: settings.delimiter } };
    if (exact) {
      const tokens = new LineTokens(fields.length + 1);
      const delimiter = settings.delimiter ?? inferDelimiter(line, fields.length, tokens);
      if (tokenize(line, tokens, delimiter) !== TOKENIZED || tokens.count !== fields.length) {
        return undefined;
      }
    }
    // A W3C header says what the rows are; a plain row must parse as the settings say.
    return encoding === 'w3c' || this.parsesAs(recognised, line) ? recognised : undefined;
  }

  /** Whether `line` parses as `recognised` says without a parse error. */
  private parsesAs(recognised: Recognised, line: string): boolean {
    const { format, layout } = recognised;
    const name = layout === undefined ? format : `${format}:${layout.encoding}`;
    let probe = this.probes.get(name);
    if (probe === undefined) {
      probe = createLineMapper({
        format: FORMATS[format],
        config: this.options.config,
        uidPrefix: '',
        ...(layout !== undefined && { layout: { ...layout } }),
      });
      this.probes.set(name, probe);
    }
    return probe(line, 0, 0n).attributes[0]?.key !== PARSE_ERROR_KEY;
  }

  private refuse(error: NotAnElbLogError | UnsupportedCompressionError): void {
    if (this.refused !== undefined) return;
    this.refused = error;
    this.refusedCount += this.pending.length;
    this.pending = [];
  }

  private displayName(): string {
    const { displayName, identity, nameHint } = this.options;
    if (displayName !== undefined) return displayName;
    if (identity.key !== undefined) {
      return identity.bucket === undefined
        ? identity.key
        : objectUrl(identity.bucket, identity.key);
    }
    return nameHint ?? 'the input';
  }

  private settle(recognised: Recognised | undefined, firstLine: string | undefined): void {
    const { identity, config } = this.options;
    const format = recognised?.format;
    const layout = recognised?.layout;
    const lineLoadBalancer =
      format !== undefined && firstLine !== undefined
        ? layout === undefined
          ? elbField(firstLine, format)
          : vendedElbField(firstLine, format, layout)
        : undefined;
    this.lineLoadBalancer = lineLoadBalancer;
    const source = this.options.source;
    const resourceInput = {
      ...identity,
      keyInfo: this.keyInfo,
      lineLoadBalancer,
      ...(source?.account !== undefined && { account: source.account }),
      ...(source?.region !== undefined && { region: source.region }),
      ...(source?.attributes !== undefined && { sourceAttributes: source.attributes }),
    };
    this.settled = {
      format,
      ...(layout !== undefined && { layout }),
      resource: buildResource(resourceInput, config),
      lineOptions: {
        ...(layout !== undefined && { layout }),
        ...(source !== undefined && { uidOf: source.uidOf }),
        format: format === undefined ? undefined : FORMATS[format],
        config,
        // Without a key, the file's name keeps ids of different files apart.
        uidPrefix: recordUidPrefix(
          identity.key === undefined && this.options.nameHint !== undefined
            ? { ...identity, key: this.options.nameHint }
            : identity,
        ),
        resourceLoadBalancerId: resourceLoadBalancer(resourceInput)?.resourceId,
      },
    };
  }

  private drain(target: LineTarget): void {
    const settled = this.settled;
    if (settled === undefined) return;
    if (!this.announced) {
      this.announced = true;
      target.settle(settled);
    }
    for (const p of this.pending) target.line(p.bytes, 0, p.bytes.length, p.offset, p.observed);
    this.pending = [];
  }
}

/** The `elb` field of a line, read with the format's own table. */
export function elbField(line: string, format: LogFormatId): string | undefined {
  const index = FORMATS[format].fields.findIndex((f) => f.kind === 'elb');
  if (index === -1) return undefined;
  const tokens = new LineTokens(16);
  if (tokenize(line, tokens) !== TOKENIZED) return undefined;
  return tokens.value(index);
}

/** The `elb` value of a vended record, read as `layout` says. */
export function vendedElbField(
  line: string,
  format: LogFormatId,
  layout: VendedLayout,
): string | undefined {
  const record = new NamedRecordParser(FORMATS[format]);
  const isElb = (name: string) => record.spec(record.column(name))?.kind === 'elb';
  if (layout.encoding === 'json') {
    const object = jsonObject(line);
    const key = object === undefined ? undefined : Object.keys(object).find(isElb);
    if (object === undefined || key === undefined) return undefined;
    const value = jsonValueText(object[key], undefined);
    return value === '-' || value === '' ? undefined : value;
  }
  const index = layout.fields.findIndex(isElb);
  if (index === -1) return undefined;
  const tokens = new LineTokens(16);
  if (
    tokenize(
      line,
      tokens,
      layout.delimiter ?? inferDelimiter(line, layout.fields.length, tokens),
    ) !== TOKENIZED
  ) {
    return undefined;
  }
  return tokens.value(index);
}
