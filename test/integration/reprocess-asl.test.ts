/**
 * The reprocessing state machine's definition: valid ASL (asl-validator), and
 * its ItemProcessor run with aws-local-stepfunctions, with the real
 * process-chunk handler as the local task against s3rver and the test OTLP
 * receiver: the cursor loop, the retries and the catch. The Lambda context
 * is the one stand-in (no local Lambda runtime): its remaining time reads the
 * injected clock.
 */

import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadExportConfig } from '../../shared/config/export-config.ts';
import { loadMappingConfig } from '../../shared/config/mapping-config.ts';
import { ExportRetryableError } from '../../shared/contract/errors.ts';
import type { ChunkItem, ChunkResult } from '../../shared/contract/state-machine.ts';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { createOtlpExporter, type ExporterClock } from '../../shared/otlp/exporter.ts';
import { createProcessChunk } from '../../shared/reprocess/chunk-step.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { startS3, type TestS3 } from '../helpers/s3.ts';
import { steppingClock, uids } from '../helpers/ship.ts';

const TEXT = readFileSync(
  new URL('../../statemachines/reprocess.asl.json', import.meta.url),
  'utf8',
);
/** The definition as deployed: `${…}` names filled in with function ARNs. */
const DEFINITION = JSON.parse(
  TEXT.replace(
    /\$\{(\w+)\}/g,
    (_, name) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
  ),
);
const KEY =
  'AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/01/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20261101T0000Z_10.0.0.1_asl.log';
const LINES = 1200;
const LOG = `${[...generateAlbLines(LINES, { seed: 31 })].join('\n')}\n`;

let s3: TestS3;
let receiver: OtlpReceiver;
let chunk: ChunkItem;
beforeAll(async () => {
  s3 = await startS3();
  chunk = await s3.putWholeChunk(KEY, LOG);
});
afterAll(async () => {
  await s3.close();
});
beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await receiver.close();
});

/** process-chunk as the state machine's local task, each call with a 60 s budget. */
function processChunkTask(clock: ExporterClock) {
  const config = loadExportConfig(
    { ELB_OTLP_MAX_BATCH_RECORDS: '100' },
    { endpoint: receiver.url },
  );
  const exporter = createOtlpExporter(config, clock);
  const logger = { info: () => {}, warn: () => {}, error: () => {} };
  const run = createProcessChunk(() => ({
    s3: s3.client,
    exporter,
    config,
    mapping: loadMappingConfig({}),
    clock,
    logger,
    rangeBytes: 16 * 1024,
  }));
  let calls = 0;
  const task = (input: unknown) => {
    calls++;
    const end = clock.now() + 60_000;
    return run(input, { getRemainingTimeInMillis: () => end - clock.now() });
  };
  return { task, calls: () => calls, close: () => exporter.close() };
}

type Task = (input: unknown) => unknown;

/**
 * Runs the Distributed Map's child workflow on one chunk item, with `task` as
 * process-chunk (the library types task values as JSON; chunk items and
 * results are JSON objects).
 */
async function processItem(
  item: unknown,
  task: Task,
  retryIntervalOverrides?: Record<string, number>,
): Promise<ChunkResult> {
  const { ProcessorConfig: _, ...processor } = DEFINITION.States.ShipChunks.ItemProcessor;
  const execution = new StateMachine(processor).run(item as never, {
    overrides: {
      taskResourceLocalHandlers: { ProcessChunk: task as never },
      ...(retryIntervalOverrides !== undefined && { retryIntervalOverrides }),
    },
  });
  return (await execution.result) as unknown as ChunkResult;
}

describe('the reprocessing state machine', () => {
  it('is valid ASL, with a JSONL ItemReader and a ResultWriter on its Distributed Map', () => {
    const { isValid, errorsText } = aslValidator(DEFINITION);
    expect(isValid, errorsText?.('\n')).toBe(true);
    const map = DEFINITION.States.ShipChunks;
    expect(map.ItemProcessor.ProcessorConfig.Mode).toBe('DISTRIBUTED');
    expect(map.ItemReader.ReaderConfig.InputType).toBe('JSONL');
    expect(map.ResultWriter.Resource).toBe('arn:aws:states:::s3:putObject');
    // A failed chunk never stops the others.
    expect(map.ToleratedFailurePercentage).toBe(100);
  });

  it('calls process-chunk again with its cursor until the chunk is done', async () => {
    // Every read of the clock takes 500 ms: a 60 s budget lasts a few pieces.
    const worker = processChunkTask(steppingClock(500));
    const result = await processItem(chunk, worker.task);
    await worker.close();
    expect(worker.calls()).toBeGreaterThan(2);
    expect(result).toMatchObject({
      key: KEY,
      done: true,
      lines: LINES,
      accepted: LINES,
      failed: 0,
    });
    const delivered = uids(receiver.deliveredRecords());
    expect(delivered).toHaveLength(LINES);
    expect(new Set(delivered).size).toBe(LINES);
  });

  it('retries ExportRetryableError, then ships the chunk', async () => {
    const worker = processChunkTask(steppingClock(1));
    let failures = 2;
    const task = (input: unknown) => {
      if (failures-- > 0) throw new ExportRetryableError('the receiver was unavailable');
      return worker.task(input);
    };
    const result = await processItem(chunk, task, { ProcessChunk: 0 });
    await worker.close();
    expect(failures).toBe(-1);
    expect(result).toMatchObject({ done: true, lines: LINES, accepted: LINES });
  });

  it('turns an error it cannot retry into a failed chunk result naming it', async () => {
    const worker = processChunkTask(steppingClock(1));
    const result = await processItem({ ...chunk, end: 0 }, worker.task);
    await worker.close();
    expect(result).toMatchObject({
      key: KEY,
      start: 0,
      end: 0,
      done: true,
      error: { name: 'ChunkInputError' },
    });
    expect(result.error?.message).toContain('end must be greater than start');
    expect(receiver.requests).toHaveLength(0);
  });
  it.each([
    [{ failedChunks: 0, deleteFailed: 0 }, undefined],
    [{ failedChunks: 2, deleteFailed: 1 }, 'ChunksFailed'],
    [{ failedChunks: 0, deleteFailed: 3 }, 'DeletionsFailed'],
  ])('ends the run by what the report says: %j', async (report, expected) => {
    const ending = ['AllShipped?', 'SomeChunksFailed', 'SomeDeletionsFailed', 'Done'];
    const states = Object.fromEntries(ending.map((name) => [name, DEFINITION.States[name]]));
    const execution = new StateMachine({ StartAt: 'AllShipped?', States: states }).run(report);
    if (expected === undefined) {
      await expect(execution.result).resolves.toEqual(report);
      return;
    }
    const error = await execution.result.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExecutionError);
    expect(((error as ExecutionError).cause as Error).name).toBe(expected);
  });
});
