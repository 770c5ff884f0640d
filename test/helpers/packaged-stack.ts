/**
 * `sls package` for the deployment tests, offline (no AWS account), built
 * once and shared by every test file that reads the same stack.
 *
 * Packaging takes seconds of CPU, and the deployment tests are split by
 * concern over several files that Vitest runs in parallel workers. A stack is
 * packaged into a cache directory named after its parameters and a hash of
 * everything `sls package` reads (serverless.yml, deploy/, statemachines/,
 * functions/, shared/, the package files, the installed packages' lock file
 * and tsconfig.json, and the Node version), so the first file to ask builds
 * it and the others, in this run or a later one, read it. A change to any of
 * those packages again and drops the older build; stacks of any checkout
 * unused for a day are removed then too.
 *
 * Every `sls` run of a checkout also waits for the others: the esbuild plugin
 * bundles in one working folder (`.esbuild/`) of the repository, which two
 * runs at once would overwrite.
 */

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { TEST_BUCKET } from './s3.ts';

export const ROOT = new URL('../../', import.meta.url);
export const ROOT_DIR = fileURLToPath(ROOT);

export const LOG_PREFIX = 'logs/AWSLogs/';
export const SECRET_ARN =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:otlp-headers-AbCdEf';
export const LOG_KEY =
  'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
export const WORK_KEY =
  'arn:aws:kms:eu-west-1:123456789012:key/0987dcba-09fe-87dc-65ba-ab0987654321';
/** The parameters of the stack most tests read. */
export const PARAMS = {
  logBucket: TEST_BUCKET,
  logPrefix: LOG_PREFIX,
  otlpEndpoint: 'https://collector.example.com:4318',
  otlpHeadersSecretArn: SECRET_ARN,
};
/** The functions the state machine calls, by their serverless.yml names. */
export const MACHINE_FUNCTIONS = {
  plan: 'Plan',
  processChunk: 'ProcessChunk',
  report: 'Report',
} as const;
export const FUNCTIONS = { ...MACHINE_FUNCTIONS, ingest: 'Ingest', metrics: 'Metrics' } as const;
/** The functions that send to the Collector. */
export const EXPORTING_FUNCTIONS: string[] = ['ProcessChunk', 'Ingest', 'Metrics'];
/** The framework's own function that adds the S3 trigger to the existing log bucket. */
export const FRAMEWORK_FUNCTION = 'CustomDashresourceDashexistingDashs3LambdaFunction';
export const FRAMEWORK_ROLE = 'IamRoleCustomResourcesLambdaExecution';

// CloudFormation JSON, read loosely: the assertions check its shape.
// biome-ignore lint/suspicious/noExplicitAny: template documents are untyped
export type Json = Record<string, any>;

/** A packaged stack: the directory `sls package` wrote and its template. */
export interface PackagedStack {
  /** Holds `cloudformation-template-update-stack.json` and each function's `.zip`. */
  dir: string;
  template: Json;
}

/** What `sls package` reads, from the repository root: directories whole, and files. */
const PACKAGE_INPUTS = [
  'serverless.yml',
  'deploy',
  'statemachines',
  'functions',
  'shared',
  'package.json',
  'package-lock.json',
  'node_modules/.package-lock.json',
  'tsconfig.json',
];
/** Where the packaged stacks of every checkout are kept, one directory per stack. */
const CACHE_DIR = join(tmpdir(), 'elb-otlp-packaged-stacks');
/** Cached stacks (of any checkout) unused this long are removed when a stack is built. */
const CACHE_MAX_AGE_MS = 86_400_000;
/**
 * Long enough for a few `sls` runs in a row on a busy two-core machine; a
 * lock file older than this was left by a run that died (or is stuck) and is
 * taken over.
 */
const LOCK_TIMEOUT_MS = 150_000;
/** What a test or hook that runs `sls` may take: waiting for the lock, then its own run. */
export const SLS_TIMEOUT_MS = LOCK_TIMEOUT_MS + 150_000;
const LOCK_POLL_MS = 250;

/**
 * The stack `sls package` makes with these parameters, packaged at most once
 * for the current inputs; the directory is shared, so read it, do not write.
 */
