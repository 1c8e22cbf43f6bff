import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Aspects } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as cxapi from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ENV, PipelineEnvSchema } from '../../functions/shared/config';
import { TABLE_KEYS, TABLES } from '../../functions/shared/store/tables';
import { PoolAutoscalerStack } from '../../lib/pool-autoscaler-stack';
import { readStackSettings } from '../../lib/stack-settings';
import { synthErrors } from '../../lib/nag-findings';
import { watcherSettingsFromEnv } from '../../functions/watcher/settings';
import { dashboardWidgets, iamStatements, resourcesOfType, type TemplateResource } from './template-queries';

// The CloudFormation schema check built into synth costs seconds per process and is advisory only;
// `npm run synth` keeps it. Everything asserted here comes from the templates and cdk-nag.
vi.stubEnv('CDK_VALIDATION', 'false');
afterAll(() => {
  vi.unstubAllEnvs();
});

const here = path.dirname(fileURLToPath(import.meta.url));
const OUTDIR = path.join(here, '../../cdk.out/test-stack');

let stack: PoolAutoscalerStack;
let template: Template;
let assembly: cxapi.CloudAssembly;

/** The deployable stack with the real handlers, synthesized once (bundling is the slow part) with cdk-nag. */
beforeAll(() => {
  const app = new App({ outdir: OUTDIR });
  const settings = readStackSettings(() => undefined, { POOL_AUTOSCALER_ALARM_EMAIL: 'oncall@example.com' });
  stack = new PoolAutoscalerStack(app, 'PoolAutoscalerTest', {
    settings,
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  assembly = app.synth();
  template = Template.fromJSON(assembly.getStackByName(stack.stackName).template);
});

const logicalId = (construct: { node: { defaultChild?: unknown } }): string =>
  stack.getLogicalId(construct.node.defaultChild as never);
const functions = () => resourcesOfType(template, 'AWS::Lambda::Function');
const consumerResource = (): TemplateResource => functions()[logicalId(stack.autoscaler.consumer)]!;
const evaluatorResource = (): TemplateResource => functions()[logicalId(stack.autoscaler.evaluator)]!;
const watcherResource = (): TemplateResource => functions()[logicalId(stack.autoscaler.watcher!)]!;
const resourceOf = (name: 'consumer' | 'evaluator' | 'watcher'): TemplateResource =>
  name === 'consumer' ? consumerResource() : name === 'evaluator' ? evaluatorResource() : watcherResource();

/** Function environment with CloudFormation references replaced by plausible values, as Lambda would see it. */
function resolvedEnvironment(fn: TemplateResource): Record<string, string> {
  const env: Record<string, string> = { AWS_REGION: 'eu-west-1' };
  for (const [name, value] of Object.entries(fn.Properties.Environment?.Variables ?? {})) {
    if (typeof value === 'string') env[name] = value;
    else if (name === ENV.queueUrl) env[name] = 'https://sqs.eu-west-1.amazonaws.com/123456789012/events';
    else if (name === ENV.modelArtsSecretArn)
      env[name] = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:modelarts-AbCdEf';
    else env[name] = `${name.toLowerCase()}-resolved`;
  }
  return env;
}

describe('functions', () => {
  it('are three arm64 nodejs22.x functions with Powertools settings and source maps', () => {
    expect(Object.keys(functions())).toHaveLength(3);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
      Environment: {
        Variables: Match.objectLike({
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'pool-autoscaler',
          POWERTOOLS_METRICS_NAMESPACE: 'PoolAutoscaler',
          POWERTOOLS_LOG_LEVEL: 'INFO',
        }),
      },
    });
  });

  it('set an environment the handlers accept, naming every table', () => {
    for (const fn of [consumerResource(), evaluatorResource(), watcherResource()]) {
      const env = resolvedEnvironment(fn);
      for (const key of TABLE_KEYS) expect(env[TABLES[key].envVar]).toBeDefined();
      const parsed = PipelineEnvSchema.safeParse(env);
      expect(parsed.error?.issues ?? []).toEqual([]);
      expect(parsed.data?.[ENV.evaluateInProcess]).toBe(false);
      expect(parsed.data?.[ENV.metricsPerPool]).toBe(true);
    }
    expect(watcherSettingsFromEnv(resolvedEnvironment(watcherResource()))).toEqual({
      periodMs: 30_000,
      rounds: 2,
    });
  });

  it('each log to their own log group with retention', () => {
    const groups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    expect(Object.keys(groups)).toHaveLength(3);
    for (const group of Object.values(groups)) expect(group.Properties.RetentionInDays).toBe(30);
    const used = Object.values(functions()).map(
      (fn) => (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref,
    );
    expect(used.sort()).toEqual(Object.keys(groups).sort());
  });
});

describe('events queue', () => {
  it('feeds the consumer in partial batches with the configured batching and concurrency', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(stack.autoscaler.consumer) },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.autoscaler.queue), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('redrives to an encrypted dead-letter queue after 5 receives', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack.autoscaler.deadLetterQueue), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });

  it('keeps messages invisible for at least six consumer timeouts', () => {
    const queue = resourcesOfType(template, 'AWS::SQS::Queue')[logicalId(stack.autoscaler.queue)]!;
    const timeout = consumerResource().Properties.Timeout as number;
    expect(queue.Properties.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * timeout);
  });

  it('refuses requests without TLS on both queues', () => {
    const policies = Object.values(resourcesOfType(template, 'AWS::SQS::QueuePolicy'));
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument).toMatchObject({
        Statement: expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      });
    }
  });
});

