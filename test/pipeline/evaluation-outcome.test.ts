import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Activity, ActivityRepository } from '../../functions/shared/store/activity-repository';
import type { StoreContext } from '../../functions/shared/store/document-client';
import { EvaluationOutcomeRepository } from '../../functions/shared/store/evaluation-outcome';
import { ScalerStateRepository } from '../../functions/shared/store/scaler-state-repository';
import { createTestStore } from './support';

const NOW = Math.floor(Date.now() / 3_600_000) * 3_600_000;

let store: StoreContext & { client: { destroy(): void } };
beforeAll(async () => {
  store = await createTestStore('outcome-store');
});
afterAll(() => store.client.destroy());

function activities(pool: string, count: number): Activity[] {
  return Array.from({ length: count }, (_, i) => ({
    pool,
    id: `a-${String(i).padStart(3, '0')}`,
    at: new Date(NOW).toISOString(),
    flavor: `flavor-${i}`,
    status: 'NoChange' as const,
    reasons: ['within bounds'],
    latencyMs: 1,
    correlationId: 'c-outcome',
  }));
}

const UPDATE = {
  engineState: { version: 1, flavors: {} },
  failures: 0,
  backoffUntil: 0,
  lastStatus: 'NoChange',
  nextEvaluationAt: NOW + 60_000,
};

describe('evaluation outcome', () => {
  it('saves the state, releases the lease and records more activities than one transaction holds', async () => {
    const pool = 'pool-saved';
    const states = new ScalerStateRepository(store);
    expect((await states.acquireLease(pool, 'owner-1', NOW, 60_000)).acquired).toBe(true);
    const saved = await new EvaluationOutcomeRepository(store, { retentionDays: 1 }).save({
      pool,
      owner: 'owner-1',
      update: UPDATE,
      activities: activities(pool, 130),
      now: NOW,
    });
    expect(saved).toEqual({ leaseLost: false });
    const state = await states.get(pool);
    expect(state).toMatchObject({ version: 1, lastStatus: 'NoChange', nextEvaluationAt: NOW + 60_000 });
    expect(state).not.toHaveProperty('leaseOwner');
    const recorded = await new ActivityRepository(store, { retentionDays: 1 }).listByPool(pool, {
      limit: 200,
    });
    expect(recorded).toHaveLength(130);
  });

  it('records the activities alone when the state was removed while the lease was held', async () => {
    const pool = 'pool-state-removed';
    const states = new ScalerStateRepository(store);
    expect((await states.acquireLease(pool, 'owner-1', NOW, 60_000)).acquired).toBe(true);
    await store.doc.send(new DeleteCommand({ TableName: store.tables.scalerState, Key: { pool } }));
    const saved = await new EvaluationOutcomeRepository(store, { retentionDays: 1 }).save({
      pool,
      owner: 'owner-1',
      update: UPDATE,
      activities: activities(pool, 2),
      now: NOW,
    });
    expect(saved).toEqual({ leaseLost: true });
    expect(await states.get(pool)).not.toHaveProperty('lastStatus');
    const recorded = await new ActivityRepository(store, { retentionDays: 1 }).listByPool(pool);
    expect(recorded.map((record) => record.id).sort()).toEqual(['a-000', 'a-001']);
  });

  it('throws a failure that is not about the lease, and leaves the state as it was', async () => {
    const pool = 'pool-bad-write';
    const states = new ScalerStateRepository(store);
    expect((await states.acquireLease(pool, 'owner-1', NOW, 60_000)).acquired).toBe(true);
    const [activity] = activities(pool, 1);
    // The same record twice: DynamoDB refuses the whole transaction before any condition is checked.
    await expect(
      new EvaluationOutcomeRepository(store, { retentionDays: 1 }).save({
        pool,
        owner: 'owner-1',
        update: UPDATE,
        activities: [activity!, activity!],
        now: NOW,
      }),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    expect(await states.get(pool)).toMatchObject({ leaseOwner: 'owner-1', version: 0 });
  });
});
