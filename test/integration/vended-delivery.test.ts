/**
 * A plain delivery's fields read from the delivery itself: the functions'
 * container start asks CloudWatch Logs' GetDelivery (the real SDK, against
 * a loopback stand-in: there is no local CloudWatch Logs) when only the
 * delivery's id is set, once per container; settings given win; a delivery
 * that cannot be read, or whose fields are no ELB log type's, stops the
 * start with an error naming the delivery.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/config/config-error.ts';
import { startShippingContainer } from '../../shared/runtime/shipping-container.ts';
import { startCloudWatchLogs, type TestCloudWatchLogs } from '../helpers/cloudwatch-logs.ts';

const FIELDS = ['time', 'elb', 'client_port', 'elb_status_code', 'request_line'];

let logs: TestCloudWatchLogs;
beforeAll(async () => {
  logs = await startCloudWatchLogs([
    { id: 'abc123', recordFields: FIELDS, fieldDelimiter: '\t' },
    { id: 'other1', recordFields: ['event_timestamp', 'event'] },
  ]);
});
afterAll(async () => {
  await logs.close();
});

const quiet = { warn() {} };

async function start(env: Record<string, string>) {
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: logs.url,
    AWS_REGION: 'us-east-2',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
  });
  try {
    const container = await startShippingContainer(
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', ...env },
      quiet,
    );
    await container.exporter.close();
    return container.mapping.vended;
  } finally {
    process.env = saved;
  }
}

describe('the fields of a plain delivery, read from CloudWatch Logs', () => {
  it('are the delivery’s record fields and delimiter when only its id is set', async () => {
    logs.calls.length = 0;
    expect(await start({ ELB_OTLP_VENDED_DELIVERY_ID: 'abc123' })).toEqual({
      fields: FIELDS,
      delimiter: '\t',
    });
    expect(logs.calls).toEqual(['GetDelivery abc123']);
  });

  it('are the settings’ when they are given, without asking', async () => {
    logs.calls.length = 0;
    expect(
      await start({
        ELB_OTLP_VENDED_DELIVERY_ID: 'abc123',
        ELB_OTLP_VENDED_FIELDS: 'time,elb',
        ELB_OTLP_VENDED_DELIMITER: 'comma',
      }),
    ).toEqual({ fields: ['time', 'elb'], delimiter: ',' });
    expect(logs.calls).toEqual([]);
  });

  it('stop the start naming the delivery when it is not found, or is no ELB delivery', async () => {
    await expect(start({ ELB_OTLP_VENDED_DELIVERY_ID: 'gone99' })).rejects.toThrow(
      /ELB_OTLP_VENDED_DELIVERY_ID: GetDelivery gone99 failed \(ResourceNotFoundException/,
    );
    await expect(start({ ELB_OTLP_VENDED_DELIVERY_ID: 'other1' })).rejects.toThrow(ConfigError);
    await expect(start({ ELB_OTLP_VENDED_DELIVERY_ID: 'other1' })).rejects.toThrow(
      /delivery other1: names no ALB or NLB log type's fields/,
    );
  });
});
