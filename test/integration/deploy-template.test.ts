/**
 * What `sls deploy` would create, from the CloudFormation template and the
 * Lambda packages `sls package` writes (offline, no AWS account):
 * least-privilege roles, the state machine's definition, the work bucket,
 * secrets kept out of the template — and the packaged functions themselves,
 * run as a whole reprocessing run against s3rver, the test receiver and a
 * stand-in for Secrets Manager (no local one exists). The Lambda context
 * handed to them is made here: there is no local Lambda runtime.
 */

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAlbConnectionLines, generateAlbLines } from '../../shared/generate/alb-lines.ts';
import { runReprocessLocally } from '../../shared/local/run-reprocess.ts';
import type { ReportSummary } from '../../shared/reprocess/report.ts';
import { createFakeCloudWatch, startCloudWatchServer } from '../helpers/cloudwatch-fake.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { S3RVER_ENV, startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.ts';
import { type SecretStores, startSecretStores } from '../helpers/secret-stores.ts';
import { uids } from '../helpers/ship.ts';
import { readZip } from '../helpers/zip.ts';

const ROOT = new URL('../../', import.meta.url);
const ROOT_DIR = fileURLToPath(ROOT);
const LOG_PREFIX = 'logs/AWSLogs/';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:otlp-headers-AbCdEf';
const LOG_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const WORK_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0987dcba-09fe-87dc-65ba-ab0987654321';
const PARAMS = {
  logBucket: TEST_BUCKET,
  logPrefix: LOG_PREFIX,
  otlpEndpoint: 'https://collector.example.com:4318',
  otlpHeadersSecretArn: SECRET_ARN,
};
/** The functions the state machine calls, by their serverless.yml names. */
const MACHINE_FUNCTIONS = { plan: 'Plan', processChunk: 'ProcessChunk', report: 'Report' } as const;
const FUNCTIONS = { ...MACHINE_FUNCTIONS, ingest: 'Ingest', metrics: 'Metrics' } as const;
/** The functions that send to the Collector. */
const EXPORTING_FUNCTIONS: string[] = ['ProcessChunk', 'Ingest', 'Metrics'];
/** The framework's own function that adds the S3 trigger to the existing log bucket. */
const FRAMEWORK_FUNCTION = 'CustomDashresourceDashexistingDashs3LambdaFunction';
const FRAMEWORK_ROLE = 'IamRoleCustomResourcesLambdaExecution';

// CloudFormation JSON, read loosely: the assertions check its shape.
// biome-ignore lint/suspicious/noExplicitAny: template documents are untyped
type Json = Record<string, any>;
let out: string;
let template: Json;
let resources: Json;

/**
 * Runs `sls` (the project's osls) in the repository, with none of this
 * machine's AWS settings: packaging and local invocation need no account.
 */
async function sls(args: string[], env: Record<string, string> = {}): Promise<string> {
  const own = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')),
  );
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(ROOT_DIR, 'node_modules/serverless/bin/serverless.js'), ...args],
    { cwd: ROOT_DIR, env: { ...own, ...env }, maxBuffer: 1 << 24 },
  );
  return stdout;
}

/** `sls package` into `dir` with these parameters; answers the template. */
async function packageStack(dir: string, params: Record<string, string>): Promise<Json> {
  const args = ['package', '--package', dir, '--stage', 'ci', '--region', 'eu-west-1'];
  for (const [name, value] of Object.entries(params)) args.push('--param', `${name}=${value}`);
  await sls(args);
  return JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
}

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'elb-otlp-package-'));
  template = await packageStack(out, PARAMS);
  resources = template.Resources;
}, 180_000);
afterAll(() => {
  rmSync(out, { recursive: true, force: true });
});

/** Every IAM statement of a role, both branches of an Fn::If included. */
function statements(roleId: string): Json[] {
  const role = resources[roleId];
  expect(role?.Type, roleId).toBe('AWS::IAM::Role');
  return role.Properties.Policies.flatMap((policy: Json) =>
    policy.PolicyDocument.Statement.flatMap((statement: Json) =>
      statement['Fn::If'] ? [statement['Fn::If'][1]] : [statement],
    ),
  );
}
const actions = (statement: Json): string[] => [statement.Action].flat();
const roleIds = () =>
  Object.keys(resources).filter((id) => resources[id].Type === 'AWS::IAM::Role');
