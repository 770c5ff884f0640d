/**
 * Reading `--key` values: an S3 key, or `s3://bucket/key`.
 */

import type { ObjectIdentity } from '../../shared/records/record-uid.ts';
import { UsageError } from '../usage-error.ts';

/**
 * @example
 * parseObjectLocation('s3://logs/AWSLogs/1234/x.log.gz'); // { bucket: 'logs', key: 'AWSLogs/1234/x.log.gz' }
 */
export function parseObjectLocation(text: string): ObjectIdentity {
  if (!text.startsWith('s3://')) {
    if (text === '') throw new UsageError('--key is empty');
    return { key: text };
  }
  const rest = text.slice(5);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) {
    throw new UsageError(`expected s3://bucket/key, got ${JSON.stringify(text)}`);
  }
  return { bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
}
