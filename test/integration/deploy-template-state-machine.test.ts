/**
 * What `sls deploy` would create, part 2: the reprocessing state machine (the
 * repository's definition, a Distributed Map calling the three functions, and
 * its role) and the private work bucket its runs write to. From the
 * CloudFormation template of `sls package` (offline, no AWS account),
 * packaged once and shared with the other deploy-template files
 * (test/helpers/packaged-stack.ts).
 */

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { stateMachineName, WORK_FILES_TAG } from '../../shared/remote/deployed-stack.ts';
import {
  FRAMEWORK_ROLE,
  type Json,
  LOG_PREFIX,
  MACHINE_FUNCTIONS,
  packagedStack,
  ROOT,
  rolesOf,
  SLS_TIMEOUT_MS,
  sub,
} from '../helpers/packaged-stack.ts';
import { TEST_BUCKET } from '../helpers/s3.ts';

let template: Json;
let resources: Json;

beforeAll(async () => {
  ({ template } = await packagedStack());
  resources = template.Resources;
}, SLS_TIMEOUT_MS);

const { statements, allowing } = rolesOf(() => template);

describe('the deployment template: state machine and work bucket (sls package)', () => {
  it('lets the state machine call its three functions and start its own children, nothing more', () => {
    const trust = resources.ReprocessStateMachineRole.Properties.AssumeRolePolicyDocument;
    expect(trust.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'states.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    ]);
    const invoke = allowing('ReprocessStateMachineRole', 'lambda:InvokeFunction');
    const functionArn = (name: string) =>
      `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:elb-otlp-ci-${name}`;
    expect(invoke.flatMap((s) => s.Resource)).toEqual(
      Object.keys(MACHINE_FUNCTIONS).flatMap((name) => [
        sub(functionArn(name)),
        sub(`${functionArn(name)}:*`),
      ]),
    );
    // The state machine starts its own children; ingest hands large objects to it.
    const machine = sub(
      `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:elb-otlp-ci-reprocess`,
    );
    for (const id of ['ReprocessStateMachineRole', 'IngestRole']) {
      expect(allowing(id, 'states:StartExecution'), id).toEqual([
        expect.objectContaining({ Resource: machine }),
      ]);
    }
    for (const id of ['PlanRole', 'ProcessChunkRole', 'ReportRole', 'IngestRole']) {
      expect(allowing(id, 'lambda:InvokeFunction'), id).toEqual([]);
    }
    for (const id of ['PlanRole', 'ProcessChunkRole', 'ReportRole']) {
      expect(allowing(id, 'states:StartExecution'), id).toEqual([]);
    }
    // The framework's trigger function may change the log bucket's
    // notifications and the ingest function's permissions, nothing else.
    expect(statements(FRAMEWORK_ROLE).map((s) => [s.Action, JSON.stringify(s.Resource)])).toEqual([
      [
        ['s3:PutBucketNotification', 's3:GetBucketNotification'],
        expect.stringContaining(`"s3","","","${TEST_BUCKET}"`),
      ],
      [
        ['lambda:AddPermission', 'lambda:RemovePermission'],
        expect.stringMatching(/"function","elb-otlp-ci-ingest"\]\]\}$/),
      ],
    ]);
  });

  it('deploys the repository state machine: a Distributed Map of Express children over the manifest, calling the three functions', () => {
    const [text, substitutions] =
      resources.ReprocessStateMachine.Properties.DefinitionString['Fn::Sub'];
    // Each ${name} is one of the functions' ARNs.
    const targets = new Map<string, string>();
    for (const [name, value] of Object.entries(substitutions as Json)) {
      targets.set(name, value['Fn::GetAtt'][0]);
    }
    const definition = JSON.parse(
      text.replace(/\$\{(\w+)\}/g, (_: string, name: string) => `fn:${targets.get(name)}`),
    );
    const source = JSON.parse(
      readFileSync(new URL('statemachines/reprocess.asl.json', ROOT), 'utf8'),
    );
    expect(Object.keys(definition.States)).toEqual(Object.keys(source.States));
    const map = definition.States.ShipUnits;
    expect(map).toMatchObject({
      Type: 'Map',
      // Every manifest file the plan workers wrote, each line an item.
      ItemReader: {
        Resource: 'arn:aws:states:::s3:listObjectsV2',
        ReaderConfig: { InputType: 'JSONL', Transformation: 'LOAD_AND_FLATTEN' },
        Parameters: { 'Bucket.$': '$.pass.manifest.Bucket', 'Prefix.$': '$.pass.manifest.Prefix' },
      },
      // JSON Lines of the children's outputs (failed children in full): read as streams.
      ResultWriter: {
        Resource: 'arn:aws:states:::s3:putObject',
        WriterConfig: { OutputType: 'JSONL', Transformation: 'COMPACT' },
      },
      // Express children unless the deployment asks for Standard (childExecutionType).
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' } },
      MaxConcurrencyPath: '$.plan.maxConcurrency',
    });
    const processUnit = map.ItemProcessor.States.ProcessUnit;
    expect(processUnit.Parameters.executionType).toBe('EXPRESS');
    // The plan workers: an inline Map of the plan function, at most 16 at once.
    const planParts = definition.States.PlanParts;
    expect(planParts).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.plan.planWorkers',
      MaxConcurrency: 16,
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' } },
    });
    const tasks: [string, Json][] = [
      ['Plan', definition.States.Plan],
      ['Plan', planParts.ItemProcessor.States.PlanPart],
      ['Plan', definition.States.PlanTotals],
      ['ProcessChunk', processUnit],
      ['Report', definition.States.NextPass],
      ['Report', definition.States.Report],
    ];
    for (const [name, task] of tasks) {
      expect(task.Resource, name).toBe(`fn:${name}LambdaFunction`);
      expect(task.TimeoutSeconds, name).toBe(resources[`${name}LambdaFunction`].Properties.Timeout);
    }
    // An Express child lives 5 minutes: its worker's call fits in it.
    expect(processUnit.TimeoutSeconds).toBeLessThanOrEqual(300);
  });

  it('names the state machine as the CLI finds it, and tags it with where its runs keep their files', () => {
    const machine = resources.ReprocessStateMachine.Properties;
    // `elb-otlp reprocess --remote` and `runs` build the ARN from the stage's name.
    expect(machine.StateMachineName).toBe(stateMachineName('ci'));
    const functionEnv = resources.PlanLambdaFunction.Properties.Environment.Variables;
    expect(machine.Tags).toEqual([
      {
        Key: WORK_FILES_TAG,
        Value: {
          'Fn::Join': ['', ['s3://', functionEnv.WORK_BUCKET, `/${functionEnv.WORK_PREFIX}`]],
        },
      },
    ]);
  });

  it('creates a private work bucket whose run files expire', () => {
    expect(template.Conditions.CreateWorkBucket).toEqual({ 'Fn::Equals': ['', ''] });
    expect(template.Conditions.HasLogPrefix).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [LOG_PREFIX, ''] }],
    });
    const bucket = resources.WorkBucket;
    expect(bucket.Condition).toBe('CreateWorkBucket');
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({
        Prefix: 'elb-otlp/runs/',
        ExpirationInDays: 30,
        Status: 'Enabled',
      }),
    ]);
    expect(resources.PlanLambdaFunction.Properties.Environment.Variables).toMatchObject({
      WORK_BUCKET: { 'Fn::If': ['CreateWorkBucket', { Ref: 'WorkBucket' }, ''] },
      LOG_BUCKET: TEST_BUCKET,
      LOG_PREFIX,
    });
  });
});
