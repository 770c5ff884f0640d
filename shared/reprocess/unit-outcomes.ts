/**
 * What became of each work unit, read from what the Distributed Map's
 * ResultWriter wrote for one or more passes (`manifest.json`, then
 * `SUCCEEDED_n.json` and `FAILED_n.json`, whose `Input`/`Output` are JSON
 * strings): the results of its chunks finished, and for a unit not finished
 * where it stopped, why, and the item that carries it on
 * (docs/design.md#passes). A later pass's outcome of a unit replaces an
 * earlier one's.
 */

import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { count } from '../contract/counts.ts';
import { ReportInputError } from '../contract/errors.ts';
import { describeProblems, type Problem, parseOrThrow } from '../contract/parse.ts';
import {
  type ChildExecution,
  type ChunkError,
  type CompactChunkResult,
  childExecutionSchema,
  type MapResults,
  resultManifestSchema,
  type UnitCursor,
  type UnitInput,
  unitInputSchema,
  unitResultSchema,
} from '../contract/state-machine.ts';

export interface UnitOutcome {
  unit: number;
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
 * The outcome of every unit in `passes`, in pass order (a later pass's
 * outcome replaces an earlier one's), and how many child executions of all
 * the passes answered.
 */
export async function readUnitOutcomes(
  client: S3Client,
  passes: readonly MapResults[],
): Promise<{ outcomes: Map<number, UnitOutcome>; children: number }> {
  const outcomes = new Map<number, UnitOutcome>();
  let children = 0;
  for (const pass of passes) {
    const read = await readPass(client, pass);
    children += read.length;
    for (const outcome of read) outcomes.set(outcome.unit, outcome);
  }
  return { outcomes, children };
}

/** The outcome of every unit one pass ran. */
export async function readPass(client: S3Client, pass: MapResults): Promise<UnitOutcome[]> {
  const { Bucket: bucket, Key: key } = pass.ResultWriterDetails;
  const files =
    parseOrThrow(resultManifestSchema, await readJson(client, bucket, key), notResults(bucket, key))
      .ResultFiles ?? {};
  const outcomes: UnitOutcome[] = [];
  for (const file of files.SUCCEEDED ?? []) {
    for (const child of await readChildren(client, bucket, file.Key)) {
      const outcome = succeeded(child, `s3://${bucket}/${file.Key}`);
      if (outcome !== undefined) outcomes.push(outcome);
    }
  }
  for (const file of files.FAILED ?? []) {
    for (const child of await readChildren(client, bucket, file.Key)) {
      const input = parseJson(child.Input, unitInputSchema, `s3://${bucket}/${file.Key}`, 'Input');
      outcomes.push(
        unfinished(
          input,
          { name: child.Error ?? 'ChildExecutionFailed', message: child.Cause ?? '' },
          'failed',
        ),
      );
    }
  }
  return outcomes;
}

function succeeded(child: ChildExecution, file: string): UnitOutcome | undefined {
  const output: unknown = parseJson(child.Output, z.unknown(), file, 'Output');
  const caught = caughtSchema.safeParse(output);
  if (caught.success && caught.data.refused === true) {
    // Not a unit: no pass can ship it; its chunks are reported without a result.
    const { Error: name, Cause: message } = caught.data.failure;
    const unit = z.object({ unit: count }).safeParse(output);
    return unit.success
      ? {
          unit: unit.data.unit,
          results: [],
          error: { name: name ?? 'ChunkInputError', message: message ?? '' },
        }
      : undefined;
  }
  if (caught.success) {
    const input = parseJson(child.Output, unitInputSchema, file, 'Output');
    const { Error: name, Cause: message } = caught.data.failure;
    return unfinished(
      input,
      { name: name ?? 'ChildExecutionFailed', message: message ?? '' },
      'failed',
    );
  }
  const result = parseJson(child.Output, unitResultSchema, file, 'Output');
  if (result.done) return { unit: result.unit, results: result.results };
  return unfinished(
    { unit: result.unit, chunks: result.chunks, cursor: result.cursor, results: result.results },
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
  return parseOrThrow(
    schema,
    json,
    (problems) =>
      new ReportInputError(
        `${file}: a child's ${field} is not a unit's: ${describeProblems(problems)}`,
      ),
  );
}

const childExecutionsSchema = z.array(childExecutionSchema);

/** The child executions of one ResultWriter file. */
async function readChildren(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<ChildExecution[]> {
  const children = await readJson(client, bucket, key);
  return parseOrThrow(childExecutionsSchema, children, notResults(bucket, key));
}

/** The error for a ResultWriter file that is not one, naming it and every bad field. */
function notResults(bucket: string, key: string) {
  return (problems: Problem[]) =>
    new ReportInputError(
      `s3://${bucket}/${key} is not a Distributed Map result file: ${describeProblems(problems)}`,
    );
}

/** A run file as JSON, or ReportInputError naming it. */
export async function readJson(client: S3Client, bucket: string, key: string): Promise<unknown> {
  const text = await readText(client, bucket, key);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ReportInputError(`s3://${bucket}/${key} is not JSON`, { cause: error });
  }
}

/** A run file's text. */
export async function readText(client: S3Client, bucket: string, key: string): Promise<string> {
  const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (answer.Body as { transformToString(): Promise<string> }).transformToString();
}
