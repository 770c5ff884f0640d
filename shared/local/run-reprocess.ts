/**
 * Runs the reprocessing state machine on this machine: the same ASL
 * (`statemachines/reprocess.asl.json`) through aws-local-stepfunctions, with
 * the Lambda tasks as local functions. aws-local-stepfunctions has no
 * Distributed Map (no ItemReader, no ResultWriter), so its Map state is run
 * by a small adapter instead: it reads the JSONL files the ItemReader
 * lists (`LOAD_AND_FLATTEN`), runs the ItemProcessor (the same child workflow, loop, retries and
 * catch) for each unit item with bounded concurrency, and writes
 * ResultWriter's layout (`<Prefix>/<run>/manifest.json`, `SUCCEEDED_0.jsonl`,
 * `FAILED_0.jsonl`, as `WriterConfig` asks) so the report step reads the same files here and in AWS.
 * It holds items and the worker's input and output to Step Functions'
 * 256 KiB, as AWS does: an item over it fails the Map (and the run), a
 * worker's input or output over it fails its child, whatever the child's
 * Catch says.
 */

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ExecutionAbortedError, ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { type ChildExecutionType, STATE_PAYLOAD_BYTES } from '../contract/state-machine.ts';
import { listPages } from '../s3/listing.ts';
import { objectLines } from '../s3/object-lines.ts';

const DEFINITION_URL = new URL('../../statemachines/reprocess.asl.json', import.meta.url);
/**
 * A task's time limit here when the definition sets none: aws-local-stepfunctions
 * stops a task after 60 s by default, while a pass over many units, or one
 * large unit, takes longer on this machine (in AWS the Lambda's timeout
 * bounds each call, and a Map state has no time limit).
 */
const LOCAL_TASK_TIMEOUT_SECONDS = 86_400;

/** A Task or Map state, as far as the local runner changes it. */
interface LocalState {
  Type: string;
  TimeoutSeconds?: number;
  MaxConcurrency?: number;
  ItemProcessor?: { States: Record<string, LocalState> };
}

/**
 * Gives every Task state without a time limit {@link LOCAL_TASK_TIMEOUT_SECONDS},
 * those in a Map's ItemProcessor too.
 */
function withTaskTimeouts(states: Record<string, LocalState>) {
  for (const state of Object.values(states)) {
    if (state.Type === 'Task' && state.TimeoutSeconds === undefined) {
      state.TimeoutSeconds = LOCAL_TASK_TIMEOUT_SECONDS;
    }
    if (state.ItemProcessor !== undefined) withTaskTimeouts(state.ItemProcessor.States);
  }
}

/**
 * Plan workers run at once here. In AWS each is a Lambda of its own (16 at
 * once); here they share this process's one thread and its memory, and 4
 * of them, each listing 8 parts at once, already hide a listing's latency
 * (BENCHMARKS.md, "Scale").
 */
export const LOCAL_PLAN_WORKERS_AT_ONCE = 4;

/** The error Step Functions ends a state with when its input or output is over 256 KiB. */
export const DATA_LIMIT_EXCEEDED = 'States.DataLimitExceeded';
/** Local stand-in ARNs for the `${…}` names filled in at deployment. */
const LOCAL_ARN = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

type Json = unknown;
export type LocalTask = (input: Json) => Promise<Json> | Json;

/** The children's execution type here: this machine has no 5-minute limit to keep to. */
export const LOCAL_CHILD_EXECUTION_TYPE: ChildExecutionType = 'STANDARD';

export interface LocalRunOptions {
  /** The execution input (docs/design.md#run-input). */
  input: Json;
  /** The execution's name: the run id. */
  runId: string;
  s3: S3Client;
  /** The Lambda tasks: as local-steps.ts builds them from the engines, or the packaged handlers. */
  plan: LocalTask;
  processChunk: LocalTask;
  report: LocalTask;
  /** The step between passes (in AWS the report function runs it too). */
  nextPass: LocalTask;
  /** Units shipped at once here, whatever the input's maxConcurrency. */
  concurrency: number;
  /** How the children run (default {@link LOCAL_CHILD_EXECUTION_TYPE}). */
  childExecutionType?: ChildExecutionType;
  /** Seconds between passes (default: the definition's). */
  passWaitSeconds?: number;
  /** Called after each child of a pass with the children done so far and its answer. */
  onUnit?: (done: number, total: number, result: Json) => void;
  /** Told of each Distributed Map run: its start, its children's, its end (a Step Functions stand-in's Map Runs). */
  mapRuns?: MapRunObserver;
  /** Stops the execution (as StopExecution does): no child starts after it, and the run ends ABORTED. */
  signal?: AbortSignal;
}

