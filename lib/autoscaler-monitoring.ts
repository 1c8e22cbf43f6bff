import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PIPELINE_METRICS } from './pipeline-metrics';

export interface AutoscalerMonitoringProps {
  readonly dashboardName: string;
  readonly metricsNamespace: string;
  readonly serviceName: string;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly functions: {
    readonly consumer: lambda.IFunction;
    readonly evaluator: lambda.IFunction;
    /** The workload watcher, when the autoscaler has one. */
    readonly watcher?: lambda.IFunction;
  };
  /** How often every pool is evaluated: the stale-depth alarm needs at least one evaluation per period. */
  readonly scheduleRate: Duration;
  readonly staleDepthAfter: Duration;
  readonly patchFailureThreshold: number;
  /**
   * Whether the functions emit per-pool and per-flavor series. Without them, the widgets and the PATCH-failure
   * alarm read the fleet-level series instead.
   */
  readonly perPool: boolean;
  readonly alarmTopic?: sns.ITopic;
}

const HALF = 12;
const FULL = 24;
const HEIGHT = 6;
const MINUTE = Duration.minutes(1);

/**
 * Dashboard and alarms of one autoscaler. Per-pool and per-flavor series are found with SEARCH (dashboard) and
 * Metrics Insights (alarm), so new pools and flavors appear without a redeploy. Without per-pool series, only
 * the fleet-level ones are read.
 */
