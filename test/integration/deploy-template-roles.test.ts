/**
 * What `sls deploy` would create, part 1: the IAM roles. Each function and
 * the state machine get their own role, allowing no wildcard action and only
 * what each one does: reading the logs under the prefix, deleting only when
 * asked, CloudWatch reads for the metrics function, the Collector headers
 * only through the secret. From the CloudFormation template of `sls package`
 * (offline, no AWS account), packaged once and shared with the other
 * deploy-template files (test/helpers/packaged-stack.ts).
 */

import { beforeAll, describe, expect, it } from 'vitest';
import {
  actions,
  FRAMEWORK_FUNCTION,
  FRAMEWORK_ROLE,
  FUNCTIONS,
  type Json,
  LOG_PREFIX,
  logObjects,
  PARAMS,
  packagedStack,
  rolesOf,
  SECRET_ARN,
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

const { statements, roleIds, allowing } = rolesOf(() => template);

describe('the deployment template: roles and least privilege (sls package)', () => {
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
      ELB_OTLP_METRICS_UNITS: 'ucum',
    });
  });

  it('lets only the report and the chunk workers delete, only with allowDeleteProcessed (or deleteAfterIngest), and ingest only with deleteAfterIngest, only log objects under the prefix', () => {
    for (const id of roleIds()) {
      const deletes = allowing(id, 's3:DeleteObject');
      if (!['ReportRole', 'IngestRole', 'ProcessChunkRole'].includes(id)) {
        expect(deletes, id).toEqual([]);
      }
    }
    const policy = (id: string) => resources[id].Properties.Policies[0].PolicyDocument.Statement;
    // Only conditional deletes (pinned to the shipped ETag), which need s3:GetObject on the key too.
    const pinned = { Null: { 's3:if-match': 'false' } };
    const onlyWith = (condition: string, statement: Json) => ({
      'Fn::If': [condition, statement, { Ref: 'AWS::NoValue' }],
    });
    const pinnedDeletes = onlyWith(
      'AllowDeleteProcessed',
      expect.objectContaining({
        Action: 's3:DeleteObject',
        Resource: logObjects,
        Condition: pinned,
      }),
    );
    expect(policy('ReportRole')).toEqual(
      expect.arrayContaining([
        pinnedDeletes,
        onlyWith(
          'AllowDeleteProcessed',
          expect.objectContaining({ Action: 's3:GetObject', Resource: logObjects }),
        ),
        onlyWith('AllowDeleteProcessed', expect.objectContaining({ Action: 's3:ListBucket' })),
      ]),
    );
    // The workers delete the objects they shipped whole; they read the logs already.
    expect(policy('ProcessChunkRole')).toEqual(
      expect.arrayContaining([
        pinnedDeletes,
        onlyWith('AllowDeleteProcessed', expect.objectContaining({ Action: 's3:ListBucket' })),
      ]),
    );
    expect(allowing('ProcessChunkRole', 's3:GetObject').map((s) => s.Resource)).toContainEqual(
      logObjects,
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
    for (const fn of ['PlanLambdaFunction', 'ProcessChunkLambdaFunction', 'ReportLambdaFunction']) {
      expect(resources[fn].Properties.Environment.Variables.ELB_OTLP_ALLOW_DELETE, fn).toEqual({
        'Fn::If': ['AllowDeleteProcessed', 'true', 'false'],
      });
    }
  });

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
      // Listing, under the prefix: the plan's, and the deleting roles' (the workers' too) to tell a missing
      // object from a denied one (S3 answers 403 for both without it).
      const listsLogs = allowing(id, 's3:ListBucket').filter((s) =>
        JSON.stringify(s.Resource).includes(`:s3:::${TEST_BUCKET}"`),
      );
      expect(listsLogs.length, id).toBe(
        ['PlanRole', 'IngestRole', 'ReportRole', 'ProcessChunkRole'].includes(id) ? 1 : 0,
      );
    }
    // Listing the runs' files: the state machine (the ItemReader over a
    // manifest's files), and the workers only where they delete (their ledger).
    const listsRuns = expect.objectContaining({
      Condition: { StringLike: { 's3:prefix': 'elb-otlp/runs/*' } },
    });
    expect(allowing('ReprocessStateMachineRole', 's3:ListBucket')).toEqual([listsRuns]);
    expect(allowing('ProcessChunkRole', 's3:ListBucket')).toContainEqual(listsRuns);
    expect(
      JSON.stringify(resources.ProcessChunkRole.Properties.Policies[0].PolicyDocument.Statement),
    ).toMatch(/"Fn::If":\["AllowDeleteProcessed",\{"Sid":"ListDeletionLedger"/);
    for (const id of roleIds().filter(
      (r) => r !== 'ReprocessStateMachineRole' && r !== 'ProcessChunkRole',
    )) {
      expect(JSON.stringify(allowing(id, 's3:ListBucket')), id).not.toContain('elb-otlp/runs');
    }
    for (const id of ['IngestRole', 'ReportRole']) {
      expect(allowing(id, 's3:ListBucket'), id).toEqual(allowing('PlanRole', 's3:ListBucket'));
    }
    // Everything else in S3 is the work location.
    const work = JSON.stringify(allowing('ReportRole', 's3:PutObject').map((s) => s.Resource));
    expect(work).toContain('elb-otlp/runs/*');
    expect(work).not.toContain(TEST_BUCKET);
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
});
