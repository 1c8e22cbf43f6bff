import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { JobEvent } from '../../functions/shared/events';
import { ModelArtsClient, type Pool, type UpdatePoolRequest } from '../../functions/shared/modelarts';
import { consumeBatch } from '../../functions/shared/pipeline/consume-batch';
import { PoolEvaluator } from '../../functions/shared/pipeline/evaluate-pool';
import { RecordingTelemetry } from '../../functions/shared/pipeline/telemetry';
import {
  DEFAULT_EVALUATION_SETTINGS,
  type PipelineDependencies,
} from '../../functions/shared/pipeline/types';
import { ActivityRepository } from '../../functions/shared/store/activity-repository';
import { DepthRepository } from '../../functions/shared/store/depth-repository';
import type { StoreContext } from '../../functions/shared/store/document-client';
import { PolicyRepository } from '../../functions/shared/store/policy-repository';
import { ScalerStateRepository } from '../../functions/shared/store/scaler-state-repository';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { DEMO_FLAVORS, type ModelArtsSimulator, demoPool } from '../../simulator/index';
import { anchoredNow, retentionDays } from '../clock-anchor';

const CREDENTIALS = { ak: 'CRASHAK3N8V5T0QW', sk: 'crash-sk-Hq4mX9cL2p' };
const GPU = DEMO_FLAVORS.gpu;
const LEASE_MS = 60_000;

/** A hand-moved clock shared by the pipeline and the simulator's node lifecycles. */
const clock = { now: anchoredNow() };
const now = (): number => clock.now;

/** The step at which the evaluator dies; from then on none of its calls reach DynamoDB or ModelArts. */
type CrashStep = 'before GET' | 'after GET' | 'before PATCH' | 'after PATCH' | 'while recording';

class EvaluatorKilled extends Error {
  override readonly name = 'EvaluatorKilled';
}

/** A Lambda container that dies at `step`: every later call it makes fails, as if the process were gone. */
function dyingContainer(stack: LocalStack, step: CrashStep | undefined): PipelineDependencies {
  let dead = false;
  const kill = (): never => {
    dead = true;
    throw new EvaluatorKilled(`evaluator killed ${step}`);
  };
  const doc = new Proxy(stack.store.doc, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (command: unknown) => {
        if (dead) throw new EvaluatorKilled('dead');
        // The evaluation's closing transaction is the one that writes the scaler state (job events use others).
        const savesState =
          command instanceof TransactWriteCommand &&
          (command.input.TransactItems ?? []).some(
            (item) => item.Update?.TableName === stack.tables.scalerState,
          );
        if (step === 'while recording' && savesState) kill();
        return target.send(command as never);
      };
    },
  });
  const store: StoreContext = { doc, tables: stack.store.tables };

  class DyingClient extends ModelArtsClient {
    override async showPool(name: string): Promise<Pool> {
      if (dead || step === 'before GET') kill();
      const pool = await super.showPool(name);
      if (step === 'after GET') kill();
      return pool;
    }
    override async updatePool(name: string, patch: UpdatePoolRequest): Promise<Pool> {
      if (dead || step === 'before PATCH') kill();
      const pool = await super.updatePool(name, patch);
      if (step === 'after PATCH') kill();
      return pool;
    }
  }

  const simulator = stack.simulator as ModelArtsSimulator;
  return {
    store,
    modelArts: async (target, hooks) =>
      new DyingClient({
        sleep: async () => undefined,
        endpoint: target.endpoint,
        projectId: target.projectId,
        credentials: CREDENTIALS,
        maxRetries: 2,
        baseDelayMs: 1,
        maxDelayMs: 5,
        ...hooks,
      }),
    clock: now,
    newId: randomUUID,
    sleep: async () => undefined,
    logger: new Logger({ serviceName: 'crash-safety', logLevel: 'SILENT' }),
    telemetry: new RecordingTelemetry(),
    settings: {
      ...DEFAULT_EVALUATION_SETTINGS,
      jobRetentionDays: retentionDays(DEFAULT_EVALUATION_SETTINGS.jobRetentionDays),
      activityRetentionDays: retentionDays(DEFAULT_EVALUATION_SETTINGS.activityRetentionDays),
      leaseMs: LEASE_MS,
      requestsPerSecond: 1000,
      burst: 1000,
      endpointOverride: simulator.url,
      projectIdOverride: simulator.projectId,
    },
  };
}

function policy(pool: string): Record<string, unknown> & { pool: string } {
  return {
    pool,
    enabled: true,
    dryRun: false,
    cooldownSeconds: 0,
    staleAfterSeconds: 3600,
    flavors: {
      [GPU]: {
        minCount: 1,
        maxCount: 16,
        unitsPerNode: 8,
        scaleUp: {
          stabilizationSeconds: 0,
          policies: [{ type: 'Nodes', value: 8, periodSeconds: 60 }],
          select: 'Max',
        },
        scaleDown: {
          stabilizationSeconds: 600,
          policies: [{ type: 'Percent', value: 50, periodSeconds: 300 }],
        },
      },
    },
  };
}

let stack: LocalStack;
let simulator: ModelArtsSimulator;

