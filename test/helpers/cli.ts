/**
 * Runs the real `elb-otlp` command in a child process, with the same Node
 * that runs the tests.
 */

import { spawn } from 'node:child_process';

const CLI = new URL('../../cli/elb-otlp.ts', import.meta.url).pathname;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * @param env added to a copy of this process's environment, with the
 * OpenTelemetry variables that would change the output cleared first.
 */
export function runCli(
  args: string[],
  options: { stdin?: Buffer | string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('OTEL_') || name.startsWith('ELB_OTLP_')) delete env[name];
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin);
  });
}
