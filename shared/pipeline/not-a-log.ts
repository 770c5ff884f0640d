/**
 * Input that is not an ELB log. Such an object (or chunk) is refused before
 * any of it is shipped: its lines are counted as `failed`, and it fails with
 * one of these errors, by name, instead of reaching the receiver as one junk
 * record per "line". Retrying will not help; fix or remove the object.
 */

import { detectFormatFromLine } from '../formats/detect.ts';
import type { LogFormatId } from '../formats/field-spec.ts';
import { FORMATS } from '../formats/formats.ts';
import type { VendedEncoding } from '../formats/vended-record.ts';
import { type QueryRedactor, redactQueriesIn } from '../records/redaction.ts';

/** Characters of the first line quoted when an object is refused. */
const QUOTED_CHARS = 60;
/** Control bytes that occur in text: tab, vertical tab, form feed, carriage return, escape. */
const TEXT_CONTROLS = new Set([0x09, 0x0b, 0x0c, 0x0d, 0x1b]);

/** Formats that are archives of files rather than one compressed stream. */
const ARCHIVES = new Set(['zip', '7z']);

/**
 * The object is stored in a compression or archive elb-otlp does not read
 * (zstd, bzip2, xz, zip…), or its gzip holds one (gzip twice among them),
 * as its magic number says.
 *
 * @example
 * new UnsupportedCompressionError('s3://logs/x.log.gz', 'zstd', false).message;
 * // 's3://logs/x.log.gz is zstd-compressed; elb-otlp reads ELB logs stored as gzip or plain text'
 */
export class UnsupportedCompressionError extends Error {
  override readonly name = 'UnsupportedCompressionError';
  /** The format found: `zstd`, `bzip2`, `xz`, `zip`, `7z`, `lz4`, or `gzip` inside gzip. */
  readonly format: string;
  /** Whether the format was found inside the object's gzip rather than as stored. */
  readonly insideGzip: boolean;

  constructor(object: string, format: string, insideGzip: boolean) {
    const archive = ARCHIVES.has(format) ? `a ${format} archive` : undefined;
    const what = !insideGzip
      ? (archive ?? `${format}-compressed`)
      : `gzip holding ${archive ?? (format === 'gzip' ? 'gzip again' : `${format}-compressed data`)}`;
    super(`${object} is ${what}; elb-otlp reads ELB logs stored as gzip or plain text`);
    this.format = format;
    this.insideGzip = insideGzip;
  }
}

/**
 * The first lines of the object (or of the chunk, for a chunk that starts
 * mid-object) hold no line of an ELB log format: it is some other file.
 * The message says what was seen.
 */
export class NotAnElbLogError extends Error {
  override readonly name = 'NotAnElbLogError';

  constructor(object: string, reason: string) {
    super(`${object} is not an ELB log: ${reason}`);
  }
}

/** True for the errors that refuse an object before any of it is shipped. */
export function isRefusedInput(
  error: unknown,
): error is NotAnElbLogError | UnsupportedCompressionError {
  return error instanceof NotAnElbLogError || error instanceof UnsupportedCompressionError;
}

/**
 * The error for an object whose look-ahead `lines` (not empty) hold no ELB
 * line, saying what they hold instead: binary data, lines that look like
 * another format than the one forced, or text of no ELB format (quoting
 * the first line, its query values redacted). `whole` when the lines are all
 * the object (or chunk) has.
 */
export function notAnElbLog(
  object: string,
  lines: readonly { bytes: Buffer; line: string; offset: number }[],
  whole: boolean,
  format: LogFormatId | VendedEncoding | 'auto',
  redact: QueryRedactor,
): NotAnElbLogError {
  const count = lines.length;
  const first = lines[0];
  const one = count === 1;
  const from = first.offset > 0 ? ` from byte ${first.offset}` : '';
  const these = `${one ? 'its only line' : `${whole ? 'its' : 'its first'} ${count} lines`}${from}`;
  if (lines.some((l) => isBinary(l.bytes))) {
    return new NotAnElbLogError(
      object,
      `${these} ${one ? 'holds' : 'hold'} binary data (control bytes such as NUL), not text`,
    );
  }
  if (format !== 'auto') {
    const seen = lines.map((l) => detectFormatFromLine(l.line)).find((id) => id !== undefined);
    const looks =
      seen === undefined
        ? ''
        : `; ${one ? 'it looks' : 'they look'} like ${FORMATS[seen].title} lines`;
    return new NotAnElbLogError(
      object,
      `${one ? `${these} does not parse` : `none of ${these} parses`} in the format forced ` +
        `(${format in FORMATS ? FORMATS[format as LogFormatId].title : `vended ${format}`})${looks}`,
    );
  }
  // Another server's log line may carry a token in a URL: redacted before it is quoted.
  const text = redactQueriesIn(first.line, redact);
  const quoted = text.length > QUOTED_CHARS ? `${text.slice(0, QUOTED_CHARS)}…` : text;
  return new NotAnElbLogError(
    object,
    `${one ? `${these} is not` : `none of ${these} is`} a line of an ALB, NLB or Classic ELB ` +
      `log (${one ? 'it' : 'the first'} reads ${JSON.stringify(quoted)})`,
  );
}

/** Whether `bytes` hold a control byte that text does not: NUL and the like. */
function isBinary(bytes: Buffer): boolean {
  for (const byte of bytes) {
    if (byte < 0x20 && !TEXT_CONTROLS.has(byte)) return true;
  }
  return false;
}
