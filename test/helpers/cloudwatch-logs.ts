/**
 * A loopback stand-in for CloudWatch Logs' delivery API, speaking its JSON
 * 1.1 protocol (a POST naming the operation in `X-Amz-Target`, JSON both
 * ways) as `@aws-sdk/client-cloudwatch-logs` sends and reads it, through
 * `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`. It answers GetDelivery for the
 * deliveries it was given and `ResourceNotFoundException` for any other id.
 * It does not check signatures.
 */

import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestDelivery {
  id: string;
  recordFields: string[];
  fieldDelimiter?: string;
}

export interface TestCloudWatchLogs {
  url: string;
  /** `<operation> <id>` of each call, in order. */
  calls: string[];
  close(): Promise<void>;
}

export async function startCloudWatchLogs(
  deliveries: readonly TestDelivery[],
): Promise<TestCloudWatchLogs> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').replace(/^Logs_20140328\./, '');
      const body = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}') as { id?: string };
      calls.push(`${operation} ${body.id ?? ''}`);
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      const delivery = deliveries.find((d) => d.id === body.id);
      if (operation !== 'GetDelivery' || delivery === undefined) {
        res.statusCode = 400;
        res.end(
          JSON.stringify({
            __type: 'ResourceNotFoundException',
            message: `Delivery ${body.id} does not exist`,
          }),
        );
        return;
      }
      res.end(
        JSON.stringify({
          delivery: {
            id: delivery.id,
            arn: `arn:aws:logs:us-east-2:123456789012:delivery:${delivery.id}`,
            deliverySourceName: 'elb-access',
            deliveryDestinationArn:
              'arn:aws:logs:us-east-2:123456789012:delivery-destination:elb-s3',
            deliveryDestinationType: 'S3',
            recordFields: delivery.recordFields,
            ...(delivery.fieldDelimiter !== undefined && {
              fieldDelimiter: delivery.fieldDelimiter,
            }),
          },
        }),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
