/**
 * Input errors in words a user (or a chunk result) can act on.
 */

import { LineTooLongError } from './line-reader.ts';

/** What went wrong reading a log file, without a stack trace. */
export function describeReadError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a log file';
    case 'Z_BUF_ERROR':
    case 'Z_DATA_ERROR':
      return `gzip data is corrupt or truncated: ${e.message}`;
    default:
      if (error instanceof LineTooLongError) return error.message;
      return e?.message ?? String(error);
  }
}

/**
 * A name for a read error that says what happened (`CorruptGzipError` for
 * zlib's data errors, which are plain `Error`s), for results that carry it.
 */
export function readErrorName(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR') return 'CorruptGzipError';
  return error.name;
}