describe('schedule', () => {
  it('invokes the watcher every minute, once, for two polls 30 s apart', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(stack.autoscaler.watcher!), 'Arn'] },
          RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 0 },
        }),
      ],
    });
    expect(watcherResource().Properties).toMatchObject({ Timeout: 60, MemorySize: 256 });
  });

  it('invokes the evaluator every minute', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(stack.autoscaler.evaluator), 'Arn'] },
          RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 2 },
        }),
      ],
    });
  });
});

describe('tables', () => {
  it('match the shared definitions: keys, indexes and TTL', () => {
    const tables = resourcesOfType(template, 'AWS::DynamoDB::Table');
    expect(Object.keys(tables)).toHaveLength(TABLE_KEYS.length);
    for (const key of TABLE_KEYS) {
      const definition = TABLES[key];
      const table = tables[logicalId(stack.autoscaler.tables[key] as never)]!;
      expect(table, key).toBeDefined();
      const keySchema = [
        { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
        ...('sortKey' in definition && definition.sortKey
          ? [{ AttributeName: definition.sortKey.name, KeyType: 'RANGE' }]
          : []),
      ];
      expect(table.Properties.KeySchema, key).toEqual(keySchema);
      const ttl = 'timeToLiveAttribute' in definition ? definition.timeToLiveAttribute : undefined;
      expect(table.Properties.TimeToLiveSpecification, key).toEqual(
        ttl ? { AttributeName: ttl, Enabled: true } : undefined,
      );
      const indexes =
        (table.Properties.GlobalSecondaryIndexes as Array<{ IndexName: string }> | undefined) ?? [];
      expect(indexes.map((index) => index.IndexName)).toEqual(
        definition.globalSecondaryIndexes.map((index) => index.indexName),
      );
    }
  });

  it('are on-demand, encrypted, recoverable, deletion-protected and retained', () => {
    template.allResources('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
      DeletionPolicy: 'Retain',
    });
  });
});

