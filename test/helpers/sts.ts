/**
 * A loopback stand-in for STS, speaking its awsQuery protocol (a form-encoded
 * POST, an XML answer) as `@aws-sdk/client-sts` sends and reads it, through
 * `AWS_ENDPOINT_URL_STS`. It answers GetCallerIdentity with the identity it
 * was given (or, given a refusal, every call with that error, as for expired
 * credentials), and any other action with STS's error document. It does not
 * check signatures.
 */

import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CallerIdentity {
  account: string;
  /** The caller's ARN: its partition is the one the callers build ARNs in. */
  arn: string;
  userId: string;
}

export interface TestSts {
  url: string;
  /** The actions called, in order. */
  calls: string[];
  close(): Promise<void>;
}

export const TEST_CALLER: CallerIdentity = {
  account: '123456789012',
  arn: 'arn:aws:sts::123456789012:assumed-role/operator/elb-otlp-tests',
  userId: 'AROAEXAMPLEOPERATOR:elb-otlp-tests',
};

/** An error STS answers every call with, as it does for expired credentials. */
export interface StsRefusal {
  code: string;
  message: string;
}

export async function startSts(
  identity: CallerIdentity = TEST_CALLER,
  refusal?: StsRefusal,
): Promise<TestSts> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(parts).toString('utf8'));
      const action = form.get('Action') ?? '';
      calls.push(action);
      const requestId = `00000000-0000-4000-8000-${String(calls.length).padStart(12, '0')}`;
      res.setHeader('content-type', 'text/xml');
      if (refusal !== undefined) {
        res.statusCode = 403;
        res.end(
          `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${escapeXml(refusal.code)}</Code><Message>${escapeXml(refusal.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        );
        return;
      }
      if (action !== 'GetCallerIdentity' || form.get('Version') !== '2011-06-15') {
        res.statusCode = 400;
        res.end(
          `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>Could not find operation ${escapeXml(action)} for version ${escapeXml(form.get('Version') ?? '')}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        );
        return;
      }
      res.end(
        `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${escapeXml(identity.arn)}</Arn><UserId>${escapeXml(identity.userId)}</UserId><Account>${identity.account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
