/**
 * What `sls deploy` would create, part 3: what the parameters change. A
 * logPrefix that would widen the roles is refused, KMS keys are granted only
 * when given, allowInsecure reaches every exporting function, and ingestMode
 * sqs with the metrics on makes a queue and a schedule instead of the S3
 * trigger. From the CloudFormation template of `sls package` (offline, no
 * AWS account): the stack of the usual parameters is packaged once and shared
 * with the other deploy-template files (test/helpers/packaged-stack.ts); the
 * other parameters are packaged here, each once.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  EXPORTING_FUNCTIONS,
  FRAMEWORK_FUNCTION,
  FRAMEWORK_ROLE,
  FUNCTIONS,
  type Json,
  LOG_KEY,
  PARAMS,
  packagedStack,
  packageStack,
  SLS_TIMEOUT_MS,
  sub,
  WORK_KEY,
} from '../helpers/packaged-stack.ts';

let template: Json;
let resources: Json;

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

  it('refuses headers over plain http:// unless allowInsecure says so, in every function that exports', () => {
    for (const fn of Object.values(FUNCTIONS)) {
      const env = resources[`${fn}LambdaFunction`].Properties.Environment?.Variables ?? {};
      expect(env.ELB_OTLP_ALLOW_INSECURE, fn).toBe(
        EXPORTING_FUNCTIONS.includes(fn) ? 'false' : undefined,
      );
    }
  });
});

describe('the deployment template with ingestMode sqs and metrics on', () => {
  it(
    'reads a queue the stack creates, reports batch item failures, adds no trigger function, schedules the metrics, passes allowInsecure on, and runs Standard children',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'elb-otlp-package-sqs-'));
      try {
        const sqs: Json = (
          await packageStack(dir, {
            ...PARAMS,
            ingestMode: 'sqs',
            metrics: 'true',
            metricsIntervalMinutes: '10',
            allowDeleteProcessed: 'true',
            logKmsKeyArn: LOG_KEY,
            workKmsKeyArn: WORK_KEY,
            allowInsecure: 'true',
            childExecutionType: 'STANDARD',
          })
        ).Resources;
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
        expect(
          sqs.MetricsLambdaFunction.Properties.Environment.Variables.ELB_OTLP_METRICS_WINDOW,
        ).toBe('10m');
        expect(sqs[FRAMEWORK_FUNCTION]).toBeUndefined();
        expect(sqs[FRAMEWORK_ROLE]).toBeUndefined();
        const mappings = Object.values(sqs).filter(
          (r) => r.Type === 'AWS::Lambda::EventSourceMapping',
        );
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
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    SLS_TIMEOUT_MS,
  );
});
