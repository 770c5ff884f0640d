/**
 * The settings each deployed function reads from its environment, besides
 * the export and record settings (export-config.ts, mapping-config.ts): where
 * runs keep their files, the logs a deployment may read, whether it may
 * delete, and where ingestion hands large objects. Read once per container;
 * a malformed value fails the start-up with a {@link ConfigError} naming the
 * variable.
 */

import { ConfigError } from './config-error.ts';

type Env = Record<string, string | undefined>;

/** Where runs keep their files when `WORK_PREFIX` does not say. */
export const DEFAULT_WORK_PREFIX = 'elb-otlp/runs/';
/**
 * Stored bytes over which ingest hands an object to the state machine when
 * `ELB_OTLP_HANDOFF_BYTES` does not say (lowered when the invocation's time
 * would not do): 256 MiB, one chunk's worth.
 */
export const DEFAULT_HANDOFF_BYTES = 256 * 1024 * 1024;

/** An S3 location: a bucket and a key prefix. */
export interface S3Location {
  bucket: string;
  prefix: string;
}

/** Whether runs may delete what they shipped: `ELB_OTLP_ALLOW_DELETE=true` (the deployment's `allowDeleteProcessed`). */
export function allowDeleteFrom(env: Env): boolean {
  return env.ELB_OTLP_ALLOW_DELETE === 'true';
}

/** What the plan step reads from its environment. */
export interface PlanSettings {
  /** `WORK_BUCKET` and `WORK_PREFIX` (default {@link DEFAULT_WORK_PREFIX}). */
  work: S3Location;
  /** `LOG_BUCKET` and `LOG_PREFIX`, when set: the logs runs may read. */
  scope?: S3Location;
  allowDelete: boolean;
}

/**
 * The plan step's settings.
 *
 * @throws ConfigError naming `WORK_BUCKET` when it is not set.
 */
export function planSettings(env: Env): PlanSettings {
  const bucket = env.WORK_BUCKET;
  if (bucket === undefined || bucket === '') {
    throw new ConfigError('WORK_BUCKET', 'is not set (the bucket where runs keep their files)');
  }
  const scope = logLocation(env);
  return {
    work: { bucket, prefix: env.WORK_PREFIX || DEFAULT_WORK_PREFIX },
    ...(scope && { scope }),
    allowDelete: allowDeleteFrom(env),
  };
}

/**
 * The logs' bucket and prefix: `LOG_BUCKET` and `LOG_PREFIX`, or the
 * guide's names for them, `S3_BUCKET_NAME` and `S3_PREFIX` (the project's
 * own win when both are set; each prefix goes with its own bucket);
 * `undefined` without a bucket. Empty values count as unset.
 */
export function logLocation(env: Env): S3Location | undefined {
  const own = env.LOG_BUCKET?.trim();
  if (own) return { bucket: own, prefix: env.LOG_PREFIX?.trim() ?? '' };
  const guide = env.S3_BUCKET_NAME?.trim();
  if (guide) return { bucket: guide, prefix: env.S3_PREFIX?.trim() ?? '' };
  return undefined;
}

/** What the ingest function reads from its environment. */
export interface IngestSettings {
  /** The reprocessing state machine hand-offs start; none without one. */
  stateMachineArn?: string;
  /** `ELB_OTLP_HANDOFF_BYTES` (default {@link DEFAULT_HANDOFF_BYTES}). */
  handoffBytes: number;
  /** `DELETE_PROCESSED_FILES`: `true`, `1` or `yes` (any case) deletes what shipped whole. */
  deleteProcessed: boolean;
}

/**
 * The ingest function's settings; `functionArn` is its own ARN, from which
 * the state machine's is built when only its name is given.
 *
 * @throws ConfigError naming `ELB_OTLP_HANDOFF_BYTES` when it is not a whole number.
 */
export function ingestSettings(env: Env, functionArn: string | undefined): IngestSettings {
  const stateMachineArn = stateMachineArnFor(env, functionArn);
  const handoffBytes = env.ELB_OTLP_HANDOFF_BYTES?.trim();
  if (handoffBytes && !/^\d+$/.test(handoffBytes)) {
    throw new ConfigError(
      'ELB_OTLP_HANDOFF_BYTES',
      `expected a whole number of bytes, got ${handoffBytes}`,
    );
  }
  return {
    ...(stateMachineArn && { stateMachineArn }),
    handoffBytes: handoffBytes ? Number(handoffBytes) : DEFAULT_HANDOFF_BYTES,
    deleteProcessed: /^(true|1|yes)$/i.test(env.DELETE_PROCESSED_FILES?.trim() ?? ''),
  };
}

/**
 * The reprocessing state machine's ARN: `REPROCESS_STATE_MACHINE_ARN`, or
 * built from `REPROCESS_STATE_MACHINE_NAME` and the function's own ARN
 * (`arn:<partition>:lambda:<region>:<account>:…`).
 */
export function stateMachineArnFor(env: Env, functionArn: string | undefined): string | undefined {
  const given = env.REPROCESS_STATE_MACHINE_ARN?.trim();
  if (given) return given;
  const name = env.REPROCESS_STATE_MACHINE_NAME?.trim();
  const parts = functionArn?.split(':') ?? [];
  if (!name || parts.length < 5 || parts[2] !== 'lambda') return undefined;
  return `arn:${parts[1]}:states:${parts[3]}:${parts[4]}:stateMachine:${name}`;
}

/** The Region a function runs in (`AWS_REGION`, which Lambda sets), when known. */
export function functionRegion(env: Env): string | undefined {
  return env.AWS_REGION || undefined;
}
