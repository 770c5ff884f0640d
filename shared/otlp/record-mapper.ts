/**
 * One log line → one OTLP log record. Never throws and never drops a line:
 * a line that cannot be parsed becomes a record whose body is the raw line and
 * whose `elb_otlp.parse_error` names the field at fault. Wherever a URL
 * appears (attributes, and the body, which is the line) its credentials and
 * sensitive query values are redacted (`redaction.ts`).
 */

import type { MappingConfig } from '../config/mapping-config.ts';
import type { LogFormatSpec } from '../formats/field-spec.ts';
import { looseFields, redactedBody, urlFieldKinds } from '../formats/line-redaction.ts';
import { emptyParsedLine, type ParsedLine, parseFields } from '../formats/parse-fields.ts';
import { LineTokens, TOKENIZED, tokenize } from '../formats/tokenizer.ts';
import { FieldError } from '../formats/values.ts';
import {
  AttributeList,
  type AttributeSink,
  type LogRecord,
  SEVERITY_INFO,
  severityText,
} from '../records/model.ts';
import { redactQueriesIn } from '../records/redaction.ts';
import { createByteLineEncoder } from './byte-line-encoder.ts';
import {
  beginLogRecord,
  LogAttributeWriter,
  type LogRecordTail,
  writeLogRecord,
  writeLogRecordTail,
} from './otlp-protobuf.ts';
import { ProtobufWriter } from './protobuf-writer.ts';

export const PARSE_ERROR_KEY = 'elb_otlp.parse_error';
export const RECORD_UID_KEY = 'log.record.uid';
/** Carries a line's `elb` field when it differs from the resource's load balancer. */
export const LINE_ELB_KEY = 'aws.elb.elb';

const SEVERITY_TEXT = ['', ...Array.from({ length: 24 }, (_, i) => severityText(i + 1))];

export interface LineMapperOptions {
  /** The format of the object's lines; `undefined` when it could not be recognised. */
  format: LogFormatSpec | undefined;
  config: MappingConfig;
  /** See {@link recordUidPrefix}. */
  uidPrefix: string;
  /** The `elb` field value the resource stands for. */
  resourceLoadBalancerId?: string;
}

/** Maps one line (at a byte offset of its object) to a record. */
export type LineMapper = (line: string, offset: number, observedTimeUnixNano: bigint) => LogRecord;

const UNRECOGNISED =
  'unrecognised log format: not an ALB, NLB, Classic ELB, connection or health-check line';

/** The record of a line that could not be parsed: the line and the reason, both redacted. */
function failedRecord(body: string, uid: string, observed: bigint, reason: string): LogRecord {
  return {
    timeUnixNano: 0n,
    observedTimeUnixNano: observed,
    severityNumber: SEVERITY_INFO,
    severityText: 'INFO',
    body,
    attributes: [
      { key: PARSE_ERROR_KEY, type: 'string', value: reason },
      { key: RECORD_UID_KEY, type: 'string', value: uid },
    ],
  };
}

/** Parses the lines of one object, and gives each its body. */
interface LineParser {
  /**
   * Parses one line into `parsed` and `attributes`, then adds the attributes
   * every parsed line ends with. Returns `undefined`, or why the line could
   * not be parsed, redacted (`attributes` may have received some fields by then).
   */
  parse(
    line: string,
    uid: string,
    parsed: ParsedLine,
    attributes: AttributeSink,
  ): string | undefined;
  /** The body of the line just parsed: the line, its fields redacted as its attributes are. */
  body(line: string, parsed: ParsedLine): string;
  /** The body of a line that could not be parsed: the line, whatever looks like a query redacted. */
  failedBody(line: string): string;
}

function createLineParser(options: LineMapperOptions): LineParser {
  const { format, config, resourceLoadBalancerId } = options;
  const redact = config.redactQuery;
  const failedBody = (line: string) => redactQueriesIn(line, redact);
  if (format === undefined) {
    return { parse: () => UNRECOGNISED, body: failedBody, failedBody };
  }
  const tokens = new LineTokens();
  const urlFields = urlFieldKinds(format);
  const marks = { kinds: new Uint8Array(64) };
  return {
    parse(line, uid, parsed, attributes) {
      const unterminated = tokenize(line, tokens);
      if (unterminated !== TOKENIZED) {
        const name = format.fields[unterminated]?.name ?? `field ${unterminated + 1}`;
        return `${name}: quoted field has no closing quote`;
      }
      const loose = looseFields(line, tokens, urlFields, marks);
      try {
        parseFields(format, tokens, redact, parsed, attributes, loose);
      } catch (error) {
        if (error instanceof FieldError) return redactQueriesIn(error.message, redact);
        throw error;
      }
      if (parsed.loadBalancer !== undefined && parsed.loadBalancer !== resourceLoadBalancerId) {
        attributes.string(LINE_ELB_KEY, parsed.loadBalancer);
      }
      attributes.string(RECORD_UID_KEY, uid);
      return undefined;
    },
    body(line, parsed) {
      return redactedBody(line, tokens, parsed.edits);
    },
    failedBody,
  };
}

