import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { createConsumerHandler } from '../functions/consumer/handler';
import { ModelArtsClient } from '../functions/shared/modelarts';
import { dependenciesFromEnv } from '../functions/shared/pipeline/dependencies';
import { RecordingTelemetry } from '../functions/shared/pipeline/telemetry';
import { PolicyRepository } from '../functions/shared/store/policy-repository';
import { pollQueueOnce } from '../local/sqs-lambda-poller';
import { startLocalStack } from '../local/stack';
import { percentile } from '../policy-sim/metrics';
import { DEMO_FLAVORS, demoPool } from '../simulator/index';
import { benchLine, benchNote } from './format';

const CREDENTIALS = { ak: 'BENCHAKLATENCY000001', sk: 'bench-latency-secret' };
const POOLS = Number(process.env.LATENCY_BENCH_POOLS ?? 40);

/**
 * Event → PATCH on the local stack: a `job.submitted` event that needs more nodes is sent to the queue (fauxqs), a
 * consumer handler polls it, counts it in DynamoDB Local and evaluates the pool in process, and the PATCH reaches
 * the ModelArts simulator over HTTP. Each sample is one pool, from the send to the PATCH in the simulator's
 * request log, on the real clock. The baseline, measured in the same run, is the queue alone: a message sent
 * and received with the same polling, so the ratio says what the autoscaler adds to what SQS costs.
 */
export default async function (): Promise<void> {
  const stack = await startLocalStack({
    tablePrefix: `latency-${Date.now().toString(36)}-`,
    simulator: { auth: CREDENTIALS, provisioningDelayMs: 1_000 },
  });
  try {
    const simulator = stack.simulator!;
    const policies = new PolicyRepository(stack.store);
    const pools: string[] = [];
    for (let i = 0; i < POOLS; i += 1) {
      const request = demoPool();
      request.metadata.labels = { ...request.metadata.labels, 'os.modelarts/name': `latency-${i}` };
      const pool = simulator.seedPool(request).metadata.name;
      pools.push(pool);
      await policies.put(
        {
          pool,
          cooldownSeconds: 0,
          scaleWhileChanging: true,
          flavors: { [DEMO_FLAVORS.gpu]: { minCount: 1, maxCount: 64, unitsPerNode: 8 } },
        },
        { now: Date.now() },
      );
    }
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const logger = new Logger({ serviceName: 'latency-bench', logLevel: 'SILENT' });
    const deps = dependenciesFromEnv(
      { ...stack.env, HUAWEICLOUD_SDK_AK: CREDENTIALS.ak, HUAWEICLOUD_SDK_SK: CREDENTIALS.sk },
      {
        logger,
        metrics: new Metrics({ namespace: 'LatencyBench', serviceName: 'latency-bench', logger }),
        telemetry: new RecordingTelemetry(),
        sqs: stack.sqs.client,
        modelArts: async (target, hooks) =>
          new ModelArtsClient({ ...target, credentials: CREDENTIALS, ...hooks }),
      },
    );
    const consumer = createConsumerHandler({
      ...deps,
      settings: { ...deps.settings, requestsPerSecond: 5_000, burst: 500 },
    });
    const queueUrl = stack.sqs.queueUrl;

    // Baseline: the queue alone, sent and received with the same polling loop.
    const queueOnly: number[] = [];
    for (let i = 0; i < POOLS; i += 1) {
      const started = performance.now();
      await stack.sqs.client.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"bench":true}' }),
      );
      for (;;) {
        const received = await stack.sqs.client.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        );
        const messages = received.Messages ?? [];
        for (const message of messages)
          await stack.sqs.client.send(
            new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }),
          );
        if (messages.length > 0) break;
        await sleep(1);
      }
      queueOnly.push(performance.now() - started);
    }

    const latencies: number[] = [];
    // The first pool warms the handler's caches (token bucket, policy, connections) and is not counted.
    for (const [index, pool] of pools.entries()) {
      const patchesBefore = simulator.requestLog.filter((entry) => entry.method === 'PATCH').length;
      const started = performance.now();
      await stack.sqs.client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify({
            type: 'job.submitted',
            pool,
            flavor: DEMO_FLAVORS.gpu,
            jobId: `latency-${pool}`,
            units: 64,
            at: new Date().toISOString(),
          }),
        }),
      );
      const deadline = started + 30_000;
      while (simulator.requestLog.filter((entry) => entry.method === 'PATCH').length === patchesBefore) {
        if (performance.now() > deadline) throw new Error(`no PATCH of ${pool} within 30 s of its event`);
        const result = await pollQueueOnce({ sqs: stack.sqs.client, queueUrl, handler: consumer });
        if (result.received === 0) await sleep(1);
      }
      if (index > 0) latencies.push(performance.now() - started);
    }
    const figure = (values: number[], p: number) =>
      percentile(
        [...values].sort((a, b) => a - b),
        p,
      );
    const eventP50 = figure(latencies, 50);
    const eventP99 = figure(latencies, 99);
    const queueP50 = figure(queueOnly, 50);
    const queueP99 = figure(queueOnly, 99);
    benchNote(
      `event → PATCH: ${latencies.length} job events, each needing nodes in its own pool, through fauxqs, the consumer handler (DynamoDB Local) and the simulator over HTTP; the queue alone: ${queueOnly.length} messages sent and received`,
    );
    benchLine('pipeline.event_to_patch_ms.p50', eventP50, 'ms');
    benchLine('pipeline.event_to_patch_ms.p99', eventP99, 'ms');
    benchLine('pipeline.queue_round_trip_ms.p50', queueP50, 'ms');
    benchLine('pipeline.queue_round_trip_ms.p99', queueP99, 'ms');
    benchLine('pipeline.event_to_patch_vs_queue.p50', eventP50 / queueP50, 'x');
    benchLine('pipeline.event_to_patch_vs_queue.p99', eventP99 / queueP99, 'x');
  } finally {
    await stack.stop();
  }
}
