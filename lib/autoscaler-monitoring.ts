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
  readonly functions: { readonly consumer: lambda.IFunction; readonly evaluator: lambda.IFunction };
  readonly staleDepthAfter: Duration;
  readonly patchFailureThreshold: number;
  readonly alarmTopic?: sns.ITopic;
}

const WIDGET_WIDTH = 12;
const WIDGET_HEIGHT = 6;

/**
 * Dashboard and alarms of one autoscaler. Per-pool and per-flavor figures come from the functions' embedded
 * metrics through SEARCH (dashboard) and Metrics Insights (alarms), so new pools and flavors appear without a
 * redeploy.
 */
export class AutoscalerMonitoring extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly deadLetterAlarm: cloudwatch.Alarm;
  readonly patchFailureAlarm: cloudwatch.Alarm;
  readonly staleDepthAlarm: cloudwatch.Alarm;
  readonly consumerErrorAlarm: cloudwatch.Alarm;
  readonly evaluatorErrorAlarm: cloudwatch.Alarm;
  /** Every alarm above, in one list. */
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: AutoscalerMonitoringProps) {
    super(scope, id);
    const ns = props.metricsNamespace;
    const m = PIPELINE_METRICS;

    /** Every series of `metricName` with exactly `dimensions`, one line per dimension value. */
    const search = (label: string, metricName: string, dimensions: readonly string[], statistic: string) =>
      new cloudwatch.MathExpression({
        label,
        expression: `SEARCH('{${[ns, ...dimensions].join(',')}} MetricName="${metricName}"', '${statistic}', 60)`,
        period: Duration.minutes(1),
        usingMetrics: {},
      });
    /** Largest value of `metricName` over all series grouped by `groupBy`: one line for an alarm. */
    const insightsMax = (
      metricName: string,
      aggregate: 'MAX' | 'SUM',
      schema: readonly string[],
      groupBy: readonly string[],
      period: Duration,
    ) =>
      new cloudwatch.MathExpression({
        label: `${aggregate.toLowerCase()} ${metricName} of the worst ${groupBy.join('/')}`,
        expression:
          `SELECT ${aggregate}("${metricName}") FROM SCHEMA("${ns}", ${schema.map((d) => `"${d}"`).join(', ')}) ` +
          `GROUP BY ${groupBy.map((d) => `"${d}"`).join(', ')} ORDER BY ${aggregate}() DESC LIMIT 1`,
        period,
        usingMetrics: {},
      });

    const flavorDims = m.dimensionSets.flavor;
    const poolDims = m.dimensionSets.pool;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          `# pool-autoscaler (${props.serviceName})\n` +
          'Demand, target and available nodes per pool and flavor; PATCH outcomes; ModelArts throttling; queue and function health.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Demand (units) vs target and available nodes, per pool and flavor',
        left: [
          search('target', m.targetNodes, flavorDims, 'Maximum'),
          search('available', m.availableNodes, flavorDims, 'Maximum'),
        ],
        right: [search('demand units', m.demandUnits, flavorDims, 'Maximum')],
        leftYAxis: { label: 'nodes', min: 0, showUnits: false },
        rightYAxis: { label: 'units', min: 0, showUnits: false },
        width: 24,
        height: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'PATCH outcomes per pool',
        left: [
          search('succeeded', m.patchSucceeded, poolDims, 'Sum'),
          search('failed', m.patchFailed, poolDims, 'Sum'),
        ],
        stacked: true,
        width: WIDGET_WIDTH,
        height: WIDGET_HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Throttles: ModelArts 429s, token-bucket waits, Lambda throttles',
        left: [
          search('ModelArts 429', m.modelArtsThrottled, poolDims, 'Sum'),
          search('rate-limited', m.rateLimited, poolDims, 'Sum'),
          props.functions.consumer.metricThrottles({
            label: 'consumer throttles',
            period: Duration.minutes(1),
          }),
          props.functions.evaluator.metricThrottles({
            label: 'evaluator throttles',
            period: Duration.minutes(1),
          }),
        ],
        width: WIDGET_WIDTH,
        height: WIDGET_HEIGHT,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Queue depth and dead letters',
        left: [
          props.queue.metricApproximateNumberOfMessagesVisible({
            label: 'events waiting',
            period: Duration.minutes(1),
          }),
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            label: 'dead letters',
            period: Duration.minutes(1),
          }),
        ],
        right: [
          props.queue.metricApproximateAgeOfOldestMessage({
            label: 'oldest event age',
            period: Duration.minutes(1),
          }),
        ],
        width: WIDGET_WIDTH,
        height: WIDGET_HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Depth age per pool and flavor (seconds since the last event or snapshot)',
        left: [search('depth age', m.depthAgeSeconds, flavorDims, 'Maximum')],
        leftAnnotations: [{ value: props.staleDepthAfter.toSeconds(), label: 'stale' }],
        width: WIDGET_WIDTH,
        height: WIDGET_HEIGHT,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        left: [
          props.functions.consumer.metricErrors({ label: 'consumer', period: Duration.minutes(1) }),
          props.functions.evaluator.metricErrors({ label: 'evaluator', period: Duration.minutes(1) }),
          search('failed events', m.eventsFailed, [], 'Sum'),
        ],
        width: WIDGET_WIDTH,
        height: WIDGET_HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function duration (p50, p99)',
        left: [
          props.functions.consumer.metricDuration({ label: 'consumer p50', statistic: 'p50' }),
          props.functions.consumer.metricDuration({ label: 'consumer p99', statistic: 'p99' }),
          props.functions.evaluator.metricDuration({ label: 'evaluator p50', statistic: 'p50' }),
          props.functions.evaluator.metricDuration({ label: 'evaluator p99', statistic: 'p99' }),
        ],
        width: WIDGET_WIDTH,
        height: WIDGET_HEIGHT,
      }),
    );

    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetterQueueNotEmpty', {
      alarmDescription: 'Events reached the dead-letter queue: inspect them, fix the cause, then redrive.',
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
      alarmDescription: `A pool had ${props.patchFailureThreshold} or more failed PATCH requests within 15 minutes.`,
      metric: insightsMax(m.patchFailed, 'SUM', poolDims, [m.dimensions.pool], Duration.minutes(15)),
      threshold: props.patchFailureThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.staleDepthAlarm = new cloudwatch.Alarm(this, 'StaleDepth', {
      alarmDescription:
        `A pool's demand was not refreshed for over ${props.staleDepthAfter.toMinutes()} minutes: ` +
        'producers may have stopped sending events or snapshots.',
      metric: insightsMax(
        m.depthAgeSeconds,
        'MAX',
        flavorDims,
        [m.dimensions.pool, m.dimensions.flavor],
        Duration.minutes(5),
      ),
      threshold: props.staleDepthAfter.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const errorAlarm = (id: string, fn: lambda.IFunction, name: string) =>
      new cloudwatch.Alarm(this, id, {
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
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 3 }),
    );
  }
}
