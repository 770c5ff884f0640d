/**
 * One log line, still in the bytes it was read in, → one protobuf
 * `LogRecord`: what `ship` does per line. The byte-level fast path
 * (`byte-line-encoder.ts`) takes the lines it can, the string path
 * (`line-encoder.ts`) the rest; either way the bytes are the same.
 */

import { createByteLineEncoder } from './byte-line-encoder.ts';
import { createLineEncoder } from './line-encoder.ts';
import { LINE_ELB_KEY, type LineMapperOptions, RECORD_UID_KEY } from './line-parser.ts';
import type { ProtobufWriter } from './protobuf-writer.ts';

/**
 * Encodes the line `source[start, end)` (UTF-8, without its newline) as
 * `LineEncoder` does the same line as a string.
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
 * (`byte-line-encoder.ts`), the string path of `createLineEncoder` the
 * rest. Either way the bytes are the same.
 */
export function createBufferLineEncoder(options: LineMapperOptions): BufferLineEncoder {
  const encodeText = createLineEncoder(options);
  const { format, config } = options;
  // Vended records, and lines with ids of their own, take the string path.
  const fast =
    format === undefined || options.layout !== undefined || options.uidOf !== undefined
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
