/**
 * The commands of `elb-otlp`, run by the `cli/elb-otlp.ts` entry point.
 */

import packageJson from '../package.json' with { type: 'json' };
import { ConfigError } from '../shared/config/config-error.ts';
import type { CommandIo } from './command-io.ts';
import { METRICS_USAGE, runMetrics } from './commands/metrics.ts';
import { METRICS_CONFIG_USAGE, runMetricsConfig } from './commands/metrics-config.ts';
import { PARSE_USAGE, runParse } from './commands/parse.ts';
import { REDRIVE_USAGE, runRedrive } from './commands/redrive.ts';
import { REPROCESS_USAGE, runReprocess } from './commands/reprocess.ts';
import { RUNS_USAGE, runRuns } from './commands/runs.ts';
import { runShip, SHIP_USAGE } from './commands/ship.ts';
import { EXIT_OK, EXIT_USAGE } from './exit-codes.ts';
import { isBrokenPipe } from './output.ts';
import { UsageError } from './usage-error.ts';

const USAGE = `Usage: elb-otlp <command> [options]

Turns AWS Elastic Load Balancing logs into OpenTelemetry log records, and
their CloudWatch metrics into OpenTelemetry metrics.

Commands:
  parse [FILE|-]   print each log line as an OTLP/JSON log record
  ship FILE        export every log line to an OTLP/HTTP receiver
  reprocess        ship every log object under an S3 prefix, in chunks (on
                   this machine, or with --remote in the deployed stack)
  runs             the deployed stack's runs: list, follow, report
  redrive          replay the notifications in the ingest dead-letter queue
  metrics          export the ELB metrics of a window from CloudWatch as OTLP
  metrics-config   write the CloudWatch exporter configuration for ELB metrics

Run "elb-otlp <command> --help" for a command's options.
  -h, --help       show this help
  --version        print the version`;

const COMMANDS: Record<
  string,
  { usage: string; run: (args: string[], io: CommandIo) => Promise<number> }
> = {
  parse: { usage: PARSE_USAGE, run: runParse },
  ship: { usage: SHIP_USAGE, run: runShip },
  reprocess: { usage: REPROCESS_USAGE, run: runReprocess },
  runs: { usage: RUNS_USAGE, run: runRuns },
  redrive: { usage: REDRIVE_USAGE, run: runRedrive },
  metrics: { usage: METRICS_USAGE, run: runMetrics },
  'metrics-config': { usage: METRICS_CONFIG_USAGE, run: runMetricsConfig },
};

/** Runs the command line `argv` (without `node` and the script); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const io: CommandIo = {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    now: () => BigInt(Date.now()) * 1_000_000n,
  };
  const [name, ...args] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version') {
    process.stdout.write(`${packageJson.version}\n`);
    return EXIT_OK;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`elb-otlp: unknown command ${JSON.stringify(name)}\n\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (isBrokenPipe(error)) return EXIT_OK;
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`elb-otlp ${name}: ${(error as Error).message}\n\n${command.usage}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`elb-otlp ${name}: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}