/**
 * Creates the mapper for the lines of one object.
 *
 * @example
 * const map = createLineMapper({ format: ALB_ACCESS, config, uidPrefix: recordUidPrefix({ key }) });
 * const record = map(line, 0, 1_764_000_000_000_000_000n);
 */
export function createLineMapper(options: LineMapperOptions): LineMapper {
  const parser = createLineParser(options);
  const { uidPrefix } = options;
  const includeBody = options.config.includeBody;
  const parsed = emptyParsedLine();
  return (line, offset, observed) => {
    const uid = `${uidPrefix}:${offset}`;
    const attributes = new AttributeList();
    const error = parser.parse(line, uid, parsed, attributes);
    if (error !== undefined) return failedRecord(parser.failedBody(line), uid, observed, error);
    const record: LogRecord = {
      timeUnixNano: parsed.timeUnixNano,
      observedTimeUnixNano: observed,
      severityNumber: parsed.severityNumber,
      severityText: SEVERITY_TEXT[parsed.severityNumber],
      attributes: attributes.items,
    };
    if (includeBody) record.body = parser.body(line, parsed);
    if (parsed.traceId !== undefined) record.traceId = parsed.traceId;
    return record;
  };
}

/**
 * Encodes one line (at a byte offset of its object) as a protobuf `LogRecord`
 * in field `field` of what `writer` is writing. Returns false when the line
 * was a parse error (it is still written, as {@link createLineMapper} would map it).
 */
export type LineEncoder = (
  line: string,
  offset: number,
  observedTimeUnixNano: bigint,
  writer: ProtobufWriter,
  field: number,
) => boolean;

/**
 * Creates the parse-and-encode function for the lines of one object: the
 * bytes are exactly those of `writeLogRecord` of {@link createLineMapper}'s
 * record, written without building the record.
 */
export function createLineEncoder(options: LineMapperOptions): LineEncoder {
  const parser = createLineParser(options);
  const { uidPrefix } = options;
  const includeBody = options.config.includeBody;
  const parsed = emptyParsedLine();
  const attributes = new LogAttributeWriter(new ProtobufWriter(16));
  const tail: LogRecordTail = {
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: SEVERITY_INFO,
    severityText: '',
    body: undefined,
    traceId: undefined,
  };
  return (line, offset, observed, writer, field) => {
    const uid = `${uidPrefix}:${offset}`;
    const start = writer.length;
    const mark = beginLogRecord(writer, field);
    attributes.writer = writer;
    const error = parser.parse(line, uid, parsed, attributes);
    if (error !== undefined) {
      writer.truncate(start);
      writeLogRecord(writer, field, failedRecord(parser.failedBody(line), uid, observed, error));
      return false;
    }
    tail.timeUnixNano = parsed.timeUnixNano;
    tail.observedTimeUnixNano = observed;
    tail.severityNumber = parsed.severityNumber;
    tail.severityText = SEVERITY_TEXT[parsed.severityNumber];
    tail.body = includeBody ? parser.body(line, parsed) : undefined;
    tail.traceId = parsed.traceId;
    writeLogRecordTail(writer, mark, tail);
    return true;
  };
}

/**
 * Encodes the line `source[start, end)` (UTF-8, without its newline) as
 * {@link LineEncoder} does the same line as a string.
 */
export type BufferLineEncoder = (
  source: Buffer,
  start: number,
  end: number,
  offset: number,
  observedTimeUnixNano: bigint,
  writer: ProtobufWriter,
  field: number,
) => boolean;

/**
 * Creates the parse-and-encode function for lines still in the bytes they
 * were read in: the byte-level fast path takes the lines it can
 * (`byte-line-encoder.ts`), the string path of {@link createLineEncoder} the
 * rest. Either way the bytes are the same.
 */
export function createBufferLineEncoder(options: LineMapperOptions): BufferLineEncoder {
  const encodeText = createLineEncoder(options);
  const { format, config } = options;
  const fast =
    format === undefined
      ? undefined
      : createByteLineEncoder({
          format,
          includeBody: config.includeBody,
          redactQuery: config.redactQueryBytes,
          uidPrefix: options.uidPrefix,
          resourceLoadBalancerId: options.resourceLoadBalancerId,
          uidKey: RECORD_UID_KEY,
          lineElbKey: LINE_ELB_KEY,
        });
  return (source, start, end, offset, observed, writer, field) => {
    if (fast?.(source, start, end, offset, observed, writer, field) === true) return true;
    return encodeText(source.toString('utf8', start, end), offset, observed, writer, field);
  };
}
