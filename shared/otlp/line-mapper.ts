/**
 * One log line → one `LogRecord` value: what `elb-otlp parse` prints and the
 * JSON encoding sends. The protobuf paths write the same record without
 * building it (`line-encoder.ts`, `buffer-line-encoder.ts`).
 */

import { emptyParsedLine } from '../formats/parse-fields.ts';
import { AttributeList, type LogRecord } from '../records/model.ts';
import {
  createLineParser,
  failedRecord,
  type LineMapperOptions,
  lineUid,
  SEVERITY_TEXT,
} from './line-parser.ts';

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
  const parser = createLineParser(options);
  const includeBody = options.config.includeBody;
  const parsed = emptyParsedLine();
  return (line, offset, observed) => {
    const uid = lineUid(options, offset);
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
