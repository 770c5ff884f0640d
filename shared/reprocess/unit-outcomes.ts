/**
 * What became of each work unit, read from what the Distributed Map's
 * ResultWriter wrote for one or more passes (`manifest.json`, then the
 * files it names: JSON Lines, one child a line, `COMPACT` (a child's output)
 * for those that succeeded and in full (`Input` as JSON text, `Error`,
 * `Cause`) for those that failed; JSON arrays of full records are read
 * too). Each file is read as a stream, a line at a time, so a pass of any
 * size is read in bounded memory (docs/design.md#report): the results of a
 * unit's chunks finished, with its chunks, and for a unit not finished
 * where it stopped, why, and the item that carries it on
 * (docs/design.md#passes).
 */

import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { count } from '../contract/counts.ts';
import { ReportInputError } from '../contract/errors.ts';
import { describeProblems, type Problem, parseOrThrow } from '../contract/parse.ts';
import {
  type ChildExecution,
  type ChunkError,
  type ChunkItem,
  type CompactChunkResult,
  childExecutionSchema,
  type MapResults,
  resultManifestSchema,
  type UnitCursor,
  type UnitInput,
  unitInputSchema,
  unitResultSchema,
} from '../contract/state-machine.ts';
import { objectLines } from '../s3/object-lines.ts';

export interface UnitOutcome {
  unit: number;
  /** The unit's chunks (from its answer, or its input). */
  chunks: ChunkItem[];
  /** The results of the unit's chunks finished, in order. */
  results: CompactChunkResult[];
  /** Where an unfinished unit stopped. */
  cursor?: UnitCursor;
  /** Why it did not finish: the stall, the error its child caught or failed with. */
  error?: ChunkError;
  /**
   * How an unfinished unit ended its pass: `paused` (its child ran out of
   * time), `stalled` (the Collector or S3 unavailable), or `failed` (its
   * worker or its child failed).
   */
  ended?: 'paused' | 'stalled' | 'failed';
  /** The input that carries an unfinished unit on (its item, cursor and results). */
  next?: UnitInput;
}

/** A child's output after its `Catch`: the unit's last input and the error caught. */
const caughtSchema = z.object({
  failure: z.object({ Error: z.string().optional(), Cause: z.string().optional() }),
  /** Set by `UnitRefused`: the worker refused its input (ChunkInputError). */
  refused: z.literal(true).optional(),
});

/**
 * Every unit's last outcome over `passes` (a later pass's replaces an
 * earlier one's), each once: the passes are read from the last, and a unit
 * met again in an earlier pass is passed over. `seen` collects the units met
 * (the report then finds the ones with no outcome in the manifest), and
 * `count.children` the child executions that answered.
 */
export async function* lastOutcomes(
  client: S3Client,
  passes: readonly MapResults[],
  seen: Set<number>,
  count: { children: number },
): AsyncGenerator<UnitOutcome> {
  for (const pass of [...passes].reverse()) {
    for await (const outcome of passOutcomes(client, pass)) {
      count.children++;
      if (seen.has(outcome.unit)) continue;
      seen.add(outcome.unit);
      yield outcome;
    }
  }
}

/** The outcome of every unit one pass ran, a child at a time. */
export async function* passOutcomes(
  client: S3Client,
  pass: MapResults,
): AsyncGenerator<UnitOutcome> {
  const { Bucket: bucket, Key: key } = pass.ResultWriterDetails;
  const files =
    parseOrThrow(resultManifestSchema, await readJson(client, bucket, key), notResults(bucket, key))
      .ResultFiles ?? {};
  for (const file of files.SUCCEEDED ?? []) {
    const where = `s3://${bucket}/${file.Key}`;
    for await (const child of childLines(client, bucket, file.Key)) {
      // COMPACT: the line is the child's output; a full record holds it as text.
      const output = isRecord(child)
        ? parseJson(child.Output, z.unknown(), where, 'Output')
        : child;
      const outcome = succeeded(output, where);
      if (outcome !== undefined) yield outcome;
    }
  }
  for (const file of files.FAILED ?? []) {
    const where = `s3://${bucket}/${file.Key}`;
    for await (const line of childLines(client, bucket, file.Key)) {
      const child = parseOrThrow(childExecutionSchema, line, notResults(bucket, file.Key));
      const input = parseJson(child.Input, unitInputSchema, where, 'Input');
      yield unfinished(
        input,
        { name: child.Error ?? 'ChildExecutionFailed', message: child.Cause ?? '' },
        'failed',
      );
    }
  }
}