/** What a Map Run reports as it goes, as DescribeMapRun counts it. */
export interface MapRunObserver {
  /** A pass's Map Run began, over `items` units. */
  started(mapRunId: string, items: number): void;
  /** A child began. */
  childStarted(mapRunId: string): void;
  /** A child ended. */
  childEnded(mapRunId: string, status: 'SUCCEEDED' | 'FAILED'): void;
  /** The Map Run ended: its results are written, or it was stopped. */
  ended(mapRunId: string, status: 'SUCCEEDED' | 'FAILED' | 'ABORTED'): void;
}

export interface LocalRunOutcome {
  /** SUCCEEDED, FAILED with the error that ended the execution, or ABORTED when stopped. */
  status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  error?: { name: string; message: string };
  /** The execution's output (the report summary, or the plan for a dry run). */
  output: Json;
}

/** Runs one execution of the reprocessing state machine locally. */
export async function runReprocessLocally(options: LocalRunOptions): Promise<LocalRunOutcome> {
  const childType = options.childExecutionType ?? LOCAL_CHILD_EXECUTION_TYPE;
  const definition = JSON.parse(
    readFileSync(DEFINITION_URL, 'utf8').replace(/\$\{(\w+)\}/g, (_, name) =>
      name === 'ChildExecutionType' ? childType : LOCAL_ARN(name),
    ),
  );
  withTaskTimeouts(definition.States);
  definition.States.PlanParts.MaxConcurrency = LOCAL_PLAN_WORKERS_AT_ONCE;
  const map = definition.States.ShipUnits;
  requireFlattenedListing(map.ItemReader);
  requireCompactLines(map.ResultWriter);
  const { ProcessorConfig: _, ...processor } = map.ItemProcessor;
  // The Map state becomes a task whose parameters are what the Map's
  // ItemReader, ResultWriter and MaxConcurrencyPath evaluate to.
  definition.States.ShipUnits = {
    Type: 'Task',
    Resource: LOCAL_ARN('LocalDistributedMap'),
    Parameters: {
      reader: map.ItemReader.Parameters,
      writer: map.ResultWriter.Parameters,
      'maxConcurrency.$': map.MaxConcurrencyPath,
    },
    ResultPath: map.ResultPath,
    Next: map.Next,
    TimeoutSeconds: LOCAL_TASK_TIMEOUT_SECONDS,
  };
  let output: Json;
  const report: LocalTask = async (input) => {
    output = await options.report(input);
    return output;
  };
  const distributedMap: LocalTask = (parameters) =>
    runMapLocally(parameters as MapParameters, processor, options);
  const execution = new StateMachine(definition).run(options.input as never, {
    overrides: {
      taskResourceLocalHandlers: {
        Plan: options.plan as never,
        PlanPart: options.plan as never,
        PlanTotals: options.plan as never,
        ShipUnits: distributedMap as never,
        NextPass: options.nextPass as never,
        Report: report as never,
      },
      ...(options.passWaitSeconds !== undefined && {
        waitTimeOverrides: { BetweenPasses: options.passWaitSeconds * 1000 },
      }),
    },
    context: { Execution: { Name: options.runId, Input: options.input } } as never,
  });
  const stop = () => execution.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    return { status: 'SUCCEEDED', output: await execution.result };
  } catch (error) {
    if (error instanceof ExecutionAbortedError) {
      return { status: 'ABORTED', error: { name: 'States.Aborted', message: 'stopped' }, output };
    }
    if (!(error instanceof ExecutionError)) throw error;
    const cause = error.cause as Error | undefined;
    return {
      status: 'FAILED',
      error: { name: cause?.name ?? error.name, message: cause?.message ?? error.message },
      output,
    };
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
}

/**
 * The ItemReader this adapter reads as AWS would: every JSONL file listed
 * under a prefix, each line an item (`LOAD_AND_FLATTEN`); a definition that
 * reads otherwise fails here rather than run another way than in AWS.
 */