export class AutoscalerMonitoring extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly deadLetterAlarm: cloudwatch.Alarm;
  readonly patchFailureAlarm: cloudwatch.Alarm;
  readonly staleDepthAlarm: cloudwatch.Alarm;
  readonly consumerErrorAlarm: cloudwatch.Alarm;
  readonly evaluatorErrorAlarm: cloudwatch.Alarm;
  /** Failed invocations of the workload watcher, when there is one. */
  readonly watcherErrorAlarm: cloudwatch.Alarm | undefined;
  /** Every alarm above. */
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: AutoscalerMonitoringProps) {
    super(scope, id);
    const ns = props.metricsNamespace;
    const m = PIPELINE_METRICS;

    /** A service-level figure emitted by the functions. */
    const metric = (metricName: string, statistic: string, label: string, period: Duration = MINUTE) =>
      new cloudwatch.Metric({
        namespace: ns,
        metricName,
        dimensionsMap: { [m.dimensions.service]: props.serviceName },
        statistic,
        period,
        label,
      });
    /** Every series of `metricName` with exactly `dimensions`, one line per dimension value. */
    const search = (label: string, metricName: string, dimensions: readonly string[], statistic: string) =>
      new cloudwatch.MathExpression({
        label,
        expression: `SEARCH('{${[ns, ...dimensions].join(',')}} MetricName="${metricName}"', '${statistic}', 60)`,
        period: MINUTE,
        usingMetrics: {},
      });

    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetterQueueNotEmpty', {
      alarmDescription: 'Events reached the dead-letter queue: read them, fix the cause, then redrive them.',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const patchFailureWindow = Duration.minutes(15);
    this.patchFailureAlarm = new cloudwatch.Alarm(this, 'RepeatedPatchFailures', {
      alarmDescription: props.perPool
        ? `One pool had ${props.patchFailureThreshold} or more failed PATCH requests within 15 minutes: ` +
          'see its activities for the ModelArts error.'
        : `The pools had ${props.patchFailureThreshold} or more failed PATCH requests together within 15 ` +
          'minutes: see the failed activities for the pools and the ModelArts error.',
      metric: props.perPool
        ? new cloudwatch.MathExpression({
            label: 'PATCH failures of the worst pool',
            // Metrics Insights (alarms cannot use SEARCH); only pools that failed in the last 3 hours have a series.
            expression:
              `SELECT SUM("${m.patchFailures}") FROM SCHEMA("${ns}", ${m.poolDimensions.map((d) => `"${d}"`).join(', ')}) ` +
              `WHERE "${m.dimensions.service}" = '${props.serviceName}' ` +
              `GROUP BY "${m.dimensions.pool}" ORDER BY SUM() DESC LIMIT 1`,
            period: patchFailureWindow,
            usingMetrics: {},
          })
        : metric(m.patchesFailed, 'Sum', 'PATCH failures of the fleet', patchFailureWindow),
      threshold: props.patchFailureThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // The service-level series is the Maximum over every pool evaluated in the period: the worst pool, without
    // the alarm analysing one series per pool.
    const staleWindow = props.staleDepthAfter;
    const stalePeriod = Duration.minutes(Math.max(5, Math.ceil(props.scheduleRate.toSeconds() / 60)));
    this.staleDepthAlarm = new cloudwatch.Alarm(this, 'StaleDepth', {
      alarmDescription:
        `An evaluated pool's newest job event or depth snapshot is older than ${staleWindow.toMinutes()} ` +
        'minutes: its producers may have stopped sending, and the pool holds its size. The dashboard shows ' +
        'which pool.',
      metric: metric(m.depthAgeSeconds, 'Maximum', 'oldest depth of an evaluated pool (s)', stalePeriod),
      threshold: staleWindow.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const errorAlarm = (alarmId: string, fn: lambda.IFunction, name: string) =>
      new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: `The ${name} function failed invocations in two consecutive 5-minute periods.`,
        metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.consumerErrorAlarm = errorAlarm('ConsumerErrors', props.functions.consumer, 'consumer');
    this.evaluatorErrorAlarm = errorAlarm('EvaluatorErrors', props.functions.evaluator, 'evaluator');
    const { watcher } = props.functions;
    this.watcherErrorAlarm = watcher ? errorAlarm('WatcherErrors', watcher, 'workload watcher') : undefined;

    this.alarms = [
      this.deadLetterAlarm,
      this.patchFailureAlarm,
      this.staleDepthAlarm,
      this.consumerErrorAlarm,
      this.evaluatorErrorAlarm,
      ...(this.watcherErrorAlarm ? [this.watcherErrorAlarm] : []),
    ];
    if (props.alarmTopic) {
      const action = new actions.SnsAction(props.alarmTopic);
      for (const alarm of this.alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }

    const { consumer, evaluator } = props.functions;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...this.alarms], width: FULL, height: 3 }),
    );
    // The figures per pool and flavor have no fleet-level counterpart: their widget exists only with them.
    if (props.perPool)
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Demand (units, right) vs target, available and creating nodes (left), per pool and flavor',
          left: [
            search('target', m.targetNodes, m.flavorDimensions, 'Maximum'),
            search('available', m.availableNodes, m.flavorDimensions, 'Maximum'),
            search('creating', m.creatingNodes, m.flavorDimensions, 'Maximum'),
          ],
          right: [search('demand', m.demandUnits, m.flavorDimensions, 'Maximum')],
          leftYAxis: { label: 'nodes', min: 0, showUnits: false },
          rightYAxis: { label: 'units', min: 0, showUnits: false },
          width: FULL,
          height: 8,
        }),
      );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: props.perPool
          ? 'Depth age at evaluation (s), per pool'
          : 'Oldest depth at evaluation (s), fleet',
        left: [
          props.perPool
            ? search('depth age', m.depthAgeSeconds, m.poolDimensions, 'Maximum')
            : metric(m.depthAgeSeconds, 'Maximum', 'oldest depth of an evaluated pool'),
        ],
        leftAnnotations: [{ value: staleWindow.toSeconds(), label: 'stale-depth alarm' }],
        leftYAxis: { label: 'seconds', min: 0, showUnits: false },
        width: FULL,
        height: HEIGHT,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'PATCH outcomes',
        left: [
          metric(m.patchesSuccessful, 'Sum', 'successful'),
          metric(m.patchesFailed, 'Sum', 'failed'),
          ...(props.perPool ? [search('failed, by pool', m.patchFailures, m.poolDimensions, 'Sum')] : []),
        ],
        width: HALF,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Throttles: ModelArts 429 and request budget, Lambda',
        left: [
          metric(m.throttles, 'Sum', 'ModelArts / token bucket'),
          consumer.metricThrottles({ label: 'consumer invocations', period: MINUTE }),
          evaluator.metricThrottles({ label: 'evaluator invocations', period: MINUTE }),
          ...(watcher ? [watcher.metricThrottles({ label: 'watcher invocations', period: MINUTE })] : []),
        ],
        width: HALF,
        height: HEIGHT,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Evaluations by outcome',
        left: m.evaluationStatuses.map((status) => metric(`${m.evaluations}${status}`, 'Sum', status)),
        stacked: true,
        width: HALF,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Events: applied, ignored (duplicates, stale), invalid',
        left: [
          metric(m.eventsApplied, 'Sum', 'applied'),
          metric(m.eventsIgnored, 'Sum', 'ignored'),
          metric(m.invalidMessages, 'Sum', 'invalid'),
        ],
        width: HALF,
        height: HEIGHT,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Events queue and dead-letter queue',
        left: [
          props.queue.metricApproximateNumberOfMessagesVisible({ label: 'waiting', period: MINUTE }),
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            label: 'dead letters',
            period: MINUTE,
          }),
        ],
        right: [props.queue.metricApproximateAgeOfOldestMessage({ label: 'oldest (s)', period: MINUTE })],
        width: HALF,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        left: [
          consumer.metricErrors({ label: 'consumer', period: MINUTE }),
          evaluator.metricErrors({ label: 'evaluator', period: MINUTE }),
          ...(watcher ? [watcher.metricErrors({ label: 'watcher', period: MINUTE })] : []),
        ],
        width: HALF,
        height: HEIGHT,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function duration (ms)',
        left: [
          consumer.metricDuration({ label: 'consumer p50', statistic: 'p50', period: MINUTE }),
          consumer.metricDuration({ label: 'consumer p99', statistic: 'p99', period: MINUTE }),
          evaluator.metricDuration({ label: 'evaluator p50', statistic: 'p50', period: MINUTE }),
          evaluator.metricDuration({ label: 'evaluator p99', statistic: 'p99', period: MINUTE }),
          ...(watcher
            ? [watcher.metricDuration({ label: 'watcher p99', statistic: 'p99', period: MINUTE })]
            : []),
        ],
        width: HALF,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Evaluation and decision latency (ms)',
        left: [
          metric(m.evaluationLatency, 'p50', 'evaluation p50'),
          metric(m.evaluationLatency, 'p99', 'evaluation p99'),
          metric(m.decisionLatency, 'p99', 'decision p99'),
        ],
        width: HALF,
        height: HEIGHT,
      }),
    );
  }
}
