/**
 * What `sls deploy` would create, part 3: what the parameters change. A
 * logPrefix that would widen the roles is refused, KMS keys are granted only
 * when given, allowInsecure reaches every exporting function, and ingestMode
 * sqs with the metrics on makes a queue and a schedule instead of the S3
 * trigger. From the CloudFormation template of `sls package` (offline, no
 * AWS account): the stack of the usual parameters is packaged once and shared
 * with the other deploy-template files (test/helpers/packaged-stack.ts); the
 * other parameters are packaged here, each once. Every export setting reaches
 * the functions that read it, and its default is the code's: the variable
 * read as the function reads it gives what leaving it unset gives.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExportConfig, loadExportConfig } from '../../shared/config/export-config.ts';
import { loadMappingConfig, type MappingConfig } from '../../shared/config/mapping-config.ts';
import { loadMetricsSettings } from '../../shared/metrics/metrics-settings.ts';
import {
  EXPORTING_FUNCTIONS,
  FRAMEWORK_FUNCTION,
  FRAMEWORK_ROLE,
  FUNCTIONS,
  type Json,
  LOG_KEY,
  LOG_PREFIX,
  PARAMS,
  packagedStack,
  packageStack,
  SLS_TIMEOUT_MS,
  sls,
  sub,
  WORK_KEY,
} from '../helpers/packaged-stack.ts';
import { TEST_BUCKET } from '../helpers/s3.ts';

let template: Json;
let resources: Json;
const LOG_GROUP = '/aws/vendedlogs/elb/web';

/** What a function's export and mapping settings come to, read as the function reads them. */
interface ReadSettings {
  export: ExportConfig;
  mapping: MappingConfig;
}

/** A deployment parameter that sets an export variable. */
interface ExportSetting {
  parameter: string;
  variable: string;
  /** serverless.yml's default. */
  byDefault: string;
  /** A value other than the default, given to the second stack. */
  given: string;
  /** The setting it shapes, and what {@link given} makes of it. */
  read: (settings: ReadSettings) => unknown;
  expected: unknown;
  /** Whether the metrics function reads it too (not only processChunk and ingest). */
  metrics: boolean;
}

const EXPORT_SETTINGS: ExportSetting[] = [
  {
    parameter: 'serviceName',
    variable: 'OTEL_SERVICE_NAME',
    byDefault: '',
    given: 'alb',
    read: (s) => s.mapping.serviceName,
    expected: 'alb',
    metrics: true,
  },
  {
    parameter: 'resourceAttributes',
    variable: 'OTEL_RESOURCE_ATTRIBUTES',
    byDefault: '',
    given: 'deployment.environment.name=prod,team=edge',
    read: (s) => s.mapping.resourceAttributes,
    expected: [
      { key: 'deployment.environment.name', type: 'string', value: 'prod' },
      { key: 'team', type: 'string', value: 'edge' },
    ],
    metrics: true,
  },
  {
    parameter: 'otlpProtocol',
    variable: 'OTEL_EXPORTER_OTLP_PROTOCOL',
    byDefault: 'http/protobuf',
    given: 'http/json',
    read: (s) => s.export.protocol,
    expected: 'http/json',
    metrics: true,
  },
  {
    parameter: 'otlpCompression',
    variable: 'OTEL_EXPORTER_OTLP_COMPRESSION',
    byDefault: 'gzip',
    given: 'zstd',
    read: (s) => s.export.compression,
    expected: 'zstd',
    metrics: true,
  },
  {
    parameter: 'batchRecords',
    variable: 'ELB_OTLP_MAX_BATCH_RECORDS',
    byDefault: '8192',
    given: '1000',
    read: (s) => s.export.maxBatchRecords,
    expected: 1000,
    metrics: true,
  },
  {
    parameter: 'batchBytes',
    variable: 'ELB_OTLP_MAX_BATCH_BYTES',
    byDefault: '4194304',
    given: '1048576',
    read: (s) => s.export.maxBatchBytes,
    expected: 1_048_576,
    metrics: true,
  },
  {
    parameter: 'otlpTimeout',
    variable: 'OTEL_EXPORTER_OTLP_TIMEOUT',
    byDefault: '10000',
    given: '30000',
    read: (s) => s.export.timeoutMs,
    expected: 30_000,
    metrics: true,
  },
  {
    parameter: 'maxRetryTime',
    variable: 'ELB_OTLP_MAX_RETRY_TIME',
    byDefault: '2m',
    given: '5m',
    read: (s) => s.export.maxRetryTimeMs,
    expected: 300_000,
    metrics: true,
  },
  {
    parameter: 'includeBody',
    variable: 'ELB_OTLP_INCLUDE_BODY',
    byDefault: 'true',
    given: 'false',
    read: (s) => s.mapping.includeBody,
    expected: false,
    metrics: false,
  },
];

