import * as path from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, tableEnvironment } from '../functions/shared/config';
import {
  EndpointHostsSchema,
  HUAWEI_CLOUD_MODELARTS_HOSTS,
  checkEndpoint,
} from '../functions/shared/endpoint-allowlist';
import { parseFields } from '../functions/shared/validation-issues';
import { TABLES } from '../functions/shared/store/tables';
import { AutoscalerFunction } from './autoscaler-function';
import { AutoscalerMonitoring } from './autoscaler-monitoring';
import {
  grantTableActions,
  resolveAutoscalerTables,
  tableNamesOf,
  type AutoscalerTables,
} from './autoscaler-tables';
import { CONSUMER_TABLE_ACCESS, evaluatorTableAccess, grantTableAccess } from './table-access';
import { WorkloadWatcher } from './workload-watcher';

/**
 * The directory holding the handlers' TypeScript sources that the functions are bundled from: the checkout's root
 * when this file runs from `lib/`, the package's root when it runs from the built `dist/` of an installed package.
 */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'functions', 'consumer', 'handler.ts'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error('pool-autoscaler: the handler sources (functions/) are missing from the package');
    dir = parent;
  }
}

const PROJECT_ROOT = packageRoot();

/** Log levels Powertools Logger understands. */
export type AutoscalerLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface ModelArtsPoolAutoscalerProps {
  /**
   * Secrets Manager secret holding the Huawei Cloud access key pair as JSON: `{"ak": "...", "sk": "..."}`.
   * Only the functions that call ModelArts may read it.
   */
  readonly credentialsSecret: secretsmanager.ISecret;

  /**
   * ModelArts endpoint for every pool, e.g. `https://modelarts.cn-north-4.myhuaweicloud.com` (https only);
   * it must match `endpointHosts`.
   * @default - each policy's own `endpoint`
   */
  readonly modelArtsEndpoint?: string;

  /**
   * Host patterns every ModelArts endpoint (a policy's, or `modelArtsEndpoint`) must match; `*` stands for
   * exactly one DNS label, e.g. `modelarts.*.myhuaweicloud.com`. Endpoints are always https on port 443 and
   * never IP literals; a policy outside the list is recorded `Invalid` and nothing is sent. Name only domains
   * whose DNS you trust: a matching name is not resolved and checked.
   * @default - Huawei Cloud's public ModelArts endpoints: `modelarts.*.myhuaweicloud.com` and
   *   `modelarts.*.myhuaweicloud.cn` (`ap-southeast-1`)
   */
  readonly endpointHosts?: readonly string[];

  /**
   * Huawei Cloud project id for every pool.
   * @default - each policy's own `projectId`
   */
  readonly projectId?: string;

  /**
   * Sustained ModelArts request rate shared by every concurrent function, per endpoint and project.
   * @default 5
   */
  readonly requestsPerSecond?: number;

  /**
   * Requests the shared token bucket allows in a burst above `requestsPerSecond`.
   * @default 10
   */
  readonly requestBurst?: number;

  /**
   * Tables to use instead of creating them, by the name the code uses (`policies`, `depth`, `jobs`,
   * `scalerState`, `tokenBuckets`, `activities`). They must have the keys, indexes and TTL attribute of
   * `functions/shared/store/tables.ts`. Any table not given here is created.
   * @default - every table is created
   */
  readonly existingTables?: Partial<AutoscalerTables>;

  /**
   * How often the evaluator sweeps every enabled pool (at least one minute).
   * @default Duration.minutes(1)
   */
  readonly scheduleRate?: Duration;

  /**
   * Events the consumer receives per invocation (1 to 10,000; above 10 needs a batching window).
   * @default 10
   */
  readonly batchSize?: number;

  /**
   * How long SQS gathers events before invoking the consumer (0 to 300 seconds).
   * @default Duration.seconds(1)
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * Most concurrent consumer invocations the SQS event source starts (2 to 1,000).
   * @default 10
   */
  readonly maxConcurrency?: number;

  /**
   * Receives of one event before it moves to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;

  /**
   * Days activities are kept before DynamoDB expires them.
   * @default 30
   */
  readonly activityRetentionDays?: number;

  /**
   * Days an ended job's record is kept, so that every late duplicate of its events is recognised; a job that
   * has not ended keeps its record for as long as it runs. It must cover the time a message can still be
   * delivered: the longer of the queue's and the dead-letter queue's retention (a message redriven from the
   * dead-letter queue keeps its first enqueue time), plus `maxReceiveCount` visibility timeouts, plus one day
   * for producers that hold events back. A smaller value is refused.
   * @default that minimum, rounded up to whole days (16 with the other defaults)
   */
  readonly jobRetentionDays?: number;

  /**
   * `true`: the evaluator evaluates every pool itself instead of fanning out one `pool.evaluate` event per pool
   * to the queue. It then gets the evaluation permissions (state tables, secret) instead of sending to the
   * queue.
   * @default false
   */
  readonly evaluateInProcess?: boolean;

  /**
   * SNS topic every alarm notifies (on alarm and back to OK).
   * @default - alarms are created without actions
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * What happens to the tables and log groups when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * DynamoDB deletion protection on the created tables.
   * @default true
   */
  readonly deletionProtection?: boolean;

  /**
   * Retention of the functions' log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Powertools log level of both functions.
   * @default 'INFO'
   */
  readonly logLevel?: AutoscalerLogLevel;

  /**
   * Powertools service name (`service` in logs, a dimension of every metric).
   * @default 'pool-autoscaler'
   */
  readonly serviceName?: string;

  /**
   * CloudWatch namespace of the functions' embedded metrics.
   * @default 'PoolAutoscaler'
   */
  readonly metricsNamespace?: string;

  /**
   * `false`: the functions emit only fleet-level metrics (the `service` dimension), leaving out the per-pool and
   * per-flavor series (demand, target and node counts, depth age, PATCH failures) that make most of the
   * CloudWatch cost at many pools. The dashboard then shows fleet-level figures only, and the PATCH-failure alarm
   * counts failures over the whole fleet instead of the worst pool.
   * @default true
   */
  readonly metricsPerPool?: boolean;

  /**
   * Consumer timeout; the queue's visibility timeout is six times this plus the batching window.
   * @default Duration.seconds(60)
   */
  readonly consumerTimeout?: Duration;

  /**
   * Evaluator timeout.
   * @default Duration.seconds(120)
   */
  readonly evaluatorTimeout?: Duration;

  /**
   * Memory of each function, in MiB.
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * Seconds an evaluation holds its pool's lease; longer than one evaluation with its retries.
   * @default 60
   */
  readonly leaseSeconds?: number;

  /**
   * Depth older than this raises the stale-depth alarm (no events and no snapshots for the pool).
   * @default Duration.minutes(15)
   */
  readonly staleDepthAfter?: Duration;

  /**
   * Failed PATCH requests for one pool (for the whole fleet when `metricsPerPool` is `false`) within 15
   * minutes that raise the PATCH-failure alarm.
   * @default 3
   */
  readonly patchFailureThreshold?: number;

  /**
   * Name of the CloudWatch dashboard.
   * @default - `<stack name>-pool-autoscaler`
   */
  readonly dashboardName?: string;

  /**
   * `false`: no workload watcher. With it, pools whose policy reads its demand from the pool's workloads
   * (`demand: "workloads"`) are evaluated within one `workloadWatchPeriod` of a change in their queue, not only
   * at the next sweep. Without any such pool it costs one short invocation a minute (a policy scan).
   * @default true
   */
  readonly workloadWatcher?: boolean;

  /**
   * How often the watcher polls each watched pool's workload statistics (one ModelArts request per pool): 10 to
   * 60 seconds dividing a minute (a one-minute schedule polling `60 / period` times per invocation), or whole
   * minutes.
   * @default Duration.seconds(30)
   */
  readonly workloadWatchPeriod?: Duration;

  /**
   * Memory of the watcher, in MiB: it mostly waits between polls, and is billed for it.
   * @default 256
   */
  readonly watcherMemorySize?: number;

  /**
   * Handler module of the consumer.
   * @default - `functions/consumer/handler.ts` of this package
   */
  readonly consumerEntry?: string;

  /**
   * Handler module of the evaluator.
   * @default - `functions/evaluator/handler.ts` of this package
   */
  readonly evaluatorEntry?: string;

  /**
   * Handler module of the workload watcher.
   * @default - `functions/watcher/handler.ts` of this package
   */
  readonly watcherEntry?: string;

  /**
   * Directory with `package-lock.json` and `node_modules` that esbuild bundles from.
   * @default - this package's root in its own checkout; once installed, the app's root (the directory of the lock
   *   file found from the working directory, as NodejsFunction finds it), which holds the package in node_modules
   */
  readonly projectRoot?: string;
}

