import { describe, expect, it } from 'vitest';
import { stateMachineArnFor } from '../../shared/config/environment.ts';
import {
  handoffLimit,
  handoffName,
  SHIP_BYTES_PER_SECOND,
} from '../../shared/ingest/ingest-object.ts';

describe('ingest hand-offs', () => {
  it('build the state machine ARN from the function own partition, Region and account', () => {
    const fn = 'arn:aws-cn:lambda:cn-north-1:123456789012:function:elb-otlp-prod-ingest';
    expect(
      stateMachineArnFor({ REPROCESS_STATE_MACHINE_NAME: 'elb-otlp-prod-reprocess' }, fn),
    ).toBe('arn:aws-cn:states:cn-north-1:123456789012:stateMachine:elb-otlp-prod-reprocess');
    // A given ARN wins; without a name or a function ARN there are no hand-offs.
    expect(
      stateMachineArnFor(
        { REPROCESS_STATE_MACHINE_ARN: 'arn:x', REPROCESS_STATE_MACHINE_NAME: 'n' },
        fn,
      ),
    ).toBe('arn:x');
    expect(stateMachineArnFor({}, fn)).toBeUndefined();
    expect(stateMachineArnFor({ REPROCESS_STATE_MACHINE_NAME: 'n' }, undefined)).toBeUndefined();
  });

  it('take on what half the remaining time ships, at most the configured bytes', () => {
    const now = () => 1_000_000;
    // 300 s left, 30 s kept in reserve: 135 s of shipping.
    expect(handoffLimit({ now, deadlineMs: 1_300_000, handoffBytes: 1e12 })).toBe(
      135 * SHIP_BYTES_PER_SECOND,
    );
    expect(handoffLimit({ now, deadlineMs: 1_300_000, handoffBytes: 1000 })).toBe(1000);
    expect(handoffLimit({ now, deadlineMs: 1_010_000, handoffBytes: 1e12 })).toBe(0);
  });

  it('name a run after the object version, the same for each delivery', () => {
    const notice = { bucket: 'b', key: 'k', sequencer: '01' };
    expect(handoffName(notice, '"e1"')).toBe(handoffName({ ...notice }, '"e1"'));
    expect(handoffName(notice, '"e1"')).not.toBe(handoffName(notice, '"e2"'));
    expect(handoffName(notice, '"e1"')).toMatch(/^ingest-[0-9a-f]{40}$/);
  });
});
