/**
 * A loopback OTLP/HTTP receiver for tests: logs on `/v1/logs`, metrics on
 * `/v1/metrics`. It decodes each request with `receiver/otlp-decoder.ts`
 * (protobufjs and a schema written from the specification), so the
 * project's encoders are checked by code they do not share; requests come
 * out in the OTLP/JSON shape, comparable with `logRecordToJson`.
 *
 * Faults are scripted per request, in order: a status with `Retry-After`, a
 * reset connection, a slow answer, partial success. Requests after the
 * script get a plain 200.
 */

import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  decodeMetricsRequest,
  decodeRequest,
  type JsonAttribute,
  type JsonMetricsRequest,
  type JsonRecord,
  type JsonRequest,
  OTLP_SCHEMA,
} from '../../receiver/otlp-decoder.ts';

const ResponseType = OTLP_SCHEMA.lookupType('otlp.ExportLogsServiceResponse');
const StatusType = OTLP_SCHEMA.lookupType('otlp.Status');

/** A decoded resource's or datapoint's attributes as `{key: value}`, whatever each value's type. */
export function attributeValues(list: readonly unknown[] | undefined): Record<string, unknown> {
  return Object.fromEntries(
    ((list ?? []) as JsonAttribute[]).map((a) => [a.key, Object.values(a.value)[0]]),
  );
}

/** What the receiver does with one request. */
export type Fault =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; retryAfter?: string; message?: string }
  | { kind: 'reset' }
  /** Waits this long before a 200; a client with a shorter timeout gives up first. */
  | { kind: 'slow'; delayMs: number }
  | { kind: 'partial'; rejected: number; message: string }
  /** Answers 200 once `until` settles: lets a test look at the client while it waits. */
  | { kind: 'hold'; until: Promise<unknown> };

/** Answers a decoded request by its body and headers. */
export type Rule = (body: JsonRequest, headers: IncomingMessage['headers']) => Fault;

/** A request as received, decoded. */
export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  /** Body bytes as sent (compressed, if it was). */
  wireBytes: number;
  /** What the receiver answered. */
  fault: Fault;
  /** The decoded logs request in OTLP/JSON form; undefined when it could not be decoded. */
  body?: JsonRequest;
  /** The decoded metrics request (a POST to `/v1/metrics`), in OTLP/JSON form. */
  metrics?: JsonMetricsRequest;
  decodeError?: string;
  /** The client had gone when the answer was ready. */
  abandoned?: boolean;
}

export interface OtlpReceiver {
  /** Base URL, e.g. `http://127.0.0.1:40123` (the logs path is `/v1/logs`). */
  url: string;
  requests: ReceivedRequest[];
  /** Appends faults for the next requests. */
  script(...faults: Fault[]): void;
  /** Drops the faults not yet used and the rule: every request gets a plain 200 again. */
  reset(): void;
  /**
   * Decides the answer to each decoded request no scripted fault covers
   * (e.g. refuse every batch of one object, or every request with an old
   * API key); `undefined` removes the rule.
   */
  rule(decide: Rule | undefined): void;
  /** Every record of the requests answered 200 (partial or not) to a client still waiting, in order. */
  deliveredRecords(): JsonRecord[];
  close(): Promise<void>;
}

/** Starts a receiver on a free loopback port; `decode: false` only counts bytes (for volume). */
export async function startOtlpReceiver(options: { decode?: boolean } = {}): Promise<OtlpReceiver> {
  const decode = options.decode ?? true;
  const requests: ReceivedRequest[] = [];
  const faults: Fault[] = [];
  let decide: Rule | undefined;
  const server = createServer((req, res) => {
    let fault: Fault = faults.shift() ?? { kind: 'ok' };
    if (fault.kind === 'reset') {
      req.socket.destroy();
      requests.push({ path: req.url ?? '', headers: req.headers, wireBytes: 0, fault });
      return;
    }
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const wire = Buffer.concat(parts);
      const received: ReceivedRequest = {
        path: req.url ?? '',
        headers: req.headers,
        wireBytes: wire.length,
        fault,
      };
      res.on('close', () => {
        // The client gave up (a timeout) before the answer: it never learns the outcome.
        if (!res.writableFinished) received.abandoned = true;
      });
      try {
        if (decode && received.path === '/v1/metrics') {
          received.metrics = decodeMetricsRequest(wire, req.headers);
        } else if (decode) {
          received.body = decodeRequest(wire, req.headers);
        }
      } catch (error) {
        received.decodeError = (error as Error).message;
      }
      if (fault.kind === 'ok' && decide !== undefined && received.body !== undefined) {
        fault = decide(received.body, req.headers);
        received.fault = fault;
      }
      requests.push(received);
      void answer(res, fault, req.headers['content-type'] ?? '', received);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...more) => faults.push(...more),
    reset: () => {
      faults.length = 0;
      decide = undefined;
    },
    rule: (next) => {
      decide = next;
    },
    deliveredRecords: () =>
      requests
        .filter((r) => !r.abandoned && ['ok', 'partial', 'slow', 'hold'].includes(r.fault.kind))
        .flatMap(
          (r) =>
            r.body?.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords)) ?? [],
        ),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

async function answer(
  res: ServerResponse,
  fault: Fault,
  contentType: string,
  received: ReceivedRequest,
): Promise<void> {
  const json = contentType.includes('json');
  const reply = (
    status: number,
    body: Uint8Array | string,
    headers: Record<string, string> = {},
  ) => {
    if (res.destroyed || res.socket === null || res.socket.destroyed) return;
    res.writeHead(status, {
      'content-type': json ? 'application/json' : 'application/x-protobuf',
      ...headers,
    });
    res.end(body);
  };
  if (received.decodeError !== undefined && fault.kind === 'ok') {
    reply(400, encodeStatus(json, 3, `cannot decode: ${received.decodeError}`));
    return;
  }
  switch (fault.kind) {
    case 'ok':
      reply(200, json ? '{}' : new Uint8Array());
      return;
    case 'slow':
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      reply(200, json ? '{}' : new Uint8Array());
      return;
    case 'hold':
      await fault.until;
      reply(200, json ? '{}' : new Uint8Array());
      return;
    case 'partial': {
      const partial = { rejectedLogRecords: fault.rejected, errorMessage: fault.message };
      reply(
        200,
        json
          ? JSON.stringify({
              partialSuccess: { ...partial, rejectedLogRecords: String(fault.rejected) },
            })
          : ResponseType.encode(ResponseType.fromObject({ partialSuccess: partial })).finish(),
      );
      return;
    }
    case 'status':
      reply(
        fault.status,
        encodeStatus(
          json,
          fault.status === 400 ? 3 : 14,
          fault.message ?? `scripted ${fault.status}`,
        ),
        fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter },
      );
      return;
  }
}

function encodeStatus(json: boolean, code: number, message: string): Uint8Array | string {
  return json
    ? JSON.stringify({ code, message })
    : StatusType.encode(StatusType.fromObject({ code, message })).finish();
}
