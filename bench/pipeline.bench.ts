import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { createConsumerHandler } from '../functions/consumer/handler';
import { ModelArtsClient } from '../functions/shared/modelarts';
import { type HandlerDependencies, dependenciesFromEnv } from '../functions/shared/pipeline/dependencies';
import { PoolEvaluator } from '../functions/shared/pipeline/evaluate-pool';
import { RecordingTelemetry } from '../functions/shared/pipeline/telemetry';
import { DepthRepository } from '../functions/shared/store/depth-repository';
import { createDocumentClient } from '../functions/shared/store/document-client';
import { PolicyRepository } from '../functions/shared/store/policy-repository';
import { LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION } from '../local/dynamodb-local';
import { pollQueueOnce } from '../local/sqs-lambda-poller';
import { startLocalStack } from '../local/stack';
import { DEMO_FLAVORS, demoPool } from '../simulator/index';
import { benchLine, benchNote } from './format';

const CREDENTIALS = { ak: 'AKBENCHPIPELINE000001', sk: 'bench-secret' };

/** Counts every HTTP attempt a DynamoDB client makes (the deserialize step runs once per attempt). */
function countingDynamoDb(endpoint: string): { client: DynamoDBClient; count: () => number } {
  let requests = 0;
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_AWS_REGION,
    credentials: LOCAL_AWS_CREDENTIALS,
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      requests += 1;
      return next(args);
    },
    { step: 'deserialize', name: 'countDynamoDbRequests' },
  );
  return { client, count: () => requests };
}

function policyFor(pool: string): Record<string, unknown> & { pool: string } {
  return {
    pool,
    cooldownSeconds: 0,
    staleAfterSeconds: 3600,
    scaleWhileChanging: true,
    flavors: {
      [DEMO_FLAVORS.gpu]: {
        minCount: 1,
        maxCount: 64,
        unitsPerNode: 8,
        scaleUp: { stabilizationSeconds: 0, policies: [{ type: 'Nodes', value: 64, periodSeconds: 60 }] },
      },
    },
  };
}