/**
 * The ModelArts pool autoscaler: an events queue with a dead-letter queue, the consumer that folds job events
 * into demand and scales pools, the evaluator that sweeps every pool on a schedule, the watcher that evaluates
 * pools whose workload queue changed, the state tables, and a dashboard with alarms.
 */
const QUEUE_RETENTION = Duration.days(4);
const DEAD_LETTER_RETENTION = Duration.days(14);

/**
 * Shortest time an ended job's record must be kept: while any copy of one of its events can still be delivered
 * (from the queue, or redriven from the dead-letter queue, both counted from the first enqueue time), through
 * every receive it may take, plus a day for producers that hold events back. Whole days, rounded up.
 */
export function endedJobRetentionDays(queue: {
  queueRetention: Duration;
  deadLetterRetention: Duration;
  visibilityTimeout: Duration;
  maxReceiveCount: number;
}): number {
  const seconds =
    Math.max(queue.queueRetention.toSeconds(), queue.deadLetterRetention.toSeconds()) +
    queue.visibilityTimeout.toSeconds() * queue.maxReceiveCount +
    86_400;
  return Math.ceil(seconds / 86_400);
}

/** The allowlist the functions get, refused at synth time when a pattern or the pinned endpoint is unusable. */
function validatedEndpointHosts(props: ModelArtsPoolAutoscalerProps): string[] {
  const parsed = parseFields(
    EndpointHostsSchema,
    (props.endpointHosts ?? HUAWEI_CLOUD_MODELARTS_HOSTS).join(','),
  );
  if (!parsed.success)
    throw new Error(`endpointHosts: ${parsed.issues.map((issue) => issue.message).join('; ')}`);
  if (props.modelArtsEndpoint !== undefined) {
    const verdict = checkEndpoint(props.modelArtsEndpoint, { hosts: parsed.data, loopback: false });
    if (!verdict.allowed) throw new Error(`modelArtsEndpoint ${props.modelArtsEndpoint}: ${verdict.reason}`);
  }
  return parsed.data;
}

