/**
 * Runs the real `elb-otlp` command in a child process, with the same Node
 * that runs the tests.
 */

import { type ChildProcess, spawn } from 'node:child_process';

const CLI = new URL('../../cli/elb-otlp.ts', import.meta.url).pathname;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  stdin?: Buffer | string;
  /** Added to a copy of this process's environment. */
  env?: Record<string, string>;
  /**
   * Variables cleared from the copy first, by prefix (default: the
   * OpenTelemetry and elb-otlp settings that would change the output).
   */
  clear?: string[];
}

/** Runs the `elb-otlp` command with `args`. */
export function runCli(args: string[], options: RunOptions = {}): Promise<CliRun> {
  return runScript(CLI, args, options);
}

/** Runs a TypeScript entry point of the project with the tests' Node. */
export function runScript(
  script: string,
  args: string[],
  options: RunOptions = {},
): Promise<CliRun> {
  return startScript(script, args, options).done;
}

/** A command still running: its process (to signal it), its output so far, and its end. */
export interface StartedCli {
  child: ChildProcess;
  /** What it wrote to stderr so far. */
  stderr(): string;
  done: Promise<CliRun>;
}

/** Starts the `elb-otlp` command with `args`, without waiting for it. */
export function startCli(args: string[], options: RunOptions = {}): StartedCli {
  return startScript(CLI, args, options);
}

function startScript(script: string, args: string[], options: RunOptions): StartedCli {
  const clear = options.clear ?? [
    'OTEL_',
    'ELB_OTLP_',
    'LOG_BUCKET',
    'LOG_PREFIX',
    'S3_BUCKET_NAME',
    'S3_PREFIX',
  ];
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of Object.keys(env)) {
    if (clear.some((prefix) => name.startsWith(prefix))) delete env[name];
  }
  const child = spawn(process.execPath, [script, ...args], { env: { ...env, ...options.env } });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  child.stdin?.end(options.stdin);
  return { child, stderr: () => stderr, done };
}
