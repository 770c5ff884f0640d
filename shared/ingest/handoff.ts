/**
 * Hand-offs of objects too large for one ingest invocation: a run of the
 * reprocessing state machine, started through Step Functions'
 * StartExecution under a name the object version fixes (ingest-object.ts),
 * so a duplicate notification finds its run already there.
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
        await client.send(
          new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
        );
        return true;
      } catch (error) {
        // A duplicate notification of the same object version: its run exists.
        if (error instanceof ExecutionAlreadyExists) return false;
        throw error;
      }
    },
  };
}
