/**
 * The reprocessing state machine's definition: valid ASL (asl-validator), and
 * with Express or Standard children, and its ItemProcessor run with
 * aws-local-stepfunctions, with the real unit worker as the local task
 * against s3rver and the test OTLP receiver: the loop while the child has
 * time, the unit left for the next pass, the retries and the catches. The Lambda context
 * is the one stand-in (no local Lambda runtime): its remaining time reads the
 * injected clock.
 */

import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChunkItem } from '../../shared/contract/state-machine.ts';
import { generateAlbLines } from '../../shared/generate/alb-lines.ts';
import type { ExporterClock } from '../../shared/otlp/exporter.ts';
import { CHILD_BUDGET_MS } from '../../shared/reprocess/unit-step.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { startS3, type TestS3 } from '../helpers/s3.ts';
import { contextFor, steppingClock, uids, unitWorker } from '../helpers/ship.ts';

const TEXT = readFileSync(
  new URL('../../statemachines/reprocess.asl.json', import.meta.url),
  'utf8',
);
/** The definition as deployed: `${…}` names filled in with function ARNs and the children's type. */
const definitionWith = (type: string) =>
  JSON.parse(
    TEXT.replace(/\$\{(\w+)\}/g, (_, name) =>
      name === 'ChildExecutionType'
        ? type
        : `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    ),
  );
const DEFINITION = definitionWith('EXPRESS');
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

/** The unit worker as the state machine's local task, each call with a 60 s budget. */
function processChunkTask(clock: ExporterClock) {
  const { run, close } = unitWorker({
    s3: s3.client,
    endpoint: receiver.url,
    clock,
    env: { ELB_OTLP_MAX_BATCH_RECORDS: '100' },
    rangeBytes: 16 * 1024,
  });
  let calls = 0;
  const task = (input: unknown) => {
    calls++;
    return run(input, contextFor(clock, 60_000));
  };
  return { task, calls: () => calls, close };
}

type Task = (input: unknown) => unknown;

/**
 * Runs the Distributed Map's child workflow on one unit item, with `task`
 * as the worker (the library types task values as JSON; unit items and
 * results are JSON objects). The child's start (`$$.Execution.StartTime`)
 * is the time it runs: a worker's clock set ahead stands for a child begun
 * earlier.
 */
async function processItem(
  item: unknown,
  task: Task,
  retryIntervalOverrides?: Record<string, number>,
): Promise<Record<string, unknown>> {
  const { ProcessorConfig: _, ...processor } = DEFINITION.States.ShipUnits.ItemProcessor;
  const execution = new StateMachine(processor).run(item as never, {
    overrides: {
      taskResourceLocalHandlers: { ProcessUnit: task as never },
      ...(retryIntervalOverrides !== undefined && { retryIntervalOverrides }),
    },
  });
  return (await execution.result) as Record<string, unknown>;
}

describe('the reprocessing state machine', () => {
  it.each(['EXPRESS', 'STANDARD'])(
    'is valid ASL with %s children, a JSONL ItemReader and a ResultWriter on its Distributed Map',
    (type) => {
      const definition = definitionWith(type);
      const { isValid, errorsText } = aslValidator(definition);
      expect(isValid, errorsText?.('\n')).toBe(true);
      const map = definition.States.ShipUnits;
      expect(map.ItemProcessor.ProcessorConfig).toEqual({
        Mode: 'DISTRIBUTED',
        ExecutionType: type,
      });
      expect(map.ItemProcessor.States.ProcessUnit.Parameters.executionType).toBe(type);
      expect(map.ItemReader.ReaderConfig.InputType).toBe('JSONL');
      expect(map.ResultWriter.Resource).toBe('arn:aws:states:::s3:putObject');
      // A failed unit never stops the others.
      expect(map.ToleratedFailurePercentage).toBe(100);
    },
  );

  it("fits an Express child's 5 minutes: the worker's budget and the retriers' waits", () => {
    const processUnit = DEFINITION.States.ShipUnits.ItemProcessor.States.ProcessUnit;
    const waits = processUnit.Retry.map(
      (r: {
        IntervalSeconds: number;
        MaxAttempts: number;
        BackoffRate: number;
        MaxDelaySeconds: number;
      }) =>
        Array.from({ length: r.MaxAttempts }, (_, n) =>
          Math.min(r.IntervalSeconds * r.BackoffRate ** n, r.MaxDelaySeconds),
        ).reduce((a, b) => a + b, 0),
    );
    expect(CHILD_BUDGET_MS / 1000 + Math.max(...waits)).toBeLessThanOrEqual(300);
    expect(
      processUnit.Retry.flatMap((r: { ErrorEquals: string[] }) => r.ErrorEquals),
    ).not.toContain('ExportRetryableError');
  });

  it('loops while its child has time, ends the unit unfinished when not, and a new child finishes it', async () => {
    // Every read of the clock takes 500 ms: a 60 s budget lasts a few pieces.
    // A worker whose clock is 200 s ahead sees a child with 70 s of its
    // budget left: one call, then the unit waits for the parent's next pass.
    const late = processChunkTask(steppingClock(500, Date.now() + CHILD_BUDGET_MS - 70_000));
    const unit = { unit: 3, chunks: [chunk] };
    const first = await processItem(unit, late.task);
    await late.close();
    expect(late.calls()).toBe(1);
    expect(first).toMatchObject({ unit: 3, done: false, carryOn: false, cursor: { chunk: 0 } });
    // A new child, its whole budget ahead, loops until the unit is done.
    const worker = processChunkTask(steppingClock(500, Date.now()));
    const second = await processItem(first, worker.task);
    await worker.close();
    expect(worker.calls()).toBeGreaterThan(1);
    expect(second).toMatchObject({ unit: 3, done: true });
    expect(second.results).toMatchObject([
      { done: true, lines: LINES, accepted: LINES, failed: 0 },
    ]);
    const delivered = uids(receiver.deliveredRecords());
    expect(delivered).toHaveLength(LINES);
    expect(new Set(delivered).size).toBe(LINES);
  });

  it('retries the Lambda service, then ships the unit', async () => {
    const clock = steppingClock(1);
    const worker = processChunkTask(clock);
    let failures = 2;
    const task = (input: unknown) => {
      if (failures-- > 0) {
        throw Object.assign(new Error('Lambda was busy'), { name: 'Lambda.ServiceException' });
      }
      return worker.task(input);
    };
    const result = await processItem({ unit: 0, chunks: [chunk] }, task, { ProcessUnit: 0 });
    await worker.close();
    expect(failures).toBe(-1);
    expect(result).toMatchObject({ done: true, results: [{ lines: LINES, accepted: LINES }] });
  });

  it('ends a unit the worker refuses (ChunkInputError) as refused, naming why', async () => {
    const clock = steppingClock(1);
    const worker = processChunkTask(clock);
    const item = { unit: 4, chunks: [{ ...chunk, end: 0 }] };
    const result = await processItem(item, worker.task);
    await worker.close();
    expect(result).toMatchObject({ ...item, refused: true, failure: { Error: 'ChunkInputError' } });
    expect((result.failure as { Cause: string }).Cause).toContain('end must be greater than start');
    expect(receiver.requests).toHaveLength(0);
  });

  it('ends a unit whose worker failed otherwise with its input and the failure, for the next pass', async () => {
    const item = { unit: 5, chunks: [chunk] };
    const result = await processItem(item, () => {
      throw new Error('the worker ran out of memory');
    });
    expect(result).toMatchObject({
      ...item,
      failure: { Error: 'Error', Cause: 'the worker ran out of memory' },
    });
    expect(result).not.toHaveProperty('refused');
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
