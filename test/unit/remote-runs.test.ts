/**
 * What `elb-otlp reprocess --remote` and `elb-otlp runs` decide without
 * calling AWS: the addresses they build and refuse, how an ended execution
 * maps to an exit code, and how a Lambda's error is said. The runs
 * themselves are tested against the stand-ins (reprocess-remote.test.ts);
 * these are the paths those runs do not reach.
 */

import { describe, expect, it } from 'vitest';
import { exitCodeOf, lambdaError } from '../../cli/commands/remote-run.ts';
import {
  consoleUrl,
  executionArn,
  machineOfExecution,
  RemoteAddressError,
  stateMachineAddress,
  stateMachineName,
} from '../../shared/remote/deployed-stack.ts';

const MACHINE = stateMachineAddress(
  'arn:aws:states:eu-west-1:123456789012:stateMachine:elb-otlp-prod-reprocess',
);

describe('remote run addresses', () => {
  it('names the stage’s state machine, refusing a stage sls would not take', () => {
    expect(stateMachineName('prod')).toBe('elb-otlp-prod-reprocess');
    expect(() => stateMachineName('prod stage')).toThrow(RemoteAddressError);
  });

  it('reads an execution from its name or ARN, and refuses another machine’s or a malformed one', () => {
    const arn = 'arn:aws:states:eu-west-1:123456789012:execution:elb-otlp-prod-reprocess:run-1';
    expect(executionArn(MACHINE, 'run-1')).toBe(arn);
    expect(executionArn(MACHINE, arn)).toBe(arn);
    expect(machineOfExecution(arn)).toEqual(MACHINE);
    expect(() =>
      executionArn(MACHINE, arn.replace('elb-otlp-prod-reprocess', 'elb-otlp-dev-reprocess')),
    ).toThrow('is an execution of elb-otlp-dev-reprocess, not of elb-otlp-prod-reprocess');
    expect(() => executionArn(MACHINE, 'run 1')).toThrow(RemoteAddressError);
    expect(() => stateMachineAddress('arn:aws:lambda:eu-west-1:123456789012:function:x')).toThrow(
      'is not a state machine ARN',
    );
  });

  it('links the console of the execution’s partition', () => {
    const url = (partition: string, region: string) =>
      consoleUrl(`arn:${partition}:states:${region}:123456789012:execution:m:r`);
    expect(url('aws', 'eu-west-1')).toMatch(
      /^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/states\/home\?region=eu-west-1#\/v2\/executions\/details\/arn:aws:/,
    );
    expect(url('aws-cn', 'cn-north-1')).toMatch(/^https:\/\/cn-north-1\.console\.amazonaws\.cn\//);
    expect(url('aws-us-gov', 'us-gov-west-1')).toMatch(
      /^https:\/\/console\.amazonaws-us-gov\.com\/states\/home\?region=us-gov-west-1#/,
    );
  });
});

describe('an ended run', () => {
  const report = { runId: 'r', failedChunks: 0 };
  it.each([
    ['succeeded', { status: 'SUCCEEDED' as const }, 0],
    [
      'failed chunks, after its report',
      { status: 'FAILED' as const, error: 'ChunksFailed', report },
      4,
    ],
    [
      'failed deletions, after its report',
      { status: 'FAILED' as const, error: 'DeletionsFailed', report },
      4,
    ],
    [
      'its input refused by the plan',
      { status: 'FAILED' as const, error: 'InputValidationError' },
      2,
    ],
    ['failed before its report', { status: 'FAILED' as const, error: 'ConfigError' }, 1],
    // The report step failed (e.g. while deleting) after its first report.json.
    [
      'failed while writing its report',
      { status: 'FAILED' as const, error: 'States.Timeout', report },
      1,
    ],
    [
      'ChunksFailed without a report to read',
      { status: 'FAILED' as const, error: 'ChunksFailed' },
      1,
    ],
    ['stopped', { status: 'ABORTED' as const, error: 'Interrupted' }, 1],
    ['timed out', { status: 'TIMED_OUT' as const }, 1],
  ])('%s: exit %s', (_name, end, code) => {
    expect(exitCodeOf(end)).toBe(code);
  });

  it('says a Lambda’s error by its message, and any other cause as it is', () => {
    const cause = JSON.stringify({
      errorType: 'ConfigError',
      errorMessage: 'ELB_OTLP_PRICES: bad',
      trace: [],
    });
    expect(lambdaError({ error: 'ConfigError', cause })).toEqual({
      error: 'ConfigError',
      cause: 'ELB_OTLP_PRICES: bad',
    });
    expect(
      lambdaError({ error: 'ChunksFailed', cause: 'Some chunks were not fully shipped' }),
    ).toEqual({
      error: 'ChunksFailed',
      cause: 'Some chunks were not fully shipped',
    });
    expect(lambdaError({ error: 'X', cause: '{not json' })).toEqual({
      error: 'X',
      cause: '{not json',
    });
    expect(lambdaError({})).toEqual({});
  });
});