export async function packagedStack(
  params: Record<string, string> = PARAMS,
): Promise<PackagedStack> {
  const stack = sha256(JSON.stringify([ROOT_DIR, params])).slice(0, 16);
  const dir = join(CACHE_DIR, `${stack}-${inputsHash().slice(0, 16)}`);
  const template = join(dir, 'cloudformation-template-update-stack.json');
  if (!existsSync(template)) {
    await withSlsLock(async () => {
      if (existsSync(template)) return;
      // Built beside, then renamed: a reader never sees half a package.
      const building = `${dir}.building`;
      rmSync(building, { recursive: true, force: true });
      await packageInto(building, params);
      const oldest = Date.now() - CACHE_MAX_AGE_MS;
      for (const name of readdirSync(CACHE_DIR)) {
        const path = join(CACHE_DIR, name);
        if (path === building || name.endsWith('.lock')) continue;
        if (name.startsWith(`${stack}-`) || modifiedMs(path) < oldest) {
          rmSync(path, { recursive: true, force: true });
        }
      }
      renameSync(building, dir);
    });
  }
  const now = new Date();
  utimesSync(dir, now, now); // in use: not pruned as unused
  return { dir, template: JSON.parse(readFileSync(template, 'utf8')) };
}

/** `sls package` into `dir` with these parameters, not cached; answers the template. */
export function packageStack(dir: string, params: Record<string, string>): Promise<Json> {
  return withSlsLock(() => packageInto(dir, params));
}

async function packageInto(dir: string, params: Record<string, string>): Promise<Json> {
  const args = ['package', '--package', dir, '--stage', 'ci', '--region', 'eu-west-1'];
  for (const [name, value] of Object.entries(params)) args.push('--param', `${name}=${value}`);
  await runSls(args);
  return JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
}

/**
 * Runs `sls` (the project's osls) in the repository, with none of this
 * machine's AWS settings: packaging and local invocation need no account.
 * Waits for any other `sls` run of this checkout to end first.
 */
export function sls(args: string[], env: Record<string, string> = {}): Promise<string> {
  return withSlsLock(() => runSls(args, env));
}

async function runSls(args: string[], env: Record<string, string> = {}): Promise<string> {
  const own = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')),
  );
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(ROOT_DIR, 'node_modules/serverless/bin/serverless.js'), ...args],
    { cwd: ROOT_DIR, env: { ...own, ...env }, maxBuffer: 1 << 24 },
  );
  return stdout;
}

/**
 * Runs `task` holding this checkout's `sls` lock: a file created exclusively,
 * holding the owner's pid, so a lock left by a process that died is taken over.
 */
async function withSlsLock<T>(task: () => Promise<T>): Promise<T> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const lock = join(CACHE_DIR, `${sha256(ROOT_DIR).slice(0, 16)}.lock`);
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!ownerAlive(lock) || lockAgeMs(lock) > LOCK_TIMEOUT_MS) {
      rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`${lock}: another sls run has held it for ${LOCK_TIMEOUT_MS / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
  try {
    return await task();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** When `path` was last modified; infinitely recent when it is gone since. */
function modifiedMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** How long ago a lock file was written (0 when it is gone since: the next attempt takes it). */
function lockAgeMs(lock: string): number {
  return Math.max(0, Date.now() - modifiedMs(lock));
}

/** Whether the process named in a lock file still runs (an empty file is one being written). */
function ownerAlive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(lock, 'utf8'));
  } catch {
    return true; // gone since: the next attempt takes it
  }
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One hash of the names and contents of every file `sls package` reads. */
function inputsHash(): string {
  const hash = createHash('sha256');
  const add = (path: string) => {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) add(join(path, name));
      return;
    }
    hash.update(`${relative(ROOT_DIR, path)}\0`).update(readFileSync(path));
  };
  hash.update(`${process.version}\0`);
  for (const input of PACKAGE_INPUTS) add(join(ROOT_DIR, input));
  return hash.digest('hex');
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Reads the IAM roles of a template's resources (a getter: the template is read in `beforeAll`). */
export function rolesOf(template: () => Json) {
  /** Every IAM statement of a role, both branches of an Fn::If included. */
  const statements = (roleId: string): Json[] => {
    const role = template().Resources[roleId];
    expect(role?.Type, roleId).toBe('AWS::IAM::Role');
    return role.Properties.Policies.flatMap((policy: Json) =>
      policy.PolicyDocument.Statement.flatMap((statement: Json) =>
        statement['Fn::If'] ? [statement['Fn::If'][1]] : [statement],
      ),
    );
  };
  const roleIds = () => {
    const resources = template().Resources;
    return Object.keys(resources).filter((id) => resources[id].Type === 'AWS::IAM::Role');
  };
  /** The statements of `roleId` that allow `action`. */
  const allowing = (roleId: string, action: string) =>
    statements(roleId).filter((s) => s.Effect === 'Allow' && actions(s).includes(action));
  return { statements, roleIds, allowing };
}

export const actions = (statement: Json): string[] => [statement.Action].flat();
export const sub = (text: string) => ({ 'Fn::Sub': text });
/** The log objects under the prefix, as the roles name them. */
export const logObjects = sub(`arn:\${AWS::Partition}:s3:::${TEST_BUCKET}/${LOG_PREFIX}*`);
