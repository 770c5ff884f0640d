/**
 * Which log format an object holds: from its first recognisable line, or
 * from its key when no line says (`object-parser.ts` decides).
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
 * The format an object's key names (`conn_log_…`, `…_app.…`, `…_net.…`, a
 * Classic name), or `undefined` when it names none. Its lines are checked
 * against it: a line whose format is recognised wins.
 */
export function formatOfKey(keyKind: LogKind | undefined): LogFormatId | undefined {
  if (keyKind === undefined || keyKind === 'test-file' || keyKind === 'unknown') return undefined;
  return keyKind;
}
