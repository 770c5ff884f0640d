/**
 * The S3 client every entry point uses. `AWS_ENDPOINT_URL_S3` points it at
 * another S3 (a local server in tests and demos), with path-style addresses,
 * since such servers rarely resolve bucket subdomains.
 */

import { S3Client } from '@aws-sdk/client-s3';

export function createS3Client(
  env: Record<string, string | undefined> = process.env,
  region?: string,
): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3;
  return new S3Client({
    ...(endpoint !== undefined && endpoint !== '' && { endpoint, forcePathStyle: true }),
    ...(region !== undefined && { region }),
  });
}
