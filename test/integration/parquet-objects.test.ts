/**
 * Vended Parquet objects (docs/vended-logs.md#parquet), written in the test
 * with hyparquet-writer, against s3rver and the test OTLP receiver: every
 * row gives the record its classic line gives, each row once however the
 * object is cut into chunks (a chunk owns the row groups that begin in it)
 * or stopped and resumed between row groups, with `log.record.uid` the
 * row's index; a row group over the size bound fails by name with its rows
 * counted; a Parquet file of other columns is skipped as no log.
 */

import type { AsyncBuffer } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExportConfig } from '../../shared/config/export-config.ts';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import { ObjectReadRetryableError } from '../../shared/contract/errors.ts';
import type { ChunkItem } from '../../shared/contract/state-machine.ts';
import { createOtlpExporter, SYSTEM_CLOCK } from '../../shared/otlp/exporter.ts';
import { parquetFooter, rowGroupsOf, shipParquet } from '../../shared/pipeline/parquet-object.ts';
import { type ShipChunkOptions, shipChunk } from '../../shared/pipeline/ship-chunk.ts';
import { recordUidPrefix } from '../../shared/records/record-uid.ts';
import { runLocally } from '../helpers/local-run.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { parquetOf } from '../helpers/parquet.ts';
import { parseObject } from '../helpers/records.ts';
import { startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';
import { startStrictS3 } from '../helpers/strict-s3.ts';
import { SAMPLES, withNodeIpNamed } from '../helpers/vended-samples.ts';

const DAY = 'parquet/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/09/10/';
const ACCESS = SAMPLES.filter((s) => s.logType === 'ALB_ACCESS_LOGS');
const HEALTH = SAMPLES.filter((s) => s.logType === 'ALB_HEALTH_CHECK_LOGS');
const ROWS = 240;
const records = Array.from({ length: ROWS }, (_, i) => ACCESS[i % ACCESS.length].record);
const ACCESS_PARQUET = parquetOf(records, 25);
/** Typed columns: numbers as numbers, `-` as null. */
const HEALTH_PARQUET = parquetOf(
  HEALTH.map((s) => s.record),
  10,
  { latency: 'DOUBLE', status_code: 'INT32' },
);

let s3: TestS3;
let receiver: OtlpReceiver;
const keys = {
  access: `${DAY}alb-access-0001.parquet`,
  health: `${DAY}alb-health-0001.parquet`,
  other: `${DAY}sales-0001.parquet`,
};
const etags: Record<string, string> = {};
beforeAll(async () => {
  [s3, receiver] = await Promise.all([startS3(), startOtlpReceiver()]);
  etags.access = await s3.put(keys.access, ACCESS_PARQUET);
  etags.health = await s3.put(keys.health, HEALTH_PARQUET);
  etags.other = await s3.put(
    keys.other,
    parquetOf(
      // Names an ELB health-check log has too, but no ELB record.
      [
        { time: '2026-09-10T12:00:00Z', status: 'ok', latency: '0.1', region: 'north' },
        { time: '2026-09-10T12:00:01Z', status: 'ok', latency: '0.2', region: 'south' },
      ],
      10,
    ),
  );
});
afterAll(async () => {
  await Promise.all([receiver.close(), s3.close()]);
});

async function ship(chunk: ChunkItem, options: Partial<ShipChunkOptions> = {}) {
  const config = loadExportConfig({}, { endpoint: receiver.url });
  const exporter = createOtlpExporter(config, SYSTEM_CLOCK);
  try {
    return await shipChunk({
      client: s3.client,
      chunk,
      exporter,
      protocol: config.protocol,
      limits: { maxRecords: 100, maxBytes: config.maxBatchBytes },
      concurrency: 2,
      mapping: loadMappingConfig({}),
      nowNanos: () => 0n,
      rangeBytes: 4096,
      ...options,
    });
  } finally {
    await exporter.close();
  }
}

const item = (name: 'access' | 'health', start = 0, end?: number): ChunkItem => {
  const body = name === 'access' ? ACCESS_PARQUET : HEALTH_PARQUET;
  return {
    bucket: TEST_BUCKET,
    key: keys[name],
    etag: etags[name],
    size: body.length,
    compression: 'parquet',
    start,
    end: end ?? body.length,
  };
};

/** Delivered records: uid apart, and the rest without body and observed time. */
function delivered() {
  return receiver.requests.flatMap((r) =>
    (r.body?.resourceLogs ?? []).flatMap((rl) =>
      rl.scopeLogs.flatMap((sl) =>
        sl.logRecords.map((record) => ({
          uid: (record.attributes ?? []).find((a) => a.key === 'log.record.uid')?.value
            .stringValue as string,
          record: {
            timeUnixNano: record.timeUnixNano,
            severityText: record.severityText,
            traceId: record.traceId,
            attributes: (record.attributes ?? []).filter((a) => a.key !== 'log.record.uid'),
          },
        })),
      ),
    ),
  );
}

/** What the classic line of a sample gives, in the same terms. */
async function classic(line: string, format: string) {
  const parsed = await parseObject(`${line}\n`, { format: format as 'alb' });
  const record = parsed.records[0];
  const attributes = withNodeIpNamed(record.attributes);
  return {
    timeUnixNano: record.timeUnixNano,
    severityText: record.severityText,
    traceId: record.traceId,
    attributes,
  };
}

describe('a vended Parquet object', () => {
  it('gives every row the record its classic line gives, its uid the row’s index', async () => {
    receiver.requests.length = 0;
    const result = await ship(item('access'));
    expect(result).toMatchObject({
      lines: ROWS,
      accepted: ROWS,
      failed: 0,
      parseErrors: 0,
      done: true,
    });
    const got = delivered();
    const prefix = recordUidPrefix({ bucket: TEST_BUCKET, key: keys.access, etag: etags.access });
    expect(got.map((d) => d.uid).sort()).toEqual(
      Array.from({ length: ROWS }, (_, i) => `${prefix}:${i}`).sort(),
    );
    const expected = await Promise.all(ACCESS.map((s) => classic(s.classic, s.format)));
    for (const d of got) {
      const row = Number(d.uid.split(':')[1]);
      expect(d.record, d.uid).toEqual(expected[row % ACCESS.length]);
    }
  });

  it.each(['ALB_ACCESS_LOGS', 'ALB_CONNECTION_LOGS', 'ALB_HEALTH_CHECK_LOGS', 'NLB_ACCESS_LOGS'])(
    'of %s gives each row the record of the same request’s classic line',
    async (logType) => {
      const samples = SAMPLES.filter((s) => s.logType === logType);
      const key = `samples/${logType.toLowerCase()}.parquet`;
      const body = parquetOf(
        samples.map((s) => s.record),
        1,
      );
      const etag = await s3.put(key, body);
      receiver.requests.length = 0;
      const result = await ship({
        bucket: TEST_BUCKET,
        key,
        etag,
        size: body.length,
        compression: 'parquet',
        start: 0,
        end: body.length,
      });
      expect(result).toMatchObject({
        lines: samples.length,
        accepted: samples.length,
        parseErrors: 0,
      });
      const expected = await Promise.all(samples.map((s) => classic(s.classic, s.format)));
      const got = delivered().sort(
        (a, b) => Number(a.uid.split(':')[1]) - Number(b.uid.split(':')[1]),
      );
      expect(got.map((d) => d.record)).toEqual(expected);
    },
  );

  it('reads typed columns (numbers, nulls) as the classic line’s values', async () => {
    receiver.requests.length = 0;
    const result = await ship(item('health'));
    expect(result).toMatchObject({ lines: HEALTH.length, accepted: HEALTH.length, parseErrors: 0 });
    const expected = await Promise.all(HEALTH.map((s) => classic(s.classic, s.format)));
    expect(delivered().map((d) => d.record)).toEqual(expected);
  });

  it('ships each row once however it is cut, or stopped and resumed between row groups', async () => {
    const groups = rowGroupsOf(await parquetFooter(new Uint8Array(ACCESS_PARQUET).buffer));
    expect(groups.length).toBeGreaterThan(5);
    const size = ACCESS_PARQUET.length;
    for (const cuts of [
      [size / 3, (2 * size) / 3],
      [groups[2].start, groups[2].start + 1],
      [1, size - 1],
    ]) {
      receiver.requests.length = 0;
      const points = [0, ...cuts.map(Math.floor), size];
      let lines = 0;
      for (let i = 1; i < points.length; i++) {
        lines += (await ship(item('access', points[i - 1], points[i]))).lines;
      }
      expect(lines, String(cuts)).toBe(ROWS);
      expect(new Set(delivered().map((d) => d.uid)).size).toBe(ROWS);
    }
    receiver.requests.length = 0;
    let from = 0;
    let calls = 0;
    for (;;) {
      calls++;
      let asked = 0;
      const result = await ship(item('access'), { from, shouldStop: () => ++asked > 1 });
      if (result.done) break;
      expect(groups.map((g) => g.start)).toContain(result.cursor);
      from = result.cursor;
    }
    expect(calls).toBeGreaterThan(2);
    expect(delivered().map((d) => d.uid)).toHaveLength(ROWS);
    expect(new Set(delivered().map((d) => d.uid)).size).toBe(ROWS);
  });

  it('fails a row group over the size bound by name, its rows counted failed', async () => {
    const config = loadExportConfig({}, { endpoint: receiver.url });
    const exporter = createOtlpExporter(config, SYSTEM_CLOCK);
    try {
      const result = await shipParquet({
        file: new Uint8Array(ACCESS_PARQUET).buffer,
        parser: { identity: { key: 'big.parquet' }, config: loadMappingConfig({}) },
        exporter,
        protocol: config.protocol,
        limits: { maxRecords: 100, maxBytes: config.maxBatchBytes },
        concurrency: 1,
        nowNanos: () => 0n,
        maxRowGroupBytes: 1000,
      });
      expect(result.readError?.name).toBe('ParquetRowGroupTooLargeError');
      expect(result.readError?.message).toMatch(
        /^big\.parquet: row group 0 holds \d+ bytes uncompressed/,
      );
      expect(result).toMatchObject({ lines: ROWS, failed: ROWS, accepted: 0 });
    } finally {
      await exporter.close();
    }
  });

  it('is planned by content beside a Parquet file of other columns, which is skipped as no log', async () => {
    receiver.requests.length = 0;
    const { outcome, plan, report } = await runLocally({
      s3,
      receiver,
      input: { bucket: TEST_BUCKET, prefix: 'parquet/', chunkBytes: 1024 * 1024 },
      runId: 'parquet-run',
      concurrency: 2,
    });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(plan).toMatchObject({ objects: 2, skipped: { notALog: 1 } });
    const lines = ROWS + HEALTH.length;
    expect(report).toMatchObject({ lines, accepted: lines, failed: 0 });
  });

  it('is planned by its name, so that its chunk fails naming why, when its footer cannot be read', async () => {
    const key =
      'sealed-parquet/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/09/10/alb-access.parquet';
    await s3.put(key, ACCESS_PARQUET);
    const strict = await startStrictS3(s3.endpoint, s3.client);
    // The content check's first read is answered, its footer reads are not.
    strict.readsLeft.set(key, 1);
    const client = s3.clientFor(strict.url);
    try {
      const { plan, report } = await runLocally({
        s3,
        receiver,
        client,
        input: { bucket: TEST_BUCKET, prefix: 'sealed-parquet/' },
        runId: 'parquet-sealed',
        concurrency: 1,
      });
      expect(plan).toMatchObject({ objects: 1, skipped: { notALog: 0 } });
      expect(report).toMatchObject({
        failedChunks: 1,
        failures: [{ key, error: { name: 'ObjectAccessDeniedError' } }],
      });
    } finally {
      client.destroy();
      await strict.close();
    }
  });

  it('runs for the load balancers asked, taking each Parquet object by its first row’s elb', async () => {
    const { plan } = await runLocally({
      s3,
      receiver,
      input: {
        bucket: TEST_BUCKET,
        prefix: 'parquet/',
        dryRun: true,
        loadBalancers: ['my-loadbalancer'],
      },
      runId: 'parquet-by-lb',
      concurrency: 1,
    });
    expect(plan).toMatchObject({ objects: 2, skipped: { notALog: 1 } });
  });
});

describe('reading a Parquet file', () => {
  const stub = (fail?: (batch: number) => boolean) => {
    let batches = 0;
    return {
      sent: () => batches,
      exporter: {
        async export(batch: { records: number }) {
          batches++;
          if (fail?.(batches)) {
            return {
              status: 'failure' as const,
              failed: batch.records,
              retries: 0,
              error: new Error('400 Bad Request'),
            };
          }
          return { status: 'success' as const, accepted: batch.records, rejected: 0, retries: 0 };
        },
        async close() {},
      },
    };
  };
  const options = (file: AsyncBuffer) => ({
    file,
    parser: { identity: { key: 'k.parquet' }, config: loadMappingConfig({}) },
    protocol: 'http/protobuf' as const,
    limits: { maxRecords: 10, maxBytes: 4 * 1024 * 1024 },
    concurrency: 1,
    nowNanos: () => 0n,
  });
  const buffer = () => new Uint8Array(ACCESS_PARQUET).buffer;

  it('keeps an S3 read error as it was thrown, so that it is retried', async () => {
    let reads = 0;
    const file = {
      byteLength: ACCESS_PARQUET.length,
      async slice(a: number, b?: number) {
        if (++reads === 3) throw new ObjectReadRetryableError('s3://b/k.parquet: 503 Slow Down');
        return buffer().slice(a, b);
      },
    };
    const { exporter } = stub();
    const result = await shipParquet({ ...options(file), exporter });
    expect(result.readError).toBeInstanceOf(ObjectReadRetryableError);
    expect(result.lines).toBe(ROWS);
    expect(result.lines).toBe(result.accepted + result.rejected + result.failed);
  });

  it('goes on after a batch the receiver refused for good, and stops reading after a stop, calling onReadEnd once', async () => {
    const refusing = stub((n) => n === 1);
    const result = await shipParquet({ ...options(buffer()), exporter: refusing.exporter });
    expect(result).toMatchObject({ lines: ROWS, failed: 10, accepted: ROWS - 10 });
    // Every row group sent, in batches of 10 (the last of each row group shorter).
    expect(refusing.sent()).toBe(29);
    let ends = 0;
    const stopped = await shipParquet({
      ...options(buffer()),
      exporter: stub().exporter,
      shouldStop: () => true,
      onReadEnd: () => ends++,
    });
    expect(stopped.done).toBe(false);
    expect(ends).toBe(1);
  });

  it('orders row groups by their bytes, a dictionary page at 0 counting as none', async () => {
    const metadata = await parquetFooter(buffer());
    const changed = {
      ...metadata,
      row_groups: [...metadata.row_groups].reverse().map((group) => ({
        ...group,
        columns: group.columns.map((column) => ({
          ...column,
          meta_data: column.meta_data && { ...column.meta_data, dictionary_page_offset: 0n },
        })),
      })),
    };
    const spans = rowGroupsOf(changed);
    const starts = spans.map((s) => s.start);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(new Set(starts).size).toBe(spans.length);
    expect(starts[0]).toBeGreaterThanOrEqual(4);
    // The footer's order still gives each its first row.
    expect(spans.at(-1)?.firstRow).toBe(0);
  });
});
