/**
 * S3 for tests: `s3rver` on loopback with a fresh directory, driven by the
 * real AWS SDK, and an HTTP proxy in front of it that can cut a response
 * short (a connection dropped mid-body).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { type ClientRequest, createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import type { ChunkItem } from '../../shared/contract/state-machine.ts';
import { listCommonPrefixesAsS3 } from '../../shared/local/s3rver-listing.ts';

export const TEST_BUCKET = 'elb-logs';

/** s3rver accepts these (and only these) credentials by default. */
export const S3RVER_ENV = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
};

export interface TestS3 {
  /** The s3rver URL (`AWS_ENDPOINT_URL_S3`). */
  endpoint: string;
  client: S3Client;
  /** A client for `endpoint`, e.g. a proxy's. */
  clientFor(endpoint: string): S3Client;
  /** Stores an object and returns its ETag. */
  put(key: string, body: Buffer | string): Promise<string>;
  /** Stores a plain-text object and returns the chunk item of all of it. */
  putWholeChunk(key: string, text: string): Promise<ChunkItem>;
  /** An object's text. */
  text(key: string): Promise<string>;
  /** Whether the object is there; any answer but 404 is an error, not `false`. */
  exists(key: string): Promise<boolean>;
  remove(key: string): Promise<void>;
  close(): Promise<void>;
}

export async function startS3(): Promise<TestS3> {
  const directory = mkdtempSync(join(tmpdir(), 'elb-otlp-s3rver-'));
  listCommonPrefixesAsS3();
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: TEST_BUCKET }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const clientFor = (url: string) =>
    new S3Client({
      endpoint: url,
      forcePathStyle: true,
      region: S3RVER_ENV.AWS_REGION,
      credentials: {
        accessKeyId: S3RVER_ENV.AWS_ACCESS_KEY_ID,
        secretAccessKey: S3RVER_ENV.AWS_SECRET_ACCESS_KEY,
      },
    });
  const client = clientFor(endpoint);
  const put = async (key: string, body: Buffer | string) => {
    const answer = await client.send(
      new PutObjectCommand({ Bucket: TEST_BUCKET, Key: key, Body: body }),
    );
    return answer.ETag as string;
  };
  return {
    endpoint,
    client,
    clientFor,
    put,
    async putWholeChunk(key, text) {
      const etag = await put(key, text);
      const size = Buffer.byteLength(text);
      return { bucket: TEST_BUCKET, key, etag, size, compression: 'none', start: 0, end: size };
    },
    async text(key) {
      const answer = await client.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: key }));
      return (answer.Body as { transformToString(): Promise<string> }).transformToString();
    },
    async exists(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: TEST_BUCKET, Key: key }));
        return true;
      } catch (error) {
        if (
          (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
        ) {
          return false;
        }
        throw error;
      }
    },
    async remove(key) {
      await client.send(new DeleteObjectCommand({ Bucket: TEST_BUCKET, Key: key }));
    },
    async close() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

export interface DroppingProxy {
  url: string;
  /** Cut the next GET answer that carries a body after this many body bytes. */
  dropNextAfter(bytes: number): void;
  /** GET answers cut so far. */
  dropped(): number;
  /** Answer the next GET with S3's 503 SlowDown instead of forwarding it. */
  slowDownNext(): void;
  /** GET requests seen (forwarded or answered here). */
  gets(): number;
  close(): Promise<void>;
}

/**
 * Forwards requests to `target` unchanged (so signatures still match) and,
 * when asked, sends only the first bytes of a GET answer's body and then
 * destroys the connection, or answers a GET with S3's 503 SlowDown.
 */
export async function startDroppingProxy(target: string): Promise<DroppingProxy> {
  const upstream = new URL(target);
  let cutAfter: number | undefined;
  let dropped = 0;
  let slowDown = false;
  let gets = 0;
  const server = createServer((req, res) => {
    if (req.method === 'GET') gets++;
    if (req.method === 'GET' && slowDown) {
      slowDown = false;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
      );
      return;
    }
    // Kept: the response lets go of its socket before the cut is due.
    const socket = req.socket;
    const forward = forwardRequest(upstream, req, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      const cut = req.method === 'GET' && answer.statusCode === 206 ? cutAfter : undefined;
      if (cut === undefined) {
        answer.pipe(res);
        return;
      }
      cutAfter = undefined;
      let sent = 0;
      answer.on('data', (part: Buffer) => {
        if (sent >= cut) return;
        const take = part.subarray(0, cut - sent);
        sent += take.length;
        if (sent < cut) {
          res.write(take);
          return;
        }
        dropped++;
        answer.destroy();
        // Once the headers and the first bytes are out, so the client is
        // mid-body (not mid-request, which the SDK itself would retry).
        res.write(take);
        setTimeout(() => socket?.destroy(), 20);
      });
      answer.on('end', () => res.end());
    });
    forward.on('error', () => socket.destroy());
    req.pipe(forward);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    dropNextAfter(bytes) {
      cutAfter = bytes;
    },
    dropped: () => dropped,
    slowDownNext() {
      slowDown = true;
    },
    gets: () => gets,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Sends `req` on to `upstream` unchanged (method, path, headers: so S3
 * signatures still match); the caller pipes or ends the body.
 */
export function forwardRequest(
  upstream: URL,
  req: IncomingMessage,
  onAnswer: (answer: IncomingMessage) => void,
): ClientRequest {
  return request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
    },
    onAnswer,
  );
}
