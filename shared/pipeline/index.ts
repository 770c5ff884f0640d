export { decompressed, isGzip } from './decompress.ts';
export { type LineBatch, LineTooLongError, MAX_LINE_BYTES, readLines } from './line-reader.ts';
export { ObjectParser, type ObjectParserOptions } from './object-parser.ts';
export {
  type ShipCounts,
  type ShipObjectOptions,
  type ShipResult,
  shipObject,
} from './ship-object.ts';
