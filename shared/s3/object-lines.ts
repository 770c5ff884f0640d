/**
 * A run file's lines, read as a stream: a manifest part or a JSONL results
 * file of any size is read with memory bounded by its longest line, never
 * as one string (V8's strings end near 512 MB).
 */

import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** The lines of `s3://bucket/key`, in order, empty ones left out. */
export async function* objectLines(
  client: S3Client,
  bucket: string,
  key: string,
): AsyncGenerator<string> {
  const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = answer.Body as Readable;
  const lines = createInterface({ input: body, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) if (line !== '') yield line;
  } finally {
    lines.close();
    body.destroy();
  }
}
