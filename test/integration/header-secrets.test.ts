/**
 * Collector headers from Secrets Manager or SSM, through Powertools
 * Parameters and the real SDK clients against a loopback stand-in for the
 * two stores (there is no local Secrets Manager or SSM: see
 * test/helpers/secret-stores.ts). The value reaches the exporter's headers
 * and never an error message.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportConfigError } from '../../shared/config/config-error.ts';
import { loadExportConfig } from '../../shared/config/export-config.ts';
import { awsSecretReaders, readHeaderSecret } from '../../shared/config/header-secrets.ts';
import { ExportRetryableError } from '../../shared/contract/errors.ts';
import {
  type SecretStores,
  secretStoreClientConfig,
  startSecretStores,
} from '../helpers/secret-stores.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:otlp-headers-AbCdEf';
const PARAMETER = '/elb-otlp/otlp-headers';

let stores: SecretStores;
beforeAll(async () => {
  stores = await startSecretStores();
});
afterAll(async () => {
  await stores.close();
});

const readers = () => awsSecretReaders(secretStoreClientConfig(stores.url));
const ENDPOINT = { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example.com:4318' };

describe('headers from a secret store', () => {
  it('reads a Secrets Manager secret once and lays its headers over the environment', async () => {
    stores.secrets.set(SECRET_ARN, 'authorization=Bearer%20s3cr3t, x-scope=prod');
    const env = {
      ...ENDPOINT,
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=old,x-team=edge',
      OTLP_HEADERS_SECRET_ARN: SECRET_ARN,
    };
    const before = stores.calls.length;
    const secretHeaders = await readHeaderSecret(env, readers());
    expect(secretHeaders).toEqual({ setting: 'OTLP_HEADERS_SECRET_ARN', text: expect.any(String) });
    expect(stores.calls.slice(before)).toEqual([
      { target: 'secretsmanager.GetSecretValue', body: { SecretId: SECRET_ARN }, signed: true },
    ]);
    const config = loadExportConfig(env, secretHeaders && { secretHeaders });
    expect(config.headers).toEqual({
      authorization: 'Bearer s3cr3t',
      'x-scope': 'prod',
      'x-team': 'edge',
    });
  });

  it('reads a SecureString parameter decrypted, as a JSON object of headers', async () => {
    stores.parameters.set(PARAMETER, '{"X-Api-Key": "k-123"}');
    const env = { ...ENDPOINT, OTLP_HEADERS_SSM_PARAMETER: PARAMETER };
    const before = stores.calls.length;
    const secretHeaders = await readHeaderSecret(env, readers());
    expect(stores.calls.slice(before)).toEqual([
      {
        target: 'AmazonSSM.GetParameter',
        body: { Name: PARAMETER, WithDecryption: true },
        signed: true,
      },
    ]);
    expect(loadExportConfig(env, secretHeaders && { secretHeaders }).headers).toEqual({
      'x-api-key': 'k-123',
    });
  });

  it('asks for a retry when the store itself fails, after the SDK retried', async () => {
    stores.failing.add(`${SECRET_ARN}-flaky`);
    const before = stores.calls.length;
    const attempt = readHeaderSecret({ OTLP_HEADERS_SECRET_ARN: `${SECRET_ARN}-flaky` }, readers());
    await expect(attempt).rejects.toBeInstanceOf(ExportRetryableError);
    await expect(attempt).rejects.toThrow(
      `OTLP_HEADERS_SECRET_ARN: cannot read ${SECRET_ARN}-flaky for now: InternalServiceError`,
    );
    // The SDK's standard retry mode: three attempts.
    expect(stores.calls.length - before).toBe(3);
  });

  it('reads nothing when neither is set', async () => {
    const before = stores.calls.length;
    expect(await readHeaderSecret(ENDPOINT, readers())).toBeUndefined();
    expect(stores.calls.length).toBe(before);
  });

  it('names the setting and the secret when it cannot be read, and never repeats a value', async () => {
    const missing = readHeaderSecret({ OTLP_HEADERS_SECRET_ARN: `${SECRET_ARN}-gone` }, readers());
    await expect(missing).rejects.toBeInstanceOf(ExportConfigError);
    await expect(missing).rejects.toThrow(
      `OTLP_HEADERS_SECRET_ARN: cannot read ${SECRET_ARN}-gone: ResourceNotFoundException: Secrets Manager can't find the specified secret.`,
    );

    await expect(
      readHeaderSecret({ OTLP_HEADERS_SSM_PARAMETER: '/nowhere' }, readers()),
    ).rejects.toThrow('OTLP_HEADERS_SSM_PARAMETER: cannot read /nowhere: ParameterNotFound');

    stores.secrets.set(`${SECRET_ARN}-empty`, '  ');
    await expect(
      readHeaderSecret({ OTLP_HEADERS_SECRET_ARN: `${SECRET_ARN}-empty` }, readers()),
    ).rejects.toThrow(`OTLP_HEADERS_SECRET_ARN: ${SECRET_ARN}-empty holds no headers`);

    await expect(
      readHeaderSecret(
        { OTLP_HEADERS_SECRET_ARN: SECRET_ARN, OTLP_HEADERS_SSM_PARAMETER: PARAMETER },
        readers(),
      ),
    ).rejects.toThrow('set it or OTLP_HEADERS_SSM_PARAMETER, not both');

    // Malformed values: the message says what was expected, not what was found.
    for (const text of ['Bearer hunter2', '{"authorization": hunter2}', 'auth orization=hunter2']) {
      const attempt = () =>
        loadExportConfig(ENDPOINT, {
          secretHeaders: { setting: 'OTLP_HEADERS_SECRET_ARN', text },
        });
      expect(attempt).toThrow(ExportConfigError);
      expect(attempt).toThrow(/^OTLP_HEADERS_SECRET_ARN: expected name=value pairs/);
      expect(attempt).not.toThrow(/hunter2/);
    }
  });
});