describe('least privilege', () => {
  it('attaches no managed policy to any role', () => {
    for (const role of Object.values(resourcesOfType(template, 'AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('grants no wildcard action and no wildcard resource', () => {
    const statements = iamStatements(template);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      for (const action of statement.actions) expect(action).not.toContain('*');
      for (const resource of statement.resources) expect(JSON.stringify(resource)).not.toContain('*');
    }
  });

  it('lets only the functions that call ModelArts read the credentials secret: the consumer and the watcher', () => {
    const readers = iamStatements(template).filter((s) =>
      s.actions.includes('secretsmanager:GetSecretValue'),
    );
    expect(readers.flatMap((s) => s.roles).sort()).toEqual(
      [
        logicalId(stack.autoscaler.consumer.role as never),
        logicalId(stack.autoscaler.watcher!.role as never),
      ].sort(),
    );
  });

  it('lets each function write logs only to its own log group', () => {
    const logStatements = iamStatements(template).filter((s) => s.actions.some((a) => a.startsWith('logs:')));
    expect(logStatements).toHaveLength(3);
    for (const statement of logStatements) {
      expect(statement.actions.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      expect(statement.resources).toHaveLength(1);
    }
  });
});

describe('operations', () => {
  it('alarms on dead letters, PATCH failures, stale depth and function errors, notifying the topic', () => {
    const alarms = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(6);
    const topic = Object.keys(resourcesOfType(template, 'AWS::SNS::Topic'));
    expect(topic).toHaveLength(1);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic[0] }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topic[0] }]);
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalId(stack.autoscaler.deadLetterQueue), 'QueueName'] },
        },
      ],
      Threshold: 1,
    });
    for (const fn of [stack.autoscaler.consumer, stack.autoscaler.evaluator, stack.autoscaler.watcher!]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Errors',
        Namespace: 'AWS/Lambda',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(fn) } }],
      });
    }
  });

  it('subscribes the alarm e-mail to a TLS-only topic', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ],
      },
    });
  });

  it('builds a dashboard over demand, target, PATCH outcomes, throttles, dead letters, errors and duration', () => {
    const dashboards = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const widgets = dashboardWidgets(dashboards[0]!);
    const graphs = widgets.filter((widget) => widget.type === 'metric');
    const searched = graphs.flatMap((graph) =>
      graph.properties.metrics.flatMap((line) =>
        line.flatMap((cell) => (typeof cell === 'object' && cell.expression ? [cell.expression] : [])),
      ),
    );
    const named = graphs.flatMap((graph) =>
      graph.properties.metrics.flatMap((line) =>
        typeof line[1] === 'string' ? [`${line[0]}/${line[1]}`] : [],
      ),
    );
    expect(searched).toEqual(
      expect.arrayContaining([
        `SEARCH('{PoolAutoscaler,service,pool,flavor} MetricName="DemandUnits"', 'Maximum', 60)`,
        `SEARCH('{PoolAutoscaler,service,pool,flavor} MetricName="TargetNodes"', 'Maximum', 60)`,
        `SEARCH('{PoolAutoscaler,service,pool,flavor} MetricName="AvailableNodes"', 'Maximum', 60)`,
        `SEARCH('{PoolAutoscaler,service,pool,flavor} MetricName="CreatingNodes"', 'Maximum', 60)`,
        `SEARCH('{PoolAutoscaler,service,pool} MetricName="DepthAgeSeconds"', 'Maximum', 60)`,
        `SEARCH('{PoolAutoscaler,service,pool} MetricName="PatchFailures"', 'Sum', 60)`,
      ]),
    );
    expect(named).toEqual(
      expect.arrayContaining([
        'PoolAutoscaler/PatchesSuccessful',
        'PoolAutoscaler/PatchesFailed',
        'PoolAutoscaler/Throttles',
        'PoolAutoscaler/EvaluationsFailed',
        'PoolAutoscaler/InvalidMessages',
        'AWS/Lambda/Throttles',
        'AWS/SQS/ApproximateNumberOfMessagesVisible',
        'AWS/SQS/ApproximateAgeOfOldestMessage',
        'AWS/Lambda/Errors',
        'AWS/Lambda/Duration',
      ]),
    );
    const alarmWidget = widgets.find((widget) => widget.type === 'alarm');
    expect(alarmWidget?.properties.alarms).toHaveLength(6);
  });

  it('alarms on repeated PATCH failures of one pool from the per-pool metric the functions emit', () => {
    expect(resourcesOfType(template, 'AWS::Logs::MetricFilter')).toEqual({});
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: [
        Match.objectLike({
          Expression:
            `SELECT SUM("PatchFailures") FROM SCHEMA("PoolAutoscaler", "service", "pool") ` +
            `WHERE "service" = 'pool-autoscaler' GROUP BY "pool" ORDER BY SUM() DESC LIMIT 1`,
          Period: 900,
        }),
      ],
      Threshold: 3,
    });
  });

  it('alarms on stale depth from the oldest depth age of any evaluated pool', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: [
        Match.objectLike({
          MetricStat: {
            Metric: {
              Namespace: 'PoolAutoscaler',
              MetricName: 'DepthAgeSeconds',
              Dimensions: [{ Name: 'service', Value: 'pool-autoscaler' }],
            },
            Period: 300,
            Stat: 'Maximum',
          },
        }),
      ],
      Threshold: 900,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('cdk-nag', () => {
  it('reports no unsuppressed error or warning', () => {
    const messages = assembly.getStackByName(stack.stackName).messages;
    const nag = messages.filter((message) => String(message.entry.data).includes('AwsSolutions-'));
    expect(nag.map((message) => `${message.level} ${message.id}: ${String(message.entry.data)}`)).toEqual([]);
    expect(synthErrors(assembly)).toEqual([]);
  });

  it('suppresses only the pinned runtime and the secret rotation, with reasons', () => {
    const reportFile = readdirSync(OUTDIR).find((file) => file.endsWith(`-${stack.stackName}-NagReport.csv`));
    expect(reportFile).toBeDefined();
    const report = readFileSync(path.join(OUTDIR, reportFile ?? ''), 'utf8');
    const rows = report
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split('","').map((cell) => cell.replace(/^"|"$/g, '')));
    expect(rows.length).toBeGreaterThan(10);
    const notCompliant = rows.filter((row) => row[2] !== 'Compliant' && row[2] !== 'N/A');
    expect(new Set(notCompliant.map((row) => `${row[0]} ${row[2]}`))).toEqual(
      new Set(['AwsSolutions-L1 Suppressed', 'AwsSolutions-SMG4 Suppressed']),
    );
    for (const row of notCompliant) expect(row[3]?.length).toBeGreaterThan(40);
  });
});