export class ModelArtsPoolAutoscaler extends Construct {
  /** Queue producers send job events (`job.*`, `depth.snapshot`, `pool.evaluate`) to. */
  readonly queue: sqs.Queue;
  /** Events that failed `maxReceiveCount` times. */
  readonly deadLetterQueue: sqs.Queue;
  /** The state tables, created or given. */
  readonly tables: AutoscalerTables;
  /** Processes queue events in partial batches. */
  readonly consumer: lambda.IFunction;
  /** Sweeps every enabled pool on the schedule. */
  readonly evaluator: lambda.IFunction;
  /** Log group of the consumer. */
  readonly consumerLogGroup: logs.ILogGroup;
  /** Log group of the evaluator. */
  readonly evaluatorLogGroup: logs.ILogGroup;
  /** The rule that invokes the evaluator. */
  readonly schedule: events.Rule;
  /** Polls the workload statistics of pools whose demand is their workloads; absent with `workloadWatcher: false`. */
  readonly watcher: lambda.IFunction | undefined;
  /** Log group of the watcher. */
  readonly watcherLogGroup: logs.ILogGroup | undefined;
  /** The rule that invokes the watcher. */
  readonly watchSchedule: events.Rule | undefined;
  /** Dashboard and alarms. */
  readonly monitoring: AutoscalerMonitoring;
  /** Secret with the ModelArts access key pair. */
  readonly credentialsSecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: ModelArtsPoolAutoscalerProps) {
    super(scope, id);

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const consumerTimeout = props.consumerTimeout ?? Duration.seconds(60);
    const evaluatorTimeout = props.evaluatorTimeout ?? Duration.seconds(120);
    const maxBatchingWindow = props.maxBatchingWindow ?? Duration.seconds(1);
    const evaluateInProcess = props.evaluateInProcess ?? false;
    const projectRoot =
      props.projectRoot ??
      (existsSync(path.join(PROJECT_ROOT, 'package-lock.json')) ? PROJECT_ROOT : undefined);
    const serviceName = props.serviceName ?? 'pool-autoscaler';
    const metricsNamespace = props.metricsNamespace ?? 'PoolAutoscaler';
    const metricsPerPool = props.metricsPerPool ?? true;
    this.credentialsSecret = props.credentialsSecret;

    this.tables = resolveAutoscalerTables(this, props.existingTables ?? {}, {
      removalPolicy,
      deletionProtection: props.deletionProtection ?? true,
    });

    // AWS guidance for SQS event sources: six times the function timeout plus the batching window, so a
    // throttled or retried batch never becomes visible again while a consumer still works on it.
    const visibilityTimeout = Duration.seconds(
      6 * consumerTimeout.toSeconds() + maxBatchingWindow.toSeconds(),
    );
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    this.queue = new sqs.Queue(this, 'EventsQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: QUEUE_RETENTION,
      visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });

    const minimumJobRetentionDays = endedJobRetentionDays({
      queueRetention: QUEUE_RETENTION,
      deadLetterRetention: DEAD_LETTER_RETENTION,
      visibilityTimeout,
      maxReceiveCount,
    });
    if (props.jobRetentionDays !== undefined && props.jobRetentionDays < minimumJobRetentionDays) {
      throw new Error(
        `jobRetentionDays ${props.jobRetentionDays} is shorter than the ${minimumJobRetentionDays} days a late duplicate can still arrive in (queue retention, dead-letter retention and ${maxReceiveCount} receives)`,
      );
    }

    const endpointHosts = validatedEndpointHosts(props);

    const environment: Record<string, string> = {
      ...tableEnvironment(tableNamesOf(this.tables)),
      [ENV.queueUrl]: this.queue.queueUrl,
      [ENV.modelArtsSecretArn]: props.credentialsSecret.secretArn,
      [ENV.modelArtsRequestsPerSecond]: String(props.requestsPerSecond ?? 5),
      [ENV.modelArtsBurst]: String(props.requestBurst ?? 10),
      [ENV.evaluateInProcess]: String(evaluateInProcess),
      [ENV.metricsPerPool]: String(metricsPerPool),
      [ENV.activityRetentionDays]: String(props.activityRetentionDays ?? 30),
      [ENV.jobRetentionDays]: String(props.jobRetentionDays ?? minimumJobRetentionDays),
      [ENV.leaseSeconds]: String(props.leaseSeconds ?? 60),
      [ENV.powertoolsServiceName]: serviceName,
      [ENV.powertoolsMetricsNamespace]: metricsNamespace,
      [ENV.powertoolsLogLevel]: props.logLevel ?? 'INFO',
      // Written out even when it is the default, so the function configuration shows where requests may go.
      // MODELARTS_ALLOW_LOOPBACK is never set: only local runs and tests reach loopback.
      [ENV.modelArtsEndpointHosts]: endpointHosts.join(','),
      ...(props.modelArtsEndpoint !== undefined ? { [ENV.modelArtsEndpoint]: props.modelArtsEndpoint } : {}),
      ...(props.projectId !== undefined ? { [ENV.modelArtsProjectId]: props.projectId } : {}),
    };

    const functionDefaults = {
      memorySize: props.memorySize ?? 512,
      environment,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy,
      ...(projectRoot !== undefined ? { projectRoot } : {}),
    };
    const consumer = new AutoscalerFunction(this, 'Consumer', {
      ...functionDefaults,
      entry: props.consumerEntry ?? path.join(PROJECT_ROOT, 'functions/consumer/handler.ts'),
      description: 'pool-autoscaler: folds job events into demand and scales ModelArts pools',
      timeout: consumerTimeout,
    });
    const evaluator = new AutoscalerFunction(this, 'Evaluator', {
      ...functionDefaults,
      entry: props.evaluatorEntry ?? path.join(PROJECT_ROOT, 'functions/evaluator/handler.ts'),
      description: 'pool-autoscaler: sweeps every enabled pool on a schedule',
      timeout: evaluatorTimeout,
    });
    this.consumer = consumer.function;
    this.evaluator = evaluator.function;
    this.consumerLogGroup = consumer.logGroup;
    this.evaluatorLogGroup = evaluator.logGroup;

    consumer.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batchSize ?? 10,
        maxBatchingWindow,
        maxConcurrency: props.maxConcurrency ?? 10,
        reportBatchItemFailures: true,
      }),
    );

    this.schedule = new events.Rule(this, 'EvaluationSchedule', {
      description: 'pool-autoscaler: periodic sweep of every enabled pool',
      schedule: events.Schedule.rate(props.scheduleRate ?? Duration.minutes(1)),
    });
    this.schedule.addTarget(
      new targets.LambdaFunction(evaluator.function, {
        // A sweep that could not start before the next one is worthless: the next sweep covers it.
        maxEventAge: Duration.seconds(Math.max(60, (props.scheduleRate ?? Duration.minutes(1)).toSeconds())),
        retryAttempts: 2,
      }),
    );

    grantTableAccess(consumer.role, this.tables, CONSUMER_TABLE_ACCESS);
    props.credentialsSecret.grantRead(consumer.role);
    grantTableAccess(evaluator.role, this.tables, evaluatorTableAccess(evaluateInProcess));
    if (evaluateInProcess) props.credentialsSecret.grantRead(evaluator.role);
    else this.queue.grantSendMessages(evaluator.role);

    const watcher =
      (props.workloadWatcher ?? true)
        ? new WorkloadWatcher(this, 'Watcher', {
            ...functionDefaults,
            memorySize: props.watcherMemorySize ?? 256,
            entry: props.watcherEntry ?? path.join(PROJECT_ROOT, 'functions/watcher/handler.ts'),
            period: props.workloadWatchPeriod ?? Duration.seconds(30),
            tables: this.tables,
            queue: this.queue,
            credentialsSecret: props.credentialsSecret,
          })
        : undefined;
    this.watcher = watcher?.function;
    this.watcherLogGroup = watcher?.logGroup;
    this.watchSchedule = watcher?.schedule;

    this.monitoring = new AutoscalerMonitoring(this, 'Monitoring', {
      dashboardName: props.dashboardName ?? `${Stack.of(this).stackName}-pool-autoscaler`,
      metricsNamespace,
      serviceName,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      functions: {
        consumer: consumer.function,
        evaluator: evaluator.function,
        ...(watcher ? { watcher: watcher.function } : {}),
      },
      scheduleRate: props.scheduleRate ?? Duration.minutes(1),
      staleDepthAfter: props.staleDepthAfter ?? Duration.minutes(15),
      patchFailureThreshold: props.patchFailureThreshold ?? 3,
      perPool: metricsPerPool,
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
    });
  }

  /** Lets `grantee` create, replace, pause and delete policies (operators, CI pipelines). */
  grantPolicyWrite(grantee: iam.IGrantable): iam.Grant {
    return grantTableActions(grantee, this.tables.policies, TABLES.policies, [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:Scan',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ]);
  }

  /** Lets `grantee` read policies. */
  grantPolicyRead(grantee: iam.IGrantable): iam.Grant {
    return grantTableActions(grantee, this.tables.policies, TABLES.policies, [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:Scan',
    ]);
  }

  /** Lets `grantee` read the activity history of every pool. */
  grantActivitiesRead(grantee: iam.IGrantable): iam.Grant {
    return grantTableActions(grantee, this.tables.activities, TABLES.activities, [
      'dynamodb:GetItem',
      'dynamodb:Query',
    ]);
  }

  /** Lets a job producer send events to the queue. */
  grantSendEvents(grantee: iam.IGrantable): iam.Grant {
    return this.queue.grantSendMessages(grantee);
  }
}
