/**
 * The command blocks of the documentation (README.md, CONTRIBUTING.md and
 * every page of docs/), as written: every `elb-otlp` command and
 * option they show exists (in the command's --help), every execution input
 * they pass to Step Functions is one the state machine accepts, every
 * `--param` of an `sls` command is a parameter of serverless.yml, every npm
 * script exists, every JSON payload parses, every shell variable a block
 * expands is set above it on its page, and every function or log group named
 * is one the stack deploys. (The commands that need an
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
/** A page's shell blocks, as written. */
const shellBlocks = (markdown: string) =>
  [...markdown.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)].map((m) => m[1] as string);
/** Each shell block, its continuation lines joined. */
const BLOCKS = shellBlocks(DOCUMENTATION).map((block) => block.replace(/\\\n\s*/g, ' '));
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

/**
 * What the reader is told to have in the environment before a command: AWS
 * credentials and Region, and the Collector's endpoint and headers. Any other
 * variable a block expands must be set in the page above it.
 */
const READER_ENVIRONMENT = new Set([
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_PROFILE',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_HEADERS',
]);

/**
 * The variables that shell text expands before it sets them, in order:
 * `$NAME` and `${NAME}` outside single quotes and comments, not escaped and
 * without a default (`${NAME:-…}`); set is `NAME=` at the start of a word,
 * with or without `export`. The reader's environment is not counted.
 */
function unsetVariables(text: string): string[] {
  const set = [...text.matchAll(/(?:^|[\s;&|(])(?:export\s+)?([A-Za-z_]\w*)=/gm)].map((m) => ({
    name: m[1] as string,
    at: (m.index ?? 0) + (m[0] as string).indexOf(m[1] as string),
  }));
  const unset: string[] = [];
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
    } else if (c === '\\') {
      i++;
    } else if (c === '"') {
      quote = quote === '"' ? undefined : '"';
    } else if (quote === undefined && c === "'") {
      quote = "'";
    } else if (quote === undefined && c === '#' && (i === 0 || /\s/.test(text[i - 1] as string))) {
      i = text.indexOf('\n', i) === -1 ? text.length : text.indexOf('\n', i);
    } else if (c === '$') {
      const use = /^\$(?:\{([A-Za-z_]\w*)(:?[-=?+][^}]*)?\}|([A-Za-z_]\w*))/.exec(text.slice(i));
      const name = use?.[1] ?? use?.[3];
      if (name === undefined || use?.[2] !== undefined || READER_ENVIRONMENT.has(name)) continue;
      if (!set.some((s) => s.name === name && s.at < i)) unset.push(name);
    }
  }
  return unset;
}

describe('shell variables', () => {
  it.each([
    ['one set nowhere', 'aws x --arn "$ARN"', ['ARN']],
    ['one set in a command above', 'ARN=$(aws y)\naws x --arn "$ARN"', []],
    ['one set only below', `aws x --arn "\${ARN}"\nexport ARN=z`, ['ARN']],
    [
      'in single quotes (a filter pattern)',
      `aws logs tail g --filter-pattern '{ $.level = "E" }'`,
      [],
    ],
    ["after a comment's apostrophe", "echo x   # the guide's\necho $ARN", ['ARN']],
    ['with a default', `echo "\${ARN:-none}"`, []],
    ["of the reader's environment", 'echo "$AWS_REGION"', []],
  ])('are found: %s', (_, text, unset) => {
    expect(unsetVariables(text)).toEqual(unset);
  });

  it.each(PAGES)('in %s are set in a block above their use', (page) => {
    // The page's blocks in order: a variable set in one holds in the next.
    expect(unsetVariables(shellBlocks(read(page)).join('\n'))).toEqual([]);
  });
});

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

  it('hold no optional parts in brackets: each example is typed as written', () => {
    // `[--stage prod]` typed as it is would reach the command as an argument.
    // docs/cli.md gives each command's synopsis, where brackets mean "optional".
    const examples = PAGES.filter((page) => page !== 'docs/cli.md').flatMap((page) =>
      shellBlocks(read(page)).flatMap((block) =>
        block
          .replace(/\\\n\s*/g, ' ')
          .split('\n')
          .map((line) => `${page}: ${line}`),
      ),
    );
    expect(examples.length).toBeGreaterThan(20);
    expect(examples.filter((line) => /(^|\s)\[--?[a-z]/.test(line))).toEqual([]);
  });

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

  it('name the functions and log groups the stack deploys', () => {
    // serverless.yml's `functions:` keys; a function is elb-otlp-<stage>-<key>.
    const section = /^functions:\n([\s\S]*?)^\S/m.exec(read('serverless.yml'))?.[1] ?? '';
    const functions = [...section.matchAll(/^ {2}(\w+):$/gm)].map((m) => m[1]);
    expect(functions).toEqual(expect.arrayContaining(['ingest', 'processChunk', 'metrics']));
    const named = [
      ...DOCUMENTATION.matchAll(/(?:\/aws\/lambda\/|--function-name )elb-otlp-[a-z0-9]+-(\w+)/g),
    ].map((m) => m[1]);
    expect(named.length).toBeGreaterThanOrEqual(5);
    for (const name of named) expect(functions, name).toContain(name);
  });

  it('hand AWS JSON that parses', () => {
    const payloads = BLOCKS.flatMap((block) =>
      [...block.matchAll(/--(?:notification-configuration|input) '([^']*)'/g)].map((m) => m[1]),
    );
    expect(payloads.length).toBeGreaterThanOrEqual(3);
    for (const payload of payloads) expect(() => JSON.parse(payload), payload).not.toThrow();
  });
});
