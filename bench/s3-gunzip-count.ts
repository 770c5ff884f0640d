/**
 * The floor the S3 chunk benchmark is judged against: read an object from S3
 * in one GET, gunzip it and count its lines, nothing else, as a whole
 * process. Prints the line count. Reads the endpoint and credentials from
 * the environment, as `elb-otlp ship s3://…` does.
 */

import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../shared/s3/client.ts';

const [bucket, key] = process.argv.slice(2);
const client = createS3Client();
const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
let lines = 0;
for await (const piece of (answer.Body as Readable).pipe(createGunzip({ chunkSize: 64 * 1024 }))) {
  let at = piece.indexOf(10);
  while (at !== -1) {
    lines++;
    at = piece.indexOf(10, at + 1);
  }
}
client.destroy();
console.log(lines);
