/**
 * Collector headers kept out of the deployment template and the function's
 * environment: read from a Secrets Manager secret (`OTLP_HEADERS_SECRET_ARN`)
 * or an SSM parameter (`OTLP_HEADERS_SSM_PARAMETER`, decrypted) through
 * Powertools Parameters: at a cold start, then again once
 * {@link HEADERS_SECRET_MAX_AGE_MS} has passed or the receiver refused them
 * (headers-provider.ts keeps the value). The value is `name=value,…` (the
 * `OTEL_EXPORTER_OTLP_HEADERS` format) or a JSON object of names to values
 * (Secrets Manager's key/value secrets); it is never logged.
 */

import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import type { SSMClientConfig } from '@aws-sdk/client-ssm';
import { ExportRetryableError } from '../contract/errors.ts';
import { ExportConfigError } from './config-error.ts';
import type { HeaderSecret } from './header-list.ts';

type Env = Record<string, string | undefined>;

/**
 * How long a warm container uses the headers it read before reading the
 * secret again: a rotated key reaches every container within five minutes
 * (sooner where the old one is refused), at about 9 000 reads a month per
 * warm container (some $0.04 at Secrets Manager's price).
 */
export const HEADERS_SECRET_MAX_AGE_MS = 5 * 60 * 1000;
/**
 * After a re-read failed (the store down or throttling), how long the last
 * headers are used before the next attempt: soon enough to pick up a
 * rotation, seldom enough not to add to a struggling store's load.
 */
export const HEADERS_SECRET_RETRY_MS = 30 * 1000;

/** Reads a secret's or a parameter's text; `undefined` when it has none. */
export interface SecretReaders {
  secret(id: string): Promise<string | undefined>;
  parameter(name: string): Promise<string | undefined>;
}

/**
 * Readers through Powertools Parameters. Every call reads the store: the
 * caller keeps the value (headers-provider.ts, with an injected clock, which
 * Powertools' own cache does not take).
 */
export function awsSecretReaders(
  clientConfig: { secrets?: SecretsManagerClientConfig; ssm?: SSMClientConfig } = {},
): SecretReaders {
  let secrets: SecretsProvider | undefined;
  let ssm: SSMProvider | undefined;
  return {
    async secret(id) {
      secrets ??= new SecretsProvider({ clientConfig: clientConfig.secrets ?? {} });
      const value = await secrets.get(id, { forceFetch: true });
      return value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value;
    },
    async parameter(name) {
      ssm ??= new SSMProvider({ clientConfig: clientConfig.ssm ?? {} });
      return ssm.get(name, { decrypt: true, forceFetch: true });
    },
  };
}

/**
 * The headers' text from the secret or parameter the environment names, or
 * `undefined` when it names neither.
 *
 * @throws ExportConfigError naming the setting and the secret (never its value)
 *   when both are set, or it cannot be read, or it is empty;
 *   ExportRetryableError when the store failed or throttled past the SDK's retries.
 */
export async function readHeaderSecret(
  env: Env,
  readers: SecretReaders = awsSecretReaders(),
): Promise<HeaderSecret | undefined> {
  const secretId = env.OTLP_HEADERS_SECRET_ARN?.trim();
  const parameterName = env.OTLP_HEADERS_SSM_PARAMETER?.trim();
  if (secretId && parameterName) {
    throw new ExportConfigError(
      'OTLP_HEADERS_SECRET_ARN',
      'set it or OTLP_HEADERS_SSM_PARAMETER, not both',
    );
  }
  const [setting, id, read] = secretId
    ? ['OTLP_HEADERS_SECRET_ARN', secretId, () => readers.secret(secretId)]
    : parameterName
      ? ['OTLP_HEADERS_SSM_PARAMETER', parameterName, () => readers.parameter(parameterName)]
      : [];
  if (setting === undefined || read === undefined) return undefined;
  let text: string | undefined;
  try {
    text = await read();
  } catch (error) {
    // The SDK's error (Powertools keeps it as the cause) says why: not found,
    // access denied. It never holds the value.
    const root = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const reason = root instanceof Error ? errorReason(root) : String(root);
    if (isTransient(root)) {
      // The SDK retried already; the state machine's Retry may still succeed later.
      throw new ExportRetryableError(`${setting}: cannot read ${id} for now: ${reason}`, {
        cause: error,
      });
    }
    throw new ExportConfigError(setting, `cannot read ${id}: ${reason}`, { cause: error });
  }
  if (text === undefined || text.trim() === '') {
    throw new ExportConfigError(setting, `${id} holds no headers`);
  }
  return { setting, text };
}

/** `Name: message`; the SDK says "UnknownError" when the service sent no message. */
function errorReason(error: Error): string {
  const message = error.message === 'UnknownError' ? '' : error.message;
  return message === '' || message === error.name ? error.name : `${error.name}: ${message}`;
}

/** A throttling, a server error or a broken connection: not the secret's fault. */
function isTransient(error: unknown): boolean {
  const e = error as {
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
    code?: string;
  } | null;
  if (e === null || typeof e !== 'object') return false;
  const status = e.$metadata?.httpStatusCode;
  return (
    e.$retryable !== undefined ||
    (status !== undefined && (status >= 500 || status === 429)) ||
    (e.code !== undefined && /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN)$/.test(e.code))
  );
}
