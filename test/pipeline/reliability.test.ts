import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent } from '../../functions/shared/events';
import { PoolEvaluator } from '../../functions/shared/pipeline/evaluate-pool';
import { DepthRepository } from '../../functions/shared/store/depth-repository';
import { ScalerStateRepository } from '../../functions/shared/store/scaler-state-repository';
import { pollQueueOnce } from '../../local/sqs-lambda-poller';
import { SendMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import {
  GPU,
  type Harness,
  JOB_RETENTION_DAYS,
  gpuEntry,
  gpuPolicy,
  jobEvent,
  startHarness,
} from './harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness('reliability', {}, { maxReceiveCount: 2, visibilityTimeoutSeconds: 1 });
});
afterAll(() => harness?.stop());

/** Deterministic shuffle (a fixed linear congruential sequence) so the test never depends on luck. */
function shuffled<T>(items: T[], seed: number): T[] {
  const result = [...items];
  let state = seed;
  for (let i = result.length - 1; i > 0; i -= 1) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = state % (i + 1);
    [result[i], result[j]] = [result[j] as T, result[i] as T];
  }
  return result;
}

describe('depth through the consumer', () => {
  it('stays exact when events arrive duplicated and shuffled across batches', async () => {
    const pool = await harness.depthOnlyPool('depth-only');
    const events: JobEvent[] = [];
    for (let i = 0; i < 12; i += 1) {
      const units = 1 + (i % 4);
      events.push(jobEvent('job.submitted', pool, `j${i}`, units));
      if (i % 3 !== 0) events.push(jobEvent('job.started', pool, `j${i}`, units));
      if (i % 3 === 2)
        events.push(jobEvent(i % 2 === 0 ? 'job.finished' : 'job.failed', pool, `j${i}`, units));
    }
    // Ground truth: i%3==0 pending; i%3==1 running; i%3==2 gone.
    const truth = { pendingUnits: 0, runningUnits: 0 };
    for (let i = 0; i < 12; i += 1) {
      if (i % 3 === 0) truth.pendingUnits += 1 + (i % 4);
      if (i % 3 === 1) truth.runningUnits += 1 + (i % 4);
    }
    const delivered = shuffled([...events, ...events.slice(0, 15), ...events.slice(5, 9)], 7);
    for (let start = 0; start < delivered.length; start += 10) {
      expect(await harness.deliver(delivered.slice(start, start + 10))).toEqual([]);
    }
    const depth = await new DepthRepository(harness.dependencies().store, {
      jobRetentionDays: JOB_RETENTION_DAYS,
    }).getPoolDepth(pool);
    expect(depth[GPU]).toMatchObject(truth);
  });
});

