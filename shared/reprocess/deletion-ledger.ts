/**
 * A run's deletion ledger (docs/design.md#deletion): before a worker deletes
 * the objects it shipped whole, it records them (key and ETag) in a file of
 * the ledger named for its unit and the first chunk of the call. A later
 * call of the same unit (an Express child run again, a Lambda retried after
 * its answer was lost) that finds one of its objects gone asks the ledger:
 * recorded, the object was shipped and deleted by this run; not recorded,
 * something else removed it (a lifecycle rule, a person), and the chunk
 * fails as any missing object does.
 */

import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ShippedObject } from '../s3/conditional-delete.ts';
import { listPages } from '../s3/listing.ts';

export class DeletionLedger {
  readonly #client: S3Client;
  readonly #bucket: string;
  /** This unit's files: `<ledger prefix><unit>-<first chunk of the call>.json`. */
  readonly #prefix: string;
  /** `key` → `etag` of every object this unit recorded, read once when first asked. */
  #recorded: Map<string, string> | undefined;

  /** @param ledger the run's ledger, `s3://bucket/prefix/`, as a unit carries it */
  constructor(client: S3Client, ledger: string, unit: number) {
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(ledger) as RegExpExecArray;
    this.#client = client;
    this.#bucket = match[1];
    this.#prefix = `${match[2]}${unit}-`;
  }

  /** Records `objects` as about to be deleted by the call that began at chunk `at`. */
  async record(at: number, objects: readonly ShippedObject[]): Promise<void> {
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: `${this.#prefix}${at}.json`,
        ContentType: 'application/json',
        Body: JSON.stringify(objects),
      }),
    );
  }

  /** Whether this unit recorded `object` (that version) before deleting it. */
  async recorded(object: ShippedObject): Promise<boolean> {
    if (this.#recorded === undefined) {
      const recorded = new Map<string, string>();
      for await (const page of listPages(this.#client, {
        Bucket: this.#bucket,
        Prefix: this.#prefix,
      })) {
        for (const { key } of page.objects) {
          const answer = await this.#client.send(
            new GetObjectCommand({ Bucket: this.#bucket, Key: key }),
          );
          const body = answer.Body as { transformToString(): Promise<string> };
          for (const entry of JSON.parse(await body.transformToString()) as ShippedObject[]) {
            recorded.set(entry.key, entry.etag);
          }
        }
      }
      this.#recorded = recorded;
    }
    return this.#recorded.get(object.key) === object.etag;
  }
}
