/**
 * Turns the lines of one log object into log records: settles the format
 * (from the key, checked against the first recognisable line), builds the
 * object's resource, then hands every line to a {@link LineTarget}, which
 * maps it to a record ({@link RecordCollector}) or encodes it straight away.
 */

import type { MappingConfig } from '../config/mapping-config.ts';
import { detectFormatFromLine, resolveFormat } from '../formats/detect.ts';
import type { LogFormatId } from '../formats/field-spec.ts';
import { FORMATS } from '../formats/formats.ts';
import { parseS3Key, type S3KeyInfo } from '../formats/s3-key.ts';
import { LineTokens, TOKENIZED, tokenize } from '../formats/tokenizer.ts';
import type { LogRecord, Resource } from '../otlp/model.ts';
import {
  createLineMapper,
  type LineMapper,
  type LineMapperOptions,
} from '../otlp/record-mapper.ts';
import { type ObjectIdentity, recordUidPrefix } from '../otlp/record-uid.ts';
import { buildResource, resourceLoadBalancer } from '../otlp/resource.ts';

/** Lines held back while looking for one whose format is recognisable. */
const DETECTION_LINES = 20;

export interface ObjectParserOptions {
  identity: ObjectIdentity;
  /**
   * A file name to read account, Region and load balancer from when there is
   * no S3 key (a downloaded object keeps ELB's file name); it also stands in
   * for the key in `log.record.uid`, so two local files never share ids.
   */
  nameHint?: string;
  /** `auto` detects; a format id forces it. */
  format: LogFormatId | 'auto';
  config: MappingConfig;
}

/** What is settled about an object before its first line is handed on. */
export interface SettledObject {
  format: LogFormatId | undefined;
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
  /** Whether the target has been told the object is settled. */
  private announced = false;

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

  /**
   * Takes the line `source[start, end)`; it goes on to `target` now, or
   * with later lines once enough were seen to settle the format.
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
      target.line(source, start, end, offset, observed);
      return;
    }
    // The source's memory may be reused once this returns: keep a copy.
    const bytes = Buffer.from(source.subarray(start, end));
    const line = bytes.toString('utf8');
    this.pending.push({ bytes, line, offset, observed });
    const forced = this.options.format;
    const detected = forced === 'auto' ? detectFormatFromLine(line) : forced;
    if (detected !== undefined || this.pending.length >= DETECTION_LINES) {
      this.settleFromLines(detected);
      this.drain(target);
    }
  }

  /** Hands on held-back lines at the end of the object (settling it if no line did). */
  finish(target: LineTarget): void {
    if (this.settled === undefined) this.settleFromLines(undefined);
    this.drain(target);
  }

  private settleFromLines(detected: LogFormatId | undefined): void {
    const forced = this.options.format;
    const format = forced !== 'auto' ? forced : (detected ?? resolveFormat(this.keyInfo?.kind, []));
    const first =
      format === undefined
        ? undefined
        : forced !== 'auto'
          ? this.pending[0]
          : this.pending.find((p) => detectFormatFromLine(p.line) === format);
    this.settle(format, first?.line);
  }

  private settle(format: LogFormatId | undefined, firstLine: string | undefined): void {
    const { identity, config } = this.options;
    const lineLoadBalancer =
      format !== undefined && firstLine !== undefined ? elbField(firstLine, format) : undefined;
    const resourceInput = { ...identity, keyInfo: this.keyInfo, lineLoadBalancer };
    this.settled = {
      format,
      resource: buildResource(resourceInput, config),
      lineOptions: {
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
function elbField(line: string, format: LogFormatId): string | undefined {
  const index = FORMATS[format].fields.findIndex((f) => f.kind === 'elb');
  if (index === -1) return undefined;
  const tokens = new LineTokens(16);
  if (tokenize(line, tokens) !== TOKENIZED) return undefined;
  return tokens.value(index);
}
