/**
 * Scans over the ASCII bytes of a log line for the byte-level fast path
 * (`byte-line-encoder.ts`): byte codes, the literal prefixes and values it
 * compares and writes, and reads that give what the string path's parsers
 * give for the same text (`integerAt` as `parseInteger`, `schemeEndIn` as
 * `schemeLength`, `authorityEndIn` as `splitUrl`). Nothing here allocates.
 */

import { KNOWN_METHODS } from '../formats/request-line.ts';
import { MAX_INT_DIGITS } from '../formats/values.ts';
import { isSchemeCharacter } from '../records/url-parts.ts';

/** The bytes the fast path looks for, by their ASCII codes. */
export const SPACE = 0x20;
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const DASH = 0x2d;
export const DOT = 0x2e;
export const COLON = 0x3a;
const SLASH = 0x2f;
export const QUESTION = 0x3f;
export const COMMA = 0x2c;
export const SEMICOLON = 0x3b;
export const AT = 0x40;
export const ZERO = 0x30;
export const NINE = 0x39;

/** A string of ASCII as bytes. */
const ascii = (text: string) => Buffer.from(text, 'latin1');
/** What the fast path compares a field's start with, or writes as a value, as bytes. */
export const ROOT = ascii('Root=1-');
export const NOT_BEFORE = ascii('NotBefore=');
export const NOT_AFTER = ascii(';NotAfter=');
export const ARN = ascii('arn:');
export const HTTP_SLASH = ascii('HTTP/');
export const VALUE_HTTP = ascii('http');
export const VALUE_OTHER = ascii('_OTHER');
export const VALUE_2 = ascii('2');
export const VALUE_3 = ascii('3');
const METHODS = [...KNOWN_METHODS].map(ascii);

/**
 * Finds one byte in the buffers lines are read from: lines come in order, so
 * one native search serves every line up to the byte found.
 */
export class NextByte {
  private readonly byte: number;
  private source: Buffer | undefined;
  private from = 0;
  private found = 0;

  constructor(byte: number) {
    this.byte = byte;
  }

  /** The position of the byte at or after `from` in `source`, or `source.length`. */
  next(source: Buffer, from: number): number {
    // A search from `this.from` found nothing before `this.found`.
    if (source !== this.source || from < this.from || this.found < from) {
      this.source = source;
      this.from = from;
      const found = source.indexOf(this.byte, from);
      this.found = found === -1 ? source.length : found;
    }
    return this.found;
  }
}

/** Where part `[s, e)` of an ALPN list starts without its leading quote. */
export function unquotedStart(src: Uint8Array, s: number, e: number): number {
  return s < e && src[s] === QUOTE ? s + 1 : s;
}

/** Where part `[s, e)` of an ALPN list ends without its trailing quote (one quote alone is both). */
export function unquotedEnd(src: Uint8Array, s: number, e: number): number {
  return e > unquotedStart(src, s, e) && src[e - 1] === QUOTE ? e - 1 : e;
}

/** An ASCII letter's lowercase code; any other byte as it is. */
export function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** The value of a hexadecimal digit, or -1. */
export function hexDigit(c: number): number {
  if (c >= ZERO && c <= NINE) return c - ZERO;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** Whether `src[s, e)` starts with `prefix`. */
export function startsWith(src: Uint8Array, s: number, e: number, prefix: Uint8Array): boolean {
  if (e - s < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (src[s + k] !== prefix[k]) return false;
  return true;
}

/**
 * As `schemeLength` of the string path: where the first `://` of `src[s, e)`
 * is when a valid scheme runs from `s` to it, else -1.
 */
export function schemeEndIn(src: Uint8Array, s: number, e: number): number {
  let k = s;
  while (k < e && isSchemeCharacter(src[k], k === s)) k++;
  if (k === s || k + 3 > e) return -1;
  return src[k] === COLON && src[k + 1] === SLASH && src[k + 2] === SLASH ? k : -1;
}

/**
 * Where an authority starting at `s` ends (its first `/` or `?`, or `e`), as
 * `splitUrl` reads it; -1 when it holds credentials (`@`), which the string
 * path redacts.
 */
export function authorityEndIn(src: Uint8Array, s: number, e: number): number {
  let k = s;
  while (k < e) {
    const c = src[k];
    if (c === SLASH || c === QUESTION) return k;
    if (c === AT) return -1;
    k++;
  }
  return e;
}

/** Whether `src[s, e)` holds a `?` or an `@`. */
export function hasMark(src: Uint8Array, s: number, e: number): boolean {
  for (let k = s; k < e; k++) if (src[k] === QUESTION || src[k] === AT) return true;
  return false;
}

/** Classic ELB's request of a TCP/SSL listener: `- - - `. */
export function isTcpRequest(src: Uint8Array, s: number, e: number): boolean {
  return (
    e - s >= 5 &&
    src[s] === DASH &&
    src[s + 1] === SPACE &&
    src[s + 2] === DASH &&
    src[s + 3] === SPACE &&
    src[s + 4] === DASH
  );
}

/** Whether `src[s, e)` is one of the HTTP methods `request-line.ts` knows. */
export function knownMethod(src: Uint8Array, s: number, e: number): boolean {
  for (const method of METHODS) {
    if (method.length === e - s && startsWith(src, s, e, method)) return true;
  }
  return false;
}

/** `-?digits` of at most 15 digits, as `parseInteger` reads it; NaN otherwise. */
export function integerAt(src: Uint8Array, s: number, e: number): number {
  const negative = src[s] === DASH;
  let k = negative ? s + 1 : s;
  if (k === e || e - k > MAX_INT_DIGITS) return Number.NaN;
  let value = 0;
  for (; k < e; k++) {
    const c = src[k];
    if (c < ZERO || c > NINE) return Number.NaN;
    value = value * 10 + (c - ZERO);
  }
  return negative ? -value : value;
}
