import * as path from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ModelArtsPoolAutoscaler,
  type ModelArtsPoolAutoscalerProps,
  endedJobRetentionDays,
} from '../../lib/modelarts-pool-autoscaler';
import { dashboardWidgets, iamStatements, resourcesOfType } from './template-queries';

// The CloudFormation schema check built into synth costs seconds per process and is advisory only;
// `npm run synth` keeps it. Everything asserted here comes from the templates and cdk-nag.
vi.stubEnv('CDK_VALIDATION', 'false');
afterAll(() => {
  vi.unstubAllEnvs();
});

const FIXTURE_HANDLER = path.join(__dirname, 'fixtures/handler.ts');
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pool-autoscaler/modelarts-AbCdEf';

interface Variant {
  stack: Stack;
  autoscaler: ModelArtsPoolAutoscaler;
  template?: Template;
}

/** Every variant lives in one app, so the fixture handler is bundled once for the whole file. */
const app = new App({ outdir: path.join(__dirname, '../../cdk.out/test-construct-variants') });

function variant(
  id: string,
  propsOf: (stack: Stack) => Partial<ModelArtsPoolAutoscalerProps> = () => ({}),
): Variant {
  const stack = new Stack(app, id, { env: { account: '123456789012', region: 'eu-west-1' } });
  const autoscaler = new ModelArtsPoolAutoscaler(stack, 'Autoscaler', {
    credentialsSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret', SECRET_ARN),
    consumerEntry: FIXTURE_HANDLER,
    evaluatorEntry: FIXTURE_HANDLER,
    watcherEntry: FIXTURE_HANDLER,
    ...propsOf(stack),
  });
  return { stack, autoscaler };
}

const defaults = variant('Defaults');
const tuned = variant('Tuned', () => ({
  batchSize: 50,
  maxBatchingWindow: Duration.seconds(5),
  maxConcurrency: 20,
  maxReceiveCount: 3,
  consumerTimeout: Duration.seconds(30),
  scheduleRate: Duration.minutes(5),
  removalPolicy: RemovalPolicy.DESTROY,
  deletionProtection: false,
  activityRetentionDays: 90,
  requestsPerSecond: 2,
  modelArtsEndpoint: 'https://modelarts.cn-north-4.myhuaweicloud.com',
  projectId: '6f5da086876d4cd084d36f8bd3346036',
}));
const inProcess = variant('InProcess', () => ({ evaluateInProcess: true }));
const fleetMetrics = variant('FleetMetrics', () => ({ metricsPerPool: false }));
const existing = variant('Existing', (stack) => ({
  existingTables: { policies: dynamodb.Table.fromTableName(stack, 'GivenPolicies', 'team-policies') },
}));
let alarmTopic: sns.Topic | undefined;
const alarmed = variant('Alarmed', (stack) => {
  alarmTopic = new sns.Topic(stack, 'Topic', { enforceSSL: true });
  return { alarmTopic };
});
const operators = variant('Operators');
const operatorRole = new iam.Role(operators.stack, 'OperatorRole', {
  assumedBy: new iam.AccountRootPrincipal(),
});
const producerRole = new iam.Role(operators.stack, 'ProducerRole', {
  assumedBy: new iam.AccountRootPrincipal(),
});
operators.autoscaler.grantPolicyWrite(operatorRole);
operators.autoscaler.grantActivitiesRead(operatorRole);
operators.autoscaler.grantSendEvents(producerRole);

const noWatcher = variant('NoWatcher', () => ({ workloadWatcher: false }));
const fastWatch = variant('FastWatch', () => ({ workloadWatchPeriod: Duration.seconds(15) }));
const slowWatch = variant('SlowWatch', () => ({ workloadWatchPeriod: Duration.minutes(2) }));

const all = [
  defaults,
  tuned,
  inProcess,
  fleetMetrics,
  existing,
  alarmed,
  operators,
  noWatcher,
  fastWatch,
  slowWatch,
];

beforeAll(() => {
  // One synthesis for every variant: Template.fromStack would synthesize the whole app once per stack.
  const assembly = app.synth();
  for (const v of all) v.template = Template.fromJSON(assembly.getStackByName(v.stack.stackName).template);
});

const templateOf = (v: Variant): Template => {
  if (!v.template) throw new Error('template not synthesized');
  return v.template;
};

