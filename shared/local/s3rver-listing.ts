/**
 * s3rver, made to list common prefixes as S3 does. Its listing with a
 * delimiter walks only one folder below the prefix, so a folder whose keys
 * all lie deeper (`AWSLogs/` above `<account>/elasticloadbalancing/…`) is
 * missed; S3 lists it. A plan cuts its listing by folders found this way
 * (docs/design.md#planning), so the demo, the tests and the benchmarks run
 * s3rver with this correction: a delimiter listing reads the keys under the
 * prefix without one and folds them into common prefixes itself.
 */

import FilesystemStore from 's3rver/lib/stores/filesystem.js';

interface ListOptions {
  delimiter?: string;
  prefix?: string;
  startAfter?: string;
  maxKeys?: number;
}

interface Listed {
  objects: { key: string }[];
  commonPrefixes: string[];
  isTruncated: boolean;
}

let corrected = false;

/** Corrects s3rver's delimiter listings in this process (once; later calls do nothing). */
export function listCommonPrefixesAsS3(): void {
  if (corrected) return;
  corrected = true;
  const store = FilesystemStore.prototype as {
    listObjects(bucket: string, options: ListOptions): Promise<Listed>;
  };
  const listObjects = store.listObjects;
  store.listObjects = async function (bucket, options) {
    if (!options.delimiter) return listObjects.call(this, bucket, options);
    const prefix = options.prefix ?? '';
    const all = await listObjects.call(this, bucket, {
      ...options,
      delimiter: '',
      maxKeys: Number.POSITIVE_INFINITY,
    });
    const max = options.maxKeys ?? Number.POSITIVE_INFINITY;
    const commonPrefixes = new Set<string>();
    const objects: { key: string }[] = [];
    let isTruncated = false;
    for (const object of all.objects) {
      const at = object.key.indexOf(options.delimiter, prefix.length);
      if (at !== -1) {
        commonPrefixes.add(object.key.slice(0, at + options.delimiter.length));
      } else if (objects.length < max) {
        // Only keys count toward a page here: s3rver's continuation token is its last key's.
        objects.push(object);
      } else {
        isTruncated = true;
        break;
      }
    }
    return { objects, commonPrefixes: [...commonPrefixes].sort(), isTruncated };
  };
}