/** A function's environment in a template's resources, its plain values only. */
function environmentOf(stack: Json, fn: string): Record<string, string> {
  const variables: Json = stack[`${fn}LambdaFunction`].Properties.Environment?.Variables ?? {};
  return Object.fromEntries(
    Object.entries(variables).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}

/** The settings `fn` reads from `env`: the metrics function exports metrics, the others logs. */
function readSettings(fn: string, env: Record<string, string>): ReadSettings {
  return {
    export: loadExportConfig(env, {}, fn === FUNCTIONS.metrics ? 'metrics' : 'logs'),
    mapping: loadMappingConfig(env),
  };
}

/** What `fn` reads with no export variable set but the endpoint the stacks are given. */
const unsetSettings = (fn: string) =>
  readSettings(fn, { OTEL_EXPORTER_OTLP_ENDPOINT: PARAMS.otlpEndpoint });

/** The functions that read a setting. */
const readersOf = (setting: ExportSetting) =>
  EXPORTING_FUNCTIONS.filter((fn) => setting.metrics || fn !== FUNCTIONS.metrics);

beforeAll(async () => {
  ({ template } = await packagedStack());
  resources = template.Resources;
}, SLS_TIMEOUT_MS);

describe('the deployment template: parameters and encryption (sls package)', () => {
  it(
    'refuses at package time a logPrefix that would widen the roles to sibling prefixes',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'elb-otlp-package-prefix-'));
      try {
        const refused = await packageStack(dir, { ...PARAMS, logPrefix: 'AWSLogs/123' }).then(
          () => undefined,
          (error: { stdout?: string; stderr?: string }) => `${error.stdout}${error.stderr}`,
        );
        expect(refused).toMatch(
          /logPrefix "AWSLogs\/123": it must end with "\/".*use "AWSLogs\/123\/"/,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    SLS_TIMEOUT_MS,
  );

  it(
    'refuses at package time a childExecutionType other than EXPRESS or STANDARD',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'elb-otlp-package-child-'));
      try {
        const refused = await packageStack(dir, { ...PARAMS, childExecutionType: 'BATCH' }).then(
          () => undefined,
          (error: { stdout?: string; stderr?: string }) => `${error.stdout}${error.stderr}`,
        );
        expect(refused).toMatch(
          /childExecutionType: expected "EXPRESS" or "STANDARD", got "BATCH"/,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    SLS_TIMEOUT_MS,
  );

  it('grants the KMS keys of logs and run files only when given, only through S3, only to the roles that use them', () => {
    const viaS3 = { StringEquals: { 'kms:ViaService': sub(`s3.\${AWS::Region}.amazonaws.com`) } };
    const kms = (id: string) =>
      resources[id].Properties.Policies[0].PolicyDocument.Statement.filter((statement: Json) =>
        JSON.stringify(statement).includes('"kms:'),
      );
    const logs = {
      'Fn::If': [
        'HasLogKmsKey',
        {
          Sid: 'DecryptLogs',
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: '',
          Condition: viaS3,
        },
        { Ref: 'AWS::NoValue' },
      ],
    };
    const work = {
      'Fn::If': [
        'HasWorkKmsKey',
        {
          Sid: 'EncryptRunFiles',
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: '',
          Condition: viaS3,
        },
        { Ref: 'AWS::NoValue' },
      ],
    };
    expect(kms('PlanRole')).toEqual([logs, work]);
    expect(kms('ProcessChunkRole')).toEqual([logs]);
    expect(kms('IngestRole')).toEqual([logs]);
    expect(kms('ReportRole')).toEqual([work]);
    expect(kms('ReprocessStateMachineRole')).toEqual([work]);
    expect(kms('MetricsRole')).toEqual([]);
    expect(template.Conditions.HasLogKmsKey).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
  });

  it("gives every exporting function the code's own export settings in the usual stack", () => {
    for (const fn of EXPORTING_FUNCTIONS) {
      const { mapping, export: config } = readSettings(fn, environmentOf(resources, fn));
      const unset = unsetSettings(fn);
      expect(config, fn).toEqual(unset.export);
      expect(mapping.includeBody, fn).toBe(unset.mapping.includeBody);
      expect(mapping.resourceAttributes, fn).toEqual(unset.mapping.resourceAttributes);
      expect(mapping.serviceName, fn).toBe(unset.mapping.serviceName);
    }
  });

  it('refuses headers over plain http:// unless allowInsecure says so, in every function that exports', () => {
    for (const fn of Object.values(FUNCTIONS)) {
      const env = resources[`${fn}LambdaFunction`].Properties.Environment?.Variables ?? {};
      expect(env.ELB_OTLP_ALLOW_INSECURE, fn).toBe(
        EXPORTING_FUNCTIONS.includes(fn) ? 'false' : undefined,
      );
    }
  });
});

describe('the deployment template: the ingest function', () => {
  it('subscribes to no log group and reads no plain delivery by default', () => {
    expect(template.Conditions.HasIngestLogGroup).toEqual({
      'Fn::Not': [{ 'Fn::Equals': ['', ''] }],
    });
    expect(template.Conditions.HasVendedDelivery).toEqual({
      'Fn::Not': [{ 'Fn::Equals': ['', ''] }],
    });
    for (const fn of [FUNCTIONS.plan, FUNCTIONS.processChunk, FUNCTIONS.ingest]) {
      expect(loadMappingConfig(environmentOf(resources, fn)).vended, fn).toEqual({});
    }
  });

  it('knows the logs it may read, and that their objects may not be deleted by default', () => {
    expect(resources.IngestLambdaFunction.Properties.Environment.Variables).toMatchObject({
      LOG_BUCKET: TEST_BUCKET,
      LOG_PREFIX,
      ELB_OTLP_ALLOW_DELETE: 'false',
    });
  });

  it(
    'may delete with deleteAfterIngest on, as the AllowDeleteProcessed condition says, in a plain value sls invoke local reads',
    async () => {
      // `sls print` resolves the variables without packaging: seconds, not a stack.
      const printed = await sls([
        'print',
        '--format',
        'json',
        '--path',
        'functions.ingest.environment',
        ...Object.entries({ ...PARAMS, deleteAfterIngest: 'true' }).flatMap(([name, value]) => [
          '--param',
          `${name}=${value}`,
        ]),
      ]);
      expect(JSON.parse(printed)).toMatchObject({
        ELB_OTLP_ALLOW_DELETE: 'true',
        DELETE_PROCESSED_FILES: 'true',
      });
    },
    SLS_TIMEOUT_MS,
  );
});

describe('the deployment template with ingestMode sqs, metrics on and every export setting given', () => {
  // One stack for all these parameters: packaging takes seconds of CPU.
  let dir: string;
  let sqs: Json;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'elb-otlp-package-sqs-'));
    sqs = (
      await packageStack(dir, {
        ...PARAMS,
        ingestMode: 'sqs',
        metrics: 'true',
        metricsIntervalMinutes: '10',
        metricsCounts: 'gauge',
        metricsUnits: 'none',
        allowDeleteProcessed: 'true',
        logKmsKeyArn: LOG_KEY,
        workKmsKeyArn: WORK_KEY,
        allowInsecure: 'true',
        childExecutionType: 'STANDARD',
        ingestLogGroup: LOG_GROUP,
        vendedFields: 'time,elb,client_port,request_line',
        vendedDelimiter: 'tab',
        vendedDeliveryId: 'abc123',
        ...Object.fromEntries(EXPORT_SETTINGS.map((s) => [s.parameter, s.given])),
      })
    ).Resources;
  }, SLS_TIMEOUT_MS);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('subscribes ingest to ingestLogGroup, invoked by CloudWatch Logs for that log group of this account only', () => {
    expect(sqs.IngestLogGroupSubscription).toMatchObject({
      Condition: 'HasIngestLogGroup',
      DependsOn: ['IngestLogGroupPermission'],
      Properties: {
        LogGroupName: LOG_GROUP,
        FilterPattern: '',
        DestinationArn: { 'Fn::GetAtt': ['IngestLambdaFunction', 'Arn'] },
      },
    });
    expect(sqs.IngestLogGroupPermission).toMatchObject({
      Condition: 'HasIngestLogGroup',
      Properties: {
        FunctionName: { 'Fn::GetAtt': ['IngestLambdaFunction', 'Arn'] },
        Action: 'lambda:InvokeFunction',
        Principal: 'logs.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
        SourceArn: {
          'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:${LOG_GROUP}:*`,
        },
      },
    });
  });

  it('gives plan, processChunk and ingest the vended delivery fields and delimiter, and may let them read the delivery', () => {
    for (const fn of [FUNCTIONS.plan, FUNCTIONS.processChunk, FUNCTIONS.ingest]) {
      expect(loadMappingConfig(environmentOf(sqs, fn)).vended, fn).toEqual({
        fields: ['time', 'elb', 'client_port', 'request_line'],
        delimiter: '\t',
      });
      expect(environmentOf(sqs, fn).ELB_OTLP_VENDED_DELIVERY_ID, fn).toBe('abc123');
    }
    for (const id of ['PlanRole', 'ProcessChunkRole', 'IngestRole']) {
      const statement = sqs[id].Properties.Policies[0].PolicyDocument.Statement.find(
        (s: Json) => s['Fn::If']?.[1]?.Sid === 'ReadVendedDelivery',
      );
      expect(statement?.['Fn::If'], id).toEqual([
        'HasVendedDelivery',
        {
          Sid: 'ReadVendedDelivery',
          Effect: 'Allow',
          Action: 'logs:GetDelivery',
          Resource: {
            'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:delivery:abc123`,
          },
        },
        { Ref: 'AWS::NoValue' },
      ]);
    }
  });

  it('tells ingest its objects may be deleted when allowDeleteProcessed is on', () => {
    expect(environmentOf(sqs, FUNCTIONS.ingest).ELB_OTLP_ALLOW_DELETE).toBe('true');
  });

  it("gives the metrics function the exporter path's form with metricsCounts=gauge and metricsUnits=none, and the code's defaults without", () => {
    const given = loadMetricsSettings(environmentOf(sqs, FUNCTIONS.metrics));
    expect({ counts: given.counts, units: given.units }).toEqual({
      counts: 'gauge',
      units: 'none',
    });
    const usual = loadMetricsSettings(environmentOf(resources, FUNCTIONS.metrics));
    const unset = loadMetricsSettings({});
    expect({ counts: usual.counts, units: usual.units }).toEqual({
      counts: unset.counts,
      units: unset.units,
    });
  });

  it.each(EXPORT_SETTINGS)(
    'sets $variable from $parameter in every function that reads it, defaulting to what leaving it unset gives',
    (setting) => {
      const { variable, byDefault, given } = setting;
      const readers = readersOf(setting);
      for (const fn of EXPORTING_FUNCTIONS) {
        const set = environmentOf(sqs, fn);
        const usual = environmentOf(resources, fn);
        if (!readers.includes(fn)) {
          expect(set[variable], fn).toBeUndefined();
          expect(usual[variable], fn).toBeUndefined();
          continue;
        }
        expect(set[variable], fn).toBe(given);
        expect(setting.read(readSettings(fn, set)), fn).toEqual(setting.expected);
        expect(usual[variable], fn).toBe(byDefault);
        // The template's default is the code's: it reads as the variable unset does.
        expect(setting.read(readSettings(fn, usual)), fn).toEqual(setting.read(unsetSettings(fn)));
        expect(setting.read(unsetSettings(fn)), fn).not.toEqual(setting.expected);
      }
      // Only the functions that export.
      for (const fn of Object.values(FUNCTIONS)) {
        if (!EXPORTING_FUNCTIONS.includes(fn)) {
          expect(environmentOf(sqs, fn)[variable], fn).toBeUndefined();
        }
      }
    },
  );

  it('reads a queue the stack creates, reports batch item failures, adds no trigger function, schedules the metrics, passes allowInsecure on, and runs Standard children', () => {
    // Standard children where the deployment asks for them, the worker told so.
    const [definition] = sqs.ReprocessStateMachine.Properties.DefinitionString['Fn::Sub'];
    const units = JSON.parse(definition).States.ShipUnits.ItemProcessor;
    expect(units.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(units.States.ProcessUnit.Parameters.executionType).toBe('STANDARD');
    // The keys given reach exactly the statements that use them.
    const granted = (id: string, sid: string) =>
      sqs[id].Properties.Policies[0].PolicyDocument.Statement.find(
        (statement: Json) => statement['Fn::If']?.[1]?.Sid === sid,
      )?.['Fn::If'][1].Resource;
    for (const id of ['PlanRole', 'ProcessChunkRole', 'IngestRole'])
      expect(granted(id, 'DecryptLogs'), id).toBe(LOG_KEY);
    for (const id of ['PlanRole', 'ReportRole', 'ReprocessStateMachineRole'])
      expect(granted(id, 'EncryptRunFiles'), id).toBe(WORK_KEY);
    for (const fn of EXPORTING_FUNCTIONS) {
      expect(sqs[`${fn}LambdaFunction`].Properties.Environment.Variables, fn).toMatchObject({
        ELB_OTLP_ALLOW_INSECURE: 'true',
      });
    }
    const rules = Object.values(sqs).filter((r) => r.Type === 'AWS::Events::Rule');
    expect(rules).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({
          ScheduleExpression: 'rate(10 minutes)',
          State: 'ENABLED',
          Targets: [
            expect.objectContaining({
              Arn: { 'Fn::GetAtt': ['MetricsLambdaFunction', 'Arn'] },
            }),
          ],
        }),
      }),
    ]);
    expect(sqs.MetricsLambdaFunction.Properties.Environment.Variables.ELB_OTLP_METRICS_WINDOW).toBe(
      '10m',
    );
    expect(sqs[FRAMEWORK_FUNCTION]).toBeUndefined();
    expect(sqs[FRAMEWORK_ROLE]).toBeUndefined();
    const mappings = Object.values(sqs).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({
          EventSourceArn: { 'Fn::GetAtt': ['IngestQueue', 'Arn'] },
          FunctionResponseTypes: ['ReportBatchItemFailures'],
        }),
      }),
    ]);
    expect(sqs.IngestQueue.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['IngestDeadLetterQueue', 'Arn'] },
      maxReceiveCount: 5,
    });
    expect(sqs.IngestQueuePolicy.Properties.PolicyDocument.Statement[0]).toMatchObject({
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'sqs:SendMessage',
    });
  });
});
