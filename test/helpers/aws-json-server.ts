/**
 * A loopback server speaking the AWS JSON protocols (1.0 and 1.1), for the
 * stand-ins of AWS services that have none on this machine: each request's
 * `X-Amz-Target` and JSON body go to `handle`, whose status and answer are
 * sent back as JSON. It does not check signatures.
 */

import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AwsJsonCall {
  /** `Service.Operation`, e.g. `AmazonSQS.ReceiveMessage`. */
  target: string;
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are read loosely, per operation
  body: Record<string, any>;
  headers: IncomingMessage['headers'];
}

export interface AwsJsonServer {
  url: string;
  close(): Promise<void>;
}

export async function startAwsJsonServer(
  contentType: 'application/x-amz-json-1.0' | 'application/x-amz-json-1.1',
  handle: (call: AwsJsonCall) => [status: number, answer: unknown],
): Promise<AwsJsonServer> {
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const [status, answer] = handle({
        target: String(req.headers['x-amz-target'] ?? ''),
        body: JSON.parse(Buffer.concat(parts).toString('utf8') || '{}'),
        headers: req.headers,
      });
      res.writeHead(status, { 'content-type': contentType });
      res.end(JSON.stringify(answer));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
