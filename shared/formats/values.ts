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
export const MAX_INT_DIGITS = 15;

/**
 * Parses an optionally negative decimal integer in `text[start, end)`;
 * `NaN` when it is not one. Offsets let parsers read fields in place.
 */
export function parseInteger(text: string, start = 0, end = text.length): number {
  const negative = text.charCodeAt(start) === MINUS;
  let i = negative ? start + 1 : start;
  if (i === end || end - i > MAX_INT_DIGITS) return Number.NaN;
  let value = 0;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < ZERO || c > NINE) return Number.NaN;
    value = value * 10 + (c - ZERO);
  }
  return negative ? -value : value;
}

/** `10 ** n` for the digits after a decimal point. */
export const POWERS_OF_TEN = [
  1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/**
 * Parses `-?digits[.digits]` in `text[start, end)`; `NaN` for anything else
 * (no exponents, no `Infinity`). Up to 15 digits the value is computed with one
 * correctly rounded division, so it equals `Number()` of the same text.
 */
export function parseDecimal(text: string, start = 0, end = text.length): number {
  const negative = text.charCodeAt(start) === MINUS;
  const firstDigit = negative ? start + 1 : start;
  let dot = -1;
  let scaled = 0;
  let i = firstDigit;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= ZERO && c <= NINE) {
      scaled = scaled * 10 + (c - ZERO);
    } else if (c === DOT && dot === -1 && i > firstDigit) {
      dot = i;
    } else {
      return Number.NaN;
    }
  }
  if (i === firstDigit || dot === end - 1) return Number.NaN;
  if (end - firstDigit > MAX_INT_DIGITS) return Number(text.slice(start, end));
  const value = dot === -1 ? scaled : scaled / POWERS_OF_TEN[end - dot - 1];
  return negative ? -value : value;
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
/** What a fraction of `n` digits is multiplied by to give nanoseconds. */
export const FRACTION_SCALE = [1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 100, 10, 1];

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
export function parseTimestamp(text: string, start = 0, end = text.length): bigint | undefined {
  const length = end - start;
  if (
    length < 19 ||
    text.charCodeAt(start + 4) !== MINUS ||
    text.charCodeAt(start + 7) !== MINUS ||
    (text.charCodeAt(start + 10) | 0x20) !== 0x74 /* T or t */ ||
    text.charCodeAt(start + 13) !== 0x3a ||
    text.charCodeAt(start + 16) !== 0x3a
  ) {
    return undefined;
  }
  const year = digits(text, start, 4);
  const month = digits(text, start + 5, 2);
  const day = digits(text, start + 8, 2);
  const hour = digits(text, start + 11, 2);
  const minute = digits(text, start + 14, 2);
  const second = digits(text, start + 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return undefined;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  if (day > DAYS_IN_MONTH[month - 1]) return undefined;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) {
    return undefined;
  }
  let i = start + 19;
  let fraction = 0;
  if (i < end && text.charCodeAt(i) === DOT) {
    const first = ++i;
    while (i < end && i - first < 9) {
      const c = text.charCodeAt(i);
      if (c < ZERO || c > NINE) break;
      fraction = fraction * 10 + (c - ZERO);
      i++;
    }
    const count = i - first;
    if (count === 0) return undefined;
    fraction *= FRACTION_SCALE[count];
  }
  if (i < end && (text.charCodeAt(i) | 0x20) === 0x7a /* Z or z */) i++;
  if (i !== end) return undefined;
  const epochSecond = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
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
export function splitHostPort(text: string, start = 0, end = text.length): HostPort | undefined {
  const colon = text.lastIndexOf(':', end - 1);
  if (colon <= start || colon === end - 1) return undefined;
  const port = parseInteger(text, colon + 1, end);
  if (!(port >= 0 && port <= 65535) || text.charCodeAt(colon + 1) === MINUS) return undefined;
  if (text.charCodeAt(start) === 0x5b && text.charCodeAt(colon - 1) === 0x5d) {
    if (colon - start < 3) return undefined;
    return { address: text.slice(start + 1, colon - 1), port };
  }
  return { address: text.slice(start, colon), port };
}
