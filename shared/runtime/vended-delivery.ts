/**
 * A vended `plain` delivery's fields and delimiter, read from the delivery
 * itself (docs/vended-logs.md#plain-deliveries): with
 * `ELB_OTLP_VENDED_DELIVERY_ID` and no `ELB_OTLP_VENDED_FIELDS`, the
 * functions ask CloudWatch Logs' `GetDelivery` once per container for its
 * `recordFields` and `fieldDelimiter`. Settings given win over the delivery's.
 */

import { CloudWatchLogsClient, GetDeliveryCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ConfigError } from '../config/config-error.ts';
import { parseVendedSettings, type VendedSettings } from '../config/mapping-config.ts';

/** The setting naming the delivery. */
export const DELIVERY_ID_SETTING = 'ELB_OTLP_VENDED_DELIVERY_ID';

/** What asks CloudWatch Logs for a delivery (a client, or a stand-in in tests). */
export type DeliveryReader = (
  id: string,
) => Promise<{ recordFields?: string[]; fieldDelimiter?: string }>;

/** Reads deliveries with the SDK's client (its endpoint from `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`, as the SDK reads it). */
export function cloudWatchLogsDeliveryReader(): DeliveryReader {
  const client = new CloudWatchLogsClient({ maxAttempts: 4 });
  return async (id) => {
    const answer = await client.send(new GetDeliveryCommand({ id }));
    return answer.delivery ?? {};
  };
}

/**
 * `settings`, or, when they name no fields and `env` names a delivery, the
 * delivery's fields and delimiter (a delimiter given in `settings` kept).
 *
 * @throws ConfigError naming the delivery when it cannot be read or its
 * fields are no ELB log type's.
 */
export async function withDeliverySettings(
  settings: VendedSettings,
  env: Record<string, string | undefined>,
  read: () => DeliveryReader = cloudWatchLogsDeliveryReader,
): Promise<VendedSettings> {
  const id = env[DELIVERY_ID_SETTING]?.trim();
  if (id === undefined || id === '' || settings.fields !== undefined) return settings;
  if (!/^[0-9A-Za-z]{1,64}$/.test(id)) {
    throw new ConfigError(DELIVERY_ID_SETTING, `not a delivery id (got ${JSON.stringify(id)})`);
  }
  let delivery: Awaited<ReturnType<DeliveryReader>>;
  try {
    delivery = await read()(id);
  } catch (error) {
    const name = (error as Error).name;
    throw new ConfigError(
      DELIVERY_ID_SETTING,
      `GetDelivery ${id} failed (${name}: ${(error as Error).message}); set ELB_OTLP_VENDED_FIELDS instead, or give the function logs:GetDelivery on it`,
      { cause: error },
    );
  }
  const fields = delivery.recordFields ?? [];
  if (fields.length === 0) {
    throw new ConfigError(DELIVERY_ID_SETTING, `delivery ${id} lists no record fields`);
  }
  try {
    const read = parseVendedSettings(
      fields.join(','),
      settings.delimiter ?? (delivery.fieldDelimiter || undefined),
    );
    return { ...settings, ...read };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(DELIVERY_ID_SETTING, `delivery ${id}: ${error.detail}`);
  }
}
