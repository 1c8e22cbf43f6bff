import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createConsumerHandler } from '../functions/consumer/handler';
import { createEvaluatorHandler } from '../functions/evaluator/handler';
import { ModelArtsClient } from '../functions/shared/modelarts';
import { dependenciesFromEnv } from '../functions/shared/pipeline/dependencies';
import { RecordingTelemetry } from '../functions/shared/pipeline/telemetry';
import { PolicyRepository } from '../functions/shared/store/policy-repository';
import { localLambdaContext, pollQueueOnce } from '../local/sqs-lambda-poller';
import { startLocalStack } from '../local/stack';
import { DEMO_FLAVORS, demoPool } from '../simulator/index';
import { closingLine, queueCounts, runChaos } from '../test/chaos/run-chaos';
import { benchLine, benchNote } from './format';
import { localScheduledEvent } from '../local/lambda-events';

const CREDENTIALS = { ak: 'BENCHAK0000000001', sk: 'bench-sk-secret' };

/** The fault and load run at bench size: throughput and the invariant counts. */
async function chaosFigures(): Promise<void> {
  const events = Number(process.env.CHAOS_BENCH_EVENTS ?? 3000);
  const report = await runChaos({
    events,
    pools: 20,
    consumers: 4,
    evaluators: 4,
    requestsPerSecond: 100,
    burst: 20,
    seed: 20261123,
  });
  benchNote(
    `chaos: ${report.events} job events (${report.messages} messages with ${report.duplicates} duplicates and ${report.poison} poison) over ${report.pools} pools, 4 consumers + 4 evaluators, ${report.requests} ModelArts requests of which ${report.faults} faulted, ${report.successfulPatches} PATCHes applied`,
  );
  benchNote(closingLine(report));
  benchLine('chaos.events_per_s', report.events / (report.durationMs / 1000), '1/s');
  benchLine('chaos.fault_share', report.faults / report.requests, 'ratio');
  benchLine('chaos.faults', report.faults, 'requests');
  benchLine('chaos.lost', report.lost, 'count');
  benchLine('chaos.preempted', report.preempted, 'count');
  benchLine('chaos.bound_violations', report.boundViolations, 'count');
  benchLine('chaos.dropped_fields', report.droppedFields, 'count');
  benchLine('chaos.concurrent_patches', report.concurrentPatches, 'count');
  benchLine('chaos.rate_violations', report.rateViolations, 'count');
  benchLine('chaos.unrecorded', report.unrecorded, 'count');
}

/**
 * One scheduled sweep over 1,000 pools: the evaluator fans out a `pool.evaluate` per pool through fauxqs and
 * consumer handlers evaluate them (policy and depth from DynamoDB Local, GET from the simulator). The request
 * budget is set high so the figure measures the pipeline, not the throttle.
 */
