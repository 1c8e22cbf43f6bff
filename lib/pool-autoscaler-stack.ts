import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { ModelArtsPoolAutoscaler, type ModelArtsPoolAutoscalerProps } from './modelarts-pool-autoscaler';
import type { StackSettings } from './stack-settings';

/** Name of the secret the stack creates when no existing one is named. */
export const DEFAULT_CREDENTIALS_SECRET_NAME = 'pool-autoscaler/modelarts-credentials';

export interface PoolAutoscalerStackProps extends StackProps {
  readonly settings: StackSettings;
  /**
   * Overrides passed to the construct as they are (handler entries in tests, existing tables, ...).
   * @default - none
   */
  readonly autoscaler?: Partial<ModelArtsPoolAutoscalerProps>;
}

const REMOVAL_POLICIES: Record<StackSettings['removalPolicy'], RemovalPolicy> = {
  retain: RemovalPolicy.RETAIN,
  destroy: RemovalPolicy.DESTROY,
  snapshot: RemovalPolicy.SNAPSHOT,
};

/** The autoscaler as a deployable stack, configured from validated context and environment settings. */
export class PoolAutoscalerStack extends Stack {
  readonly autoscaler: ModelArtsPoolAutoscaler;
  /** The topic alarms notify, when one was named or created. */
  readonly alarmTopic: sns.ITopic | undefined;

  constructor(scope: Construct, id: string, props: PoolAutoscalerStackProps) {
    super(scope, id, props);
    const s = props.settings;

    this.alarmTopic = this.resolveAlarmTopic(s);
    const credentialsSecret = this.resolveCredentialsSecret(s);

    this.autoscaler = new ModelArtsPoolAutoscaler(this, 'Autoscaler', {
      credentialsSecret,
      removalPolicy: REMOVAL_POLICIES[s.removalPolicy],
      deletionProtection: s.deletionProtection,
      evaluateInProcess: s.evaluateInProcess,
      metricsPerPool: s.metricsPerPool,
      logLevel: s.logLevel,
      ...(s.modelArtsEndpoint !== undefined ? { modelArtsEndpoint: s.modelArtsEndpoint } : {}),
      ...(s.endpointHosts !== undefined ? { endpointHosts: s.endpointHosts } : {}),
      ...(s.projectId !== undefined ? { projectId: s.projectId } : {}),
      ...(s.requestsPerSecond !== undefined ? { requestsPerSecond: s.requestsPerSecond } : {}),
      ...(s.requestBurst !== undefined ? { requestBurst: s.requestBurst } : {}),
      ...(s.scheduleRateMinutes !== undefined
        ? { scheduleRate: Duration.minutes(s.scheduleRateMinutes) }
        : {}),
      ...(s.batchSize !== undefined ? { batchSize: s.batchSize } : {}),
      ...(s.maxBatchingWindowSeconds !== undefined
        ? { maxBatchingWindow: Duration.seconds(s.maxBatchingWindowSeconds) }
        : {}),
      ...(s.maxConcurrency !== undefined ? { maxConcurrency: s.maxConcurrency } : {}),
      ...(s.maxReceiveCount !== undefined ? { maxReceiveCount: s.maxReceiveCount } : {}),
      ...(s.activityRetentionDays !== undefined ? { activityRetentionDays: s.activityRetentionDays } : {}),
      ...(s.workloadWatcher !== undefined ? { workloadWatcher: s.workloadWatcher } : {}),
      ...(s.workloadWatchPeriodSeconds !== undefined
        ? { workloadWatchPeriod: Duration.seconds(s.workloadWatchPeriodSeconds) }
        : {}),
      ...(this.alarmTopic ? { alarmTopic: this.alarmTopic } : {}),
      ...props.autoscaler,
    });

    const a = this.autoscaler;
    new CfnOutput(this, 'EventsQueueUrl', { value: a.queue.queueUrl, description: 'Send job events here' });
    new CfnOutput(this, 'EventsQueueArn', { value: a.queue.queueArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: a.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'PoliciesTableName', {
      value: a.tables.policies.tableName,
      description: 'Write policies here',
    });
    new CfnOutput(this, 'ActivitiesTableName', { value: a.tables.activities.tableName });
    new CfnOutput(this, 'CredentialsSecretArn', { value: credentialsSecret.secretArn });
    new CfnOutput(this, 'DashboardName', { value: a.monitoring.dashboard.dashboardName });
  }

  private resolveAlarmTopic(s: StackSettings): sns.ITopic | undefined {
    if (s.alarmTopicArn) return sns.Topic.fromTopicArn(this, 'AlarmTopic', s.alarmTopicArn);
    if (!s.alarmEmail) return undefined;
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'pool-autoscaler alarms',
      enforceSSL: true,
    });
    topic.addSubscription(new subscriptions.EmailSubscription(s.alarmEmail));
    return topic;
  }

  private resolveCredentialsSecret(s: StackSettings): secretsmanager.ISecret {
    if (s.credentialsSecretArn) {
      return secretsmanager.Secret.fromSecretCompleteArn(this, 'CredentialsSecret', s.credentialsSecretArn);
    }
    if (s.credentialsSecretName) {
      return secretsmanager.Secret.fromSecretNameV2(this, 'CredentialsSecret', s.credentialsSecretName);
    }
    // An empty key pair the operator fills with `aws secretsmanager put-secret-value` after the first deploy.
    const secret = new secretsmanager.Secret(this, 'CredentialsSecret', {
      secretName: DEFAULT_CREDENTIALS_SECRET_NAME,
      description: 'Huawei Cloud access key pair for ModelArts, as {"ak": "...", "sk": "..."}',
      secretObjectValue: {},
      removalPolicy: RemovalPolicy.RETAIN,
    });
    NagSuppressions.addResourceSuppressions(secret, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'The secret holds a Huawei Cloud access key pair issued by Huawei IAM; Secrets Manager has no rotation ' +
          'function for it. Operators rotate it in Huawei IAM and store the new pair with put-secret-value.',
      },
    ]);
    return secret;
  }
}
