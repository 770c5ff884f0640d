/**
 * The command blocks of the documentation (README.md, CONTRIBUTING.md and
 * every page of docs/), as written: every `elb-otlp` command and
 * option they show exists (in the command's --help), every execution input
 * they pass to Step Functions is one the state machine accepts, every
 * `--param` of an `sls` command is a parameter of serverless.yml, every npm
 * script exists, and every JSON payload parses. (The commands that need an
 * AWS account run in AWS only; the runs themselves are tested elsewhere:
 * the demo, the CLI and the deployment tests.)
 */

import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { METRICS_USAGE } from '../../cli/commands/metrics.ts';
import { METRICS_CONFIG_USAGE } from '../../cli/commands/metrics-config.ts';
import { PARSE_USAGE } from '../../cli/commands/parse.ts';
import { REDRIVE_USAGE } from '../../cli/commands/redrive.ts';
import { REPROCESS_USAGE } from '../../cli/commands/reprocess.ts';
import { RUNS_USAGE } from '../../cli/commands/runs.ts';
import { SHIP_USAGE } from '../../cli/commands/ship.ts';
import { parseAnyRunInput } from '../../shared/reprocess/run-input.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const PAGES = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(new URL('../../docs/', import.meta.url))
    .filter((file) => file.endsWith('.md'))
    .map((file) => `docs/${file}`),
];
const DOCUMENTATION = PAGES.map(read).join('\n');
/** Each shell block, its continuation lines joined. */
const BLOCKS = [...DOCUMENTATION.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)].map((m) =>
  m[1].replace(/\\\n\s*/g, ' '),
);
const COMMANDS = BLOCKS.flatMap((block) => block.split('\n')).filter((line) => line.trim() !== '');
const USAGE: Record<string, string> = {
  parse: PARSE_USAGE,
  ship: SHIP_USAGE,
  reprocess: REPROCESS_USAGE,
  runs: RUNS_USAGE,
  redrive: REDRIVE_USAGE,
  metrics: METRICS_USAGE,
  'metrics-config': METRICS_CONFIG_USAGE,
};

describe("the documentation's command blocks", () => {
  it('are there to check', () => {
    expect(BLOCKS.length).toBeGreaterThanOrEqual(10);
  });

  it('show only elb-otlp commands and options that exist', () => {
    const uses = COMMANDS.flatMap((line) => [...line.matchAll(/elb-otlp ([\w-]+)([^|]*)/g)]);
    expect(uses.length).toBeGreaterThan(5);
    for (const [, command, rest] of uses) {
      expect(Object.keys(USAGE), `elb-otlp ${command}`).toContain(command);
      for (const [option] of rest.matchAll(/--[a-z][a-z-]*/g)) {
        // The whole option, not the start of a longer one.
        expect(USAGE[command], `elb-otlp ${command} ${option}`).toMatch(
          new RegExp(`${option}(?![a-z-])`),
        );
      }
    }
  });

  it('run, as written, the commands on the sample files of the repository', async () => {
    const runnable = COMMANDS.filter((line) => /^npx elb-otlp \w+ test\/fixtures\//.test(line));
    expect(runnable.length).toBeGreaterThanOrEqual(1);
    for (const line of runnable) {
      const { stdout } = await promisify(execFile)('sh', ['-c', line], {
        cwd: fileURLToPath(new URL('../../', import.meta.url)),
        maxBuffer: 1 << 26,
      });
      expect(stdout.split('\n').filter((l) => l.startsWith('{"resource"')).length, line).toBe(
        stdout.trim().split('\n').length,
      );
    }
  }, 60_000);

  it('start executions with inputs the state machine accepts', () => {
    // A quoted argument may run over several lines: search whole blocks.
    const inputs = BLOCKS.filter((block) => block.includes('stepfunctions start-execution')).map(
      (block) => /--input '([^']*)'/.exec(block)?.[1],
    );
    expect(inputs.length).toBeGreaterThanOrEqual(2);
    for (const input of inputs) {
      expect(input).toBeDefined();
      expect(() => parseAnyRunInput(JSON.parse(input as string)), input).not.toThrow();
    }
  });

  it('pass sls only parameters serverless.yml has', () => {
    const serverless = read('serverless.yml');
    // Used as ${param:…} in serverless.yml, or read by the files it loads from deploy/.
    const deploy = readdirSync(new URL('../../deploy/', import.meta.url))
      .map((file) => read(`deploy/${file}`))
      .join('\n');
    const known = new Set(
      [...`${serverless}\n${deploy}`.matchAll(/\$\{param:(\w+)|'param:(\w+)'/g)].map(
        (m) => m[1] ?? m[2],
      ),
    );
    const given = COMMANDS.filter((line) => /\bsls (deploy|package|invoke)/.test(line)).flatMap(
      (line) => [...line.matchAll(/--param="?(\w+)=/g)].map((m) => m[1]),
    );
    expect(given).toContain('logBucket');
    for (const name of given) expect([...known], name).toContain(name);
  });

  it('run npm scripts the project has', () => {
    const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
    const used = COMMANDS.flatMap((line) =>
      [...line.matchAll(/npm (start|test|run [\w-]+)/g)].map((m) => m[1].replace('run ', '')),
    );
    expect(used).toEqual(expect.arrayContaining(['start', 'test']));
    for (const name of used) expect(Object.keys(scripts), `npm ${name}`).toContain(name);
  });

  it('hand AWS JSON that parses', () => {
    const payloads = BLOCKS.flatMap((block) =>
      [...block.matchAll(/--(?:notification-configuration|input) '([^']*)'/g)].map((m) => m[1]),
    );
    expect(payloads.length).toBeGreaterThanOrEqual(3);
    for (const payload of payloads) expect(() => JSON.parse(payload), payload).not.toThrow();
  });
});
