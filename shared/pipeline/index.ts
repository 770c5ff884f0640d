export { decompressed, isGzip } from './decompress.ts';
export {
  type LineBatch,
  LineTooLongError,
  lineText,
  MAX_LINE_BYTES,
  readLines,
} from './line-reader.ts';
export {
  type LineTarget,
  ObjectParser,
  type ObjectParserOptions,
  RecordCollector,
  type SettledObject,
} from './object-parser.ts';
export {
  type ShipObjectOptions,
  type ShipResult,
  shipObject,
} from './ship-object.ts';
