/**
 * What the shipping functions (`processChunk`, `ingest`) build once per
 * Lambda container: the export settings and the exporter (export-start.ts),
 * the S3 client and the record settings (a vended delivery's fields read
 * from CloudWatch Logs when only its id is set: vended-delivery.ts).
 */

import type { S3Client } from '@aws-sdk/client-s3';
import type { ExportConfig } from '../config/export-config.ts';
import { loadMappingConfig, type MappingConfig } from '../config/mapping-config.ts';
import type { OtlpExporter } from '../otlp/exporter.ts';
import { createS3Client } from '../s3/client.ts';
import { startExport, type WarningLogger } from './export-start.ts';
import { withDeliverySettings } from './vended-delivery.ts';

export interface ShippingContainer {
  s3: S3Client;
  exporter: OtlpExporter;
  config: ExportConfig;
  mapping: MappingConfig;
}

/** Builds what a shipping function keeps for its container's life, from its environment. */
export async function startShippingContainer(
  env: Record<string, string | undefined>,
  logger: WarningLogger,
): Promise<ShippingContainer> {
  const { config, exporter } = await startExport(env, { logger });
  const mapping = loadMappingConfig(env);
  mapping.vended = await withDeliverySettings(mapping.vended, env);
  return { s3: createS3Client(env), exporter, config, mapping };
}