/** The statements of `roleId` that allow `action`. */
const allowing = (roleId: string, action: string) =>
  statements(roleId).filter((s) => s.Effect === 'Allow' && actions(s).includes(action));
const sub = (text: string) => ({ 'Fn::Sub': text });
const logObjects = sub(`arn:\${AWS::Partition}:s3:::${TEST_BUCKET}/${LOG_PREFIX}*`);

describe('the deployment template (sls package)', () => {
  it('gives each function its own hand-written role, and the state machine one', () => {
    const functions = Object.entries(resources).filter(
      ([id, r]) => r.Type === 'AWS::Lambda::Function' && id !== FRAMEWORK_FUNCTION,
    );
    expect(functions.map(([id]) => id).sort()).toEqual(
      Object.values(FUNCTIONS)
        .map((name) => `${name}LambdaFunction`)
        .sort(),
    );
    for (const [id, fn] of functions) {
      expect(fn.Properties.Role, id).toEqual({
        'Fn::GetAtt': [id.replace('LambdaFunction', 'Role'), 'Arn'],
      });
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    }
    expect(roleIds().sort()).toEqual(
      [
        'PlanRole',
        'ProcessChunkRole',
        'ReportRole',
        'IngestRole',
        'MetricsRole',
        'ReprocessStateMachineRole',
        FRAMEWORK_ROLE,
      ].sort(),
    );
    expect(resources[FRAMEWORK_FUNCTION].Properties.Role).toEqual({
      'Fn::GetAtt': [FRAMEWORK_ROLE, 'Arn'],
    });
    expect(resources.IamRoleLambdaExecution).toBeUndefined();
    const machine = resources.ReprocessStateMachine;
    expect(machine.Type).toBe('AWS::StepFunctions::StateMachine');
    expect(machine.Properties.StateMachineName).toBe('elb-otlp-ci-reprocess');
    expect(machine.Properties.RoleArn).toEqual({
      'Fn::GetAtt': ['ReprocessStateMachineRole', 'Arn'],
    });
  });

  it('allows no wildcard action, and nothing but Allow statements', () => {
    // Nor in a bucket policy, but for the framework's own on its deployment
    // bucket: a Deny of every S3 action without TLS.
    const { ServerlessDeploymentBucketPolicy: framework, ...ours } = resources;
    expect(JSON.stringify(ours)).not.toMatch(/"[a-z0-9-]+:\*"/);
    expect(framework.Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': false } },
      }),
    ]);
    for (const id of roleIds()) {
      for (const statement of statements(id)) {
        expect(statement.Effect, id).toBe('Allow');
        for (const action of actions(statement)) {
          expect(action, `${id}: ${action}`).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
        }
      }
    }
  });

  it('lets the metrics function read CloudWatch metrics and nothing else, and schedules it only when asked', () => {
    // ListMetrics and GetMetricData take no resource: "*" is their narrowest form.
    expect(allowing('MetricsRole', 'cloudwatch:GetMetricData')).toEqual([
      expect.objectContaining({
        Action: ['cloudwatch:ListMetrics', 'cloudwatch:GetMetricData'],
        Resource: '*',
      }),
    ]);
    expect(statements('MetricsRole').flatMap(actions).sort()).toEqual(
      [
        'cloudwatch:GetMetricData',
        'cloudwatch:ListMetrics',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:GetSecretValue',
        'ssm:GetParameter',
      ].sort(),
    );
    for (const id of roleIds().filter((r) => r !== 'MetricsRole')) {
      expect(
        statements(id)
          .flatMap(actions)
          .filter((a) => a.startsWith('cloudwatch:')),
        id,
      ).toEqual([]);
    }
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::Events::Rule')).toEqual([]);
    expect(resources.MetricsFailedAlarm.Condition).toBe('MetricsScheduled');
    expect(template.Conditions.MetricsScheduled).toEqual({ 'Fn::Equals': ['false', 'true'] });
    expect(resources.MetricsLambdaFunction.Properties.Environment.Variables).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: PARAMS.otlpEndpoint,
      OTLP_HEADERS_SECRET_ARN: SECRET_ARN,
      ELB_OTLP_METRICS_WINDOW: '5m',
      ELB_OTLP_METRICS_DELAY: '5m',
      ELB_OTLP_METRICS_NAMESPACES: 'alb,nlb',
      ELB_OTLP_METRICS_COUNTS: 'delta',
    });
  });

  it('lets only the report delete, only with allowDeleteProcessed (or deleteAfterIngest), and ingest only with deleteAfterIngest, only log objects under the prefix', () => {
    for (const id of roleIds()) {
      const deletes = allowing(id, 's3:DeleteObject');
      if (id !== 'ReportRole' && id !== 'IngestRole') expect(deletes, id).toEqual([]);
    }
    const policy = (id: string) => resources[id].Properties.Policies[0].PolicyDocument.Statement;
    // Only conditional deletes (pinned to the shipped ETag), which need s3:GetObject on the key too.
    const pinned = { Null: { 's3:if-match': 'false' } };
    const onlyWith = (condition: string, statement: Json) => ({
      'Fn::If': [condition, statement, { Ref: 'AWS::NoValue' }],
    });
    expect(policy('ReportRole')).toEqual(
      expect.arrayContaining([
        onlyWith(
          'AllowDeleteProcessed',
          expect.objectContaining({
            Action: 's3:DeleteObject',
            Resource: logObjects,
            Condition: pinned,
          }),
        ),
        onlyWith(
          'AllowDeleteProcessed',
          expect.objectContaining({ Action: 's3:GetObject', Resource: logObjects }),
        ),
        onlyWith('AllowDeleteProcessed', expect.objectContaining({ Action: 's3:ListBucket' })),
      ]),
    );
    expect(policy('IngestRole')).toContainEqual(
      onlyWith(
        'DeleteAfterIngest',
        expect.objectContaining({
          Action: 's3:DeleteObject',
          Resource: logObjects,
          Condition: pinned,
        }),
      ),
    );
    expect(allowing('IngestRole', 's3:GetObject').map((s) => s.Resource)).toContainEqual(
      logObjects,
    );
    expect(template.Conditions.DeleteAfterIngest).toEqual({ 'Fn::Equals': ['false', 'true'] });
    // Off by default; deleteAfterIngest implies it (its hand-offs ask the state machine to delete).
    expect(template.Conditions.AllowDeleteProcessed).toEqual({
      'Fn::Or': [{ 'Fn::Equals': ['false', 'true'] }, { Condition: 'DeleteAfterIngest' }],
    });
    // The plan refuses a run asking for deletion, and the report deletes nothing, unless it is on.
    for (const fn of ['PlanLambdaFunction', 'ReportLambdaFunction']) {
      expect(resources[fn].Properties.Environment.Variables.ELB_OTLP_ALLOW_DELETE, fn).toEqual({
        'Fn::If': ['AllowDeleteProcessed', 'true', 'false'],
      });
    }
  });

  it('refuses at package time a logPrefix that would widen the roles to sibling prefixes', async () => {
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
  }, 60_000);

  it('scopes reading the logs to the log bucket and prefix, and to the functions that read them', () => {
    expect(allowing('PlanRole', 's3:ListBucket')).toEqual([
      expect.objectContaining({
        Resource: sub(`arn:\${AWS::Partition}:s3:::${TEST_BUCKET}`),
        Condition: {
          'Fn::If': [
            'HasLogPrefix',
            { StringLike: { 's3:prefix': `${LOG_PREFIX}*` } },
            { Ref: 'AWS::NoValue' },
          ],
        },
      }),
    ]);
    for (const id of roleIds()) {
      const reads = allowing(id, 's3:GetObject').filter(
        (s) => JSON.stringify(s.Resource) === JSON.stringify(logObjects),
      );
      // The report's only with deletion allowed (a conditional delete needs it).
      expect(reads.length, id).toBe(
        ['PlanRole', 'ProcessChunkRole', 'IngestRole', 'ReportRole'].includes(id) ? 1 : 0,
      );
      // Listing, under the prefix: the plan's, and the deleting roles' to tell a missing
      // object from a denied one (S3 answers 403 for both without it).
      expect(allowing(id, 's3:ListBucket').length, id).toBe(
        ['PlanRole', 'IngestRole', 'ReportRole'].includes(id) ? 1 : 0,
      );
    }
    for (const id of ['IngestRole', 'ReportRole']) {
      expect(allowing(id, 's3:ListBucket'), id).toEqual(allowing('PlanRole', 's3:ListBucket'));
    }
    // Everything else in S3 is the work location.
    const work = JSON.stringify(allowing('ReportRole', 's3:PutObject').map((s) => s.Resource));
    expect(work).toContain('elb-otlp/runs/*');
    expect(work).not.toContain(TEST_BUCKET);
  });

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

  it('keeps the Collector headers out of the template: the workers read them from the secret', () => {
    const env = resources.ProcessChunkLambdaFunction.Properties.Environment.Variables;
    expect(env).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: PARAMS.otlpEndpoint,
      OTLP_HEADERS_SECRET_ARN: SECRET_ARN,
    });
    for (const fn of Object.values(FUNCTIONS)) {
      const names = Object.keys(resources[`${fn}LambdaFunction`].Properties.Environment.Variables);
      expect(
        names.filter((n) => /HEADERS$/.test(n)),
        fn,
      ).toEqual([]);
    }
    for (const id of ['ProcessChunkRole', 'IngestRole']) {
      expect(allowing(id, 'secretsmanager:GetSecretValue'), id).toEqual([
        expect.objectContaining({ Resource: SECRET_ARN }),
      ]);
    }
    for (const id of ['PlanRole', 'ReportRole', 'ReprocessStateMachineRole']) {
      expect(allowing(id, 'secretsmanager:GetSecretValue'), id).toEqual([]);
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

  it('deploys the repository state machine: a Distributed Map over the manifest, calling the three functions', () => {
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
    const map = definition.States.ShipChunks;
    expect(map).toMatchObject({
      Type: 'Map',
      ItemReader: {
        Resource: 'arn:aws:states:::s3:getObject',
        ReaderConfig: { InputType: 'JSONL' },
      },
      ResultWriter: { Resource: 'arn:aws:states:::s3:putObject' },
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
      MaxConcurrencyPath: '$.plan.maxConcurrency',
    });
    const tasks = {
      Plan: definition.States.Plan,
      ProcessChunk: map.ItemProcessor.States.ProcessChunk,
      Report: definition.States.Report,
    };
    for (const [name, task] of Object.entries(tasks)) {
      expect(task.Resource, name).toBe(`fn:${name}LambdaFunction`);
      expect(task.TimeoutSeconds, name).toBe(resources[`${name}LambdaFunction`].Properties.Timeout);
    }
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

describe('the deployment template with ingestMode sqs and metrics on', () => {
  it('reads a queue the stack creates, reports batch item failures, adds no trigger function, schedules the metrics, and passes allowInsecure on', async () => {
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
        })
      ).Resources;
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
              expect.objectContaining({ Arn: { 'Fn::GetAtt': ['MetricsLambdaFunction', 'Arn'] } }),
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
  }, 180_000);
});