function requireFlattenedListing(reader: {
  Resource?: string;
  ReaderConfig?: { InputType?: string; Transformation?: string };
}): void {
  const { Resource, ReaderConfig } = reader;
  if (
    Resource !== 'arn:aws:states:::s3:listObjectsV2' ||
    ReaderConfig?.InputType !== 'JSONL' ||
    ReaderConfig.Transformation !== 'LOAD_AND_FLATTEN'
  ) {
    throw new Error(
      `the local Distributed Map reads JSONL files listed under a prefix (s3:listObjectsV2, LOAD_AND_FLATTEN); the definition's ItemReader is ${JSON.stringify(reader)}`,
    );
  }
}

/**
 * The ResultWriter layout this adapter writes as AWS would: JSON Lines, a
 * child's output a line for those that succeeded (`COMPACT`), the whole
 * record for those that failed (which AWS writes in full whatever the
 * transformation).
 */
function requireCompactLines(writer: {
  WriterConfig?: { OutputType?: string; Transformation?: string };
}): void {
  const config = writer.WriterConfig;
  if (config?.OutputType !== 'JSONL' || config.Transformation !== 'COMPACT') {
    throw new Error(
      `the local Distributed Map writes JSONL results, COMPACT (WriterConfig); the definition's ResultWriter is ${JSON.stringify(writer)}`,
    );
  }
}

/** The items of every JSONL file listed under the reader's prefix, in key order, with where each was read. */
async function readItems(
  s3: S3Client,
  reader: { Bucket: string; Prefix: string },
): Promise<{ line: string; where: string }[]> {
  const items: { line: string; where: string }[] = [];
  for await (const page of listPages(s3, { Bucket: reader.Bucket, Prefix: reader.Prefix })) {
    for (const { key } of page.objects) {
      let at = 0;
      for await (const line of objectLines(s3, reader.Bucket, key)) {
        items.push({ line, where: `item ${at++} of s3://${reader.Bucket}/${key}` });
      }
    }
  }
  return items;
}

interface MapParameters {
  reader: { Bucket: string; Prefix: string };
  writer: { Bucket: string; Prefix: string };
  maxConcurrency: number;
}

/** One child execution as ResultWriter records it. */
interface ChildRecord {
  ExecutionArn: string;
  Name: string;
  Input: string;
  Status: 'SUCCEEDED' | 'FAILED';
  Output?: string;
  Error?: string;
  Cause?: string;
}

