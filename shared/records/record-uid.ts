/**
 * `log.record.uid`: a deterministic id per line, so a chunk shipped twice
 * (a retry, a re-run) yields the same ids and a backend can de-duplicate.
 *
 * The id is `<object>:<offset>`: 16 hex characters of SHA-256 over bucket,
 * key and ETag (one hash per object, not per line), then the byte offset of
 * the line in the object's (decompressed) content.
 *
 * @see https://opentelemetry.io/docs/specs/semconv/registry/attributes/log/
 */

import { createHash } from 'node:crypto';

export interface ObjectIdentity {
  bucket?: string;
  key?: string;
  etag?: string;
}

/** The per-object part of every `log.record.uid` of the object. */
export function recordUidPrefix(identity: ObjectIdentity): string {
  return createHash('sha256')
    .update(`${identity.bucket ?? ''}\n${identity.key ?? ''}\n${identity.etag ?? ''}`)
    .digest('hex')
    .slice(0, 16);
}