describe('ModelArtsPoolAutoscaler defaults', () => {
  it('creates six on-demand tables with PITR, KMS encryption, deletion protection and retention', () => {
    const t = templateOf(defaults);
    t.resourceCountIs('AWS::DynamoDB::Table', 6);
    t.allResources('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('turns TTL on exactly where the table definitions name an attribute', () => {
    const t = templateOf(defaults);
    const withTtl = Object.values(resourcesOfType(t, 'AWS::DynamoDB::Table')).filter(
      (table) => table.Properties.TimeToLiveSpecification,
    );
    expect(withTtl).toHaveLength(2);
    for (const table of withTtl) {
      expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    }
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'byDay', Projection: { ProjectionType: 'ALL' } }),
      ],
    });
  });

  it('sizes the queue for the default consumer timeout and batching window', () => {
    templateOf(defaults).hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 6 * 60 + 1,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
    });
  });

  it('grants no action and no resource with a wildcard', () => {
    for (const v of all) {
      for (const statement of iamStatements(templateOf(v))) {
        for (const action of statement.actions) expect(action).not.toContain('*');
        for (const resource of statement.resources) expect(JSON.stringify(resource)).not.toContain('*');
      }
    }
  });
});

describe('ModelArtsPoolAutoscaler tuned', () => {
  it('passes batch size, batching window and concurrency to the event source', () => {
    templateOf(tuned).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 20 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('keeps the visibility timeout at six consumer timeouts plus the window, and the redrive count', () => {
    templateOf(tuned).hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 6 * 30 + 5,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }),
    });
  });

  it('applies removal policy and deletion protection', () => {
    templateOf(tuned).allResources('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
      DeletionPolicy: 'Delete',
    });
    templateOf(tuned).allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
  });

  it('schedules the sweep at the given rate', () => {
    templateOf(tuned).hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  it('hands endpoint, project, rate and retention to every function', () => {
    const functions = resourcesOfType(templateOf(tuned), 'AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(3);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties.Environment?.Variables).toMatchObject({
        MODELARTS_ENDPOINT: 'https://modelarts.cn-north-4.myhuaweicloud.com',
        MODELARTS_PROJECT_ID: '6f5da086876d4cd084d36f8bd3346036',
        MODELARTS_REQUESTS_PER_SECOND: '2',
        ACTIVITY_RETENTION_DAYS: '90',
      });
    }
  });

  it('keeps ended jobs as long as a late duplicate can arrive: dead-letter retention and every receive, plus a day', () => {
    // 14 days in the dead-letter queue, 5 receives of 361 s (6 x 60 s + 1 s) and one day: 15.02 days, rounded up.
    expect(
      endedJobRetentionDays({
        queueRetention: Duration.days(4),
        deadLetterRetention: Duration.days(14),
        visibilityTimeout: Duration.seconds(361),
        maxReceiveCount: 5,
      }),
    ).toBe(16);
    for (const fn of Object.values(resourcesOfType(templateOf(defaults), 'AWS::Lambda::Function'))) {
      expect(fn.Properties.Environment?.Variables.JOB_RETENTION_DAYS).toBe('16');
    }
  });

  it('refuses a job retention shorter than the time a late duplicate can still arrive in', () => {
    const stack = new Stack(app, 'ShortRetention', { env: { account: '123456789012', region: 'eu-west-1' } });
    expect(
      () =>
        new ModelArtsPoolAutoscaler(stack, 'Autoscaler', {
          credentialsSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret', SECRET_ARN),
          consumerEntry: FIXTURE_HANDLER,
          evaluatorEntry: FIXTURE_HANDLER,
          watcherEntry: FIXTURE_HANDLER,
          jobRetentionDays: 7,
        }),
    ).toThrow(/jobRetentionDays 7 is shorter than the 16 days/);
  });
});

describe('ModelArtsPoolAutoscaler with given tables', () => {
  it('creates only the tables it was not given and points the functions at the given one', () => {
    const t = templateOf(existing);
    t.resourceCountIs('AWS::DynamoDB::Table', 5);
    for (const fn of Object.values(resourcesOfType(t, 'AWS::Lambda::Function'))) {
      expect(fn.Properties.Environment?.Variables.POLICIES_TABLE).toBe('team-policies');
    }
    const evaluatorScan = iamStatements(t).find((s) => s.actions.includes('dynamodb:Scan'));
    expect(JSON.stringify(evaluatorScan?.resources)).toContain(':table/team-policies');
  });
});

