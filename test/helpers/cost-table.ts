/**
 * The cost table of docs/performance.md#cost, rendered from the estimator:
 * a billion lines in fleets of small, typical and large objects, as runs were
 * before work units (one Standard child per chunk, a parent of 6 states) and
 * as they are (work units of the default size, run as Express children).
 * test/unit/cost-docs.test.ts holds the page to it; print it with
 * `node test/helpers/cost-table.ts` after changing the estimator or prices.
 */

import { DEFAULT_CHUNK_BYTES, DEFAULT_UNIT_BYTES } from '../../shared/contract/state-machine.ts';
import {
  DEFAULT_MEMORY_MB,
  DEFAULT_RETRY_FRACTION,
  estimateRun,
  GZIP_BYTES_PER_LINE,
  LINES_PER_VCPU_SECOND,
  MANIFEST_BYTES_PER_ITEM,
  PARENT_STATES,
} from '../../shared/cost/estimate.ts';
import { US_EAST_1_PRICES } from '../../shared/cost/prices.ts';
import { chunksPerUnit } from '../../shared/reprocess/units.ts';

export const BILLION = 1_000_000_000;
/** Decompressed bytes per generated ALB line (655 measured): where a chunk of 256 MiB of content ends. */
export const CONTENT_BYTES_PER_LINE = 655;
/** The work unit the table assumes: the default, 128 MiB stored, about 1.44 million lines, 29 s of one vCPU. */
export const TABLE_UNIT_BYTES = DEFAULT_UNIT_BYTES;
/** The parent's own states before work units: Plan, DryRun?, ShipChunks, Report, AllShipped?, Done. */
export const BEFORE_UNITS_PARENT_STATES = 6;

export const FLEETS = [
  { name: 'small', linesPerObject: 500 },
  { name: 'typical', linesPerObject: 5_000 },
  { name: 'large', linesPerObject: 500_000 },
] as const;

type Mode = 'today' | 'units';

/** The estimate of a billion lines in objects of `linesPerObject`, run one way or the other. */
export function fleetEstimate(linesPerObject: number, mode: Mode) {
  const objects = BILLION / linesPerObject;
  const bytes = BILLION * GZIP_BYTES_PER_LINE;
  const chunksPerObject = Math.ceil(
    (linesPerObject * CONTENT_BYTES_PER_LINE) / DEFAULT_CHUNK_BYTES,
  );
  const chunks = objects * chunksPerObject;
  // A unit holds up to its stored bytes, and as many chunk items of an ELB
  // key (and their results) as Step Functions' payload limit allows.
  const units = Math.max(
    Math.ceil(bytes / TABLE_UNIT_BYTES),
    Math.ceil(chunks / chunksPerUnit(MANIFEST_BYTES_PER_ITEM)),
  );
  const items = mode === 'today' ? chunks : units;
  return estimateRun(
    {
      objects,
      bytes,
      chunks,
      items,
      lines: BILLION,
      listedKeys: objects,
      chunkBytes: DEFAULT_CHUNK_BYTES,
    },
    mode === 'today'
      ? { childType: 'STANDARD', parentStates: BEFORE_UNITS_PARENT_STATES }
      : { childType: 'EXPRESS' },
  );
}

const n = (value: number) => Math.round(value).toLocaleString('en-US').replace(/,/g, ' ');
const d = (value: number) =>
  value >= 0.1 ? `$${value.toFixed(2)}` : `$${Number(value.toPrecision(2))}`;
const p = (value: number) => (value === 0 ? '$0' : `$${value.toFixed(10).replace(/0+$/, '')}`);

