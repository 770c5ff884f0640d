/**
 * Settings that shape the log records: body, redaction, resource attributes.
 * Read once from the environment and validated, so a typo fails at start-up
 * with the setting's name instead of shipping records nobody asked for.
 */

import { z } from 'zod';
import { describeProblems, parseOrThrow } from '../contract/parse.ts';
import { FORMATS } from '../formats/formats.ts';
import { classicIndexOf, vendedFormatOf } from '../formats/vended-fields.ts';
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
  /** How vended deliveries without a header write their records (docs/vended-logs.md). */
  vended: VendedSettings;
}

/** What a `plain` delivery does not say about itself: its fields, in order, and its delimiter. */
export interface VendedSettings {
  /** `ELB_OTLP_VENDED_FIELDS`: the delivery's record fields, in order; `plain` objects are read only with them. */
  fields?: readonly string[];
  /** `ELB_OTLP_VENDED_DELIMITER`: between a `plain` or `w3c` row's values; else told from the row. */
  delimiter?: string;
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
  ELB_OTLP_VENDED_FIELDS: optionalText,
  // Not trimmed: a tab or a space is a delimiter.
  ELB_OTLP_VENDED_DELIMITER: z
    .string()
    .optional()
    .transform((value) => (value === '' ? undefined : value)),
});

/**
 * Reads the mapping settings from `env`.
 *
 * - `ELB_OTLP_INCLUDE_BODY`: `true` (default) or `false`.
 * - `ELB_OTLP_REDACT_QUERY_PARAMS`: comma-separated names replacing the default
 *   list, or `none` to redact nothing.
 * - `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`: as in the OpenTelemetry SDKs.
 * - `ELB_OTLP_VENDED_FIELDS`, `ELB_OTLP_VENDED_DELIMITER`: a `plain`
 *   delivery's fields and delimiter ({@link parseVendedSettings}).
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
    vended: parseVendedSettings(vars.ELB_OTLP_VENDED_FIELDS, vars.ELB_OTLP_VENDED_DELIMITER),
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

/** Names a delimiter may be given by, besides itself. */
const DELIMITER_NAMES: Readonly<Record<string, string>> = { tab: '\t', space: ' ', comma: ',' };

/**
 * The settings of a `plain` delivery: its fields (names separated by commas
 * or spaces, in the delivery's order; they must be one log type's) and its
 * delimiter (`tab`, `space`, `comma`, or the characters themselves, at most
 * 5 as CloudWatch Logs allows).
 *
 * @throws ConfigError naming the setting at fault.
 */
export function parseVendedSettings(
  fields: string | undefined,
  delimiter: string | undefined,
): VendedSettings {
  const settings: VendedSettings = {};
  if (fields !== undefined) {
    const names = fields.split(/[\s,]+/).filter((name) => name !== '');
    const format = vendedFormatOf(names);
    if (format === undefined) {
      throw new ConfigError(
        'ELB_OTLP_VENDED_FIELDS',
        `names no ALB or NLB log type's fields (got ${JSON.stringify(fields)}); list the delivery's record fields in order, as in docs/vended-logs.md`,
      );
    }
    // By the classic field each name stands for: `timestamp` is the connection log's `time`.
    const spec = FORMATS[format];
    const given = new Set(names.map((name) => classicIndexOf(spec, name)));
    const lacking = (spec.vended?.required ?? []).filter(
      (name) => !given.has(classicIndexOf(spec, name)),
    );
    if (lacking.length > 0) {
      throw new ConfigError(
        'ELB_OTLP_VENDED_FIELDS',
        `lists no ${lacking.join(', ')}, which every ${FORMATS[format].title} record has (got ${JSON.stringify(fields)})`,
      );
    }
    settings.fields = names;
  }
  if (delimiter !== undefined) {
    const named = DELIMITER_NAMES[delimiter.trim().toLowerCase()];
    const value = named ?? delimiter;
    if (value.length > 5 || /["\n\r]/.test(value)) {
      throw new ConfigError(
        'ELB_OTLP_VENDED_DELIMITER',
        `must be tab, space, comma or up to 5 characters other than a quote or a newline (got ${JSON.stringify(delimiter)})`,
      );
    }
    settings.delimiter = value;
  }
  return settings;
}
