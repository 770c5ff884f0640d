/**
 * The demo's OTLP/HTTP receiver. It counts every record it gets, exactly,
 * with a reader that walks the protobuf's tags and lengths
 * (`receiver/otlp-record-counter.ts`): by load balancer and kind of log (from
 * each resource's attributes) and by HTTP status class (each record's
 * `http.response.status_code`). It decodes whole, with the decoder the tests
 * use (`receiver/otlp-decoder.ts`: protobufjs against a schema written from
 * the OTLP specification, independently of elb-otlp's encoder), only the
 * requests that bring a kind of log it has no example of yet, and checks
 * that the decoder finds as many records there as the counter. Decoding
 * every request on the main thread, which the pipeline shares, made the demo
 * print the decoder's rate (about a third of the pipeline's; BENCHMARKS.md
 * "Demo").
 *
 * A protobuf request is answered 200 once its body is read and counted just
 * after (its body decompressed on zlib's thread pool), a few requests behind
 * at most; `settled()` resolves when every request read is counted, and one
 * it cannot count is left out of `received` (so the demo fails). JSON bodies
 * (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`) are decoded whole before the
 * answer, 400 when they cannot be. It keeps counts, not records, so memory
 * stays flat. With `drain: true` it only reads the bodies and answers 200:
 * the ceiling the demo's figure is measured against.
 */

import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
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
/**
 * Protobuf requests it answers before counting them: the exporter does not
 * wait on zlib's thread pool, which the pipeline shares on a small machine,
 * and the bodies waiting stay a few MiB; past this, it answers after the count.
 */
const MAX_REQUESTS_BEHIND = 8;
/**
 * zlib's output pieces: its 16 KiB default makes a request of a few MiB
 * decompressed cross between the thread pool and the main thread hundreds of
 * times (25 % more CPU time than 1 MiB pieces, measured on the demo's bodies).
 */
const OUTPUT_CHUNK_BYTES = 1024 * 1024;
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
  /** Requests it could not read or count (their records are not in `received`). */
  undecodable: number;
  /** Resolves when every request read so far is counted. */
  settled(): Promise<void>;
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

  /** Counts under way, each settling with the error that stopped it, if any. */
  const pending = new Set<Promise<Error | undefined>>();
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', async () => {
      if (options.drain) return accept(req, res);
      const body = Buffer.concat(parts);
      if (req.headers['content-type'] !== 'application/x-protobuf') {
        try {
          countDecoded(decodeRequest(body, req.headers));
        } catch (error) {
          return refuse(res, error as Error);
        }
        return accept(req, res);
      }
      const counted = decompress(body, req.headers)
        .then(countProtobuf)
        .then(
          () => undefined,
          (error: Error) => {
            receiver.undecodable++;
            return error;
          },
        );
      pending.add(counted);
      counted.finally(() => pending.delete(counted));
      if (pending.size <= MAX_REQUESTS_BEHIND) return accept(req, res);
      const error = await counted;
      return error === undefined ? accept(req, res) : refuse(res, error);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received: () => (options.drain ? null : received),
    async settled() {
      while (pending.size > 0) await Promise.all(pending);
    },
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

function accept(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/x-protobuf' });
  res.end(req.headers['content-type'] === 'application/json' ? '{}' : undefined);
}

function refuse(res: ServerResponse, error: Error): void {
  res.writeHead(400, { 'content-type': 'text/plain' });
  res.end(`cannot decode: ${error.message}`);
}

/** A protobuf body decompressed on zlib's thread pool, off the thread the pipeline runs on. */
async function decompress(body: Buffer, headers: IncomingMessage['headers']): Promise<Buffer> {
  const encoding = headers['content-encoding'];
  if (encoding === undefined) return body;
  if (encoding === 'gzip') return gunzipAsync(body, { chunkSize: OUTPUT_CHUNK_BYTES });
  if (encoding === 'zstd') return zstdDecompressAsync(body, { chunkSize: OUTPUT_CHUNK_BYTES });
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
