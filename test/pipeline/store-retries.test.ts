import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { ActivityRepository } from '../../functions/shared/store/activity-repository';
import { DepthRepository } from '../../functions/shared/store/depth-repository';
import type { StoreContext } from '../../functions/shared/store/document-client';
import { readEvaluationInputs } from '../../functions/shared/store/evaluation-read';
import { PolicyRepository } from '../../functions/shared/store/policy-repository';
import { createTestStore } from './support';

const NOW = Math.floor(Date.now() / 3_600_000) * 3_600_000;

let store: StoreContext;
beforeAll(async () => {
  store = await createTestStore('store-retries');
});

/**
 * The real store, except that the first batch request of one kind comes back partly unprocessed, as DynamoDB
 * answers when a table is throttled.
 */
function throttledOnce(kind: typeof BatchWriteCommand | typeof BatchGetCommand): {
  store: StoreContext;
  sends: () => number;
} {
  let sends = 0;
  const doc = new Proxy(store.doc, {
    get(real, key) {
      if (key !== 'send') return Reflect.get(real, key) as unknown;
      return async (command: unknown) => {
        if (!(command instanceof kind)) return real.send(command as never);
        sends += 1;
        if (sends > 1) return real.send(command as never);
        if (command instanceof BatchWriteCommand) {
          // Nothing written: everything comes back unprocessed.
          return { UnprocessedItems: command.input.RequestItems };
        }
        const request = (command as BatchGetCommand).input.RequestItems ?? {};
        const [first, ...rest] = Object.entries(request);
        const result = await real.send(new BatchGetCommand({ RequestItems: Object.fromEntries(rest) }));
        return { ...result, UnprocessedKeys: first ? { [first[0]]: first[1] } : {} };
      };
    },
  }) as DynamoDBDocumentClient;
  return { store: { doc, tables: store.tables }, sends: () => sends };
}

function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

describe('store retries wait with the injected sleep', () => {
  it('writes unprocessed activities again after the injected wait', async () => {
    const throttled = throttledOnce(BatchWriteCommand);
    const { sleep, waits } = recordingSleep();
    const activity = {
      pool: 'pool-retried-write',
      id: 'a-1',
      at: new Date(NOW).toISOString(),
      flavor: '*',
      status: 'Skipped' as const,
      reasons: ['retried'],
      latencyMs: 1,
      correlationId: 'c-1',
    };
    await new ActivityRepository(throttled.store, { retentionDays: 1, sleep }).put([activity]);
    expect(throttled.sends()).toBe(2);
    expect(waits).toEqual([50]);
    const stored = await new ActivityRepository(store, { retentionDays: 1 }).listByPool(activity.pool);
    expect(stored.map((record) => record.id)).toEqual(['a-1']);
  });

  it('reads unprocessed evaluation inputs again after the injected wait', async () => {
    const pool = 'pool-retried-read';
    await new PolicyRepository(store).put({ pool, enabled: true, flavors: {} }, { now: NOW });
    await new DepthRepository(store, { jobRetentionDays: 1 }).applySnapshot(
      {
        type: 'depth.snapshot',
        pool,
        flavor: 'modelarts.vm.gpu.8v100',
        pendingUnits: 8,
        runningUnits: 0,
        at: new Date(NOW).toISOString(),
      },
      NOW,
    );
    const throttled = throttledOnce(BatchGetCommand);
    const { sleep, waits } = recordingSleep();
    const inputs = await readEvaluationInputs(throttled.store, pool, sleep);
    expect(throttled.sends()).toBe(2);
    expect(waits).toEqual([50]);
    expect(inputs.policy?.document).toMatchObject({ pool, enabled: true });
    expect(inputs.depth['modelarts.vm.gpu.8v100']).toMatchObject({ pendingUnits: 8 });
  });
});