describe('the packaged functions', () => {
  let s3: TestS3;
  let receiver: OtlpReceiver;
  let stores: SecretStores;
  const keys: string[] = [];
  let lines = 0;

  beforeAll(async () => {
    [s3, receiver, stores] = await Promise.all([
      startS3(),
      startOtlpReceiver(),
      startSecretStores(),
    ]);
    stores.secrets.set(SECRET_ARN, '{"Authorization": "Bearer from-the-secret"}');
    const day = `${LOG_PREFIX}123456789012/elasticloadbalancing/eu-west-1/2026/11/02/`;
    for (let n = 1; n <= 6; n++) {
      const conn = n > 4;
      const text = conn
        ? [...generateAlbConnectionLines(200 * n, { seed: n })].join('\n')
        : [...generateAlbLines(300 * n, { seed: n })].join('\n');
      const key = `${day}${conn ? 'conn_log_' : ''}123456789012_elasticloadbalancing_eu-west-1_app.shop.0123456789abcdef_20261102T010${n}Z_10.1.2.3_k${n}.log.gz`;
      keys.push(key);
      lines += 1 + text.split('\n').length - 1;
      await s3.put(key, gzipSync(`${text}\n`));
    }
  });
  const savedEnv = { ...process.env };
  afterAll(async () => {
    process.env = savedEnv;
    await Promise.all([s3.close(), receiver.close(), stores.close()]);
  });

  it('run a reprocessing run (plan, chunks with the secret header, report and delete) and ingest a new object', async () => {
    // The packages are what Lambda would run: each function's .cjs bundle.
    const bundles = join(out, 'bundles');
    const handlers: Json = {};
    Object.assign(process.env, {
      ...S3RVER_ENV,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: stores.url,
      WORK_BUCKET: TEST_BUCKET,
      WORK_PREFIX: 'work/',
      LOG_BUCKET: TEST_BUCKET,
      LOG_PREFIX,
      // What the template sets with allowDeleteProcessed (or deleteAfterIngest) on.
      ELB_OTLP_ALLOW_DELETE: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTLP_HEADERS_SECRET_ARN: SECRET_ARN,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    for (const [fn, handler] of Object.entries({
      plan: 'functions/plan.handler',
      processChunk: 'functions/process-chunk.handler',
      report: 'functions/report.handler',
      ingest: 'functions/ingest.handler',
    })) {
      handlers[fn] = await loadBundle(bundles, fn, handler);
    }

    const outcome = await runReprocessLocally({
      input: { bucket: TEST_BUCKET, deleteProcessed: true },
      runId: 'packaged-run',
      s3: s3.client,
      plan: handlers.plan,
      processChunk: handlers.processChunk,
      report: handlers.report,
      concurrency: 3,
    });
    expect(outcome.status).toBe('SUCCEEDED');
    const report = outcome.output as ReportSummary;
    expect(report).toMatchObject({
      objects: keys.length,
      lines,
      accepted: lines,
      failed: 0,
      failedChunks: 0,
      deleted: keys.length,
    });
    const delivered = uids(receiver.deliveredRecords());
    expect(new Set(delivered).size).toBe(lines);
    expect(delivered).toHaveLength(lines);
    expect(receiver.requests.map((r) => r.headers.authorization)).toEqual(
      receiver.requests.map(() => 'Bearer from-the-secret'),
    );
    expect(stores.calls.filter((c) => c.target === 'secretsmanager.GetSecretValue')).toHaveLength(
      1,
    );
    for (const key of keys) expect(await s3.exists(key), key).toBe(false);

    // A new object, notified by S3 (its key form-encoded), shipped by the packaged ingest.
    const fresh = `${LOG_PREFIX}123456789012/elasticloadbalancing/eu-west-1/2026/11/02/123456789012_elasticloadbalancing_eu-west-1_app.shop.0123456789abcdef_20261102T0200Z_10.1.2.3_new.log.gz`;
    await s3.put(fresh, gzipSync(`${[...generateAlbLines(250, { seed: 77 })].join('\n')}\n`));
    const before = receiver.deliveredRecords().length;
    const ingested = await handlers.ingest({
      Records: [
        {
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: TEST_BUCKET }, object: { key: fresh.replace(/=/g, '%3D') } },
        },
      ],
    });
    expect(ingested).toMatchObject({ objects: 1, shipped: 1, accepted: 250, failedObjects: 0 });
    expect(receiver.deliveredRecords().length - before).toBe(250);
  }, 120_000);

  it('run the metrics function: CloudWatch (a loopback stand-in) read by the bundled SDK, OTLP metrics out with the secret header', async () => {
    const alb = 'app/shop/0123456789abcdef';
    const cloudwatch = await startCloudWatchServer(
      createFakeCloudWatch([
        {
          namespace: 'AWS/ApplicationELB',
          metricName: 'HTTPCode_ELB_5XX_Count',
          dimensions: { LoadBalancer: alb, AvailabilityZone: 'eu-west-1a' },
          values: {
            Sum: [
              ['2026-11-27T15:55:00Z', 3],
              ['2026-11-27T15:59:00Z', 4],
            ],
          },
        },
        {
          namespace: 'AWS/ApplicationELB',
          metricName: 'TargetResponseTime',
          dimensions: { LoadBalancer: alb, TargetGroup: 'targetgroup/shop/943f017f100becff' },
          values: {
            Average: [['2026-11-27T15:56:00Z', 0.02]],
            Maximum: [],
            p99: [['2026-11-27T15:56:00Z', 0.5]],
          },
        },
      ]),
    );
    try {
      Object.assign(process.env, {
        AWS_ENDPOINT_URL_CLOUDWATCH: cloudwatch.url,
        AWS_REGION: 'eu-west-1',
        ELB_OTLP_METRICS_WINDOW: '5m',
        ELB_OTLP_METRICS_DELAY: '5m',
      });
      const metrics = await loadBundle(
        join(out, 'bundles'),
        'metrics',
        'functions/metrics.handler',
      );
      receiver.requests.length = 0;
      const summary = await metrics({
        'detail-type': 'Scheduled Event',
        time: '2026-11-27T16:05:00Z',
      });
      expect(summary).toMatchObject({ series: 2, datapoints: 4, accepted: 4, failed: 0 });
      expect(cloudwatch.fake.listCalls.map((c) => c.Namespace)).toEqual([
        'AWS/ApplicationELB',
        'AWS/NetworkELB',
      ]);
      expect(cloudwatch.fake.dataCalls[0]?.StartTime?.toISOString()).toBe(
        '2026-11-27T15:55:00.000Z',
      );
      expect(receiver.requests.map((r) => [r.path, r.headers.authorization])).toEqual([
        ['/v1/metrics', 'Bearer from-the-secret'],
      ]);
      const names = receiver.requests[0]?.metrics?.resourceMetrics[0]?.scopeMetrics[0]?.metrics.map(
        (m) => m.name,
      );
      expect(names?.sort()).toEqual([
        'aws_applicationelb_httpcode_elb_5_xx_count_sum',
        'aws_applicationelb_target_response_time_average',
        'aws_applicationelb_target_response_time_p99',
      ]);
    } finally {
      await cloudwatch.close();
    }
  }, 60_000);
});