describe('bundles', () => {
  /** Asset directory of one function's code, from the assembly's asset manifest. */
  function bundleDirectory(fn: TemplateResource): string {
    const key = (fn.Properties.Code as { S3Key: string }).S3Key;
    return path.join(OUTDIR, `asset.${key.replace(/\.zip$/, '')}`);
  }

  it.each(['consumer', 'evaluator', 'watcher'] as const)(
    'the %s bundle is minified ESM with a source map',
    (name) => {
      const dir = bundleDirectory(resourceOf(name));
      const code = readFileSync(path.join(dir, 'index.mjs'), 'utf8');
      expect(existsSync(path.join(dir, 'index.mjs.map'))).toBe(true);
      expect(code).toMatch(/^\/\/# sourceMappingURL=index\.mjs\.map\s*$/m);
      // Minified: long lines, not one statement per line.
      expect(code.length / code.split('\n').length).toBeGreaterThan(1000);
    },
  );

  it.each(['consumer', 'evaluator', 'watcher'] as const)(
    'the %s bundle loads in plain Node and exports handler',
    (name) => {
      const fn = resourceOf(name);
      // Outside the repository, so nothing resolves from its node_modules: the bundle must be self-contained.
      const dir = mkdtempSync(path.join(tmpdir(), `bundle-${name}-`));
      for (const file of ['index.mjs', 'index.mjs.map']) {
        copyFileSync(path.join(bundleDirectory(fn), file), path.join(dir, file));
      }
      const entry = path.join(dir, 'index.mjs');
      // A separate Node process, as Lambda loads it: no test transform, only the bundle and its environment.
      let output: string;
      try {
        output = execFileSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const m = await import(${JSON.stringify(entry)}); console.log(JSON.stringify({ handler: typeof m.handler }));`,
          ],
          {
            cwd: path.dirname(entry),
            env: {
              PATH: process.env.PATH ?? '',
              ...resolvedEnvironment(fn),
              NODE_OPTIONS: '--enable-source-maps',
            },
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      expect(JSON.parse(output.trim().split('\n').pop() ?? '{}')).toEqual({ handler: 'function' });
    },
  );
});
