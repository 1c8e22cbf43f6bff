import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PATCH_FAILURE_LOG, PIPELINE_METRICS } from './pipeline-metrics';

export interface AutoscalerMonitoringProps {
  readonly dashboardName: string;
  readonly metricsNamespace: string;
  readonly serviceName: string;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly functions: { readonly consumer: lambda.IFunction; readonly evaluator: lambda.IFunction };
  /** Log groups of the functions that evaluate pools; their `PATCH failed` records count per pool. */
  readonly evaluationLogGroups: readonly logs.ILogGroup[];
  readonly staleDepthAfter: Duration;
  readonly patchFailureThreshold: number;
  readonly alarmTopic?: sns.ITopic;
}

const HALF = 12;
const FULL = 24;
const HEIGHT = 6;
const MINUTE = Duration.minutes(1);

/**
 * Dashboard and alarms of one autoscaler. Per-pool and per-flavor series are found with SEARCH (dashboard) and
 * Metrics Insights (alarm), so new pools and flavors appear without a redeploy.
 */
export class AutoscalerMonitoring extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly deadLetterAlarm: cloudwatch.Alarm;
  readonly patchFailureAlarm: cloudwatch.Alarm;
  readonly staleDepthAlarm: cloudwatch.Alarm;
  readonly consumerErrorAlarm: cloudwatch.Alarm;
  readonly evaluatorErrorAlarm: cloudwatch.Alarm;
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

    for (const [index, logGroup] of props.evaluationLogGroups.entries()) {
      new logs.MetricFilter(this, `PatchFailuresByPool${index}`, {
        logGroup,
        filterPattern: logs.FilterPattern.stringValue('$.message', '=', PATCH_FAILURE_LOG.message),
        metricNamespace: ns,
        metricName: PATCH_FAILURE_LOG.metricName,
        metricValue: '1',
        dimensions: { [m.dimensions.pool]: '$.pool' },
        unit: cloudwatch.Unit.COUNT,
      });
    }

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

    this.patchFailureAlarm = new cloudwatch.Alarm(this, 'RepeatedPatchFailures', {
      alarmDescription:
        `One pool had ${props.patchFailureThreshold} or more failed PATCH requests within 15 minutes: ` +
        'see its activities for the ModelArts error.',
      metric: new cloudwatch.MathExpression({
        label: 'PATCH failures of the worst pool',
        expression:
          `SELECT SUM("${PATCH_FAILURE_LOG.metricName}") FROM SCHEMA("${ns}", "${m.dimensions.pool}") ` +
          `GROUP BY "${m.dimensions.pool}" ORDER BY SUM() DESC LIMIT 1`,
        period: Duration.minutes(15),
        usingMetrics: {},
      }),
      threshold: props.patchFailureThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // Pools are evaluated (so policies exist) but no job event or snapshot moved any depth for the whole window.
    const staleWindow = props.staleDepthAfter;
    this.staleDepthAlarm = new cloudwatch.Alarm(this, 'StaleDepth', {
      alarmDescription:
        `Pools were evaluated but no job event or depth snapshot was applied for ${staleWindow.toMinutes()} ` +
        'minutes: producers may have stopped sending, and every pool holds its size.',
      metric: new cloudwatch.MathExpression({
        label: 'evaluating without fresh depth',
        expression: 'IF(FILL(evaluations, 0) > 0 AND FILL(applied, 0) < 1, 1, 0)',
        usingMetrics: {
          evaluations: metric(m.evaluations, 'Sum', 'evaluations', staleWindow),
          applied: metric(m.eventsApplied, 'Sum', 'events applied', staleWindow),
        },
        period: staleWindow,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
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

    this.alarms = [
      this.deadLetterAlarm,
      this.patchFailureAlarm,
      this.staleDepthAlarm,
      this.consumerErrorAlarm,
      this.evaluatorErrorAlarm,
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
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Demand (units, right) vs target nodes (left), per pool and flavor',
        left: [search('target', m.targetNodes, m.flavorDimensions, 'Maximum')],
        right: [search('demand', m.demandUnits, m.flavorDimensions, 'Maximum')],
        leftYAxis: { label: 'nodes', min: 0, showUnits: false },
        rightYAxis: { label: 'units', min: 0, showUnits: false },
        width: FULL,
        height: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'PATCH outcomes',
        left: [
          metric(m.patchesSuccessful, 'Sum', 'successful'),
          metric(m.patchesFailed, 'Sum', 'failed'),
          search('failed, by pool', PATCH_FAILURE_LOG.metricName, [m.dimensions.pool], 'Sum'),
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
