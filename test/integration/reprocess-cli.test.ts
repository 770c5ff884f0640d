/**
 * `elb-otlp reprocess` in a child process, against s3rver (through
 * AWS_ENDPOINT_URL_S3) and the test OTLP receiver.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { runCli } from '../helpers/cli.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { S3RVER_ENV, startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';
import { uids } from '../helpers/ship.ts';

const ROOT = 'logs/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/';
const key = (n: number) =>
  `${ROOT}123456789012_elasticloadbalancing_us-east-2_app.web.50dc6c495c0c9188_20261101T00${String(n).padStart(2, '0')}Z_10.0.0.1_abcd.log.gz`;
const text = (count: number, seed: number) =>
  `${[...generateAlbLines(count, { seed })].join('\n')}\n`;

let s3: TestS3;
let receiver: OtlpReceiver;
let env: Record<string, string>;
beforeAll(async () => {
  s3 = await startS3();
  receiver = await startOtlpReceiver();
  for (let n = 1; n <= 5; n++) await s3.put(key(n), gzipSync(text(30, n)));
  const broken = gzipSync(text(300, 9));
  await s3.put(key(9), broken.subarray(0, broken.length - 40));
  env = { ...S3RVER_ENV, AWS_ENDPOINT_URL_S3: s3.endpoint };
});
afterAll(async () => {
  await receiver.close();
  await s3.close();
});

describe('elb-otlp reprocess', () => {
  it('plans without shipping on --dry-run', async () => {
    const { code, stdout } = await runCli(
      [
        'reprocess',
        '--bucket',
        TEST_BUCKET,
        '--prefix',
        'logs/',
        '--dry-run',
        '--endpoint',
        receiver.url,
      ],
      { env },
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout.trim().split('\n').at(-1) as string)).toMatchObject({
      dryRun: true,
      objects: 6,
      chunks: 6,
    });
    expect(receiver.requests).toHaveLength(0);
  });

  it("takes the bucket and prefix from the guide's S3_BUCKET_NAME and S3_PREFIX", async () => {
    const { code, stdout, stderr } = await runCli(
      ['reprocess', '--dry-run', '--endpoint', receiver.url],
      { env: { ...env, S3_BUCKET_NAME: TEST_BUCKET, S3_PREFIX: ROOT } },
    );
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout.trim().split('\n').at(-1) as string)).toMatchObject({
      bucket: TEST_BUCKET,
      prefix: ROOT,
      objects: 6,
    });
    const without = await runCli(['reprocess', '--dry-run'], { env });
    expect(without.code).toBe(2);
    expect(without.stderr).toContain(
      '--bucket is required (or --retry-from, or LOG_BUCKET or S3_BUCKET_NAME',
    );
  });

  it('ships the objects, prints the report last and exits 4 naming the broken object', async () => {
    const { code, stdout, stderr } = await runCli(
      [
        'reprocess',
        '--bucket',
        TEST_BUCKET,
        '--prefix',
        'logs/',
        '--delete',
        '--endpoint',
        receiver.url,
      ],
      { env },
    );
    expect(code).toBe(4);
    const report = JSON.parse(stdout.trim().split('\n').at(-1) as string);
    expect(report).toMatchObject({ objects: 6, chunks: 6, failedChunks: 1, deleted: 5, failed: 0 });
    expect(report.lines).toBe(report.accepted);
    expect(report.lines).toBeGreaterThanOrEqual(150);
    expect(report.failures[0].key).toBe(key(9));
    expect(report.retry.retryFrom).toMatch(
      /^s3:\/\/elb-logs\/elb-otlp\/runs\/local-.*\/report\.json$/,
    );
    expect(stderr).toContain('planned 6 objects (0 empty');
    // Six small objects: one work unit.
    expect(stderr).toContain('in 6 chunks, 1 units');
    expect(stderr).toContain('1/1 units');
    expect(stderr).toContain('ChunksFailed');
    const delivered = uids(receiver.deliveredRecords());
    expect(new Set(delivered).size).toBe(report.accepted);

    // The printed report, saved to a file, re-runs only the failed chunk.
    const saved = join(mkdtempSync(join(tmpdir(), 'elb-otlp-report-')), 'run.json');
    writeFileSync(saved, stdout);
    // The guide's bucket settings do not apply to a re-run (its bucket and work
    // files are its report's): a bucket that is not there would fail it.
    const again = await runCli(['reprocess', '--retry-from', saved, '--endpoint', receiver.url], {
      env: { ...env, S3_BUCKET_NAME: 'no-such-bucket', S3_PREFIX: 'nowhere/' },
    });
    expect(again.code).toBe(4);
    expect(JSON.parse(again.stdout.trim())).toMatchObject({
      objects: 1,
      chunks: 1,
      failedChunks: 1,
      failures: [{ key: key(9), error: { name: 'CorruptGzipError' } }],
    });
    expect(again.stderr).toContain('planned 1 objects');
    // The earlier run asked for deletion: the re-run does too, and says so; --no-delete keeps all.
    expect(again.stderr).toMatch(/deleting fully shipped objects, as run local-\S+ asked/);
    const plans = await Promise.all(
      [[], ['--no-delete']].map((extra) =>
        runCli(
          ['reprocess', '--retry-from', saved, '--dry-run', '--endpoint', receiver.url, ...extra],
          { env },
        ),
      ),
    );
    expect(plans.map((p) => JSON.parse(p.stdout.trim()).deleteProcessed)).toEqual([true, false]);
    expect(plans[1].stderr).not.toContain('deleting fully shipped objects');
  });

  it('takes several keys with --keys, and names a --retry-from file it cannot use', async () => {
    for (const n of [11, 12, 13, 14]) await s3.put(key(n), gzipSync(text(10, n)));
    const { code, stdout } = await runCli(
      ['reprocess', '--bucket', TEST_BUCKET, '--keys', `${key(11)},${key(12)}`, '--key', key(13)],
      { env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } },
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout.trim())).toMatchObject({ objects: 3, failedChunks: 0 });

    const notes = join(mkdtempSync(join(tmpdir(), 'elb-otlp-report-')), 'notes.txt');
    writeFileSync(notes, 'ran it on Tuesday\n');
    for (const [file, message] of [
      [notes, `--retry-from ${notes}: not an elb-otlp report (its last line is not JSON)`],
      [`${notes}.gone`, `--retry-from ${notes}.gone: no such file`],
    ]) {
      const attempt = await runCli(['reprocess', '--retry-from', file], { env });
      expect(attempt.code).toBe(2);
      expect(attempt.stderr).toContain(message);
    }
  });

  it('exits 1 without a report when the bucket cannot be listed', async () => {
    const { code, stdout, stderr } = await runCli(
      [
        'reprocess',
        '--bucket',
        'no-such-bucket',
        '--work-bucket',
        TEST_BUCKET,
        '--endpoint',
        receiver.url,
      ],
      { env },
    );
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('the run stopped before its report');
  });

  it('refuses a bad time with exit 2, naming the field', async () => {
    const { code, stderr } = await runCli(
      ['reprocess', '--bucket', TEST_BUCKET, '--from', 'yesterday', '--endpoint', receiver.url],
      { env },
    );
    expect(code).toBe(2);
    expect(stderr).toContain('from:');
  });
});
