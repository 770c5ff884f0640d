/**
 * `--format`, `--fields` and `--delimiter` of `parse` and `ship`: which
 * format a local file is read as, and what a vended `plain` delivery does not
 * say about itself (docs/vended-logs.md).
 */

import { open } from 'node:fs/promises';
import { ConfigError } from '../../shared/config/config-error.ts';
import { type MappingConfig, parseVendedSettings } from '../../shared/config/mapping-config.ts';
import { LOG_FORMAT_IDS } from '../../shared/formats/field-spec.ts';
import { VENDED_ENCODINGS } from '../../shared/formats/vended-record.ts';
import type { ReadFormat } from '../../shared/pipeline/object-parser.ts';
import { isParquet } from '../../shared/s3/compression.ts';
import { UsageError } from '../usage-error.ts';

/** What `--format` takes: how lines are read, or `parquet` (a vended Parquet file, read by row groups). */
export type FormatChoice = ReadFormat | 'parquet';

export const FORMAT_CHOICES: readonly FormatChoice[] = [
  'auto',
  ...LOG_FORMAT_IDS,
  ...VENDED_ENCODINGS,
  'parquet',
];

export const FORMAT_OPTIONS = {
  format: { type: 'string', default: 'auto' },
  fields: { type: 'string' },
  delimiter: { type: 'string' },
} as const;

/** The help lines of {@link FORMAT_OPTIONS}, indented to `column`. */
export function formatOptionsHelp(column: number): string {
  const pad = (flag: string) => `  ${flag.padEnd(column - 2)}`;
  const indent = ' '.repeat(column);
  return [
    `${pad('--format FORMAT')}auto (default), ${LOG_FORMAT_IDS.join(', ')}, or a vended`,
    `${indent}delivery's ${[...VENDED_ENCODINGS, 'parquet'].join(', ')}`,
    `${pad('--fields NAMES')}a plain delivery's record fields, in order, separated`,
    `${indent}by commas (ELB_OTLP_VENDED_FIELDS)`,
    `${pad('--delimiter D')}a plain or w3c delivery's delimiter: tab, space,`,
    `${indent}comma or the characters (ELB_OTLP_VENDED_DELIMITER)`,
  ].join('\n');
}

/**
 * The format asked for, with `mapping`'s vended settings replaced by the
 * flags given. Throws {@link UsageError} naming the flag at fault.
 */
export function readFormatOptions(
  values: { format?: string; fields?: string; delimiter?: string },
  mapping: MappingConfig,
): FormatChoice {
  const format = (values.format ?? 'auto') as FormatChoice;
  if (!FORMAT_CHOICES.includes(format)) {
    throw new UsageError(
      `unknown --format ${JSON.stringify(values.format)}; expected ${FORMAT_CHOICES.join(', ')}`,
    );
  }
  if (values.fields !== undefined || values.delimiter !== undefined) {
    try {
      const flags = parseVendedSettings(values.fields, values.delimiter);
      mapping.vended = { ...mapping.vended, ...flags };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const flag = error.setting === 'ELB_OTLP_VENDED_FIELDS' ? '--fields' : '--delimiter';
      throw new UsageError(`${flag} ${error.detail}`);
    }
  }
  if (format === 'plain' && mapping.vended.fields === undefined) {
    throw new UsageError(
      "--format plain needs the delivery's fields: give --fields or set ELB_OTLP_VENDED_FIELDS (docs/vended-logs.md)",
    );
  }
  return format;
}

/**
 * Whether a local file is read as Parquet: forced, or its first bytes are
 * `PAR1`; and the format its lines are read as otherwise. A file forced to
 * be Parquet that is not one is refused.
 */
export async function readAsParquet(file: string, format: FormatChoice): Promise<boolean> {
  if (file === '-') {
    if (format === 'parquet') {
      throw new UsageError('a Parquet file must be given as a FILE: it is not read from stdin');
    }
    return false;
  }
  if (format !== 'auto' && format !== 'parquet') return false;
  // A file that cannot be opened fails when it is read, naming why.
  const handle = await open(file, 'r').catch(() => undefined);
  if (handle === undefined) return false;
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    const parquet = isParquet(head.subarray(0, bytesRead));
    if (format === 'parquet' && !parquet) {
      throw new UsageError(
        `--format parquet: ${file} does not begin with PAR1, as a Parquet file does`,
      );
    }
    return parquet;
  } finally {
    await handle.close();
  }
}

/** The format lines are read as, once Parquet is ruled out. */
export function lineFormat(format: FormatChoice): ReadFormat {
  return format === 'parquet' ? 'auto' : format;
}
