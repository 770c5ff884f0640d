/**
 * Every `elb-otlp` command pays for what the command line loads at start
 * (BENCHMARKS.md, "Ship": start-up is part of each run). The AWS SDK, the
 * OpenTelemetry packages and the YAML writer are loaded only by the
 * commands that use them, when they run.
 */

import { describe, expect, it } from 'vitest';
import { runScript } from '../helpers/cli.ts';

const HELPER = new URL('../helpers/loaded-packages.ts', import.meta.url).pathname;
const MAIN = new URL('../../cli/main.ts', import.meta.url).pathname;

describe('elb-otlp start-up', () => {
  it('loads only undici and zod of the npm packages', async () => {
    const run = await runScript(HELPER, [MAIN]);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual(['undici', 'zod']);
  });
});
