/**
 * Runs the ingest function starts on the reprocessing state machine, through
 * Step Functions' StartExecution: hand-offs of objects too large for one
 * invocation, under a name the object version fixes (ingest-object.ts), and
 * runs over a window asked without S3 records, under a name their input
 * fixes (window-run.ts); either way a repeated request finds its run
 * already there.
 */

import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { StateMachineStarter } from './ingest-object.ts';

/** Hand-offs through Step Functions' StartExecution. */
export function stepFunctionsStarter(
  client: SFNClient,
  stateMachineArn: string,
): StateMachineStarter {
  return {
    async start(name, input) {
      try {
        const started = await client.send(
          new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
        );
        return { started: true, executionArn: started.executionArn ?? executionArnOf(name) };
      } catch (error) {
        // The same request again (a duplicate notification, a retried event): its run exists.
        if (error instanceof ExecutionAlreadyExists) {
          return { started: false, executionArn: executionArnOf(name) };
        }
        throw error;
      }
    },
  };

  function executionArnOf(name: string): string {
    return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }
}