/** Unzips a function's package and loads its handler, called with a Lambda context. */
async function loadBundle(
  bundles: string,
  fn: string,
  handler: string,
): Promise<(event: unknown) => Promise<Json>> {
  const files = readZip(readFileSync(join(out, `${fn}.zip`)));
  for (const [name, content] of files) {
    const path = join(bundles, fn, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  const [file, exported] = handler.split('.');
  expect([...files.keys()], fn).toContain(`${file}.cjs`);
  const module = await import(pathToFileURL(join(bundles, fn, `${file}.cjs`)).href);
  const entry = module[exported as string] ?? module.default[exported as string];
  return (event: unknown) => entry(event, lambdaContext(fn));
}

/** What Lambda hands a handler, as far as these functions read it. */
function lambdaContext(fn: string) {
  return {
    functionName: `elb-otlp-ci-${fn}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:elb-otlp-ci-${fn}`,
    memoryLimitInMB: '1024',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/elb-otlp-ci-${fn}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 900_000,
    done() {},
    fail() {},
    succeed() {},
  };
}

describe('sls invoke local -f ingest', () => {
  let s3: TestS3;
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    [s3, receiver] = await Promise.all([startS3(), startOtlpReceiver()]);
  });
  afterAll(async () => {
    await Promise.all([s3.close(), receiver.close()]);
  });

  it('ships every object of an S3 event with form-encoded keys and skips the ELB test file', async () => {
    const folder = `${LOG_PREFIX}team=edge/eu west/123456789012/elasticloadbalancing/eu-west-1/2026/11/27/`;
    const keys = [1, 2, 3].map(
      (n) =>
        `${folder}123456789012_elasticloadbalancing_eu-west-1_app.shop.0123456789abcdef_20261127T110${n}Z_10.1.2.${n}_inv${n}.log.gz`,
    );
    for (const [n, key] of keys.entries()) {
      await s3.put(
        key,
        gzipSync(`${[...generateAlbLines(50 * (n + 1), { seed: n })].join('\n')}\n`),
      );
    }
    const testFile = `${LOG_PREFIX}123456789012/ELBAccessLogTestFile`;
    await s3.put(testFile, 'Enable AccessLog for ELB: shop');
    const encoded = (key: string) =>
      encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
    const event = join(out, 'event.json');
    writeFileSync(
      event,
      JSON.stringify({
        Records: [...keys, testFile].map((key) => ({
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: 'eu-west-1',
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: TEST_BUCKET }, object: { key: encoded(key) } },
        })),
      }),
    );
    const stdout = await sls(
      [
        'invoke',
        'local',
        '-f',
        'ingest',
        '-p',
        event,
        '--param',
        `logBucket=${TEST_BUCKET}`,
        '--param',
        `otlpEndpoint=${receiver.url}`,
      ],
      { ...S3RVER_ENV, AWS_ENDPOINT_URL_S3: s3.endpoint, POWERTOOLS_LOG_LEVEL: 'WARN' },
    );
    // The handler's answer is the last JSON document printed.
    const answer = JSON.parse(stdout.slice(stdout.lastIndexOf('\n{') + 1));
    expect(answer).toMatchObject({
      objects: 4,
      shipped: 3,
      ignored: 1,
      failedObjects: 0,
      lines: 300,
      accepted: 300,
    });
    const delivered = uids(receiver.deliveredRecords());
    expect(delivered).toHaveLength(300);
    expect(new Set(delivered).size).toBe(300);
  }, 120_000);
});
