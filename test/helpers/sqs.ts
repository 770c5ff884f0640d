/**
 * An SQS queue for tests. There is no local SQS on this machine, so this
 * loopback server answers the two calls `elb-otlp redrive` makes —
 * `AmazonSQS.ReceiveMessage` and `AmazonSQS.DeleteMessage`, AWS JSON 1.0 —
 * as the SQS API reference describes them (with `MD5OfBody`, which the SDK
 * checks). The real SQS client runs unchanged against it; it does not check
 * signatures. Messages received stay hidden for their visibility timeout.
 */

import { createHash, randomUUID } from 'node:crypto';
import { startAwsJsonServer } from './aws-json-server.ts';

interface StoredMessage {
  id: string;
  body: string;
  handle?: string;
  visibleAt: number;
}

export interface TestQueue {
  /** The queue URL (its host is the endpoint the SDK uses). */
  url: string;
  send(body: string): string;
  /** Ids of the messages still in the queue. */
  ids(): string[];
  close(): Promise<void>;
}

export async function startQueue(name = 'elb-otlp-ingest-dlq'): Promise<TestQueue> {
  const messages: StoredMessage[] = [];
  const server = await startAwsJsonServer('application/x-amz-json-1.0', ({ target, body }) => {
    const now = Date.now();
    if (target === 'AmazonSQS.ReceiveMessage') {
      const visible = messages.filter((m) => m.visibleAt <= now);
      const taken = visible.slice(0, body.MaxNumberOfMessages ?? 1);
      for (const m of taken) {
        m.handle = randomUUID();
        m.visibleAt = now + (body.VisibilityTimeout ?? 30) * 1000;
      }
      if (taken.length === 0) return [200, {}];
      return [
        200,
        {
          Messages: taken.map((m) => ({
            MessageId: m.id,
            ReceiptHandle: m.handle,
            MD5OfBody: createHash('md5').update(m.body).digest('hex'),
            Body: m.body,
          })),
        },
      ];
    }
    if (target === 'AmazonSQS.DeleteMessage') {
      const at = messages.findIndex((m) => m.handle === body.ReceiptHandle);
      if (at < 0) {
        return [
          400,
          { __type: 'com.amazonaws.sqs#ReceiptHandleIsInvalid', message: 'unknown handle' },
        ];
      }
      messages.splice(at, 1);
      return [200, {}];
    }
    return [400, { __type: 'com.amazonaws.sqs#UnsupportedOperation', message: target }];
  });
  return {
    url: `${server.url}/123456789012/${name}`,
    send(body) {
      const id = randomUUID();
      messages.push({ id, body, visibleAt: 0 });
      return id;
    },
    ids: () => messages.map((m) => m.id),
    close: server.close,
  };
}