/** A Markdown table with its columns padded, text left and numbers right. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const right = (i: number) => i >= 2;
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (right(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (right(i) ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)];
}

/** The table and the arithmetic of each row, as the page shows them. */
export function renderCostTable(): string {
  const prices = US_EAST_1_PRICES;
  const header = [
    'objects of',
    'run as',
    'children',
    'Lambda calls',
    'GB-s',
    'transitions',
    'Express GB-s',
    'compute',
    'orchestration',
    'S3 requests',
    'total',
  ];
  const rows: string[][] = [];
  const sums: string[] = [];
  for (const fleet of FLEETS) {
    for (const mode of ['today', 'units'] as const) {
      const e = fleetEstimate(fleet.linesPerObject, mode);
      const sf = e.stepFunctions;
      const how =
        mode === 'today'
          ? 'before work units: a Standard child per chunk'
          : 'work units of Express children';
      rows.push([
        `${n(fleet.linesPerObject)} lines`,
        how,
        n(e.assumptions.items),
        n(e.lambda.invocations),
        n(e.lambda.gbSeconds),
        n(sf.parentTransitions + sf.childTransitions),
        n(sf.expressGbSeconds),
        d(e.usd.compute),
        d(e.usd.orchestration),
        d(e.usd.s3Requests),
        d(e.usd.total),
      ]);
      const express =
        mode === 'units'
          ? ` + ${n(sf.expressRequests)} requests × ${p(prices.stepFunctions.expressRequest)} + ${n(sf.expressRequests)} × ${e.assumptions.childSeconds} s × 0.0625 GB = ${n(sf.expressGbSeconds)} GB-s × ${p(prices.stepFunctions.expressGbSecond)}`
          : '';
      sums.push(
        `- ${n(fleet.linesPerObject)} lines, ${how}: compute ${n(BILLION)} lines ÷ ${n(LINES_PER_VCPU_SECOND)} lines/s × ${1 + DEFAULT_RETRY_FRACTION} (retries) = ${n((e.lambda.gbSeconds * 1024) / DEFAULT_MEMORY_MB)} s × ${DEFAULT_MEMORY_MB}/1024 GB = ${n(e.lambda.gbSeconds)} GB-s × ${p(prices.lambda.gbSecond.arm64)} = ${d(e.usd.compute)}; orchestration (${n(sf.parentTransitions)} + ${n(sf.childTransitions)}) transitions × ${p(prices.stepFunctions.standardTransition)}${express} + ${n(e.lambda.invocations)} calls × ${p(prices.lambda.request)} = ${d(e.usd.orchestration)}; S3 ${n(e.s3.list)} LIST + ${n(e.s3.put)} PUT × ${p(prices.s3.put)} + ${n(e.s3.get)} GET × ${p(prices.s3.get)} = ${d(e.usd.s3Requests)}`,
      );
    }
  }
  return [
    ...table(header, rows),
    '',
    `The arithmetic of each row (${BEFORE_UNITS_PARENT_STATES} of the transitions before work units, ${PARENT_STATES} with them, are the parent's own states, $${Number((PARENT_STATES * prices.stepFunctions.standardTransition).toPrecision(6))} a run):`,
    '',
    ...sums,
  ].join('\n');
}

/** The prices the table uses, as the page lists them. */
export function renderPriceTable(): string {
  const { stepFunctions: sf, lambda, s3 } = US_EAST_1_PRICES;
  return table(
    ['service', 'what', 'price (USD)'],
    [
      ['Step Functions', 'Standard state transition', p(sf.standardTransition)],
      ['Step Functions', 'Express request', p(sf.expressRequest)],
      ['Step Functions', 'Express GB-second (64 MB, 100 ms steps)', p(sf.expressGbSecond)],
      ['Lambda', 'request', p(lambda.request)],
      ['Lambda', 'GB-second, arm64', p(lambda.gbSecond.arm64)],
      ['Lambda', 'GB-second, x86_64', p(lambda.gbSecond.x86_64)],
      ['S3', 'GET (and HEAD)', p(s3.get)],
      ['S3', 'PUT', p(s3.put)],
      ['S3', 'LIST (a page of 1 000 keys)', p(s3.list)],
      ['S3', 'DELETE', p(s3.delete)],
    ],
  ).join('\n');
}

if (import.meta.main) console.log(`${renderPriceTable()}\n\n${renderCostTable()}`);