describe('ModelArtsPoolAutoscaler evaluating in process', () => {
  it('lets the evaluator read the secret and the state the consumer uses', () => {
    const t = templateOf(inProcess);
    const evaluatorRole = inProcess.stack.getLogicalId(
      (inProcess.autoscaler.evaluator.role as iam.Role).node.defaultChild as never,
    );
    const statements = iamStatements(t).filter((s) => s.roles.includes(evaluatorRole));
    const actions = statements.flatMap((s) => s.actions);
    expect(actions).toContain('secretsmanager:GetSecretValue');
    expect(actions).toContain('dynamodb:UpdateItem');
    const functions = Object.values(resourcesOfType(t, 'AWS::Lambda::Function'));
    for (const fn of functions) expect(fn.Properties.Environment?.Variables.EVALUATE_IN_PROCESS).toBe('true');
  });
});

describe('ModelArtsPoolAutoscaler without per-pool metrics', () => {
  const patchFailureAlarm = (t: Template) =>
    Object.entries(resourcesOfType(t, 'AWS::CloudWatch::Alarm')).find(([id]) =>
      id.includes('RepeatedPatchFailures'),
    )?.[1];

  it('tells every function, and keeps per-pool series on by default', () => {
    for (const [v, expected] of [
      [fleetMetrics, 'false'],
      [defaults, 'true'],
    ] as const) {
      const functions = Object.values(resourcesOfType(templateOf(v), 'AWS::Lambda::Function'));
      expect(functions).toHaveLength(3);
      for (const fn of functions)
        expect(fn.Properties.Environment?.Variables.METRICS_PER_POOL).toBe(expected);
    }
  });

  it('alarms on the fleet-level PATCH failure count instead of the worst pool', () => {
    const alarm = patchFailureAlarm(templateOf(fleetMetrics));
    expect(alarm?.Properties.Threshold).toBe(3);
    expect(alarm?.Properties.Metrics).toEqual([
      expect.objectContaining({
        MetricStat: {
          Metric: {
            Namespace: 'PoolAutoscaler',
            MetricName: 'PatchesFailed',
            Dimensions: [{ Name: 'service', Value: 'pool-autoscaler' }],
          },
          Period: 900,
          Stat: 'Sum',
        },
      }),
    ]);
    expect(JSON.stringify(alarm?.Properties.Metrics)).not.toContain('Expression');
    expect(JSON.stringify(patchFailureAlarm(templateOf(defaults))?.Properties.Metrics)).toContain(
      'GROUP BY \\"pool\\"',
    );
  });

  it('reads no per-pool or per-flavor series on the dashboard', () => {
    const [dashboard] = Object.values(
      resourcesOfType(templateOf(fleetMetrics), 'AWS::CloudWatch::Dashboard'),
    );
    const widgets = dashboardWidgets(dashboard!);
    const lines = widgets.flatMap((widget) => widget.properties.metrics);
    expect(lines.length).toBeGreaterThan(10);
    expect(JSON.stringify(lines)).not.toMatch(/SEARCH|"pool"|"flavor"/);
    expect(JSON.stringify(lines)).toContain('"DepthAgeSeconds","service","pool-autoscaler"');
  });
});

describe('ModelArtsPoolAutoscaler default evaluator', () => {
  it('never lets the evaluator read the secret when it fans out', () => {
    const t = templateOf(defaults);
    const evaluatorRole = defaults.stack.getLogicalId(
      (defaults.autoscaler.evaluator.role as iam.Role).node.defaultChild as never,
    );
    const secretReaders = iamStatements(t).filter((s) => s.actions.includes('secretsmanager:GetSecretValue'));
    // The consumer and the watcher call ModelArts.
    expect(secretReaders).toHaveLength(2);
    for (const reader of secretReaders) expect(reader.roles).not.toContain(evaluatorRole);
  });
});

