/**
 * The demo's OTLP/HTTP receiver: decodes every request it gets with the
 * decoder the tests use (`receiver/otlp-decoder.ts`: gzip, zstd or plain;
 * protobuf against a schema written from the OTLP specification,
 * independently of elb-otlp's encoder, or JSON), counts the records by load
 * balancer and by HTTP status class, keeps a few examples, and answers 200.
 * It keeps counts, not records, so memory stays flat.
 */

import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeRequest, type JsonRequest } from '../receiver/otlp-decoder.ts';

type Attribute = { key: string; value: Record<string, unknown> };

export interface DemoReceiver {
  url: string;
  /** Records received in requests answered 200. */
  received(): number;
  byLoadBalancer: Map<string, number>;
  byStatusClass: Map<string, number>;
  byFormat: Map<string, number>;
  /** The first record of each kind of log, as decoded (OTLP/JSON). */
  examples: Map<string, Record<string, unknown>>;
  /** Requests it could not decode (it answers them 400). */
  undecodable: number;
  close(): Promise<void>;
}

export async function startDemoReceiver(): Promise<DemoReceiver> {
  let received = 0;
  const receiver = {
    byLoadBalancer: new Map<string, number>(),
    byStatusClass: new Map<string, number>(),
    byFormat: new Map<string, number>(),
    examples: new Map<string, Record<string, unknown>>(),
    undecodable: 0,
  };
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      let request: JsonRequest;
      try {
        request = decodeRequest(Buffer.concat(parts), req.headers);
      } catch (error) {
        receiver.undecodable++;
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`cannot decode: ${(error as Error).message}`);
        return;
      }
      for (const resourceLogs of request.resourceLogs) {
        const resource = (resourceLogs.resource?.attributes ?? []) as Attribute[];
        const name = text(resource, 'aws.elb.name') ?? '(unknown)';
        for (const scope of resourceLogs.scopeLogs) {
          for (const record of scope.logRecords) {
            received++;
            add(receiver.byLoadBalancer, name);
            const attributes = (record.attributes ?? []) as Attribute[];
            const format = logKind(text(resource, 'aws.s3.key') ?? '');
            add(receiver.byFormat, format);
            const status = attributes.find((a) => a.key === 'http.response.status_code')?.value
              .intValue;
            add(receiver.byStatusClass, status === undefined ? 'none' : `${String(status)[0]}xx`);
            if (!receiver.examples.has(format)) {
              receiver.examples.set(format, {
                resource: { attributes: resource },
                logRecord: record,
              });
            }
          }
        }
      }
      res.writeHead(200, {
        'content-type': req.headers['content-type'] ?? 'application/x-protobuf',
      });
      res.end(req.headers['content-type'] === 'application/json' ? '{}' : undefined);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received: () => received,
    ...receiver,
    get undecodable() {
      return receiver.undecodable;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** The kind of log an object holds, from its name (ELB prefixes connection and health-check logs). */
function logKind(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  if (name.startsWith('conn_log_')) return 'ALB connection log';
  if (name.startsWith('health_check_log_')) return 'ALB health-check log';
  return 'access log';
}

function text(attributes: Attribute[], key: string): string | undefined {
  const value = attributes.find((a) => a.key === key)?.value.stringValue;
  return typeof value === 'string' ? value : undefined;
}

function add(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