/** Whether a result line is a full child record (with its output as JSON text). */
function isRecord(line: unknown): line is ChildExecution {
  // A unit's answer never has an `Output` of its own.
  return (
    typeof line === 'object' &&
    line !== null &&
    typeof (line as { Output?: unknown }).Output === 'string'
  );
}

function succeeded(output: unknown, file: string): UnitOutcome | undefined {
  const caught = caughtSchema.safeParse(output);
  if (caught.success && caught.data.refused === true) {
    // Not a unit: no pass can ship it; its chunks are reported without a result.
    const { Error: name, Cause: message } = caught.data.failure;
    const unit = z.object({ unit: count }).safeParse(output);
    return unit.success
      ? {
          unit: unit.data.unit,
          chunks: [],
          results: [],
          error: { name: name ?? 'ChunkInputError', message: message ?? '' },
        }
      : undefined;
  }
  if (caught.success) {
    const input = validated(output, unitInputSchema, file);
    const { Error: name, Cause: message } = caught.data.failure;
    return unfinished(
      input,
      { name: name ?? 'ChildExecutionFailed', message: message ?? '' },
      'failed',
    );
  }
  const result = validated(output, unitResultSchema, file);
  if (result.done) return { unit: result.unit, chunks: result.chunks, results: result.results };
  return unfinished(
    {
      unit: result.unit,
      chunks: result.chunks,
      ...(result.deleteShipped !== undefined && { deleteShipped: result.deleteShipped }),
      cursor: result.cursor,
      results: result.results,
    },
    result.stalled ?? {
      name: 'NotDone',
      message: 'the unit did not finish in the passes the run allows',
    },
    result.stalled === undefined ? 'paused' : 'stalled',
  );
}

function unfinished(
  input: UnitInput,
  error: ChunkError,
  ended: NonNullable<UnitOutcome['ended']>,
): UnitOutcome {
  return {
    unit: input.unit,
    chunks: input.chunks,
    results: input.results,
    cursor: input.cursor ?? { chunk: 0 },
    error,
    ended,
    next: input,
  };
}

/** `text` (a child's Input or Output) parsed as JSON and validated, or ReportInputError naming the file. */
function parseJson<T>(
  text: string | undefined,
  schema: z.ZodType<T>,
  file: string,
  field: string,
): T {
  let json: unknown;
  try {
    json = JSON.parse(text ?? 'null');
  } catch (error) {
    throw new ReportInputError(`${file}: a child's ${field} is not JSON`, { cause: error });
  }
  return validated(json, schema, file, field);
}

/** A child's output validated, or ReportInputError naming the file and every bad field. */
function validated<T>(json: unknown, schema: z.ZodType<T>, file: string, field = 'Output'): T {
  return parseOrThrow(
    schema,
    json,
    (problems) =>
      new ReportInputError(
        `${file}: a child's ${field} is not a unit's: ${describeProblems(problems)}`,
      ),
  );
}

/**
 * The children of one ResultWriter file, one at a time: a line each of a
 * JSON Lines file, or the elements of a JSON array (told by its first
 * character, whatever the file's name; an array is read whole).
 */
async function* childLines(client: S3Client, bucket: string, key: string): AsyncGenerator<unknown> {
  let at = 0;
  let array: string[] | undefined;
  for await (const line of objectLines(client, bucket, key)) {
    if (at++ === 0 && line.trimStart().startsWith('[')) array = [];
    if (array !== undefined) {
      array.push(line);
      continue;
    }
    try {
      yield JSON.parse(line);
    } catch (error) {
      throw new ReportInputError(`s3://${bucket}/${key}: line ${at} is not JSON`, { cause: error });
    }
  }
  if (array === undefined) return;
  let children: unknown;
  try {
    children = JSON.parse(array.join('\n'));
  } catch (error) {
    throw new ReportInputError(`s3://${bucket}/${key} is not JSON`, { cause: error });
  }
  yield* parseOrThrow(z.array(z.unknown()), children, notResults(bucket, key));
}

/** The error for a ResultWriter file that is not one, naming it and every bad field. */
function notResults(bucket: string, key: string) {
  return (problems: Problem[]) =>
    new ReportInputError(
      `s3://${bucket}/${key} is not a Distributed Map result file: ${describeProblems(problems)}`,
    );
}

/** A run file as JSON, or ReportInputError naming it. */
async function readJson(client: S3Client, bucket: string, key: string): Promise<unknown> {
  const text = await readText(client, bucket, key);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ReportInputError(`s3://${bucket}/${key} is not JSON`, { cause: error });
  }
}

/** A run file's text. */
async function readText(client: S3Client, bucket: string, key: string): Promise<string> {
  const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (answer.Body as { transformToString(): Promise<string> }).transformToString();
}
