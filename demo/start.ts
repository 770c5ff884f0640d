/**
 * `npm start`: elb-otlp's main job on this machine, with nothing to set up.
 *
 * 1. Starts an S3 server (s3rver, loopback, a temporary directory) and an
 *    OTLP/HTTP receiver that counts every record it gets and decodes a
 *    sample (demo/receiver.ts) — or, when OTEL_EXPORTER_OTLP_ENDPOINT is
 *    set, ships there instead.
 * 2. Writes generated ELB logs into S3 the way load balancers do: three
 *    load balancers, two days, access and connection logs, gzip, AWS's key
 *    layout, plus ELB's test object (same seed, same logs, every time).
 * 3. Runs `elb-otlp reprocess` over them: the bulk reprocessing state
 *    machine, on this machine, with its progress on stderr.
 * 4. Prints the report, what the receiver got (by load balancer, by status
 *    class, an example record of each kind of log), and as its last line
 *    {"lines", "accepted", "rejected", "failed", "received"}.
 *
 * Exits 0 when every line was accepted (and, with the embedded receiver,
 * received); cleans up after itself. ELB_OTLP_DEMO_LINES sets the size
 * (default 300 000 lines); ELB_OTLP_DEMO_RECEIVER=drain makes the embedded
 * receiver only read the bodies (`received` is then null), the ceiling its
 * lines/s are compared with in BENCHMARKS.md "Demo".
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { runReprocess } from '../cli/commands/reprocess.ts';
import { printableUrl } from '../shared/config/printable-url.ts';
import { putElbObjects } from '../shared/generate/elb-objects.ts';
import { listCommonPrefixesAsS3 } from '../shared/local/s3rver-listing.ts';
import { type DemoReceiver, startDemoReceiver } from './receiver.ts';

const BUCKET = 'elb-logs';
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
/** s3rver's own credentials. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const totalLines = Number(process.env.ELB_OTLP_DEMO_LINES ?? 300_000);
if (!Number.isInteger(totalLines) || totalLines < 100) {
  process.stderr.write('ELB_OTLP_DEMO_LINES: expected a whole number of at least 100\n');
  process.exit(2);
}
const external = process.env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || undefined;
const receiverMode = process.env.ELB_OTLP_DEMO_RECEIVER?.trim() || 'count';
if (receiverMode !== 'count' && receiverMode !== 'drain') {
  process.stderr.write('ELB_OTLP_DEMO_RECEIVER: expected count (the default) or drain\n');
  process.exit(2);
}
const directory = mkdtempSync(join(tmpdir(), 'elb-otlp-demo-'));
listCommonPrefixesAsS3();
const s3rver = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  configureBuckets: [{ name: BUCKET }],
});
let receiver: DemoReceiver | undefined;
const say = (line: string) => process.stderr.write(`${line}\n`);

try {
  const { port } = await s3rver.run();
  const s3Endpoint = `http://127.0.0.1:${port}`;
  receiver =
    external === undefined
      ? await startDemoReceiver({ drain: receiverMode === 'drain' })
      : undefined;
  const endpoint = external ?? (receiver as DemoReceiver).url;
  say(
    `S3: ${s3Endpoint} (s3rver, bucket ${BUCKET}); OTLP: ${printableUrl(endpoint)}${external ? '' : receiverMode === 'drain' ? ' (embedded receiver, draining only)' : ' (embedded receiver)'}`,
  );

  // The AWS SDK reads these from the process: this run's S3 is the embedded one.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: s3Endpoint,
  });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  const written = await writeLogs(s3Endpoint);
  say(
    `wrote ${written.objects} log objects (${written.lines.toLocaleString('en-US')} lines, ${(written.bytes / 1048576).toFixed(1)} MiB gzip) under s3://${BUCKET}/AWSLogs/`,
  );

  // The reprocess command itself, its progress on our stderr, its report captured.
  const stdout = new PassThrough();
  let printed = '';
  stdout.on('data', (part: Buffer) => {
    printed += part.toString('utf8');
  });
  const code = await runReprocess(
    ['--bucket', BUCKET, '--prefix', 'AWSLogs/', '--endpoint', endpoint],
    {
      stdin: process.stdin,
      stdout,
      stderr: process.stderr,
      env: process.env,
      now: () => BigInt(Date.now()) * 1_000_000n,
    },
  );
  // The receiver counts a few requests behind its answers: wait for the last counts.
  await receiver?.settled();
  const lastLine = printed.trim().split('\n').at(-1) ?? '';
  if (lastLine === '') {
    say(`elb-otlp reprocess stopped with exit code ${code} and no report`);
    process.exitCode = code || 1;
  } else {
    const report = JSON.parse(lastLine);
    printReport(report, written.lines);
    if (receiver !== undefined && receiverMode === 'count') printReceived(receiver);
    const summary = {
      lines: report.lines,
      accepted: report.accepted,
      rejected: report.rejected,
      failed: report.failed,
      received: receiver?.received() ?? null,
    };
    const complete =
      code === 0 &&
      summary.failed === 0 &&
      summary.accepted === summary.lines &&
      summary.lines === written.lines &&
      (summary.received === null || summary.received === summary.lines);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    process.exitCode = complete ? 0 : code || 1;
  }
} finally {
  await receiver?.close();
  await s3rver.close();
  rmSync(directory, { recursive: true, force: true });
}

/** Puts the generated logs into S3 as load balancers name them. */
async function writeLogs(endpoint: string) {
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: CREDENTIALS,
  });
  try {
    const written = await putElbObjects(client, BUCKET, {
      totalLines,
      account: ACCOUNT,
      region: REGION,
    });
    // ELB writes this when access logs are switched on; elb-otlp skips it.
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `AWSLogs/${ACCOUNT}/ELBAccessLogTestFile`,
        Body: 'Enable AccessLog for ELB: shop-frontend',
      }),
    );
    return written;
  } finally {
    client.destroy();
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the report is the command's JSON output
function printReport(report: any, written: number): void {
  const n = (value: number) => value.toLocaleString('en-US');
  say('');
  say('Report (elb-otlp reprocess):');
  say(
    `  objects ${n(report.objects)}, chunks ${n(report.chunks)}, failed chunks ${n(report.failedChunks)}`,
  );
  say(
    `  lines ${n(report.lines)} of ${n(written)} written: accepted ${n(report.accepted)}, rejected ${n(report.rejected)}, failed ${n(report.failed)}, parse errors ${n(report.parseErrors)}`,
  );
  say(
    `  ${n(report.throughput.linesPerSecond)} lines/s over ${report.throughput.seconds} s (${report.throughput.mibPerSecond} MiB/s of gzip read from S3)`,
  );
  say(`  report.json: ${report.report}`);
}

function printReceived(receiver: DemoReceiver): void {
  const n = (value: number) => value.toLocaleString('en-US');
  const table = (title: string, counts: Map<string, number>) => {
    say(`  ${title}:`);
    for (const [key, count] of [...counts].sort((a, b) => b[1] - a[1])) {
      say(`    ${key.padEnd(24)} ${n(count).padStart(10)}`);
    }
  };
  say('');
  say(
    `Received by the OTLP receiver: ${n(receiver.received() ?? 0)} log records (all counted; the examples decoded whole)`,
  );
  if (receiver.undecodable > 0) say(`  requests it could not read: ${n(receiver.undecodable)}`);
  table('by load balancer (aws.elb.name)', receiver.byLoadBalancer);
  table('by status class (http.response.status_code)', receiver.byStatusClass);
  table('by kind of log', receiver.byFormat);
  for (const [kind, example] of receiver.examples) {
    say('');
    say(`An example ${kind} record, as decoded:`);
    for (const line of describeRecord(example)) say(`    ${line}`);
  }
  say('');
}

/** A decoded OTLP/JSON record as "key = value" lines: resource, then the record. */
// biome-ignore lint/suspicious/noExplicitAny: decoded OTLP/JSON
function describeRecord(example: any): string[] {
  const value = (v: Record<string, unknown>): string => {
    const [[type, inner]] = Object.entries(v);
    if (type === 'stringValue') return JSON.stringify(inner);
    if (type === 'arrayValue') {
      const values = ((inner as { values?: Record<string, unknown>[] }).values ?? []).map(value);
      return `[${values.join(', ')}]`;
    }
    return String(inner);
  };
  const lines: string[] = [];
  for (const a of example.resource.attributes) lines.push(`resource ${a.key} = ${value(a.value)}`);
  const record = example.logRecord;
  lines.push(`timeUnixNano = ${record.timeUnixNano}, severity = ${record.severityText}`);
  for (const a of record.attributes ?? []) lines.push(`${a.key} = ${value(a.value)}`);
  if (record.body?.stringValue !== undefined)
    lines.push(`body = ${JSON.stringify(record.body.stringValue)}`);
  return lines;
}
