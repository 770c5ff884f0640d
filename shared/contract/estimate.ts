/**
 * A run's cost estimate (docs/performance.md#cost), as the plan summary, a
 * dry run and the report carry it: the counts AWS bills for (Lambda
 * invocations and GB-seconds, Step Functions transitions and Express
 * requests, S3 requests) and what they come to in US dollars, with the
 * assumptions they rest on. shared/cost/estimate.ts computes it.
 */

import { z } from 'zod';
import { count } from './counts.ts';

/** How the Distributed Map runs its child workflows (its `ExecutionType`). */
export const childTypeSchema = z.enum(['STANDARD', 'EXPRESS']);

export type ChildType = z.infer<typeof childTypeSchema>;

/** The worker Lambda's instruction set: prices differ by architecture. */
export const architectureSchema = z.enum(['arm64', 'x86_64']);

export type Architecture = z.infer<typeof architectureSchema>;

const amount = z.number().nonnegative();

/** What the estimate assumes, so a reader can redo the arithmetic. */
export const estimateAssumptionsSchema = z.object({
  /** Lines in the run: counted when known, otherwise stored bytes / `bytesPerLine`. */
  lines: count,
  /** Map items: the child workflows the run starts. */
  items: count,
  childType: childTypeSchema,
  memoryMb: z.number().int().positive(),
  architecture: architectureSchema,
  linesPerVcpuSecond: z.number().positive(),
  bytesPerLine: z.number().positive(),
  /** Share of worker calls retried, each redoing its work (an assumption, not a measurement). */
  retryFraction: amount,
  /** Seconds an Express child runs, as billed (rounded up to 100 ms); 0 for Standard children. */
  childSeconds: amount,
  /** Where the prices come from, and when they were read. */
  prices: z.string(),
});

export type EstimateAssumptions = z.infer<typeof estimateAssumptionsSchema>;

/** The estimate: counts, and US dollars rounded to 6 significant digits. */
export const estimateSchema = z.object({
  assumptions: estimateAssumptionsSchema,
  lambda: z.object({ invocations: count, gbSeconds: amount }),
  stepFunctions: z.object({
    /** The parent's own states plus one per child started. */
    parentTransitions: count,
    /** States entered inside Standard children (Express children have none billed). */
    childTransitions: count,
    expressRequests: count,
    expressGbSeconds: amount,
  }),
  s3: z.object({ list: count, get: count, put: count, delete: count }),
  usd: z.object({
    /** Lambda duration. */
    compute: amount,
    /** Step Functions and Lambda requests, `fixed` included. */
    orchestration: amount,
    s3Requests: amount,
    total: amount,
    /** The parent's own states: what a run costs whatever its size. */
    fixed: amount,
  }),
});

export type Estimate = z.infer<typeof estimateSchema>;
