/**
 * `npm start` (demo/start.ts) in a child process, smaller than its default
 * size: it generates logs into its own S3 server, ships them with the
 * reprocessing state machine, and ends with the one-line summary.
 */

import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoReceiver } from '../../demo/receiver.ts';
import { createBatchEncoder } from '../../shared/otlp/batch-encoder.ts';
import { SCOPE } from '../../shared/otlp/scope.ts';
import { runScript } from '../helpers/cli.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { uids } from '../helpers/ship.ts';

const DEMO = new URL('../../demo/start.ts', import.meta.url).pathname;

/** The demo, with none of this machine's OpenTelemetry, elb-otlp or AWS settings. */
const runDemo = (env: Record<string, string>) =>
  runScript(DEMO, [], { env, clear: ['OTEL_', 'ELB_OTLP_', 'AWS_'] });

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
});

/** The sum of the counts in the receiver's table whose title starts with `title`. */
function tableTotal(stderr: string, title: string): number {
  const lines = stderr.split('\n');
  const start = lines.findIndex((line) => line.trim().startsWith(title));
  let total = 0;
  for (const line of lines.slice(start + 1)) {
    const row = /^ {4}\S.*?\s+([\d,]+)$/.exec(line);
    if (row === null) break;
    total += Number(row[1].replaceAll(',', ''));
  }
  return total;
}

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
    // Every record counted, not assumed: each table the receiver prints adds up to the lines.
    for (const title of ['by load balancer', 'by status class', 'by kind of log']) {
      expect(tableTotal(stderr, title), title).toBe(summary.lines);
    }
  }, 120_000);

  it('with ELB_OTLP_DEMO_RECEIVER=drain, only drains the requests and cannot say what arrived', async () => {
    const { code, stdout, stderr } = await runDemo({
      ELB_OTLP_DEMO_LINES: '2000',
      ELB_OTLP_DEMO_RECEIVER: 'drain',
    });
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1) as string);
    expect(summary).toMatchObject({ failed: 0, received: null });
    expect(summary.accepted).toBe(summary.lines);
    expect(stderr).toContain('draining only');
    expect(stderr).not.toContain('Received by the OTLP receiver');
  }, 120_000);

  it('refuses an unknown ELB_OTLP_DEMO_RECEIVER before starting anything', async () => {
    const { code, stderr } = await runDemo({ ELB_OTLP_DEMO_RECEIVER: 'decode' });
    expect(code).toBe(2);
    expect(stderr).toContain('ELB_OTLP_DEMO_RECEIVER: expected count (the default) or drain');
  });

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

describe("the demo's receiver", () => {
  const post = (url: string, body: Uint8Array) =>
    fetch(`${url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      body: gzipSync(body),
    });
  const request = (name: string, records: number) => {
    const encoder = createBatchEncoder(
      'http/protobuf',
      { attributes: [{ key: 'aws.elb.name', type: 'string', value: name }] },
      SCOPE,
      { maxRecords: 10_000, maxBytes: 1024 * 1024 },
    );
    for (let n = 0; n < records; n++) {
      encoder.add({
        timeUnixNano: 1n,
        observedTimeUnixNano: 1n,
        severityNumber: 9,
        severityText: 'INFO',
        body: `line ${n}`,
        attributes: [{ key: 'http.response.status_code', type: 'int', value: 200 + (n % 2) * 300 }],
      });
    }
    return encoder.flush()?.body as Uint8Array;
  };

  it('counts every record of the requests it answered, after them, and leaves out one it cannot read', async () => {
    const demo = await startDemoReceiver();
    try {
      const answers = await Promise.all([
        post(demo.url, request('shop-frontend', 300)),
        post(demo.url, request('payments-api', 41)),
        post(demo.url, Buffer.from([0x0a, 0x10, 0x12])),
      ]);
      expect(answers.every((answer) => answer.status === 200)).toBe(true);
      await demo.settled();
      expect(demo.received()).toBe(341);
      expect(demo.undecodable).toBe(1);
      expect(Object.fromEntries(demo.byLoadBalancer)).toEqual({
        'shop-frontend': 300,
        'payments-api': 41,
      });
      expect(Object.fromEntries(demo.byStatusClass)).toEqual({ '2xx': 171, '5xx': 170 });
      expect(demo.examples.get('access log')).toMatchObject({
        logRecord: { body: { stringValue: 'line 0' } },
      });
    } finally {
      await demo.close();
    }
  });
});
