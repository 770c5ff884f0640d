/**
 * One log line → one OTLP log record. Never throws and never drops a line:
 * a line that cannot be parsed becomes a record whose body is the raw line and
 * whose `elb_otlp.parse_error` names the field at fault.
 */

import type { MappingConfig } from '../config/mapping-config.ts';
import type { LogFormatSpec } from '../formats/field-spec.ts';
import { parseFields } from '../formats/parse-fields.ts';
import { LineTokens, TOKENIZED, tokenize } from '../formats/tokenizer.ts';
import { FieldError } from '../formats/values.ts';
import { type LogRecord, SEVERITY_INFO, severityText } from './model.ts';

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

/**
 * Creates the mapper for the lines of one object.
 *
 * @example
 * const map = createLineMapper({ format: ALB_ACCESS, config, uidPrefix: recordUidPrefix({ key }) });
 * const record = map(line, 0, 1_764_000_000_000_000_000n);
 */
export function createLineMapper(options: LineMapperOptions): LineMapper {
  const { format, config, uidPrefix, resourceLoadBalancerId } = options;
  const tokens = new LineTokens();
  const redact = config.redactQuery;
  const includeBody = config.includeBody;

  const failed = (line: string, offset: number, observed: bigint, reason: string): LogRecord => ({
    timeUnixNano: 0n,
    observedTimeUnixNano: observed,
    severityNumber: SEVERITY_INFO,
    severityText: 'INFO',
    body: line,
    attributes: [
      { key: PARSE_ERROR_KEY, type: 'string', value: reason },
      { key: RECORD_UID_KEY, type: 'string', value: `${uidPrefix}:${offset}` },
    ],
  });

  if (format === undefined) {
    return (line, offset, observed) =>
      failed(
        line,
        offset,
        observed,
        'unrecognised log format: not an ALB, NLB, Classic ELB, connection or health-check line',
      );
  }

  return (line, offset, observed) => {
    const unterminated = tokenize(line, tokens);
    if (unterminated !== TOKENIZED) {
      const name = format.fields[unterminated]?.name ?? `field ${unterminated + 1}`;
      return failed(line, offset, observed, `${name}: quoted field has no closing quote`);
    }
    let parsed: ReturnType<typeof parseFields>;
    try {
      parsed = parseFields(format, tokens, redact);
    } catch (error) {
      if (error instanceof FieldError) return failed(line, offset, observed, error.message);
      throw error;
    }
    const attributes = parsed.attributes;
    if (parsed.loadBalancer !== undefined && parsed.loadBalancer !== resourceLoadBalancerId) {
      attributes.push({ key: LINE_ELB_KEY, type: 'string', value: parsed.loadBalancer });
    }
    attributes.push({ key: RECORD_UID_KEY, type: 'string', value: `${uidPrefix}:${offset}` });
    const record: LogRecord = {
      timeUnixNano: parsed.timeUnixNano,
      observedTimeUnixNano: observed,
      severityNumber: parsed.severityNumber,
      severityText: SEVERITY_TEXT[parsed.severityNumber],
      attributes,
    };
    if (includeBody) record.body = line;
    if (parsed.traceId !== undefined) record.traceId = parsed.traceId;
    return record;
  };
}
