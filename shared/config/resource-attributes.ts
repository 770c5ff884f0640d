/**
 * `OTEL_RESOURCE_ATTRIBUTES`: `key1=value1,key2=value2`, keys and values
 * percent-encoded (W3C Baggage octets).
 *
 * @see https://opentelemetry.io/docs/specs/otel/resource/sdk/#specifying-resource-information-via-an-environment-variable
 */

import type { Attribute } from '../records/model.ts';
import { ConfigError } from './config-error.ts';

const SETTING = 'OTEL_RESOURCE_ATTRIBUTES';

/**
 * Parses the variable's value into string attributes. The specification
 * discards the whole value on a decoding error; a shipper that silently drops
 * attributes is worse than one that refuses to start, so this throws a
 * {@link ConfigError} naming the bad pair instead.
 *
 * @example
 * parseResourceAttributes('deployment.environment.name=prod,team=edge%20infra');
 * // [{key:'deployment.environment.name', type:'string', value:'prod'}, {key:'team', …value:'edge infra'}]
 */
export function parseResourceAttributes(text: string | undefined): Attribute[] {
  if (text === undefined || text.trim() === '') return [];
  const attributes: Attribute[] = [];
  const seen = new Map<string, number>();
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(SETTING, `expected key=value, got ${JSON.stringify(pair)}`);
    const key = decode(pair.slice(0, eq).trim(), pair);
    const value = decode(pair.slice(eq + 1).trim(), pair);
    if (key === '') throw new ConfigError(SETTING, `empty key in ${JSON.stringify(pair)}`);
    const attribute: Attribute = { key, type: 'string', value };
    const at = seen.get(key);
    if (at === undefined) {
      seen.set(key, attributes.length);
      attributes.push(attribute);
    } else {
      attributes[at] = attribute;
    }
  }
  return attributes;
}

function decode(text: string, pair: string): string {
  try {
    return decodeURIComponent(text);
  } catch (cause) {
    throw new ConfigError(SETTING, `bad percent-encoding in ${JSON.stringify(pair)}`, { cause });
  }
}
