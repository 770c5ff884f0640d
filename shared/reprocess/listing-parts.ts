/**
 * A run's listing cut into parts that plan workers list at the same time
 * (docs/design.md#planning). ELB writes under
 * `<prefix>AWSLogs/<account>/elasticloadbalancing/<region>/<yyyy>/<mm>/<dd>/`,
 * so the folders are found with `Delimiter=/` listings, level by level from
 * the run's prefix, down to the day folders: each day folder is a part (all
 * the keys under it), and each folder passed on the way is a part too, for
 * the keys directly in it (a `Delimiter` listing of it). Every key under
 * the run's prefix lies in exactly one part: either directly in a folder
 * passed, or under one folder not descended into.
 */

import type { S3Client } from '@aws-sdk/client-s3';
import { mapBounded } from '../s3/bounded-calls.ts';
import { listPages } from '../s3/listing.ts';

/** A part of a run's listing. */
export interface ListingPart {
  /** The folder (or, for the run's own prefix, any key prefix). */
  prefix: string;
  /** Only the keys directly in it (a `Delimiter` listing); else every key under it. */
  direct?: true;
}

/** Folder listings at once while finding the parts. */
const DISCOVERY_CONCURRENCY = 16;
/**
 * Parts at most: past this, the folders found are listed whole, not
 * descended into (a bucket not laid out as ELB lays out logs could
 * otherwise take as many listings to cut as to list).
 */
export const MAX_LISTING_PARTS = 20_000;
/** Folder levels below the run's prefix descended at most: ELB's layout has 7 down to a day. */
const MAX_DEPTH = 8;
/** A day folder of ELB's layout: a part of its own. */
const DAY_FOLDER = /(^|\/)\d{4}\/\d{2}\/\d{2}\/$/;

/**
 * The parts of the listing of `bucket` under `prefix`, in key order.
 *
 * @example
 * await listingParts(s3, 'logs', 'AWSLogs/123456789012/')
 * // [{prefix: 'AWSLogs/123456789012/', direct: true}, …,
 * //  {prefix: 'AWSLogs/123456789012/elasticloadbalancing/eu-west-1/2026/11/01/'}, …]
 */
export async function listingParts(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<ListingPart[]> {
  const parts: ListingPart[] = [];
  let level = [prefix];
  for (let depth = 0; level.length > 0; depth++) {
    const full = parts.length + level.length >= MAX_LISTING_PARTS;
    const descend: string[] = [];
    for (const folder of level) {
      if (full || depth >= MAX_DEPTH || DAY_FOLDER.test(folder)) parts.push({ prefix: folder });
      else descend.push(folder);
    }
    const found = await mapBounded(descend, DISCOVERY_CONCURRENCY, (folder) =>
      folderContents(client, bucket, folder),
    );
    level = [];
    for (const [at, folder] of descend.entries()) {
      // The keys directly in it, in the order a listing gives them; its folders next.
      if (found[at].keys) parts.push({ prefix: folder, direct: true });
      level.push(...found[at].folders);
    }
  }
  return parts.sort((a, b) => compareParts(a, b));
}

/** Whether a folder holds keys of its own, and the folders in it. */
async function folderContents(
  client: S3Client,
  bucket: string,
  folder: string,
): Promise<{ keys: boolean; folders: string[] }> {
  let keys = false;
  // A Set: a folder named on two pages is still one part.
  const folders = new Set<string>();
  for await (const page of listPages(client, { Bucket: bucket, Prefix: folder, Delimiter: '/' })) {
    if (page.objects.length > 0) keys = true;
    for (const found of page.prefixes) folders.add(found);
  }
  return { keys, folders: [...folders] };
}

/** Parts in the order their keys come in a listing (a folder's own keys before its folders'). */
function compareParts(a: ListingPart, b: ListingPart): number {
  if (a.prefix !== b.prefix) return a.prefix < b.prefix ? -1 : 1;
  return a.direct === b.direct ? 0 : a.direct ? -1 : 1;
}

/** Every key of a part, a page at a time. */
export function listPart(client: S3Client, bucket: string, part: ListingPart, pageSize?: number) {
  return listPages(client, {
    Bucket: bucket,
    Prefix: part.prefix,
    ...(part.direct === true && { Delimiter: '/' }),
    ...(pageSize !== undefined && { MaxKeys: pageSize }),
  });
}
