import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { inject } from 'vitest';
import { createConsumerHandler } from '../../functions/consumer/handler';
import { createEvaluatorHandler } from '../../functions/evaluator/handler';
import type { JobEvent, JobEventType, PipelineEvent } from '../../functions/shared/events';
import { ModelArtsClient } from '../../functions/shared/modelarts';
import { type HandlerDependencies, dependenciesFromEnv } from '../../functions/shared/pipeline/dependencies';
import { RecordingTelemetry } from '../../functions/shared/pipeline/telemetry';
import type { ModelArtsClientFactory } from '../../functions/shared/pipeline/types';
import { ActivityRepository } from '../../functions/shared/store/activity-repository';
import { PolicyRepository } from '../../functions/shared/store/policy-repository';
import { DEFAULT_PROJECT_ID, DEMO_FLAVORS, demoPool } from '../../simulator/index';
import type { ModelArtsSimulatorOptions } from '../../simulator/index';
import { localLambdaContext } from '../../local/sqs-lambda-poller';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { localSqsRecord } from '../../local/lambda-events';
import { anchoredNow, retentionDays } from '../clock-anchor';

export const CREDENTIALS = { ak: 'AKTESTPIPELINE0000001', sk: 'sk-test-pipeline-secret' };
export const GPU = DEMO_FLAVORS.gpu;
export const NPU = DEMO_FLAVORS.npu;
export const START = anchoredNow();
/** Retention of ended jobs' records and of activities, as the stack would set them. */
export const JOB_RETENTION_DAYS = retentionDays(16);
export const ACTIVITY_RETENTION_DAYS = retentionDays(30);

/** A clock the test moves by hand; the simulator's node lifecycles follow it too. */
export class TestClock {
  constructor(public nowMs: number = START) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** A valid ModelArts pool name for a test's own pool (job events must name one), in the simulator's project. */
export function testPoolName(label: string): string {
  return `${label}-${DEFAULT_PROJECT_ID}`;
}

export interface Harness {
  stack: LocalStack;
  clock: TestClock;
  pool: string;
  telemetry: RecordingTelemetry;
  /** A fresh set of dependencies: one per simulated Lambda container. */
  dependencies(): HandlerDependencies;
  consumer: ReturnType<typeof createConsumerHandler>;
  evaluator: ReturnType<typeof createEvaluatorHandler>;
  /** Invokes the consumer with these bodies as one SQS batch; returns the failed message ids. */
  deliver(bodies: Array<PipelineEvent | string>): Promise<string[]>;
  putPolicy(document: Record<string, unknown>): Promise<void>;
  /**
   * A pool that only counts depth: its policy names the GPU flavor (so its events are accepted) and is paused
   * (so evaluating it calls nothing). Returns its name.
   */
  depthOnlyPool(label: string): Promise<string>;
  activities(): ActivityRepository;
  patches(): number;
  /** Accepted `nodes/batch-delete` requests: scale-ins by name. */
  batchDeletes(): number;
  stop(): Promise<void>;
}

/** Logger and metrics that stay quiet in tests; the figures go to the recording telemetry. */
function quietPowertools(): { logger: Logger; metrics: Metrics } {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const logger = new Logger({ serviceName: 'pool-autoscaler-test', logLevel: 'SILENT' });
  return {
    logger,
    metrics: new Metrics({ namespace: 'PoolAutoscalerTest', serviceName: 'pool-autoscaler-test', logger }),
  };
}

/** Fast retries so 429/500 scenarios take milliseconds; everything else as in production. */
export function testClientFactory(): ModelArtsClientFactory {
  return async (target, hooks) =>
    new ModelArtsClient({
      // No real waiting between retries; every attempt still takes a token from the shared bucket.
      sleep: async () => undefined,
      endpoint: target.endpoint,
      projectId: target.projectId,
      credentials: CREDENTIALS,
      maxRetries: 3,
      timeoutMs: 5_000,
      ...hooks,
    });
}

export function gpuPolicy(pool: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pool,
    enabled: true,
    dryRun: false,
    cooldownSeconds: 60,
    staleAfterSeconds: 3600,
    flavors: {
      [GPU]: {
        minCount: 1,
        maxCount: 16,
        unitsPerNode: 8,
        targetUtilization: 1.0,
        activationUnits: 1,
        scaleUp: {
          stabilizationSeconds: 0,
          policies: [{ type: 'Nodes', value: 4, periodSeconds: 60 }],
          select: 'Max',
        },
        scaleDown: {
          stabilizationSeconds: 600,
          policies: [{ type: 'Percent', value: 50, periodSeconds: 300 }],
          select: 'Max',
        },
      },
    },
    ...overrides,
  };
}

