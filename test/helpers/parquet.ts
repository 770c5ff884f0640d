/**
 * Parquet objects of vended records, written with hyparquet-writer (not the
 * reader under test): every field a string column, as the vended JSON's
 * values are, unless `types` gives a column another type.
 */

import { type BasicType, parquetWriteBuffer } from 'hyparquet-writer';

/** A Parquet file of `records` (all with the same fields), `rowGroupRows` rows per row group. */
export function parquetOf(
  records: readonly Record<string, string>[],
  rowGroupRows: number,
  types: Record<string, BasicType> = {},
): Buffer {
  const names = Object.keys(records[0]);
  const columnData = names.map((name) => {
    const type = types[name] ?? 'STRING';
    const data = records.map((record) => {
      const value = record[name];
      if (type === 'STRING') return value;
      if (value === '-') return null;
      return type === 'INT32' || type === 'DOUBLE' ? Number(value) : value;
    });
    return { name, data, type };
  });
  return Buffer.from(parquetWriteBuffer({ columnData, rowGroupSize: rowGroupRows }));
}
