/**
 * A JSON Lines object written as its lines come, in multipart parts of
 * 5 MiB (one in flight), begun only with its first line: a manifest or a
 * report's detail of any size is written in bounded memory, and a writer
 * with nothing to write leaves no object behind.
 */

import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

export class JsonlUpload {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #key: string;
  #body: PassThrough | undefined;
  #uploaded: Promise<unknown> | undefined;

  constructor(client: S3Client, bucket: string, key: string) {
    this.#client = client;
    this.#bucket = bucket;
    this.#key = key;
  }

  /** Whether a line was written (and so the object will be). */
  get started(): boolean {
    return this.#body !== undefined;
  }

  /** Writes `value` as one line; waits while the upload is behind. */
  async write(value: unknown): Promise<void> {
    await this.writeText(`${JSON.stringify(value)}\n`);
  }

  /** Writes lines already serialized (each ending in a newline). */
  async writeText(text: string): Promise<void> {
    if (text === '') return;
    if (this.#body === undefined) {
      this.#body = new PassThrough();
      this.#uploaded = new Upload({
        client: this.#client,
        // One part in flight: several of these may be written at once.
        queueSize: 1,
        params: {
          Bucket: this.#bucket,
          Key: this.#key,
          Body: this.#body,
          ContentType: 'application/jsonl',
        },
      }).done();
      this.#uploaded.catch(() => {});
    }
    if (!this.#body.write(text)) await Promise.race([once(this.#body, 'drain'), this.#uploaded]);
  }

  /** Ends the object and waits until S3 has it (nothing when no line was written). */
  async end(): Promise<void> {
    this.#body?.end();
    await this.#uploaded;
  }

  /** Stops the upload (S3 drops its parts). */
  async abort(error: unknown): Promise<void> {
    this.#body?.destroy(error instanceof Error ? error : new Error(String(error)));
    await this.#uploaded?.catch(() => {});
  }
}
