/**
 * An SQS queue for tests. There is no local SQS on this machine, so this
 * loopback server answers the two calls `elb-otlp redrive` makes —
 * `AmazonSQS.ReceiveMessage` and `AmazonSQS.DeleteMessage`, AWS JSON 1.0 —
 * as the SQS API reference describes them (with `MD5OfBody`, which the SDK
 * checks). The real SQS client runs unchanged against it; it does not check
 * signatures. Messages received stay hidden for their visibility timeout.
 */

import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

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
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const body = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}');
      const send = (status: number, answer: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(answer));
      };
      const now = Date.now();
      if (target === 'AmazonSQS.ReceiveMessage') {
        const visible = messages.filter((m) => m.visibleAt <= now);
        const taken = visible.slice(0, body.MaxNumberOfMessages ?? 1);
        for (const m of taken) {
          m.handle = randomUUID();
          m.visibleAt = now + (body.VisibilityTimeout ?? 30) * 1000;
        }
        send(200, {
          ...(taken.length > 0 && {
            Messages: taken.map((m) => ({
              MessageId: m.id,
              ReceiptHandle: m.handle,
              MD5OfBody: createHash('md5').update(m.body).digest('hex'),
              Body: m.body,
            })),
          }),
        });
        return;
      }
      if (target === 'AmazonSQS.DeleteMessage') {
        const at = messages.findIndex((m) => m.handle === body.ReceiptHandle);
        if (at < 0) {
          send(400, {
            __type: 'com.amazonaws.sqs#ReceiptHandleIsInvalid',
            message: 'unknown handle',
          });
          return;
        }
        messages.splice(at, 1);
        send(200, {});
        return;
      }
      send(400, { __type: 'com.amazonaws.sqs#UnsupportedOperation', message: target });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/123456789012/${name}`,
    send(body) {
      const id = randomUUID();
      messages.push({ id, body, visibleAt: 0 });
      return id;
    },
    ids: () => messages.map((m) => m.id),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
