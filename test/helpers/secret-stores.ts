/**
 * Secrets Manager and SSM Parameter Store for tests. Neither has a local
 * stand-in on this machine, so this loopback server answers the two calls
 * elb-otlp makes — `secretsmanager.GetSecretValue` and
 * `AmazonSSM.GetParameter`, AWS JSON 1.1 — as the AWS API references
 * describe them. The real SDK clients (and Powertools Parameters) run
 * unchanged against it; it does not check signatures.
 */

import { startAwsJsonServer } from './aws-json-server.ts';

export interface SecretStoreCall {
  target: string;
  body: Record<string, unknown>;
  /** The request was signed (SigV4 `Authorization` header). */
  signed: boolean;
}

export interface SecretStores {
  url: string;
  /** Secret id (name or ARN) → SecretString. */
  secrets: Map<string, string>;
  /** Parameter name → value (a SecureString, decrypted when asked). */
  parameters: Map<string, string>;
  /** Ids answered with a 500 InternalServiceError, as when the service fails. */
  failing: Set<string>;
  calls: SecretStoreCall[];
  close(): Promise<void>;
}

export async function startSecretStores(): Promise<SecretStores> {
  const secrets = new Map<string, string>();
  const parameters = new Map<string, string>();
  const failing = new Set<string>();
  const calls: SecretStoreCall[] = [];
  const server = await startAwsJsonServer(
    'application/x-amz-json-1.1',
    ({ target, body, headers }) => {
      calls.push({ target, body, signed: /^AWS4-HMAC-SHA256 /.test(headers.authorization ?? '') });
      if (failing.has(body.SecretId ?? body.Name)) {
        return [500, { __type: 'InternalServiceError', message: 'the test made the store fail' }];
      }
      if (target === 'secretsmanager.GetSecretValue') {
        const value = secrets.get(body.SecretId);
        if (value === undefined) {
          return [
            400,
            {
              __type: 'ResourceNotFoundException',
              Message: "Secrets Manager can't find the specified secret.",
            },
          ];
        }
        return [
          200,
          {
            ARN: body.SecretId,
            Name: body.SecretId,
            SecretString: value,
            VersionId: '00000000-0000-4000-8000-000000000001',
            VersionStages: ['AWSCURRENT'],
            CreatedDate: 1_764_000_000,
          },
        ];
      }
      if (target === 'AmazonSSM.GetParameter') {
        const value = parameters.get(body.Name);
        if (value === undefined) return [400, { __type: 'ParameterNotFound', message: '' }];
        return [
          200,
          {
            Parameter: {
              Name: body.Name,
              Type: 'SecureString',
              Value: body.WithDecryption === true ? value : 'AQICAH-encrypted',
              Version: 1,
              DataType: 'text',
            },
          },
        ];
      }
      return [400, { __type: 'UnknownOperationException', message: target }];
    },
  );
  return { url: server.url, secrets, parameters, failing, calls, close: server.close };
}

/** SDK client settings that reach the stores. */
export function secretStoreClientConfig(url: string) {
  const config = {
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'TEST', secretAccessKey: 'TEST' },
  };
  return { secrets: config, ssm: config };
}
