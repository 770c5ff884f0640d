/**
 * Settings that shape the log records: body, redaction, resource attributes.
 * Read once from the environment and validated, so a typo fails at start-up
 * with the setting's name instead of shipping records nobody asked for.
 */

import { z } from 'zod';
import { describeProblems, parseOrThrow } from '../contract/parse.ts';
import type { Attribute } from '../records/model.ts';
import {
  type ByteQueryRedactor,
  createByteQueryRedactor,
  createQueryRedactor,
  DEFAULT_REDACTED_QUERY_PARAMS,
  type QueryRedactor,
} from '../records/redaction.ts';
import { ConfigError } from './config-error.ts';
import { parseResourceAttributes } from './resource-attributes.ts';

/** How records are built, whatever the format. */
export interface MappingConfig {
  /** Put the line (its URLs redacted) in the record's body (parse errors always carry it). */
  includeBody: boolean;
  /** Query parameters whose values become `REDACTED`. */
  redactedQueryParams: readonly string[];
  redactQuery: QueryRedactor;
  /** The byte-level counterpart of {@link redactQuery}, for the fast encoding path. */
  redactQueryBytes: ByteQueryRedactor | undefined;
  /** `OTEL_SERVICE_NAME`; wins over `service.name` anywhere else. */
  serviceName?: string;
  /** `OTEL_RESOURCE_ATTRIBUTES`, added to every resource without overriding what the object says. */
  resourceAttributes: Attribute[];
}

/** Empty variables count as unset, as the OpenTelemetry configuration rules say. */
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const EnvSchema = z.object({
  ELB_OTLP_INCLUDE_BODY: optionalText.pipe(z.enum(['true', 'false']).optional()),
  ELB_OTLP_REDACT_QUERY_PARAMS: optionalText,
  OTEL_SERVICE_NAME: optionalText,
  OTEL_RESOURCE_ATTRIBUTES: optionalText,
});

/**
 * Reads the mapping settings from `env`.
 *
 * - `ELB_OTLP_INCLUDE_BODY`: `true` (default) or `false`.
 * - `ELB_OTLP_REDACT_QUERY_PARAMS`: comma-separated names replacing the default
 *   list, or `none` to redact nothing.
 * - `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`: as in the OpenTelemetry SDKs.
 *
 * @throws ConfigError naming every bad setting (the first as its `setting`).
 */
export function loadMappingConfig(env: Record<string, string | undefined>): MappingConfig {
  const vars = parseOrThrow(EnvSchema, env, (problems) => {
    // The first bad setting is the error's; the message names every one, with its value.
    const [first, ...more] = problems.map(({ field, message }) => ({
      field,
      message: `${message} (got ${JSON.stringify(env[field])})`,
    }));
    const rest = more.length > 0 ? `; ${describeProblems(more)}` : '';
    return new ConfigError(first.field, `${first.message}${rest}`);
  });
  const redactedQueryParams = parseParamList(vars.ELB_OTLP_REDACT_QUERY_PARAMS);
  const config: MappingConfig = {
    includeBody: vars.ELB_OTLP_INCLUDE_BODY !== 'false',
    redactedQueryParams,
    redactQuery: createQueryRedactor(redactedQueryParams),
    redactQueryBytes: createByteQueryRedactor(redactedQueryParams),
    resourceAttributes: parseResourceAttributes(vars.OTEL_RESOURCE_ATTRIBUTES),
  };
  if (vars.OTEL_SERVICE_NAME !== undefined) config.serviceName = vars.OTEL_SERVICE_NAME;
  return config;
}

function parseParamList(text: string | undefined): readonly string[] {
  if (text === undefined) return DEFAULT_REDACTED_QUERY_PARAMS;
  if (text.toLowerCase() === 'none') return [];
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) {
    throw new ConfigError(
      'ELB_OTLP_REDACT_QUERY_PARAMS',
      'lists no parameter names; use "none" to redact nothing',
    );
  }
  return names;
}
