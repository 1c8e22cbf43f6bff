import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SCHEDULE_SECONDS, WATCHER_ENV, roundsPerMinute } from '../functions/watcher/settings';
import { AutoscalerFunction } from './autoscaler-function';
import type { AutoscalerTables } from './autoscaler-tables';
import { WATCHER_TABLE_ACCESS, grantTableAccess } from './table-access';

export interface WorkloadWatcherProps {
  /** Path of the watcher's handler module. */
  readonly entry: string;
  /** Time between two polls of every watched pool: 10 to 60 seconds dividing a minute, or whole minutes. */
  readonly period: Duration;
  readonly memorySize: number;
  /** The environment every autoscaler function shares; the watcher adds its own settings. */
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly projectRoot?: string;
  readonly tables: AutoscalerTables;
  /** Where `pool.evaluate` goes: the consumer evaluates the pool. */
  readonly queue: sqs.IQueue;
  readonly credentialsSecret: secretsmanager.ISecret;
}

/** How a period is polled: the schedule's rate and the polls each invocation makes, `period` apart. */
export function watchSchedule(period: Duration): { rate: Duration; rounds: number } {
  const seconds = period.toSeconds();
  if (!Number.isInteger(seconds) || seconds < 10) {
    throw new Error(`workloadWatchPeriod ${seconds} s: must be a whole number of seconds, at least 10`);
  }
  if (seconds < SCHEDULE_SECONDS) {
    if (SCHEDULE_SECONDS % seconds !== 0) {
      throw new Error(
        `workloadWatchPeriod ${seconds} s: below a minute it must divide 60 (10, 12, 15, 20, 30)`,
      );
    }
    return { rate: Duration.minutes(1), rounds: roundsPerMinute(seconds) };
  }
  if (seconds % SCHEDULE_SECONDS !== 0) {
    throw new Error(`workloadWatchPeriod ${seconds} s: from a minute up it must be whole minutes`);
  }
  return { rate: period, rounds: 1 };
}

/**
 * The workload watcher: a function on a one-minute schedule (EventBridge's shortest rate) that polls the
 * workload statistics of every pool whose demand is its workloads `60 / period` times per invocation, and
 * queues a `pool.evaluate` for each pool whose counts changed. Its role may read the policies, keep the counts
 * it saw in the scaler state, take tokens from the shared bucket, read the credentials and send to the queue;
 * nothing else.
 */
export class WorkloadWatcher extends Construct {
  readonly function: lambda.IFunction;
  readonly logGroup: logs.ILogGroup;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: WorkloadWatcherProps) {
    super(scope, id);
    const { rate, rounds } = watchSchedule(props.period);
    const periodSeconds = props.period.toSeconds();
    const watcher = new AutoscalerFunction(this, 'Function', {
      entry: props.entry,
      description:
        "pool-autoscaler: evaluates pools whose workload queue changed (demand from the pools' workloads)",
      // The polls are `period` apart; the last one gets half a minute.
      timeout: Duration.seconds((rounds - 1) * periodSeconds + 30),
      memorySize: props.memorySize,
      environment: {
        ...props.environment,
        [WATCHER_ENV.periodSeconds]: String(periodSeconds),
        [WATCHER_ENV.rounds]: String(rounds),
      },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      ...(props.projectRoot !== undefined ? { projectRoot: props.projectRoot } : {}),
    });
    this.function = watcher.function;
    this.logGroup = watcher.logGroup;

    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'pool-autoscaler: polls the workload statistics of pools whose demand is their workloads',
      schedule: events.Schedule.rate(rate),
    });
    this.schedule.addTarget(
      new targets.LambdaFunction(watcher.function, {
        // A late or retried watch is worth nothing: the next invocation polls afresh.
        maxEventAge: Duration.seconds(60),
        retryAttempts: 0,
      }),
    );

    grantTableAccess(watcher.role, props.tables, WATCHER_TABLE_ACCESS);
    props.credentialsSecret.grantRead(watcher.role);
    props.queue.grantSendMessages(watcher.role);
  }
}
