/**
 * Which log format an object holds: from its key when the key says, checked
 * against its first recognisable line, which wins when they disagree.
 */

import type { LogFormatId } from './field-spec.ts';
import type { LogKind } from './s3-key.ts';
import { parseTimestamp } from './values.ts';

const ALB_TYPES = new Set(['http', 'https', 'h2', 'grpcs', 'ws', 'wss']);
const HEALTH_ONLY_TYPES = new Set(['grpc', 'lambda']);

function isDigits(text: string | undefined): boolean {
  return text !== undefined && /^\d+$/.test(text);
}

/**
 * Recognises a format from one line, or returns `undefined` when the line
 * looks like none of them.
 *
 * @example
 * detectFormatFromLine('tls 2.0 2018-12-20T02:59:40 net/my-nlb/c6e77e28c25b2234 …'); // 'nlb'
 */
export function detectFormatFromLine(line: string): LogFormatId | undefined {
  const head = line.slice(0, 512).split(' ', 4);
  if (head.length < 4) return undefined;
  const [first, second, third] = head;
  if (ALB_TYPES.has(first) || HEALTH_ONLY_TYPES.has(first)) {
    if (third.startsWith('app/')) return 'alb';
    if (/^-?\d+(\.\d+)?$/.test(third) && parseTimestamp(second) !== undefined) return 'alb-health';
    return undefined;
  }
  if (first === 'tls' && third !== undefined && parseTimestamp(third) !== undefined) return 'nlb';
  if (parseTimestamp(first) !== undefined) {
    if (isDigits(third)) return 'alb-conn';
    if (third.includes(':') && !second.includes(':')) return 'clb';
  }
  return undefined;
}

/**
 * Settles an object's format from its key kind and its first lines: the first
 * line that is recognised decides; the key decides when no line is.
 */
export function resolveFormat(
  keyKind: LogKind | undefined,
  lines: readonly string[],
): LogFormatId | undefined {
  for (const line of lines) {
    const detected = detectFormatFromLine(line);
    if (detected !== undefined) return detected;
  }
  if (keyKind === undefined || keyKind === 'test-file' || keyKind === 'unknown') return undefined;
  return keyKind;
}