export function jobEvent(
  type: JobEventType,
  pool: string,
  jobId: string,
  units = 8,
  flavor: string = GPU,
  at: number = START,
): JobEvent {
  return { type, pool, flavor, jobId, units, at: new Date(at).toISOString() };
}

export async function startHarness(
  label: string,
  simulatorOptions: ModelArtsSimulatorOptions = {},
  stackOptions: {
    maxReceiveCount?: number;
    visibilityTimeoutSeconds?: number;
    /**
     * Start a DynamoDB Local of its own instead of sharing the run's: for tests that wait for its TTL sweeper,
     * whose rounds take longer the more tables and items the other test files have left in a shared one.
     */
    ownDynamoDb?: boolean;
  } = {},
): Promise<Harness> {
  const clock = new TestClock();
  const { ownDynamoDb, ...queueOptions } = stackOptions;
  const stack = await startLocalStack({
    ...(ownDynamoDb ? {} : { dynamoDbEndpoint: inject('dynamoDbEndpoint') }),
    tablePrefix: `${label}-${randomUUID().slice(0, 8)}-`,
    queueName: `${label}-events`,
    ...queueOptions,
    simulator: {
      auth: CREDENTIALS,
      now: clock.now,
      provisioningDelayMs: 120_000,
      deletionDelayMs: 30_000,
      ...simulatorOptions,
    },
  });
  const simulator = stack.simulator!;
  const pool = simulator.seedPool(demoPool()).metadata.name;
  const telemetry = new RecordingTelemetry();
  const dependencies = (): HandlerDependencies =>
    dependenciesFromEnv(
      {
        ...stack.env,
        HUAWEICLOUD_SDK_AK: CREDENTIALS.ak,
        HUAWEICLOUD_SDK_SK: CREDENTIALS.sk,
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        JOB_RETENTION_DAYS: String(JOB_RETENTION_DAYS),
        ACTIVITY_RETENTION_DAYS: String(ACTIVITY_RETENTION_DAYS),
      },
      {
        ...quietPowertools(),
        clock: clock.now,
        sleep: async () => undefined,
        modelArts: testClientFactory(),
        telemetry,
        sqs: stack.sqs.client,
      },
    );
  const deps = dependencies();
  const consumer = createConsumerHandler(deps);
  const evaluator = createEvaluatorHandler(deps);
  const policies = new PolicyRepository(deps.store);
  let batch = 0;
  return {
    stack,
    clock,
    pool,
    telemetry,
    dependencies,
    consumer,
    evaluator,
    async deliver(bodies) {
      batch += 1;
      const records = bodies.map((body, index) =>
        localSqsRecord(
          {
            messageId: `m-${batch}-${index}`,
            receiptHandle: `r-${batch}-${index}`,
            body: typeof body === 'string' ? body : JSON.stringify(body),
            sentAt: clock.now(),
          },
          'events',
        ),
      );
      const response = await consumer({ Records: records }, localLambdaContext('consumer', `batch-${batch}`));
      return response.batchItemFailures.map((failure) => failure.itemIdentifier);
    },
    async putPolicy(document) {
      await policies.put(document as Record<string, unknown> & { pool: string }, { now: clock.now() });
    },
    async depthOnlyPool(label) {
      const pool = testPoolName(label);
      await policies.put({ ...gpuPolicy(pool), pool, enabled: false }, { now: clock.now() });
      return pool;
    },
    activities: () => new ActivityRepository(deps.store, { retentionDays: ACTIVITY_RETENTION_DAYS }),
    patches: () =>
      simulator.requestLog.filter((entry) => entry.method === 'PATCH' && entry.status === 200).length,
    batchDeletes: () =>
      simulator.requestLog.filter(
        (entry) =>
          entry.method === 'POST' && entry.path.endsWith('/nodes/batch-delete') && entry.status === 200,
      ).length,
    stop: () => stack.stop(),
  };
}

/** The GPU entry of the pool as the simulator holds it. */
export function gpuEntry(harness: Harness): {
  count: number;
  maxCount?: number;
  azs?: Array<{ az: string; count: number }>;
} {
  const pool = harness.stack.simulator!.pool(harness.pool);
  const entry = pool?.spec?.resources?.find((resource) => resource.flavor === GPU);
  if (!entry) throw new Error('GPU entry missing');
  return entry as { count: number; maxCount?: number; azs?: Array<{ az: string; count: number }> };
}
