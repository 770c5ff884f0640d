/**
 * The state machine's contract (shared/contract/): every error name the
 * definition matches or ends with is one errors.ts exports, the counts are
 * derived from one schema, and a refused value names every field at fault.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  addChunkCounts,
  CHUNK_COUNT_NAMES,
  chunkCountsSchema,
  LINE_COUNT_NAMES,
  SHIP_COUNT_NAMES,
  shipCounts,
  zeroChunkCounts,
  zeroShipCounts,
} from '../../shared/contract/counts.ts';
import * as errors from '../../shared/contract/errors.ts';
import { describeProblems, parseOrThrow } from '../../shared/contract/parse.ts';
import { chunkInputSchema, retryInputSchema } from '../../shared/contract/state-machine.ts';
import { parseChunkInput } from '../../shared/reprocess/chunk-step.ts';

const DEFINITION = JSON.parse(
  readFileSync(new URL('../../statemachines/reprocess.asl.json', import.meta.url), 'utf8'),
);

interface State {
  Type: string;
  Error?: string;
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[] }[];
  ItemProcessor?: { States: Record<string, State> };
}

/** Every state of the definition, those of the Map's ItemProcessor too. */
function statesOf(states: Record<string, State>): State[] {
  return Object.values(states).flatMap((state) => [
    state,
    ...(state.ItemProcessor ? statesOf(state.ItemProcessor.States) : []),
  ]);
}

const STATES = statesOf(DEFINITION.States);
/** The `name` of each error class errors.ts exports. */
const ERROR_CLASS_NAMES = (Object.values(errors) as unknown[])
  .filter((value): value is new (message: string) => Error => typeof value === 'function')
  .map((ErrorClass) => new ErrorClass('test').name);
const ERROR_CONSTANTS = Object.values(errors).filter((value) => typeof value === 'string');

describe('the named errors of the state machine', () => {
  const matched = STATES.flatMap((state) => [...(state.Retry ?? []), ...(state.Catch ?? [])])
    .flatMap((rule) => rule.ErrorEquals)
    .filter((name) => !name.startsWith('States.') && !name.startsWith('Lambda.'));

  it('has a class exported by shared/contract/errors.ts for every name a Retry or Catch matches', () => {
    expect(matched.length).toBeGreaterThan(0);
    for (const name of matched) expect(ERROR_CLASS_NAMES).toContain(name);
  });

  it('lists the Error of every Fail state', () => {
    const failNames = STATES.filter((state) => state.Type === 'Fail').map((state) => state.Error);
    expect(failNames.length).toBeGreaterThan(0);
    for (const name of failNames) expect(ERROR_CONSTANTS).toContain(name);
  });

  it('gives each class a literal name of its own', () => {
    expect(new Set(ERROR_CLASS_NAMES).size).toBe(ERROR_CLASS_NAMES.length);
    for (const name of ERROR_CLASS_NAMES) expect(name).toMatch(/^[A-Z]\w+Error$/);
  });
});

describe('the line counts', () => {
  it('are named, zeroed and added from one schema, in the order summaries print them', () => {
    expect(SHIP_COUNT_NAMES).toEqual([
      'lines',
      'accepted',
      'rejected',
      'failed',
      'parseErrors',
      'batches',
      'retries',
      'bytesIn',
    ]);
    expect(CHUNK_COUNT_NAMES).toEqual([...SHIP_COUNT_NAMES, 'durationMs']);
    expect(LINE_COUNT_NAMES).toEqual(['lines', 'accepted', 'rejected', 'failed']);
    expect(Object.keys(zeroShipCounts())).toEqual(SHIP_COUNT_NAMES);
    expect(chunkCountsSchema.parse(zeroChunkCounts())).toEqual(zeroChunkCounts());
  });

  it('adds count by count, and keeps only the counts of a larger value', () => {
    const a = { ...zeroChunkCounts(), lines: 3, accepted: 2, failed: 1, durationMs: 10 };
    const b = { ...zeroChunkCounts(), lines: 4, accepted: 4, bytesIn: 99, durationMs: 5 };
    expect(addChunkCounts(a, b)).toEqual({
      ...zeroChunkCounts(),
      lines: 7,
      accepted: 6,
      failed: 1,
      bytesIn: 99,
      durationMs: 15,
    });
    expect(shipCounts({ ...a, key: 'k', done: true } as typeof a)).toEqual(
      Object.fromEntries(SHIP_COUNT_NAMES.map((name) => [name, a[name]])),
    );
  });
});

describe('parseOrThrow', () => {
  const item = {
    bucket: 'b',
    key: 'k',
    etag: '"e"',
    size: 10,
    compression: 'none',
    start: 0,
    end: 10,
  };

  it.each([
    [
      'a field of the wrong type and a missing one',
      { ...item, size: 'ten', etag: undefined },
      ['size:', 'etag:'],
    ],
    ['the value as a whole', 'not an object', ['input:']],
    ['a refinement, by its path', { ...item, end: 0 }, ['end: end must be greater than start']],
    [
      'a cursor outside the chunk',
      { ...item, cursor: { ...zeroChunkCounts(), offset: 11 } },
      ['cursor.offset: 11 lies outside the chunk [0, 10)'],
    ],
  ])('names every field at fault: %s', (_, value, fields) => {
    const attempt = () => parseChunkInput(value);
    expect(attempt).toThrow(errors.ChunkInputError);
    expect(attempt).toThrow(/^not a chunk item: /);
    for (const field of fields) expect(attempt).toThrow(field);
  });

  it('answers the parsed value, defaults filled in', () => {
    expect(chunkInputSchema.parse(item)).toEqual(item);
    const retry = parseOrThrow(
      retryInputSchema,
      { retryFrom: 's3://b/report.json' },
      (problems) => new Error(describeProblems(problems)),
    );
    expect(retry).toEqual({ retryFrom: 's3://b/report.json', dryRun: false });
  });
});

describe('shared/contract/', () => {
  it('is the bottom layer: it imports zod and its own files only', () => {
    const dir = new URL('../../shared/contract/', import.meta.url);
    for (const file of readdirSync(dir)) {
      const text = readFileSync(new URL(file, dir), 'utf8');
      const imported = [...text.matchAll(/\bfrom '([^']+)'/g)].map((m) => m[1]);
      for (const from of imported) expect(from, file).toMatch(/^(zod|\.\/[\w-]+\.ts)$/);
    }
  });
});
