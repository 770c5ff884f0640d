/**
 * `elb-otlp reprocess --remote`: the same run, started on the deployed
 * state machine (StartExecution) and followed to its report
 * (docs/design.md#remote-runs).
 */

import { randomBytes } from 'node:crypto';
import {
  ExecutionAlreadyExists,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import { InputValidationError } from '../../shared/contract/errors.ts';
import { RUN_ID, RUN_ID_MESSAGE } from '../../shared/contract/state-machine.ts';
import { parseAnyRunInput } from '../../shared/reprocess/run-input.ts';
import type { CommandIo } from '../command-io.ts';
import { EXIT_DETACHED, EXIT_USAGE } from '../exit-codes.ts';
import { write } from '../output.ts';
import { UsageError } from '../usage-error.ts';
import type { DeploymentChoice } from './deployment-options.ts';
import {
  catchInterrupts,
  connectToDeployment,
  followToTheEnd,
  notDeployed,
  sayingAwsErrors,
  startedLines,
} from './remote-run.ts';

export interface RemoteRunChoice {
  deployment: DeploymentChoice;
  /** The execution's name (default: a new one, see {@link newRunName}). */
  name: string | undefined;
  stopOnInterrupt: boolean;
  deleteAsked: boolean | undefined;
}

/**
 * Validates the input as the plan step will (so a bad one fails before
 * anything starts), starts the execution, and follows it to its end.
 */
export async function startRemoteRun(
  io: CommandIo,
  input: Record<string, unknown>,
  choice: RemoteRunChoice,
): Promise<number> {
  const say = (line: string) => write(io.stderr, `elb-otlp reprocess: ${line}\n`);
  try {
    parseAnyRunInput(input);
  } catch (error) {
    if (error instanceof InputValidationError) throw new UsageError(error.message);
    throw error;
  }
  if (choice.name !== undefined && !RUN_ID.test(choice.name)) {
    throw new UsageError(`--name ${JSON.stringify(choice.name)}: ${RUN_ID_MESSAGE}, at most 80`);
  }
  const name = choice.name ?? newRunName(input, new Date());
  return sayingAwsErrors(say, () => startAndFollow(io, input, name, choice, say));
}

async function startAndFollow(
  io: CommandIo,
  input: Record<string, unknown>,
  name: string,
  choice: RemoteRunChoice,
  say: (line: string) => Promise<void>,
): Promise<number> {
  const deployment = await connectToDeployment(io, choice.deployment);
  // From StartExecution on, Ctrl-C is caught: a run started is named before
  // the command ends. A second one while Step Functions has not answered
  // gives up waiting, saying how to find the run.
  const interrupts = catchInterrupts();
  interrupts.listener = () => {
    if (interrupts.count < 2) return;
    io.stderr.write(
      `elb-otlp reprocess: interrupted while starting; run ${name} may have started: elb-otlp runs --follow ${name} ${deployment.flags}\n`,
    );
    process.exit(EXIT_DETACHED);
  };
  try {
    let executionArn: string;
    try {
      const started = await deployment.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: deployment.machine.arn,
          name,
          input: JSON.stringify(input),
        }),
      );
      executionArn = started.executionArn as string;
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) {
        await say(
          `a run named ${name} already exists in ${deployment.machine.name} (Step Functions keeps a name taken for 90 days after its run ends): give another --name, or follow that run with: elb-otlp runs --follow ${name} ${deployment.flags}`,
        );
        return EXIT_USAGE;
      }
      if (error instanceof StateMachineDoesNotExist) {
        throw notDeployed(deployment.machine, deployment.named, error);
      }
      throw error;
    }
    for (const line of startedLines(executionArn)) await say(line);
    return await followToTheEnd(
      io,
      deployment,
      executionArn,
      {
        command: 'reprocess',
        stopOnInterrupt: choice.stopOnInterrupt,
        deleteAsked: choice.deleteAsked,
      },
      interrupts,
    );
  } finally {
    interrupts.release();
    deployment.close();
  }
}

/**
 * A run's name that says what it is and when it began, unique by a random
 * tail: `run-20261203T004512Z-3fa9c1` (a re-run `retry-…`, a dry run
 * `dry-run-…`). Step Functions takes up to 80 of letters, digits, `-`, `_`.
 */
export function newRunName(input: Record<string, unknown>, now: Date): string {
  const kind = input.dryRun === true ? 'dry-run' : 'retryFrom' in input ? 'retry' : 'run';
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  return `${kind}-${stamp}-${randomBytes(3).toString('hex')}`;
}
