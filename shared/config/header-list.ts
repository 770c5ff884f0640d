/**
 * Request headers from their settings: `name=value,…` lists (the
 * OpenTelemetry format, percent-decoded), JSON objects (the seed guide's
 * `OTEL_HEADERS`, Secrets Manager's key/value secrets), and `--header`.
 *
 * Header values are credentials, so no message here ever holds one, nor the
 * text of a pair that does not parse: `--header "Authorization: Bearer …"`
 * (a colon where `=` belongs) is all value as far as anyone can tell. A
 * message names the setting, which pair, and the form expected.
 *
 * @see https://opentelemetry.io/docs/specs/otel/protocol/exporter/#specifying-headers-via-environment-variables
 */

import { ExportConfigError } from './config-error.ts';

/** A setting's name and its (trimmed, non-empty) value. */
export type Setting = [name: string, value: string];

/** Headers read from a secret store: the setting that named it, and its text. */
export interface HeaderSecret {
  setting: string;
  /** `name=value,…` or a JSON object of names to values. */
  text: string;
}

/** Where headers come from, lowest precedence first. */
export interface HeaderSettings {
  /** The seed guide's `OTEL_HEADERS` (a JSON object). */
  seed?: Setting;
  /** `OTEL_EXPORTER_OTLP_HEADERS`, then the signal's own list over it. */
  lists: Setting[];
  secret?: HeaderSecret;
  /** Each `--header` option, in order; they win over everything else. */
  cli: string[];
}

/** The merged headers (names lowercased) and the settings that gave any, in order. */
export interface MergedHeaders {
  headers: Record<string, string>;
  sources: string[];
}

/** What every message about a malformed pair ends with. */
const EXPECTED = 'expected NAME=VALUE (value not shown)';

/** Header names are HTTP tokens (RFC 9110 §5.6.2). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Merges the header settings, later ones over earlier ones.
 *
 * @throws ExportConfigError naming the setting (and which pair) that does not parse.
 */
export function mergeHeaders(settings: HeaderSettings): MergedHeaders {
  const headers: Record<string, string> = {};
  const sources: string[] = [];
  const add = (setting: string, more: Record<string, string>) => {
    if (Object.keys(more).length === 0) return;
    Object.assign(headers, more);
    if (!sources.includes(setting)) sources.push(setting);
  };
  if (settings.seed !== undefined) add(settings.seed[0], jsonHeaders(settings.seed));
  for (const list of settings.lists) add(list[0], keyValueHeaders(list));
  if (settings.secret !== undefined) add(settings.secret.setting, secretHeaders(settings.secret));
  const many = settings.cli.length > 1;
  for (const [index, pair] of settings.cli.entries()) {
    add('--header', keyValueHeaders(['--header', pair], many ? index + 1 : undefined));
  }
  return { headers, sources };
}

function jsonHeaders([name, text]: Setting): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Without the cause: JSON.parse's message quotes the text it read.
    throw new ExportConfigError(
      name,
      'is not valid JSON (expected {"NAME": "VALUE", …}; value not shown)',
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ExportConfigError(name, 'expected a JSON object of header names to values');
  }
  const result: Record<string, string> = {};
  for (const [index, [key, value]] of Object.entries(parsed).entries()) {
    const header = checkedHeaderName(name, key, `header ${index + 1}: `);
    if (typeof value !== 'string') {
      throw new ExportConfigError(
        name,
        `the value of header ${JSON.stringify(key)} is not a string`,
      );
    }
    result[header] = checkedHeaderValue(name, key, value);
  }
  return result;
}

/**
 * A secret's headers. Its errors say only what shape was expected: a parse
 * error or a header name could quote part of the secret.
 */
function secretHeaders({ setting, text }: HeaderSecret): Record<string, string> {
  const trimmed = text.trim();
  try {
    return trimmed.startsWith('{')
      ? jsonHeaders([setting, trimmed])
      : keyValueHeaders([setting, trimmed]);
  } catch {
    throw new ExportConfigError(
      setting,
      'expected name=value pairs separated by commas, or a JSON object of header names to string values (the value is not shown)',
    );
  }
}

/**
 * `k1=v1,k2=v2`, percent-decoded (the W3C Baggage octet rules the
 * specification refers to). `ordinal` numbers a `--header` among several.
 */
function keyValueHeaders([name, text]: Setting, ordinal?: number): Record<string, string> {
  const result: Record<string, string> = {};
  const pairs = text.split(',').filter((pair) => pair.trim() !== '');
  for (const [index, pair] of pairs.entries()) {
    // Which pair, for the message: "--header 3: " of several, "pair 2: " of a list.
    const at =
      ordinal !== undefined
        ? `${name} ${ordinal}: `
        : name === '--header' && pairs.length === 1
          ? ''
          : `pair ${index + 1}: `;
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      const colon = pair.indexOf(':') > 0 ? ', not NAME: VALUE' : '';
      throw new ExportConfigError(name, `${at}expected NAME=VALUE${colon} (value not shown)`);
    }
    let key: string;
    try {
      key = decodeURIComponent(pair.slice(0, eq).trim());
    } catch (cause) {
      throw new ExportConfigError(name, `${at}bad percent-encoding in a header name; ${EXPECTED}`, {
        cause,
      });
    }
    const header = checkedHeaderName(name, key, at);
    let value: string;
    try {
      value = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch (cause) {
      throw new ExportConfigError(
        name,
        `bad percent-encoding in the value of header ${JSON.stringify(key)} (value not shown)`,
        { cause },
      );
    }
    result[header] = checkedHeaderValue(name, key, value);
  }
  return result;
}

/**
 * The name, lowercased. A name that is not a token is not printed: it may be
 * `Authorization: Bearer …` cut at an `=` inside the token.
 */
function checkedHeaderName(setting: string, key: string, at: string): string {
  if (!HEADER_NAME.test(key)) {
    throw new ExportConfigError(
      setting,
      `${at}not a valid header name (letters, digits and -, no spaces or colons); ${EXPECTED}`,
    );
  }
  return key.toLowerCase();
}

function checkedHeaderValue(setting: string, key: string, value: string): string {
  if (/[\r\n\0]/.test(value)) {
    throw new ExportConfigError(
      setting,
      `the value of header ${JSON.stringify(key)} has a line break (value not shown)`,
    );
  }
  return value;
}
