/**
 * What an exporting function builds once per container (functions/export-start.ts):
 * its warnings, and the headers secret's life.
 */

import { describe, expect, it } from 'vitest';
import { startExport } from '../../functions/export-start.ts';
import { startedOnce } from '../../functions/shipping-container.ts';
import { ExportConfigError } from '../../shared/otlp/export-errors.ts';

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