beforeAll(async () => {
  stack = await startLocalStack({
    dynamoDbEndpoint: inject('dynamoDbEndpoint'),
    tablePrefix: `crash-${randomUUID().slice(0, 8)}-`,
    queueName: `crash-${randomUUID().slice(0, 8)}`,
    simulator: { auth: CREDENTIALS, now, provisioningDelayMs: 30_000, deletionDelayMs: 10_000 },
  });
  simulator = stack.simulator as ModelArtsSimulator;
});
afterAll(() => stack?.stop());

const STEPS: CrashStep[] = ['before GET', 'after GET', 'before PATCH', 'after PATCH', 'while recording'];

describe('an evaluator killed between reading, PATCH and recording', () => {
  it.each(STEPS)(
    'killed %s: the lease expires and the next evaluation converges without a blind PATCH',
    async (step) => {
      const request = demoPool();
      request.metadata.labels = {
        ...request.metadata.labels,
        'os.modelarts/name': `crash-${STEPS.indexOf(step)}`,
      };
      const pool = simulator.seedPool(request).metadata.name;
      await new PolicyRepository(stack.store).put(policy(pool), { now: clock.now });
      // Six jobs of 8 GPUs wait: the pool should go from 2 to 6 GPU nodes, once.
      const events: JobEvent[] = Array.from({ length: 6 }, (_, i) => ({
        type: 'job.submitted',
        pool,
        flavor: GPU,
        jobId: `${pool}-job-${i}`,
        units: 8,
        at: new Date(clock.now).toISOString(),
      }));
      const messages = events.map((event, i) => ({
        messageId: `${pool}-m${i}`,
        body: JSON.stringify(event),
      }));
      const npuBefore = simulator
        .pool(pool)
        ?.spec.resources.find((entry) => entry.flavor === DEMO_FLAVORS.npu);

      // The consumer applies the events, then its evaluation of the pool dies at `step`.
      const dying = dyingContainer(stack, step);
      const first = await consumeBatch(dying, messages);
      expect(first.applied).toBe(6);
      expect(first.evaluations).toEqual([]);
      const logBefore = simulator.requestLog.length;
      const patchesApplied = simulator.requestLog.filter(
        (entry) => entry.pool === pool && entry.method === 'PATCH' && entry.status === 200,
      ).length;
      expect(patchesApplied).toBe(step === 'after PATCH' || step === 'while recording' ? 1 : 0);

      // The dead evaluator still holds the lease: nobody else may touch the pool yet.
      const states = new ScalerStateRepository(stack.store);
      expect((await states.get(pool)).leaseOwner).toBeDefined();
      const healthy = dyingContainer(stack, undefined);
      const blocked = await new PoolEvaluator(healthy).evaluate({ pool, trigger: 'schedule' });
      expect(blocked.status).toBe('LeaseHeld');
      expect(simulator.requestLog.length).toBe(logBefore);

      // The message was never deleted, so SQS delivers the batch again: nothing is counted twice.
      const redelivered = await consumeBatch(healthy, messages);
      expect(redelivered.applied).toBe(0);
      expect(redelivered.ignored).toBe(6);
      const depth = await new DepthRepository(stack.store, { jobRetentionDays: 16 }).getPoolDepth(pool);
      expect(depth[GPU]).toMatchObject({ pendingUnits: 48, runningUnits: 0 });

      // Once the lease has expired, the next evaluation reads the pool first and converges.
      clock.now += LEASE_MS + 1;
      const recovered = await new PoolEvaluator(healthy).evaluate({ pool, trigger: 'schedule' });
      const recoveryRequests = simulator.requestLog.slice(logBefore).filter((entry) => entry.pool === pool);
      expect(recoveryRequests[0]?.method).toBe('GET');
      const recoveryPatches = recoveryRequests.filter((entry) => entry.method === 'PATCH');
      // A PATCH that already landed is not sent again; one that never left is sent once.
      expect(recoveryPatches.length).toBe(patchesApplied === 1 ? 0 : 1);
      expect(recovered.status).toBe(patchesApplied === 1 ? 'NoChange' : 'Successful');

      const gpu = simulator.pool(pool)?.spec.resources.find((entry) => entry.flavor === GPU);
      expect(gpu).toMatchObject({ count: 6, maxCount: 6 });
      expect(gpu?.azs?.reduce((sum, az) => sum + az.count, 0)).toBe(6);
      expect(simulator.pool(pool)?.spec.resources.find((entry) => entry.flavor === DEMO_FLAVORS.npu)).toEqual(
        npuBefore,
      );
      const applied = simulator.requestLog.filter(
        (entry) => entry.pool === pool && entry.method === 'PATCH' && entry.status === 200,
      );
      expect(applied.length).toBe(1);

      // The lease is released and the outcome recorded.
      const after = await states.get(pool);
      expect(after.leaseOwner).toBeUndefined();
      const activities = await new ActivityRepository(stack.store, { retentionDays: 30 }).listByPool(pool);
      expect(activities.some((activity) => activity.flavor === GPU && activity.after?.count === 6)).toBe(
        true,
      );

      // A further evaluation changes nothing.
      clock.now += 1_000;
      const again = await new PoolEvaluator(healthy).evaluate({ pool, trigger: 'schedule' });
      expect(again.status).not.toBe('Successful');
      expect(
        simulator.requestLog.filter((entry) => entry.pool === pool && entry.method === 'PATCH').length,
      ).toBe(recoveryPatches.length + patchesApplied);
    },
  );
});
