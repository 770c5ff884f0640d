import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/config/config-error.ts';
import {
  DEFAULT_HANDOFF_BYTES,
  DEFAULT_WORK_PREFIX,
  ingestSettings,
  logLocation,
  planSettings,
} from '../../shared/config/environment.ts';

describe("the functions' environment", () => {
  it('gives the plan step its work location, the logs it may read and whether it may delete', () => {
    expect(planSettings({ WORK_BUCKET: 'work' })).toEqual({
      work: { bucket: 'work', prefix: DEFAULT_WORK_PREFIX },
      allowDelete: false,
    });
    expect(
      planSettings({
        WORK_BUCKET: 'work',
        WORK_PREFIX: 'runs/',
        LOG_BUCKET: 'logs',
        LOG_PREFIX: 'AWSLogs/',
        ELB_OTLP_ALLOW_DELETE: 'true',
      }),
    ).toEqual({
      work: { bucket: 'work', prefix: 'runs/' },
      scope: { bucket: 'logs', prefix: 'AWSLogs/' },
      allowDelete: true,
    });
  });

  it("reads the logs' bucket and prefix from LOG_BUCKET/LOG_PREFIX or the guide's S3_BUCKET_NAME/S3_PREFIX, the project's names first, each prefix with its bucket", () => {
    expect(logLocation({})).toBeUndefined();
    expect(logLocation({ S3_PREFIX: 'AWSLogs/' })).toBeUndefined();
    expect(logLocation({ S3_BUCKET_NAME: 'guide-logs', S3_PREFIX: 'AWSLogs/' })).toEqual({
      bucket: 'guide-logs',
      prefix: 'AWSLogs/',
    });
    expect(
      logLocation({ LOG_BUCKET: 'logs', LOG_PREFIX: '', S3_BUCKET_NAME: 'x', S3_PREFIX: 'p/' }),
    ).toEqual({ bucket: 'logs', prefix: '' });
    expect(
      logLocation({ LOG_BUCKET: 'logs', LOG_PREFIX: 'a/', S3_BUCKET_NAME: 'x', S3_PREFIX: 'p/' }),
    ).toEqual({ bucket: 'logs', prefix: 'a/' });
    expect(planSettings({ WORK_BUCKET: 'work', S3_BUCKET_NAME: 'guide-logs' }).scope).toEqual({
      bucket: 'guide-logs',
      prefix: '',
    });
  });

  it('gives ingest its hand-off size, deletion and state machine', () => {
    const fn = 'arn:aws:lambda:eu-west-1:123456789012:function:elb-otlp-ingest';
    expect(ingestSettings({}, fn)).toEqual({
      handoffBytes: DEFAULT_HANDOFF_BYTES,
      deleteProcessed: false,
    });
    expect(
      ingestSettings(
        {
          ELB_OTLP_HANDOFF_BYTES: ' 1048576 ',
          DELETE_PROCESSED_FILES: 'Yes',
          REPROCESS_STATE_MACHINE_NAME: 'reprocess',
        },
        fn,
      ),
    ).toEqual({
      stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:reprocess',
      handoffBytes: 1048576,
      deleteProcessed: true,
    });
  });

  it.each([
    ['WORK_BUCKET', () => planSettings({ WORK_BUCKET: '' }), /^WORK_BUCKET: is not set/],
    [
      'ELB_OTLP_HANDOFF_BYTES',
      () => ingestSettings({ ELB_OTLP_HANDOFF_BYTES: '1e9' }, undefined),
      /^ELB_OTLP_HANDOFF_BYTES: expected a whole number of bytes, got 1e9$/,
    ],
  ])('refuses a bad %s with a ConfigError naming it', (setting, read, message) => {
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(message);
    try {
      read();
    } catch (error) {
      expect((error as ConfigError).setting).toBe(setting);
    }
  });
});
