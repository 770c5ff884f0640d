/**
 * What an exporting function builds once per container
 * (shared/runtime/export-start.ts): its warnings, and the headers secret's life
 * in a warm container — read again after its max age (an injected clock),
 * and at once when the receiver refuses it. Through the real SDK clients and
 * Powertools Parameters against the loopback stand-in for Secrets Manager
 * and SSM (there is no local one), and the loopback OTLP receiver, which
 * refuses the keys a test says are revoked.
 */

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExportConfigError } from '../../shared/config/config-error.ts';
import {
  awsSecretReaders,
  HEADERS_SECRET_MAX_AGE_MS,
  HEADERS_SECRET_RETRY_MS,
} from '../../shared/config/header-secrets.ts';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { type ExportStart, startExport } from '../../shared/runtime/export-start.ts';
import { startedOnce } from '../../shared/runtime/started-once.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import {
  type SecretStores,
  secretStoreClientConfig,
  startSecretStores,
} from '../helpers/secret-stores.ts';
import { expectConserved, fakeClock, shipThrough } from '../helpers/ship.ts';

/** A logger that keeps what it is given. */
function recordingLogger() {
  const warnings: [string, unknown][] = [];
  return {
    warnings,
    warn: (message: string, details: unknown) => warnings.push([message, details]),
  };
}

describe('startExport', () => {
  it('warns once per container about plain http:// to another host, through the logger', async () => {
    const logger = recordingLogger();
    const start = startedOnce(() =>
      startExport(
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.example.com:4318?api_key=s3cret' },
        { signal: 'metrics', logger },
      ),
    );
    const first = await start();
    expect(await start()).toBe(first);
    await first.exporter.close();
    expect(logger.warnings).toEqual([
      [
        'plain HTTP endpoint',
        {
          warning:
            'OTEL_EXPORTER_OTLP_ENDPOINT: http://collector.example.com:4318/v1/metrics?api_key=REDACTED is plain http://: records cross the network unencrypted; use https://',
        },
      ],
    ]);
  });

  it('refuses headers over plain http:// to another host', async () => {
    const logger = recordingLogger();
    const attempt = startExport(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.example.com:4318',
        OTEL_EXPORTER_OTLP_HEADERS: 'api-key=s3cret',
      },
      { logger },
    );
    await expect(attempt).rejects.toBeInstanceOf(ExportConfigError);
    await expect(attempt).rejects.toThrow(/set ELB_OTLP_ALLOW_INSECURE=true/);
    expect(logger.warnings).toEqual([]);
  });
});

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:otlp-headers-AbCdEf';
const OLD = 'Bearer old-s3cret';
const NEW = 'Bearer new-s3cret';
const LINES = 400;
const TEXT = `${[...generateAlbLines(LINES, { seed: 12 })].join('\n')}\n`;

