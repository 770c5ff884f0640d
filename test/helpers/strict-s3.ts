/**
 * A stand-in for what s3rver does not do, in front of it: S3's conditional
 * deletes (`If-Match` on DeleteObject, the `ETag` of DeleteObjects entries:
 * 412 PreconditionFailed when the object changed, NoSuchKey when it is gone)
 * and S3's answer to a caller without `s3:ListBucket` (403 AccessDenied, not
 * 404, for a missing key). Everything else is forwarded to s3rver unchanged,
 * so signatures still match. It keeps every delete it was asked for, with the
 * ETag sent, so a test can assert that deletion is pinned.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeleteObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { forwardRequest } from './s3.ts';

export interface DeleteRequest {
  /** `DeleteObject` or an entry of `DeleteObjects`. */
  via: 'single' | 'batch';
  key: string;
  /** The ETag condition sent (`If-Match`, or the entry's `ETag`); undefined when none. */
  etag: string | undefined;
}

export interface StrictS3 {
  url: string;
  /** Every delete asked for, in order. */
  deletes: DeleteRequest[];
  /** DeleteObjects requests received. */
  batchRequests: number;
  /**
   * Answer reads of a missing key with 403, as S3 does for a role without
   * s3:ListBucket, and conditional deletes of one too (the cautious reading:
   * S3 documents a 404 there, for a role that may list).
   */
  denyMissing: boolean;
  /** Keys whose reads are refused with 403 although they exist. */
  denied: Set<string>;
  /** Keys whose GETs are answered this many more times, then refused as `denied` ones are. */
  readsLeft: Map<string, number>;
  /** Keys whose deletion is refused with AccessDenied. */
  undeletable: Set<string>;
  /** Runs before a delete is judged (a test replaces the object here: a write racing the delete). */
  beforeDelete: ((key: string) => Promise<void>) | undefined;
  close(): Promise<void>;
}

const ERROR_MESSAGES: Record<string, string> = {
  AccessDenied: 'Access Denied',
  NoSuchKey: 'The specified key does not exist.',
  PreconditionFailed: 'At least one of the pre-conditions you specified did not hold',
};
const STATUS: Record<string, number> = {
  AccessDenied: 403,
  NoSuchKey: 404,
  PreconditionFailed: 412,
};

/** Starts the stand-in; `client` talks to s3rver itself (for its own HEADs and deletes). */
export async function startStrictS3(target: string, client: S3Client): Promise<StrictS3> {
  const upstream = new URL(target);
  const state: StrictS3 = {
    url: '',
    deletes: [],
    batchRequests: 0,
    denyMissing: false,
    denied: new Set(),
    readsLeft: new Map(),
    undeletable: new Set(),
    beforeDelete: undefined,
    close: async () => {},
  };

  /** The ETag of `key` in `bucket`, or undefined when there is none. */
  const etagOf = async (bucket: string, key: string): Promise<string | undefined> => {
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return head.ETag;
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        return undefined;
      throw error;
    }
  };
  /** Why a conditional delete of `key` would fail, or undefined when it may go ahead. */
  const refusal = async (bucket: string, key: string, etag: string | undefined) => {
    await state.beforeDelete?.(key);
    if (state.undeletable.has(key)) return 'AccessDenied';
    if (etag === undefined) return undefined;
    const current = await etagOf(bucket, key);
    if (current === undefined) return state.denyMissing ? 'AccessDenied' : 'NoSuchKey';
    // As S3 gave it (quoted): the ETag a run read is what it must send back.
    return current === etag ? undefined : 'PreconditionFailed';
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body?: Buffer) => {
    const out = forwardRequest(upstream, req, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    if (body !== undefined) out.end(body);
    else req.pipe(out);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    if (req.method === 'POST' && url.searchParams.has('delete')) {
      state.batchRequests++;
      const body = await readBody(req);
      const entries = [...body.toString('utf8').matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map(
        ([, object]) => ({
          key: unescapeXml(/<Key>([\s\S]*?)<\/Key>/.exec(object)?.[1] ?? ''),
          etag: ((etag) => (etag === undefined ? undefined : unescapeXml(etag)))(
            /<ETag>([\s\S]*?)<\/ETag>/.exec(object)?.[1],
          ),
        }),
      );
      let xml =
        '<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">';
      for (const entry of entries) {
        state.deletes.push({ via: 'batch', ...entry });
        const code = await refusal(bucket, entry.key, entry.etag);
        if (code === undefined) {
          await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: entry.key }));
          xml += `<Deleted><Key>${escapeXml(entry.key)}</Key></Deleted>`;
        } else {
          xml += `<Error><Key>${escapeXml(entry.key)}</Key><Code>${code}</Code><Message>${ERROR_MESSAGES[code]}</Message></Error>`;
        }
      }
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(`${xml}</DeleteResult>`);
      return;
    }
    if (req.method === 'DELETE' && key !== '') {
      const etag = req.headers['if-match'];
      state.deletes.push({ via: 'single', key, etag });
      const code = await refusal(bucket, key, etag);
      if (code !== undefined) return answerError(req, res, code);
      return forward(req, res);
    }
    if ((req.method === 'GET' || req.method === 'HEAD') && key !== '') {
      if (state.denied.has(key)) return answerError(req, res, 'AccessDenied');
      const left = state.readsLeft.get(key);
      if (req.method === 'GET' && left !== undefined) {
        if (left <= 0) return answerError(req, res, 'AccessDenied');
        state.readsLeft.set(key, left - 1);
      }
      if (state.denyMissing && (await etagOf(bucket, key)) === undefined) {
        return answerError(req, res, 'AccessDenied');
      }
    }
    forward(req, res);
  }

  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

function answerError(req: IncomingMessage, res: ServerResponse, code: string): void {
  req.resume();
  res.writeHead(STATUS[code], { 'content-type': 'application/xml' });
  // A HEAD answer has no body; the SDK names the error from its status.
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${ERROR_MESSAGES[code]}</Message></Error>`,
  );
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

const XML_ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&apos;': "'",
};

function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos);/g, (entity) => XML_ENTITIES[entity]);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
