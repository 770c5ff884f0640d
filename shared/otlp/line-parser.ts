/**
 * What the three ways from a line to a record share: the keys every record
 * may carry, the record of a line that could not be parsed, and the parser
 * that reads one object's lines into attributes and gives each its body.
 * Never throws and never drops a line: a line that cannot be parsed becomes a
 * record whose body is the raw line and whose `elb_otlp.parse_error` names
 * the field at fault. Wherever a URL appears (attributes, and the body, which
 * is the line) its credentials and sensitive query values are redacted
 * (`shared/records/redaction.ts`).
 */

import type { MappingConfig } from '../config/mapping-config.ts';
import type { LogFormatSpec } from '../formats/field-spec.ts';
import { looseFields, redactedBody, urlFieldKinds } from '../formats/line-redaction.ts';
import { type ParsedLine, parseFields } from '../formats/parse-fields.ts';
import { LineTokens, TOKENIZED, tokenize } from '../formats/tokenizer.ts';
import { FieldError } from '../formats/values.ts';
import type { VendedLayout } from '../formats/vended-record.ts';
import {
  type AttributeSink,
  type LogRecord,
  SEVERITY_INFO,
  severityText,
} from '../records/model.ts';
import { redactQueriesIn } from '../records/redaction.ts';
import { createVendedLineParser } from './vended-line-parser.ts';

/** Why a line could not be parsed; a record of such a line has it first. */
export const PARSE_ERROR_KEY = 'elb_otlp.parse_error';
/** A deterministic id per line (`shared/records/record-uid.ts`). */
export const RECORD_UID_KEY = 'log.record.uid';
/** Carries a line's `elb` field when it differs from the resource's load balancer. */
export const LINE_ELB_KEY = 'aws.elb.elb';

/** Severity text by severity number, looked up per line. */
export const SEVERITY_TEXT = ['', ...Array.from({ length: 24 }, (_, i) => severityText(i + 1))];

export interface LineMapperOptions {
  /** The format of the object's lines; `undefined` when it could not be recognised. */
  format: LogFormatSpec | undefined;
  config: MappingConfig;
  /** The per-object part of `log.record.uid` (`recordUidPrefix`). */
  uidPrefix: string;
  /** The `elb` field value the resource stands for. */
  resourceLoadBalancerId?: string;
  /** How the records of a vended delivery are written; absent for classic lines (docs/vended-logs.md). */
  layout?: VendedLayout;
  /** `log.record.uid` of the line at `offset`, when it is not `<uidPrefix>:<offset>` (log events). */
  uidOf?: (offset: number) => string;
}

/** The `log.record.uid` of the line at `offset`. */
export function lineUid(options: LineMapperOptions, offset: number): string {
  return options.uidOf === undefined ? `${options.uidPrefix}:${offset}` : options.uidOf(offset);
}

const UNRECOGNISED =
  'unrecognised log format: not an ALB, NLB, Classic ELB, connection or health-check line';

/** The record of a line that could not be parsed: the line and the reason, both redacted. */
export function failedRecord(
  body: string,
  uid: string,
  observed: bigint,
  reason: string,
): LogRecord {
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
export interface LineParser {
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

/** Creates the parser for the lines of one object. */
export function createLineParser(options: LineMapperOptions): LineParser {
  const { format, config, resourceLoadBalancerId } = options;
  const redact = config.redactQuery;
  const failedBody = (line: string) => redactQueriesIn(line, redact);
  if (format === undefined) {
    return { parse: () => UNRECOGNISED, body: failedBody, failedBody };
  }
  const ends = (parsed: ParsedLine, uid: string, attributes: AttributeSink) => {
    if (parsed.loadBalancer !== undefined && parsed.loadBalancer !== resourceLoadBalancerId) {
      attributes.string(LINE_ELB_KEY, parsed.loadBalancer);
    }
    attributes.string(RECORD_UID_KEY, uid);
  };
  if (options.layout !== undefined) {
    const vended = createVendedLineParser(format, options.layout, redact);
    return {
      parse(line, uid, parsed, attributes) {
        const error = vended.parse(line, parsed, attributes);
        if (error === undefined) ends(parsed, uid, attributes);
        return error;
      },
      body: (line) => vended.body(line),
      failedBody: (line) => vended.failedBody(line),
    };
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
      ends(parsed, uid, attributes);
      return undefined;
    },
    body(line, parsed) {
      return redactedBody(line, tokens, parsed.edits);
    },
    failedBody,
  };
}