describe('evaluation', () => {
  it('sends one PATCH when two evaluators take the same pool at once', async () => {
    await harness.putPolicy(gpuPolicy(harness.pool));
    const depth = new DepthRepository(harness.dependencies().store, { jobRetentionDays: JOB_RETENTION_DAYS });
    for (let i = 0; i < 4; i += 1)
      await depth.applyJobEvent(jobEvent('job.submitted', harness.pool, `c${i}`), harness.clock.now());
    const before = harness.patches();
    const [first, second] = await Promise.all([
      new PoolEvaluator(harness.dependencies()).evaluate({ pool: harness.pool, trigger: 'lambda-a' }),
      new PoolEvaluator(harness.dependencies()).evaluate({ pool: harness.pool, trigger: 'lambda-b' }),
    ]);
    expect(harness.patches() - before).toBe(1);
    expect([first.status, second.status].sort()).toEqual(expect.arrayContaining(['Successful']));
    expect(harness.stack.simulator!.maxConcurrentPatches(harness.pool)).toBe(1);
    expect(gpuEntry(harness).count).toBe(4);
    const state = await new ScalerStateRepository(harness.dependencies().store).get(harness.pool);
    expect(state.leaseOwner).toBeUndefined();
  });

  it('retries 429 and 500 answers and records them, and backs off when retries run out', async () => {
    const simulator = harness.stack.simulator!;
    harness.clock.advance(200_000); // past provisioning and cooldown
    const depth = new DepthRepository(harness.dependencies().store, { jobRetentionDays: JOB_RETENTION_DAYS });
    for (let i = 4; i < 8; i += 1)
      await depth.applyJobEvent(jobEvent('job.submitted', harness.pool, `c${i}`), harness.clock.now());
    simulator.setFaults([
      { method: 'PATCH', times: 1, action: { type: 'throttle', retryAfterSeconds: 0 } },
      { method: 'PATCH', times: 1, action: { type: 'error', status: 500 } },
    ]);
    const evaluator = new PoolEvaluator(harness.dependencies());
    const failuresOfPool = () =>
      harness.telemetry.patchFailures.filter((pool) => pool === harness.pool).length;
    const failuresBefore = failuresOfPool();
    const retried = await evaluator.evaluate({ pool: harness.pool, trigger: 'faults' });
    expect(retried.status).toBe('Successful');
    // Retries that end in success are not PATCH failures.
    expect(failuresOfPool()).toBe(failuresBefore);
    const record = retried.activities.find((activity) => activity.flavor === GPU);
    expect(record).toMatchObject({ status: 'Successful', attempts: 3, retries: ['HTTP 429', 'HTTP 500'] });
    expect(gpuEntry(harness).count).toBe(8);

    harness.clock.advance(200_000);
    for (let i = 8; i < 12; i += 1)
      await depth.applyJobEvent(jobEvent('job.submitted', harness.pool, `c${i}`), harness.clock.now());
    simulator.setFaults([{ method: 'PATCH', action: { type: 'error', status: 500 } }]);
    const failed = await evaluator.evaluate({ pool: harness.pool, trigger: 'faults' });
    expect(failed.status).toBe('Failed');
    expect(failuresOfPool()).toBe(failuresBefore + 1);
    expect(failed.activities.find((activity) => activity.flavor === GPU)).toMatchObject({
      status: 'Failed',
      httpStatus: 500,
      attempts: 4,
      before: { count: 8 },
      after: { count: 8 },
    });
    const state = await new ScalerStateRepository(harness.dependencies().store).get(harness.pool);
    expect(state.failures).toBe(1);
    expect(state.backoffUntil).toBeGreaterThan(harness.clock.now());

    // While backing off the pool is not called at all.
    const calls = simulator.requestLog.length;
    const skipped = await evaluator.evaluate({ pool: harness.pool, trigger: 'faults' });
    expect(skipped.status).toBe('Skipped');
    expect(simulator.requestLog.length).toBe(calls);
    simulator.setFaults([]);
    expect(gpuEntry(harness).count).toBe(8);
  });

  it('counts a 200 whose pool does not show the decided size as a failed PATCH of that pool', async () => {
    harness.clock.advance(900_000); // past the back-off of the previous test
    const depth = new DepthRepository(harness.dependencies().store, { jobRetentionDays: JOB_RETENTION_DAYS });
    for (let i = 12; i < 16; i += 1)
      await depth.applyJobEvent(jobEvent('job.submitted', harness.pool, `c${i}`), harness.clock.now());
    const deps = harness.dependencies();
    const evaluator = new PoolEvaluator({
      ...deps,
      modelArts: async (target, hooks) => {
        const client = await deps.modelArts(target, hooks);
        // The service answers the PATCH with the pool as it was: the change did not take.
        return new Proxy(client, {
          get: (real, key) => {
            if (key === 'updatePool') return (name: string) => real.showPool(name);
            const value: unknown = Reflect.get(real, key);
            return typeof value === 'function' ? value.bind(real) : value;
          },
        });
      },
    });
    const failuresBefore = harness.telemetry.patchFailures.filter((pool) => pool === harness.pool).length;
    const result = await evaluator.evaluate({ pool: harness.pool, trigger: 'unconfirmed' });
    expect(result.status).toBe('Failed');
    expect(result.activities.find((activity) => activity.flavor === GPU)).toMatchObject({
      status: 'Failed',
      httpStatus: 200,
      errorCode: 'NotConfirmed',
    });
    expect(harness.telemetry.patchFailures.filter((pool) => pool === harness.pool).length).toBe(
      failuresBefore + 1,
    );
  });

  it('reports an invalid policy and scales nothing', async () => {
    const pool = 'pool-invalid-policy';
    await harness.putPolicy({
      ...gpuPolicy(pool),
      flavors: { [GPU]: { minCount: 4, maxCount: 2, unitsPerNode: 8, surprise: 1 } },
    });
    const calls = harness.stack.simulator!.requestLog.length;
    expect(await harness.deliver([{ type: 'pool.evaluate', pool, reason: 'operator' }])).toEqual([]);
    expect(harness.stack.simulator!.requestLog.length).toBe(calls);
    const [activity] = await harness.activities().listByPool(pool);
    expect(activity).toMatchObject({ status: 'Invalid', flavor: '*', errorCode: 'PolicyValidationError' });
    expect(activity?.errorMessage).toContain('surprise');
  });
});

describe('poison messages', () => {
  it('end in the DLQ through redrive while their batch-mates are processed', async () => {
    const { sqs } = harness.stack;
    const dlqPool = await harness.depthOnlyPool('dlq-pool');
    const good = jobEvent('job.submitted', dlqPool, 'good-1', 3);
    await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl: sqs.queueUrl,
        Entries: [
          { Id: '1', MessageBody: JSON.stringify(good) },
          { Id: '2', MessageBody: '{"type":"job.submitted","pool":' },
          { Id: '3', MessageBody: JSON.stringify({ ...good, jobId: 'bad', units: -1 }) },
        ],
      }),
    );
    const first = await pollQueueOnce({
      sqs: sqs.client,
      queueUrl: sqs.queueUrl,
      handler: harness.consumer,
      waitTimeSeconds: 1,
    });
    expect(first.received).toBe(3);
    expect(first.failed).toHaveLength(2);
    const depth = await new DepthRepository(harness.dependencies().store, {
      jobRetentionDays: JOB_RETENTION_DAYS,
    }).getPoolDepth(dlqPool);
    expect(depth[GPU]?.pendingUnits).toBe(3);

    // Received again after the visibility timeout, failed again, then moved to the DLQ (maxReceiveCount 2).
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const second = await pollQueueOnce({
      sqs: sqs.client,
      queueUrl: sqs.queueUrl,
      handler: harness.consumer,
      waitTimeSeconds: 1,
    });
    expect(second.failed).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const third = await pollQueueOnce({
      sqs: sqs.client,
      queueUrl: sqs.queueUrl,
      handler: harness.consumer,
      waitTimeSeconds: 0,
    });
    expect(third.received).toBe(0);
    const dead = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: sqs.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect(dead.Messages?.map((message) => message.Body).sort()).toEqual(
      ['{"type":"job.submitted","pool":', JSON.stringify({ ...good, jobId: 'bad', units: -1 })].sort(),
    );
    expect(harness.telemetry.eventCounts.invalid).toBeGreaterThanOrEqual(4);
  });
});
