/**
 * Reading single ELB field values: numbers, timestamps, `address:port`.
 *
 * One place decides what counts as a number or a time in every format, so the
 * parsers agree on edge cases (`-1` timings, unbracketed IPv6, microsecond
 * timestamps without a zone).
 */

/** A field could not be read; the message names the field. */
export class FieldError extends Error {
  override readonly name = 'FieldError';
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

const ZERO = 0x30;
const NINE = 0x39;
const MINUS = 0x2d;
const DOT = 0x2e;

/** Longest digit run that always fits a JavaScript safe integer. */
const MAX_INT_DIGITS = 15;

/** Parses an optionally negative decimal integer; `NaN` when `text` is not one. */
export function parseInteger(text: string): number {
  const length = text.length;
  let i = text.charCodeAt(0) === MINUS ? 1 : 0;
  if (i === length || length - i > MAX_INT_DIGITS) return Number.NaN;
  let value = 0;
  for (; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < ZERO || c > NINE) return Number.NaN;
    value = value * 10 + (c - ZERO);
  }
  return text.charCodeAt(0) === MINUS ? -value : value;
}

/** Parses `-?digits[.digits]`; `NaN` for anything else (no exponents, no `Infinity`). */
export function parseDecimal(text: string): number {
  const length = text.length;
  let i = text.charCodeAt(0) === MINUS ? 1 : 0;
  const firstDigit = i;
  let dot = -1;
  for (; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT && dot === -1 && i > firstDigit) {
      dot = i;
    } else if (c < ZERO || c > NINE) {
      return Number.NaN;
    }
  }
  if (i === firstDigit || dot === length - 1) return Number.NaN;
  return Number(text);
}

function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const c = text.charCodeAt(i);
    if (c < ZERO || c > NINE) return -1;
    value = value * 10 + (c - ZERO);
  }
  return value;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const NANOS_PER_SECOND = 1_000_000_000n;
const FRACTION_SCALE = [1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 100, 10, 1];

let cachedSecond = Number.NaN;
let cachedSecondNanos = 0n;

/**
 * Parses an ISO 8601 UTC timestamp as ELB writes it
 * (`2018-07-02T22:23:00.186641Z`, or NLB's `2018-12-20T02:59:40` without
 * fraction and zone) to exact nanoseconds since the epoch, using integer
 * arithmetic only. Returns `undefined` when `text` is not such a timestamp.
 *
 * @example
 * parseTimestamp('2018-07-02T22:23:00.186641Z'); // 1530570180186641000n
 */
export function parseTimestamp(text: string): bigint | undefined {
  const length = text.length;
  if (
    length < 19 ||
    text.charCodeAt(4) !== MINUS ||
    text.charCodeAt(7) !== MINUS ||
    (text.charCodeAt(10) | 0x20) !== 0x74 /* T or t */ ||
    text.charCodeAt(13) !== 0x3a ||
    text.charCodeAt(16) !== 0x3a
  ) {
    return undefined;
  }
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return undefined;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  if (day > DAYS_IN_MONTH[month - 1]) return undefined;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) {
    return undefined;
  }
  let i = 19;
  let fraction = 0;
  if (i < length && text.charCodeAt(i) === DOT) {
    const start = ++i;
    while (i < length && i - start < 9) {
      const c = text.charCodeAt(i);
      if (c < ZERO || c > NINE) break;
      fraction = fraction * 10 + (c - ZERO);
      i++;
    }
    const count = i - start;
    if (count === 0) return undefined;
    fraction *= FRACTION_SCALE[count];
  }
  if (i < length && (text.charCodeAt(i) | 0x20) === 0x7a /* Z or z */) i++;
  if (i !== length) return undefined;
  const epochSecond =
    daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  // Lines of one object share few distinct seconds: reuse the BigInt.
  if (epochSecond !== cachedSecond) {
    cachedSecond = epochSecond;
    cachedSecondNanos = BigInt(epochSecond) * NANOS_PER_SECOND;
  }
  return fraction === 0 ? cachedSecondNanos : cachedSecondNanos + BigInt(fraction);
}

/** An address and port read from an `ip:port` field. */
export interface HostPort {
  address: string;
  port: number;
}

/**
 * Splits `ip:port`. IPv6 addresses are printed without brackets by ELB, so the
 * port is whatever follows the last `:`; bracketed `[::1]:443` is accepted too.
 * Returns `undefined` when there is no valid port.
 *
 * @example
 * splitHostPort('2001:db8::1:443'); // { address: '2001:db8::1', port: 443 }
 */
export function splitHostPort(text: string): HostPort | undefined {
  const colon = text.lastIndexOf(':');
  if (colon <= 0 || colon === text.length - 1) return undefined;
  const port = parseInteger(text.slice(colon + 1));
  if (!(port >= 0 && port <= 65535) || text.charCodeAt(colon + 1) === MINUS) return undefined;
  let address = text.slice(0, colon);
  if (address.charCodeAt(0) === 0x5b && address.charCodeAt(address.length - 1) === 0x5d) {
    address = address.slice(1, -1);
    if (address.length === 0) return undefined;
  }
  return { address, port };
}