async function runMapLocally(
  parameters: MapParameters,
  processor: unknown,
  options: LocalRunOptions,
): Promise<Json> {
  const { s3 } = options;
  const lines = await readItems(s3, parameters.reader);
  for (const { line, where } of lines) {
    const bytes = Buffer.byteLength(line);
    if (bytes > STATE_PAYLOAD_BYTES) {
      throw new DataLimitExceededError(
        `${where} is ${bytes} bytes, over the ${STATE_PAYLOAD_BYTES} a child execution's input may be`,
      );
    }
  }
  const items = lines.map(({ line }) => JSON.parse(line) as Json);
  const workerResultPath = (processor as { States: Record<string, { ResultPath?: string }> }).States
    .ProcessUnit?.ResultPath;
  const mapRunId = randomUUID();
  const { mapRuns, signal } = options;
  mapRuns?.started(mapRunId, items.length);
  const machine = new StateMachine(processor as never);
  const records: ChildRecord[] = new Array(items.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < items.length && signal?.aborted !== true) {
      const at = next++;
      mapRuns?.childStarted(mapRunId);
      const name = `${mapRunId}-${at}`;
      const base = {
        ExecutionArn: `arn:aws:states:local:000000000000:execution:reprocess/ShipUnits:${name}`,
        Name: name,
        Input: JSON.stringify(items[at]),
      };
      // An answer over the limit fails the child in AWS, past any Catch.
      let exceeded: string | undefined;
      const task: LocalTask = async (input) => {
        const inputBytes = Buffer.byteLength(JSON.stringify(input) ?? '');
        if (inputBytes > STATE_PAYLOAD_BYTES) {
          exceeded = `the worker's input is ${inputBytes} bytes, over the ${STATE_PAYLOAD_BYTES} a task's input may be`;
          throw new DataLimitExceededError(exceeded);
        }
        const answer = await options.processChunk(input);
        const bytes = stateOutputBytes(input, answer, workerResultPath);
        if (bytes > STATE_PAYLOAD_BYTES) {
          exceeded = `the worker's state output is ${bytes} bytes, over the ${STATE_PAYLOAD_BYTES} a state's output may be`;
          throw new DataLimitExceededError(exceeded);
        }
        return answer;
      };
      try {
        const result = await machine.run(items[at] as never, {
          overrides: { taskResourceLocalHandlers: { ProcessUnit: task as never } },
          context: { Execution: { Name: name } } as never,
        }).result;
        const output = JSON.stringify(result);
        if (exceeded === undefined && Buffer.byteLength(output) > STATE_PAYLOAD_BYTES) {
          exceeded = `the child's output is ${Buffer.byteLength(output)} bytes, over the ${STATE_PAYLOAD_BYTES} a state's output may be`;
        }
        if (exceeded !== undefined) throw new DataLimitExceededError(exceeded);
        records[at] = { ...base, Status: 'SUCCEEDED', Output: output };
        mapRuns?.childEnded(mapRunId, 'SUCCEEDED');
        options.onUnit?.(++done, items.length, result);
      } catch (error) {
        const cause =
          exceeded !== undefined
            ? new DataLimitExceededError(exceeded)
            : ((error as Error).cause as Error | undefined);
        records[at] = {
          ...base,
          Status: 'FAILED',
          Error: cause?.name ?? (error as Error).name,
          Cause: cause?.message ?? (error as Error).message,
        };
        mapRuns?.childEnded(mapRunId, 'FAILED');
        options.onUnit?.(++done, items.length, null);
      }
    }
  };
  const concurrency = Math.max(1, Math.min(options.concurrency, parameters.maxConcurrency));
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (signal?.aborted === true) {
    mapRuns?.ended(mapRunId, 'ABORTED');
    throw new Error('the execution was stopped');
  }

  const dir = `${parameters.writer.Prefix}/${mapRunId}`;
  const put = (key: string, body: string) =>
    s3.send(
      new PutObjectCommand({
        Bucket: parameters.writer.Bucket,
        Key: key,
        Body: body,
        ContentType: key.endsWith('.jsonl') ? 'application/jsonl' : 'application/json',
      }),
    );
  const jsonLines = (values: unknown[]) =>
    values.map((value) => `${JSON.stringify(value)}\n`).join('');
  // COMPACT: a succeeded child's output alone; a failed one's whole record.
  const succeeded = jsonLines(
    records.filter((r) => r.Status === 'SUCCEEDED').map((r) => JSON.parse(r.Output as string)),
  );
  const failed = jsonLines(records.filter((r) => r.Status === 'FAILED'));
  await put(`${dir}/SUCCEEDED_0.jsonl`, succeeded);
  await put(`${dir}/FAILED_0.jsonl`, failed);
  const manifestKey = `${dir}/manifest.json`;
  await put(
    manifestKey,
    JSON.stringify({
      DestinationBucket: parameters.writer.Bucket,
      MapRunArn: `arn:aws:states:local:000000000000:mapRun:reprocess/ShipUnits:${mapRunId}`,
      ResultFiles: {
        SUCCEEDED: [{ Key: `${dir}/SUCCEEDED_0.jsonl`, Size: Buffer.byteLength(succeeded) }],
        FAILED: [{ Key: `${dir}/FAILED_0.jsonl`, Size: Buffer.byteLength(failed) }],
        PENDING: [],
      },
    }),
  );
  mapRuns?.ended(mapRunId, 'SUCCEEDED');
  return {
    MapRunArn: `arn:aws:states:local:000000000000:mapRun:reprocess/ShipUnits:${mapRunId}`,
    ResultWriterDetails: { Bucket: parameters.writer.Bucket, Key: manifestKey },
  };
}

/**
 * A task state's output size: its answer, or with a `ResultPath` inside the
 * input, the input with the answer added (near enough: the key it goes under
 * is left out).
 */
function stateOutputBytes(input: Json, answer: Json, resultPath: string | undefined): number {
  const answerBytes = Buffer.byteLength(JSON.stringify(answer) ?? '');
  if (resultPath === undefined || resultPath === '$') return answerBytes;
  return Buffer.byteLength(JSON.stringify(input) ?? '') + answerBytes;
}

/** An item or an answer over Step Functions' 256 KiB: named as AWS names it. */
export class DataLimitExceededError extends Error {
  override readonly name = DATA_LIMIT_EXCEEDED;
}