async function sweepFigures(): Promise<void> {
  const poolCount = Number(process.env.SWEEP_BENCH_POOLS ?? 1000);
  const consumers = Number(process.env.SWEEP_BENCH_CONSUMERS ?? 4);
  const stack = await startLocalStack({
    tablePrefix: `sweep-${randomUUID().slice(0, 8)}-`,
    simulator: { auth: CREDENTIALS, provisioningDelayMs: 1_000 },
  });
  try {
    const simulator = stack.simulator!;
    const policies = new PolicyRepository(stack.store);
    const names: string[] = [];
    for (let i = 0; i < poolCount; i += 1) {
      const request = demoPool();
      request.metadata.labels = { ...request.metadata.labels, 'os.modelarts/name': `sweep-${i}` };
      names.push(simulator.seedPool(request).metadata.name);
    }
    for (let i = 0; i < names.length; i += 25) {
      await Promise.all(
        names.slice(i, i + 25).map((pool) =>
          policies.put(
            {
              pool,
              enabled: true,
              flavors: {
                [DEMO_FLAVORS.gpu]: { minCount: 2, maxCount: 8, unitsPerNode: 8 },
                [DEMO_FLAVORS.npu]: { minCount: 2, maxCount: 8, unitsPerNode: 8 },
              },
            },
            { now: Date.now() },
          ),
        ),
      );
    }
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    let failedEvaluations = 0;
    const logger = new Logger({ serviceName: 'sweep-bench', logLevel: 'SILENT' });
    // Evaluations that throw (for example on token-bucket contention) are retried by SQS after the
    // visibility timeout; count them so the figure can be read.
    const countingLogger = new Proxy(logger, {
      get(target, property, receiver) {
        if (property === 'error') {
          return (message: string, ...rest: unknown[]) => {
            if (message === 'evaluation failed') failedEvaluations += 1;
            return target.error(message, ...(rest as []));
          };
        }
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const telemetry = new RecordingTelemetry();
    const container = () => {
      const deps = dependenciesFromEnv(
        { ...stack.env, HUAWEICLOUD_SDK_AK: CREDENTIALS.ak, HUAWEICLOUD_SDK_SK: CREDENTIALS.sk },
        {
          logger: countingLogger,
          metrics: new Metrics({ namespace: 'SweepBench', serviceName: 'sweep-bench', logger }),
          telemetry,
          sqs: stack.sqs.client,
          evaluateInProcess: false,
          modelArts: async (target, hooks) =>
            new ModelArtsClient({ ...target, credentials: CREDENTIALS, ...hooks }),
        },
      );
      return { ...deps, settings: { ...deps.settings, requestsPerSecond: 5_000, burst: 500 } };
    };
    const evaluator = createEvaluatorHandler(container());
    const started = performance.now();
    const sweep = await evaluator(
      localScheduledEvent('bench-sweep', Date.now()),
      localLambdaContext('evaluator', 'bench-sweep'),
    );
    const fannedOut = performance.now();
    let stop = false;
    const loops = Array.from({ length: consumers }, async (_, n) => {
      const handler = createConsumerHandler(container());
      while (!stop) {
        const result = await pollQueueOnce({
          sqs: stack.sqs.client,
          queueUrl: stack.sqs.queueUrl,
          handler,
          functionName: `consumer-${n}`,
        });
        if (result.received === 0) await sleep(10);
      }
    });
    const evaluated = () =>
      telemetry.evaluations.filter((evaluation) => evaluation.status !== 'LeaseHeld').length;
    while (evaluated() < poolCount) {
      await sleep(50);
      const pending = await queueCounts(stack, stack.sqs.queueUrl);
      if (pending === 0 && evaluated() < poolCount) await sleep(200);
      if (pending === 0 && evaluated() < poolCount && performance.now() - started > 600_000) break;
    }
    const seconds = (performance.now() - started) / 1000;
    stop = true;
    await Promise.all(loops);
    const statuses = new Map<string, number>();
    for (const evaluation of telemetry.evaluations)
      statuses.set(evaluation.status, (statuses.get(evaluation.status) ?? 0) + 1);
    benchNote(
      `sweep: ${sweep.pools} pools, ${sweep.sent} pool.evaluate messages queued in ${Math.round(fannedOut - started)} ms, ${evaluated()} evaluated by ${consumers} consumer handlers in ${seconds.toFixed(1)} s (${[...statuses].map(([status, n]) => `${status} ${n}`).join(', ')}), ${simulator.requestLog.length} ModelArts requests; ${failedEvaluations} evaluations failed and came back after the queue's visibility timeout`,
    );
    benchLine(`pipeline.sweep_pools_per_s.pools${poolCount}`, evaluated() / seconds, '1/s');
    // Baseline on the same stack, now: policy reads from DynamoDB Local, one after another. The ratio is the
    // pools one sweep evaluates in the time of one policy read.
    const reads = Math.min(200, names.length);
    const readsStarted = performance.now();
    for (const pool of names.slice(0, reads)) await policies.get(pool);
    const readsPerSecond = reads / ((performance.now() - readsStarted) / 1000);
    benchLine('pipeline.policy_reads_per_s', readsPerSecond, '1/s');
    benchLine(
      `pipeline.sweep_vs_policy_reads.pools${poolCount}`,
      evaluated() / seconds / readsPerSecond,
      'x',
    );
  } finally {
    await stack.stop();
  }
}

export default async function (): Promise<void> {
  await sweepFigures();
  if (Number(process.env.CHAOS_BENCH_EVENTS ?? 1) > 0) await chaosFigures();
}