describe('the headers secret in a warm container', () => {
  let stores: SecretStores;
  let receiver: OtlpReceiver;
  let started: ExportStart | undefined;
  beforeAll(async () => {
    stores = await startSecretStores();
  });
  afterAll(async () => {
    await stores.close();
  });
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
    stores.secrets.set(SECRET_ARN, `{"Authorization": "${OLD}"}`);
  });
  afterEach(async () => {
    await started?.exporter.close();
    started = undefined;
    await receiver.close();
  });

  /** Starts as a function does, with the test's clock; `batches` of 100 records, `inFlight` at once. */
  async function start(options: { batches?: number; inFlight?: number } = {}) {
    const { clock } = fakeClock();
    const logger = recordingLogger();
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-team=edge',
      OTLP_HEADERS_SECRET_ARN: SECRET_ARN,
      ELB_OTLP_MAX_BATCH_RECORDS: String(LINES / (options.batches ?? 1)),
      ELB_OTLP_EXPORT_CONCURRENCY: String(options.inFlight ?? 1),
    };
    started = await startExport(env, {
      logger,
      clock,
      readers: awsSecretReaders(secretStoreClientConfig(stores.url)),
    });
    const { exporter, config } = started;
    return { clock, logger, ship: () => shipThrough(exporter, config, TEXT) };
  }
  const reads = () => stores.calls.filter((c) => c.target === 'secretsmanager.GetSecretValue');
  const sent = (from = 0) =>
    receiver.requests.slice(from).map((r) => [r.headers.authorization, r.headers['x-team']]);
  /** The receiver refuses these keys with a 401, as after a rotation. */
  const revoke = (...keys: string[]) =>
    receiver.rule((_body, headers) =>
      keys.includes(String(headers.authorization))
        ? { kind: 'status', status: 401 }
        : { kind: 'ok' },
    );

  it('reads a rotated secret again once its max age has passed, not before', async () => {
    const before = reads().length;
    const { clock, ship } = await start();
    expect((await ship()).accepted).toBe(LINES);
    stores.secrets.set(SECRET_ARN, `authorization=${NEW}`);
    await clock.sleep(HEADERS_SECRET_MAX_AGE_MS - 1);
    expect((await ship()).accepted).toBe(LINES);
    expect(reads().length - before).toBe(1);
    await clock.sleep(1);
    expect((await ship()).accepted).toBe(LINES);
    expect((await ship()).accepted).toBe(LINES);
    expect(reads().length - before).toBe(2);
    // The secret's headers are merged over the environment's each time.
    expect(sent()).toEqual([
      [OLD, 'edge'],
      [OLD, 'edge'],
      [NEW, 'edge'],
      [NEW, 'edge'],
    ]);
  });

  it('reads the secret again once after a 401 and sends every refused batch again with the new value', async () => {
    const { ship } = await start({ batches: 4, inFlight: 4 });
    stores.secrets.set(SECRET_ARN, `authorization=${NEW}`);
    revoke(OLD);
    const before = reads().length;
    const result = await ship();
    expect(result).toMatchObject({ lines: LINES, accepted: LINES, failed: 0, batches: 4 });
    expect(result.exportError).toBeUndefined();
    expectConserved(result);
    // However many batches were refused at once, the secret was read once.
    expect(reads().length - before).toBe(1);
    const refused = receiver.requests.filter((r) => r.fault.kind === 'status');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.map((r) => r.headers.authorization)).toEqual(refused.map(() => OLD));
    expect(result.retries).toBe(refused.length);
    expect(receiver.deliveredRecords()).toHaveLength(LINES);
    expect(sent(receiver.requests.length - 1)).toEqual([[NEW, 'edge']]);
  });

  it('fails a batch refused again after the re-read with ExportConfigError naming the secret, not its value', async () => {
    const { ship } = await start();
    stores.secrets.set(SECRET_ARN, `authorization=${NEW}`);
    revoke(OLD, NEW);
    const before = reads().length;
    const result = await ship();
    expect(result).toMatchObject({ lines: LINES, accepted: 0, failed: LINES });
    expect(reads().length - before).toBe(1);
    expect(sent()).toEqual([
      [OLD, 'edge'],
      [NEW, 'edge'],
    ]);
    const error = result.exportError as ExportConfigError;
    expect(error).toBeInstanceOf(ExportConfigError);
    expect(error.setting).toBe('OTLP_HEADERS_SECRET_ARN');
    expect(error.message).toMatch(
      /^OTLP_HEADERS_SECRET_ARN: http:\/\/127\.0\.0\.1:\d+\/v1\/logs answered 401: scripted 401 \(check the authentication headers from OTEL_EXPORTER_OTLP_HEADERS, OTLP_HEADERS_SECRET_ARN\); refused again after the headers were read again from OTLP_HEADERS_SECRET_ARN$/,
    );
    expect(error.message).not.toMatch(/s3cret/);
  });

  it('keeps the last value while the store cannot be read, and tries again a little later', async () => {
    const { clock, logger, ship } = await start();
    stores.secrets.set(SECRET_ARN, `authorization=${NEW}`);
    stores.failing.add(SECRET_ARN);
    await clock.sleep(HEADERS_SECRET_MAX_AGE_MS);
    const before = reads().length;
    expect((await ship()).accepted).toBe(LINES);
    expect(logger.warnings).toEqual([
      [
        'headers secret not read again; the last value is used',
        { warning: expect.stringMatching(/^OTLP_HEADERS_SECRET_ARN: cannot read .* for now/) },
      ],
    ]);
    // The SDK's three attempts, then nothing more until the retry time has passed.
    expect(reads().length - before).toBe(3);
    stores.failing.delete(SECRET_ARN);
    expect((await ship()).accepted).toBe(LINES);
    expect(reads().length - before).toBe(3);
    await clock.sleep(HEADERS_SECRET_RETRY_MS);
    expect((await ship()).accepted).toBe(LINES);
    expect(reads().length - before).toBe(4);
    expect(sent().map(([authorization]) => authorization)).toEqual([OLD, OLD, NEW]);
  });

  it('sends a batch refused with headers from the environment only once: nothing could change them', async () => {
    const logger = recordingLogger();
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_HEADERS: `authorization=${OLD.replace(' ', '%20')}`,
    };
    started = await startExport(env, { logger, clock: fakeClock().clock });
    revoke(OLD);
    const before = stores.calls.length;
    const result = await shipThrough(started.exporter, started.config, TEXT);
    expect(result).toMatchObject({ accepted: 0, failed: LINES, retries: 0 });
    expect((result.exportError as ExportConfigError).setting).toBe('OTEL_EXPORTER_OTLP_HEADERS');
    expect(receiver.requests).toHaveLength(1);
    expect(stores.calls.length).toBe(before);
  });
});
