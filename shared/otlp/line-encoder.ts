/**
 * One log line, as a string, → one protobuf `LogRecord` written straight into
 * a request, with no record object in between: the bytes are exactly those of
 * `writeLogRecord` of the record `line-mapper.ts` builds. Lines the byte-level
 * fast path declines take this path.
 */

import { emptyParsedLine } from '../formats/parse-fields.ts';
import { SEVERITY_INFO } from '../records/model.ts';
import {
  createLineParser,
  failedRecord,
  type LineMapperOptions,
  lineUid,
  SEVERITY_TEXT,
} from './line-parser.ts';
import {
  beginLogRecord,
  LogAttributeWriter,
  type LogRecordTail,
  writeLogRecord,
  writeLogRecordTail,
} from './otlp-protobuf.ts';
import { ProtobufWriter } from './protobuf-writer.ts';

/**
 * Encodes one line (at a byte offset of its object) as a protobuf `LogRecord`
 * in field `field` of what `writer` is writing. Returns false when the line
 * was a parse error (it is still written, as `createLineMapper` would map it).
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
 * bytes are exactly those of `writeLogRecord` of `createLineMapper`'s
 * record, written without building the record.
 */
export function createLineEncoder(options: LineMapperOptions): LineEncoder {
  const parser = createLineParser(options);
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
    const uid = lineUid(options, offset);
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
