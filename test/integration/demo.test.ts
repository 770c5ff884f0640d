/**
 * `npm start` (demo/start.ts) in a child process, smaller than its default
 * size: it generates logs into its own S3 server, ships them with the
 * reprocessing state machine, and ends with the one-line summary.
 */

import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { uids } from '../helpers/ship.ts';

const DEMO = new URL('../../demo/start.ts', import.meta.url).pathname;

function runDemo(env: Record<string, string>) {
  const clean: Record<string, string | undefined> = { ...process.env };
  for (const name of Object.keys(clean)) {
    if (name.startsWith('OTEL_') || name.startsWith('ELB_OTLP_') || name.startsWith('AWS_')) {
      delete clean[name];
    }
  }
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO], { env: { ...clean, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
});

describe('npm start', () => {
  it('ships every generated line to its own receiver and ends with the summary line', async () => {
    const { code, stdout, stderr } = await runDemo({ ELB_OTLP_DEMO_LINES: '6000' });
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1) as string);
    expect(summary).toEqual({
      lines: expect.any(Number),
      accepted: summary.lines,
      rejected: 0,
      failed: 0,
      received: summary.lines,
    });
    expect(summary.lines).toBeGreaterThanOrEqual(6000);
    expect(stderr).toMatch(/wrote 96 log objects/);
    expect(stderr).toContain('skipped 1 ELB test file(s)');
    for (const name of ['shop-frontend', 'payments-api', 'admin-internal']) {
      expect(stderr).toContain(name);
    }
    expect(stderr).toContain('An example ALB connection log record, as decoded:');
    expect(stderr).toContain('http.response.status_code = ');
  }, 120_000);

  it('ships to OTEL_EXPORTER_OTLP_ENDPOINT when it is set', async () => {
    const { code, stdout, stderr } = await runDemo({
      ELB_OTLP_DEMO_LINES: '2000',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    });
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1) as string);
    expect(summary).toMatchObject({ failed: 0, received: null });
    const delivered = uids(receiver.deliveredRecords());
    expect(delivered).toHaveLength(summary.lines);
    expect(new Set(delivered).size).toBe(summary.lines);
  }, 120_000);
});
