/**
 * `elb-otlp ship s3://bucket/key`: the object as one chunk (or the lines of
 * `--start/--end`) through the chunk engine the `process-chunk` Lambda runs.
 * Kept apart so that shipping a local file never loads the AWS SDK.
 */

import type { ExportConfig } from '../../shared/config/export-config.ts';
import type { MappingConfig } from '../../shared/config/mapping-config.ts';
import { describeReadError } from '../../shared/pipeline/read-error.ts';
import { shipChunk } from '../../shared/pipeline/ship-chunk.ts';
import { createS3Client } from '../../shared/s3/client.ts';
import { type ObjectFacts, objectFacts } from '../../shared/s3/object-reader.ts';
import type { CommandIo } from '../command-io.ts';
import { EXIT_FAILURE } from '../exit-codes.ts';
import { write } from '../output.ts';
import { shipAndReport } from './ship-report.ts';

export interface ShipContext {
  io: CommandIo;
  config: ExportConfig;
  mapping: MappingConfig;
  started: number;
}

/** `ship s3://…`: the object as one chunk (or `--start/--end`), through the chunk engine. */
export async function shipS3(
  object: { bucket: string; key: string; start?: number; end?: number },
  { io, config, mapping, started }: ShipContext,
): Promise<number> {
  const name = `s3://${object.bucket}/${object.key}`;
  const client = createS3Client(io.env);
  try {
    let facts: ObjectFacts;
    try {
      facts = await objectFacts(client, object.bucket, object.key);
    } catch (error) {
      await write(io.stderr, `elb-otlp ship: ${describeReadError(error)}\n`);
      return EXIT_FAILURE;
    }
    const run = { name, config, started, size: facts.size };
    return await shipAndReport(io, run, (shipping) =>
      shipChunk({
        client,
        chunk: {
          bucket: object.bucket,
          key: object.key,
          etag: facts.etag,
          size: facts.size,
          compression: facts.compression,
          start: object.start ?? 0,
          end: object.end ?? Number.POSITIVE_INFINITY,
        },
        mapping,
        nowNanos: io.now,
        ...shipping,
      }),
    );
  } finally {
    client.destroy();
  }
}
