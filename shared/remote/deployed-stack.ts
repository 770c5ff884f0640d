/**
 * The deployed reprocessing state machine, found from outside the stack:
 * its ARN from the stage's fixed name (serverless.yml), the caller's account
 * (STS GetCallerIdentity) and the Region of the SDK's configuration; and
 * where its runs keep their files, from the state machine's
 * `elb-otlp:work-files` tag (docs/design.md#remote-runs).
 */

import { ListTagsForResourceCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { RUN_ID } from '../contract/state-machine.ts';
import type { WorkLocation } from '../reprocess/run-files.ts';

/** The stage `sls deploy` uses when given none. */
export const DEFAULT_STAGE = 'dev';
/** The tag the deployment puts on the state machine: `s3://<work bucket>/<work prefix>`. */
export const WORK_FILES_TAG = 'elb-otlp:work-files';

/** What names a stage: as the Serverless Framework allows it. */
const STAGE = /^[A-Za-z0-9-]{1,40}$/;
/** `arn:<partition>:states:<region>:<account>:stateMachine:<name>`. */
const STATE_MACHINE_ARN = /^arn:([\w-]+):states:([\w-]+):(\d{12}):stateMachine:([\w-]{1,80})$/;
/** `arn:<partition>:states:<region>:<account>:execution:<state machine>:<name>`. */
const EXECUTION_ARN =
  /^arn:([\w-]+):states:([\w-]+):(\d{12}):execution:([\w-]{1,80}):([A-Za-z0-9._-]{1,80})$/;

/** A wrong address given by the caller (a stage, an ARN): the CLI says it as a usage error. */
export class RemoteAddressError extends Error {
  override readonly name = 'RemoteAddressError';
}

/** The state machine a stage deploys (serverless.yml's `custom.stateMachineName`). */
export function stateMachineName(stage: string): string {
  if (!STAGE.test(stage)) {
    throw new RemoteAddressError(
      `stage ${JSON.stringify(stage)}: expected letters, digits and "-" (as "sls deploy --stage" takes it)`,
    );
  }
  return `elb-otlp-${stage}-reprocess`;
}

/** A state machine's ARN, read into its parts. */
export interface StateMachineAddress {
  arn: string;
  partition: string;
  region: string;
  account: string;
  name: string;
}

/** Reads a state machine ARN, or throws {@link RemoteAddressError} naming it. */
export function stateMachineAddress(arn: string): StateMachineAddress {
  const parts = STATE_MACHINE_ARN.exec(arn);
  if (parts === null) {
    throw new RemoteAddressError(
      `${JSON.stringify(arn)} is not a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)`,
    );
  }
  const [, partition, region, account, name] = parts;
  return { arn, partition, region, account, name } as StateMachineAddress;
}

/**
 * The stage's state machine in the caller's account and the given Region:
 * the partition and account are the caller's own (GetCallerIdentity).
 */
export async function findStateMachine(
  sts: STSClient,
  region: string,
  stage: string,
): Promise<StateMachineAddress> {
  const name = stateMachineName(stage);
  const caller = await sts.send(new GetCallerIdentityCommand({}));
  const account = caller.Account;
  const partition = caller.Arn?.split(':')[1];
  if (account === undefined || partition === undefined) {
    throw new Error('STS GetCallerIdentity answered without an account or ARN');
  }
  return stateMachineAddress(`arn:${partition}:states:${region}:${account}:stateMachine:${name}`);
}

/**
 * An execution's ARN: given as one (of this state machine), or its name
 * under the state machine.
 */
export function executionArn(machine: StateMachineAddress, nameOrArn: string): string {
  const parts = EXECUTION_ARN.exec(nameOrArn);
  if (parts !== null) {
    if (parts[4] !== machine.name) {
      throw new RemoteAddressError(
        `${nameOrArn} is an execution of ${parts[4]}, not of ${machine.name}`,
      );
    }
    return nameOrArn;
  }
  if (nameOrArn.startsWith('arn:') || !RUN_ID.test(nameOrArn)) {
    throw new RemoteAddressError(
      `${JSON.stringify(nameOrArn)} is neither a run's name nor an execution ARN of ${machine.name}`,
    );
  }
  const { partition, region, account, name } = machine;
  return `arn:${partition}:states:${region}:${account}:execution:${name}:${nameOrArn}`;
}

/** The state machine an execution ARN belongs to, or undefined when the text is not one. */
export function machineOfExecution(arn: string): StateMachineAddress | undefined {
  const parts = EXECUTION_ARN.exec(arn);
  if (parts === null) return undefined;
  const [, partition, region, account, name] = parts;
  return stateMachineAddress(`arn:${partition}:states:${region}:${account}:stateMachine:${name}`);
}

/** An execution's name: the last part of its ARN, and the run's id. */
export function executionName(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}

/** Where the AWS console shows an execution (the partition decides the console's domain). */
export function consoleUrl(arn: string): string {
  const [, partition, , region] = arn.split(':');
  const host =
    partition === 'aws-cn'
      ? `${region}.console.amazonaws.cn`
      : partition === 'aws-us-gov'
        ? 'console.amazonaws-us-gov.com'
        : `${region}.console.aws.amazon.com`;
  return `https://${host}/states/home?region=${region}#/v2/executions/details/${arn}`;
}

/**
 * Where the state machine's runs keep their files, as its
 * {@link WORK_FILES_TAG} tag says; each run under `<prefix><run name>/`.
 */
export async function workLocationOf(sfn: SFNClient, machine: string): Promise<WorkLocation> {
  const { tags } = await sfn.send(new ListTagsForResourceCommand({ resourceArn: machine }));
  const value = tags?.find((tag) => tag.key === WORK_FILES_TAG)?.value;
  const parts = value === undefined ? null : /^s3:\/\/([^/]+)\/(.*)$/.exec(value);
  if (parts === null) {
    throw new RemoteAddressError(
      `${machine} has no ${WORK_FILES_TAG} tag naming where its runs keep their files${value === undefined ? '' : ` (it says ${JSON.stringify(value)})`}: deploy the stack again, or give --work-bucket (and --work-prefix)`,
    );
  }
  return { bucket: parts[1] as string, prefix: parts[2] as string };
}
