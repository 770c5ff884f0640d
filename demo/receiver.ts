/**
 * The demo's OTLP/HTTP receiver. It counts every record it gets, exactly,
 * with a reader that walks the protobuf's tags and lengths
 * (`receiver/otlp-record-counter.ts`): by load balancer and kind of log (from
 * each resource's attributes) and by HTTP status class (each record's
 * `http.response.status_code`). It decodes whole, with the decoder the tests
 * use (`receiver/otlp-decoder.ts`: protobufjs against a schema written from
 * the OTLP specification, independently of elb-otlp's encoder), only the
 * requests that bring a kind of log it has no example of yet, and checks
 * that the decoder finds as many records there as the counter. Bodies are
 * decompressed on zlib's thread pool. Decoding every request on the main
 * thread, which the pipeline shares, made the demo print the decoder's rate
 * (about a third of the pipeline's; BENCHMARKS.md "Demo").
 *
 * JSON bodies (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`) are decoded whole.
 * It keeps counts, not records, so memory stays flat, and answers 200, or
 * 400 to a request it cannot read. With `drain: true` it only reads the
 * bodies and answers 200: the ceiling the demo's figure is measured against.
 */

import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip, zstdDecompress } from 'node:zlib';
import {
  decodeProtobufRequest,
  decodeRequest,
  type JsonAttribute,
  type JsonRequest,
} from '../receiver/otlp-decoder.ts';
import { countLogRecords } from '../receiver/otlp-record-counter.ts';

const STATUS_CODE = 'http.response.status_code';
const gunzipAsync = promisify(gunzip);
const zstdDecompressAsync = promisify(zstdDecompress);

export interface DemoReceiver {
  url: string;
  /** Records received in requests answered 200; null when it only drains. */
  received(): number | null;
  byLoadBalancer: Map<string, number>;
  byStatusClass: Map<string, number>;
  byFormat: Map<string, number>;
  /** The first record decoded of each kind of log (OTLP/JSON), with its resource. */
  examples: Map<string, Record<string, unknown>>;
  /** Requests it could not read (it answers them 400). */
  undecodable: number;
  close(): Promise<void>;
}

/** Starts the receiver on a free loopback port. */
export async function startDemoReceiver(options: { drain?: boolean } = {}): Promise<DemoReceiver> {
  let received = 0;
  const receiver = {
    byLoadBalancer: new Map<string, number>(),
    byStatusClass: new Map<string, number>(),
    byFormat: new Map<string, number>(),
    examples: new Map<string, Record<string, unknown>>(),
    undecodable: 0,
  };
  const tally = (name: string, kind: string, records: number) => {
    received += records;
    add(receiver.byLoadBalancer, name, records);
    add(receiver.byFormat, kind, records);
  };

  /** Counts a protobuf request; decodes it whole when it holds a kind of log not shown yet. */
  const countProtobuf = (bytes: Buffer) => {
    const counts = countLogRecords(bytes, { intAttribute: STATUS_CODE });
    const kinds = counts.map((count) => logKind(count.resource.get('aws.s3.key') ?? ''));
    if (kinds.some((kind) => !receiver.examples.has(kind))) {
      const request = decodeProtobufRequest(bytes);
      const decoded = recordsOf(request);
      const counted = counts.reduce((sum, count) => sum + count.records, 0);
      if (decoded !== counted) {
        throw new Error(`the decoder found ${decoded} records, the counter ${counted}`);
      }
      keepExamples(request);
    }
    counts.forEach((count, i) => {
      tally(count.resource.get('aws.elb.name') ?? '(unknown)', kinds[i], count.records);
      for (const [status, records] of count.byIntValue) {
        add(receiver.byStatusClass, statusClass(status), records);
      }
    });
  };

  /** Counts a request decoded whole (JSON). */
  const countDecoded = (request: JsonRequest) => {
    for (const resourceLogs of request.resourceLogs) {
      const resource = (resourceLogs.resource?.attributes ?? []) as JsonAttribute[];
      const kind = logKind(text(resource, 'aws.s3.key') ?? '');
      let records = 0;
      for (const scope of resourceLogs.scopeLogs) {
        for (const record of scope.logRecords) {
          records++;
          const status = record.attributes?.find((a) => a.key === STATUS_CODE)?.value.intValue;
          add(receiver.byStatusClass, statusClass(status === undefined ? null : Number(status)), 1);
        }
      }
      tally(text(resource, 'aws.elb.name') ?? '(unknown)', kind, records);
    }
    keepExamples(request);
  };

  const keepExamples = (request: JsonRequest) => {
    for (const resourceLogs of request.resourceLogs) {
      const resource = (resourceLogs.resource?.attributes ?? []) as JsonAttribute[];
      const kind = logKind(text(resource, 'aws.s3.key') ?? '');
      const record = resourceLogs.scopeLogs.find((scope) => scope.logRecords.length > 0)
        ?.logRecords[0];
      if (record !== undefined && !receiver.examples.has(kind)) {
        receiver.examples.set(kind, { resource: { attributes: resource }, logRecord: record });
      }
    }
  };

  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', async () => {
      try {
        if (!options.drain) {
          const body = Buffer.concat(parts);
          if (req.headers['content-type'] === 'application/x-protobuf') {
            countProtobuf(await decompress(body, req.headers));
          } else {
            countDecoded(decodeRequest(body, req.headers));
          }
        }
      } catch (error) {
        receiver.undecodable++;
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`cannot decode: ${(error as Error).message}`);
        return;
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
    received: () => (options.drain ? null : received),
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

/** A protobuf body decompressed on zlib's thread pool, off the thread the pipeline runs on. */
async function decompress(body: Buffer, headers: IncomingMessage['headers']): Promise<Buffer> {
  const encoding = headers['content-encoding'];
  if (encoding === undefined) return body;
  if (encoding === 'gzip') return gunzipAsync(body);
  if (encoding === 'zstd') return zstdDecompressAsync(body);
  throw new Error(`unknown content-encoding ${encoding}`);
}

function recordsOf(request: JsonRequest): number {
  let records = 0;
  for (const resourceLogs of request.resourceLogs) {
    for (const scope of resourceLogs.scopeLogs) records += scope.logRecords.length;
  }
  return records;
}

/** The kind of log an object holds, from its name (ELB prefixes connection and health-check logs). */
function logKind(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  if (name.startsWith('conn_log_')) return 'ALB connection log';
  if (name.startsWith('health_check_log_')) return 'ALB health-check log';
  return 'access log';
}

function statusClass(status: number | null): string {
  return status === null ? 'none' : `${String(status)[0]}xx`;
}

function text(attributes: JsonAttribute[], key: string): string | undefined {
  const value = attributes.find((a) => a.key === key)?.value.stringValue;
  return typeof value === 'string' ? value : undefined;
}

function add(counts: Map<string, number>, key: string, count: number): void {
  if (count > 0) counts.set(key, (counts.get(key) ?? 0) + count);
}