export default async function (): Promise<void> {
  // Today's hour: DynamoDB Local expires records on the real clock.
  let clock = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const stack = await startLocalStack({
    tablePrefix: 'bench-',
    simulator: { auth: CREDENTIALS, now: () => clock, provisioningDelayMs: 1_000 },
  });
  try {
    const simulator = stack.simulator!;
    const dynamoDb = countingDynamoDb(stack.dynamoDb.endpoint);
    let modelArtsAttempts = 0;
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const logger = new Logger({ logLevel: 'SILENT' });
    const deps: HandlerDependencies = dependenciesFromEnv(
      { ...stack.env, HUAWEICLOUD_SDK_AK: CREDENTIALS.ak, HUAWEICLOUD_SDK_SK: CREDENTIALS.sk },
      {
        store: { doc: createDocumentClient(dynamoDb.client), tables: stack.tables },
        clock: () => clock,
        logger,
        metrics: new Metrics({ namespace: 'Bench', logger }),
        telemetry: new RecordingTelemetry(),
        sqs: stack.sqs.client,
        modelArts: async (target, hooks) =>
          new ModelArtsClient({
            endpoint: target.endpoint,
            projectId: target.projectId,
            credentials: CREDENTIALS,
            ...hooks,
            onAttempt: (info) => {
              modelArtsAttempts += 1;
              hooks.onAttempt(info);
            },
          }),
      },
    );
    const policies = new PolicyRepository(deps.store);
    const depth = new DepthRepository(deps.store, { jobRetentionDays: 7 });
    const evaluator = new PoolEvaluator(deps);

    const pools: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const created = demoPool();
      created.metadata.labels['os.modelarts/name'] = `bench-${i}`;
      const pool = simulator.seedPool(created).metadata.name;
      pools.push(pool);
      await policies.put(policyFor(pool), { now: clock });
    }

    // Steady state: nothing to change. The first evaluation of each pool warms the token bucket cache.
    for (const pool of pools) await evaluator.evaluate({ pool, trigger: 'bench' });
    const measure = async (work: () => Promise<unknown>) => {
      const dynamoBefore = dynamoDb.count();
      const modelArtsBefore = modelArtsAttempts;
      const httpBefore = simulator.requestLog.length;
      await work();
      return {
        dynamoDb: dynamoDb.count() - dynamoBefore,
        modelArts: modelArtsAttempts - modelArtsBefore,
        http: simulator.requestLog.length - httpBefore,
      };
    };
    const rounds = 3;
    const steady = await measure(async () => {
      for (let round = 0; round < rounds; round += 1) {
        clock += 60_000;
        for (const pool of pools) await evaluator.evaluate({ pool, trigger: 'bench' });
      }
    });
    const evaluations = rounds * pools.length;

    // Scaling: demand on every pool, one evaluation each sends a PATCH.
    let job = 0;
    for (const pool of pools) {
      for (let i = 0; i < 4; i += 1) {
        await depth.applyJobEvent(
          {
            type: 'job.submitted',
            pool,
            flavor: DEMO_FLAVORS.gpu,
            jobId: `j${job++}`,
            units: 8,
            at: new Date(clock).toISOString(),
          },
          clock,
        );
      }
    }
    clock += 60_000;
    const patchesBefore = simulator.requestLog.filter((entry) => entry.method === 'PATCH').length;
    const scaling = await measure(async () => {
      for (const pool of pools) {
        // Two requests per evaluation at 5 per second: let the shared token bucket refill in between.
        clock += 1_000;
        await evaluator.evaluate({ pool, trigger: 'bench' });
      }
    });
    const patches = simulator.requestLog.filter((entry) => entry.method === 'PATCH').length - patchesBefore;

    benchNote(
      `evaluations without change: ${evaluations}; DynamoDB requests ${steady.dynamoDb}, ModelArts HTTP ${steady.modelArts} (simulator saw ${steady.http})`,
    );
    benchLine('pipeline.dynamodb_requests_per_evaluation', steady.dynamoDb / evaluations, 'requests');
    benchLine('pipeline.modelarts_requests_per_evaluation', steady.modelArts / evaluations, 'requests');
    benchNote(
      `evaluations with a PATCH: ${pools.length} (${patches} PATCHes); DynamoDB ${scaling.dynamoDb}, ModelArts ${scaling.modelArts} (simulator saw ${scaling.http})`,
    );
    benchLine(
      'pipeline.dynamodb_requests_per_evaluation.scaling',
      scaling.dynamoDb / pools.length,
      'requests',
    );
    benchLine(
      'pipeline.modelarts_requests_per_evaluation.scaling',
      scaling.modelArts / pools.length,
      'requests',
    );

    // Consumer throughput: job events through fauxqs and the real handler, four pollers like four Lambdas.
    const consumer = createConsumerHandler(deps);
    const total = 2_000;
    const eventPools = Array.from({ length: 20 }, (_, i) => `ingest-${i}-${simulator.projectId}`);
    // Paused policies: their flavors are counted, and each batch's evaluation of a pool stops at the policy.
    for (const pool of eventPools) await policies.put({ ...policyFor(pool), enabled: false }, { now: clock });
    for (let start = 0; start < total; start += 10) {
      await stack.sqs.client.send(
        new SendMessageBatchCommand({
          QueueUrl: stack.sqs.queueUrl,
          Entries: Array.from({ length: 10 }, (_, k) => {
            const n = start + k;
            return {
              Id: String(k),
              MessageBody: JSON.stringify({
                type: 'job.submitted',
                pool: eventPools[n % eventPools.length],
                flavor: DEMO_FLAVORS.gpu,
                jobId: `ingest-${n}`,
                units: 1,
                at: new Date(clock).toISOString(),
              }),
            };
          }),
        }),
      );
    }
    let processed = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (;;) {
          const result = await pollQueueOnce({
            sqs: stack.sqs.client,
            queueUrl: stack.sqs.queueUrl,
            handler: consumer,
          });
          if (result.received === 0) return;
          processed += result.received - result.failed.length;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    benchNote(
      `${processed} job events in ${seconds.toFixed(1)} s through fauxqs, 4 concurrent consumers, batches of 10, ` +
        `${eventPools.length} pools with paused policies (each batch checks the flavors against the policies, then evaluates every pool it touched)`,
    );
    benchLine('pipeline.consumer_events_per_s', processed / seconds, '1/s');
  } finally {
    await stack.stop();
  }
}