describe('ModelArtsPoolAutoscaler alarms', () => {
  it('notifies the topic on alarm and on recovery', () => {
    const topicArn = alarmed.stack.resolve(alarmTopic?.topicArn);
    const alarms = Object.values(resourcesOfType(templateOf(alarmed), 'AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThanOrEqual(5);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([topicArn]);
      expect(alarm.Properties.OKActions).toEqual([topicArn]);
    }
  });

  it('creates alarms without actions when no topic is given', () => {
    for (const alarm of Object.values(resourcesOfType(templateOf(defaults), 'AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toBeUndefined();
    }
  });
});

describe('ModelArtsPoolAutoscaler grants', () => {
  it('grants operators policy writes and activity reads on exact tables and indexes', () => {
    const t = templateOf(operators);
    const role = operators.stack.getLogicalId(operatorRole.node.defaultChild as never);
    const statements = iamStatements(t).filter((s) => s.roles.includes(role));
    const policyWrite = statements.find((s) => s.actions.includes('dynamodb:PutItem'));
    expect(policyWrite?.actions.sort()).toEqual(
      [
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        'dynamodb:UpdateItem',
      ].sort(),
    );
    const activitiesRead = statements.find(
      (s) => s.actions.length === 2 && s.actions.includes('dynamodb:Query'),
    );
    expect(JSON.stringify(activitiesRead?.resources)).toContain('/index/byDay');
  });

  it('grants producers sending to the events queue only', () => {
    const t = templateOf(operators);
    const role = operators.stack.getLogicalId(producerRole.node.defaultChild as never);
    const actions = iamStatements(t)
      .filter((s) => s.roles.includes(role))
      .flatMap((s) => s.actions);
    expect(actions).toContain('sqs:SendMessage');
    expect(actions.filter((a) => !a.startsWith('sqs:'))).toEqual([]);
  });
});

describe('ModelArtsPoolAutoscaler workload watcher', () => {
  const watcherOf = (v: Variant) => {
    const t = templateOf(v);
    const id = v.stack.getLogicalId(v.autoscaler.watcher!.node.defaultChild as never);
    return { t, fn: resourcesOfType(t, 'AWS::Lambda::Function')[id]!, id };
  };

  it.each([
    ['15 s: a one-minute schedule polling four times', fastWatch, 'rate(1 minute)', '15', '4', 75],
    ['2 minutes: a two-minute schedule polling once', slowWatch, 'rate(2 minutes)', '120', '1', 30],
  ] as const)('%s', (_name, v, rate, period, rounds, timeout) => {
    const { t, fn, id } = watcherOf(v);
    expect(fn.Properties.Environment?.Variables).toMatchObject({
      WATCH_PERIOD_SECONDS: period,
      WATCH_ROUNDS: rounds,
    });
    expect(fn.Properties.Timeout).toBe(timeout);
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: rate,
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [id, 'Arn'] } })],
    });
  });

  it('lets the watcher read the secret and send to the events queue, and nothing else outside its tables', () => {
    const { t } = watcherOf(defaults);
    const role = defaults.stack.getLogicalId(
      (defaults.autoscaler.watcher!.role as iam.Role).node.defaultChild as never,
    );
    const actions = iamStatements(t)
      .filter((statement) => statement.roles.includes(role))
      .flatMap((statement) => statement.actions)
      .filter((action) => !action.startsWith('dynamodb:') && !action.startsWith('logs:'));
    expect(actions).toContain('secretsmanager:GetSecretValue');
    expect(actions).toContain('sqs:SendMessage');
    expect(actions.filter((action) => !/^(secretsmanager|sqs|kms):/.test(action))).toEqual([]);
    expect(actions).not.toContain('sqs:ReceiveMessage');
  });

  it('can be left out: two functions, one schedule, five alarms', () => {
    const t = templateOf(noWatcher);
    expect(noWatcher.autoscaler.watcher).toBeUndefined();
    expect(Object.keys(resourcesOfType(t, 'AWS::Lambda::Function'))).toHaveLength(2);
    expect(Object.keys(resourcesOfType(t, 'AWS::Events::Rule'))).toHaveLength(1);
    expect(Object.keys(resourcesOfType(t, 'AWS::CloudWatch::Alarm'))).toHaveLength(5);
  });

  it.each([
    [Duration.seconds(45), /below a minute it must divide 60/],
    [Duration.seconds(90), /must be whole minutes/],
    [Duration.seconds(5), /at least 10/],
  ])('refuses a period of %s', (period, message) => {
    const stack = new Stack(app, `Watch${period.toSeconds()}`, {
      env: { account: '123456789012', region: 'eu-west-1' },
    });
    expect(
      () =>
        new ModelArtsPoolAutoscaler(stack, 'Autoscaler', {
          credentialsSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret', SECRET_ARN),
          consumerEntry: FIXTURE_HANDLER,
          evaluatorEntry: FIXTURE_HANDLER,
          watcherEntry: FIXTURE_HANDLER,
          workloadWatchPeriod: period,
        }),
    ).toThrow(message);
  });
});
