import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActivityRepository } from '../../functions/shared/store/activity-repository';
import type { StoreContext } from '../../functions/shared/store/document-client';
import { PolicyRepository, PolicyVersionConflictError } from '../../functions/shared/store/policy-repository';
import { ScalerStateRepository } from '../../functions/shared/store/scaler-state-repository';
import { TokenBucketRepository, tokenBucketKey } from '../../functions/shared/store/token-bucket-repository';
import { anchoredNow, retentionDays } from '../clock-anchor';
import { createTestStore } from './support';

let store: StoreContext & { client: { destroy(): void } };
beforeAll(async () => {
  store = await createTestStore('repos');
});
afterAll(() => store.client.destroy());

/** Midnight (UTC) of the anchored day: the activity index is per day, so the times cross one. */
const DAY = Math.floor(anchoredNow() / 86_400_000) * 86_400_000;
const NOW = DAY + 10 * 3_600_000;
const iso = (offsetMinutes: number) => new Date(DAY + offsetMinutes * 60_000).toISOString();

describe('policies', () => {
  it('writes with a version condition and keeps the document apart from the bookkeeping', async () => {
    const policies = new PolicyRepository(store);
    const document = { pool: 'p1', enabled: true, flavors: {} };
    expect(await policies.put(document, { expectedVersion: 0, now: NOW })).toBe(1);
    await expect(policies.put(document, { expectedVersion: 0, now: NOW })).rejects.toBeInstanceOf(
      PolicyVersionConflictError,
    );
    expect(await policies.put({ ...document, dryRun: true }, { expectedVersion: 1, now: NOW })).toBe(2);
    await expect(policies.put(document, { expectedVersion: 1, now: NOW })).rejects.toThrow(/version 1/);
    const stored = await policies.get('p1');
    expect(stored).toMatchObject({ version: 2, updatedAt: NOW });
    expect(stored?.document).toEqual({ pool: 'p1', enabled: true, dryRun: true, flavors: {} });
  });

  it('lists only enabled pools, and pausing bumps the version', async () => {
    const policies = new PolicyRepository(store);
    await policies.put({ pool: 'p2', enabled: true }, { now: NOW });
    await policies.put({ pool: 'p3', enabled: false }, { now: NOW });
    await policies.put({ pool: 'p4' }, { now: NOW });
    expect(await policies.setEnabled('p2', false, NOW)).toBe(2);
    const enabled = (await policies.listEnabled()).map((policy) => policy.pool);
    expect(enabled).toContain('p4');
    expect(enabled).not.toContain('p2');
    expect(enabled).not.toContain('p3');
  });
});

describe('scaler state lease', () => {
  it('lets one owner in at a time until the lease expires, and saves only under the lease', async () => {
    const states = new ScalerStateRepository(store);
    const first = await states.acquireLease('pool-a', 'owner-1', NOW, 60_000);
    expect(first.acquired).toBe(true);
    expect(await states.acquireLease('pool-a', 'owner-2', NOW + 1000, 60_000)).toEqual({
      acquired: false,
      holder: 'owner-1',
      expiresAt: NOW + 60_000,
    });
    const update = {
      engineState: { version: 1, flavors: {} },
      failures: 0,
      backoffUntil: 0,
      lastStatus: 'NoChange',
    };
    await store.doc.send(
      new TransactWriteCommand({
        TransactItems: [states.saveAndReleaseItem('pool-a', 'owner-1', update, NOW)],
      }),
    );
    const second = await states.acquireLease('pool-a', 'owner-2', NOW + 1000, 60_000);
    expect(second.acquired && second.record).toMatchObject({ version: 1, lastStatus: 'NoChange' });
    // owner-2's lease expires; owner-3 takes over; owner-2 can no longer save.
    expect((await states.acquireLease('pool-a', 'owner-3', NOW + 61_001, 60_000)).acquired).toBe(true);
    await expect(
      store.doc.send(
        new TransactWriteCommand({
          TransactItems: [states.saveAndReleaseItem('pool-a', 'owner-2', update, NOW)],
        }),
      ),
    ).rejects.toMatchObject({ name: 'TransactionCanceledException' });
    await states.releaseLease('pool-a', 'owner-3');
    expect(await states.get('pool-a')).not.toHaveProperty('leaseOwner');
  });
});

describe('token bucket', () => {
  it('grants the burst, then refills at the configured rate, across independent takers', async () => {
    const options = { ratePerSecond: 2, burst: 3 };
    const bucket = tokenBucketKey('https://modelarts.example.com/v2', 'project');
    const takers = [new TokenBucketRepository(store, options), new TokenBucketRepository(store, options)];
    const grants = await Promise.all([0, 1, 2, 3, 4].map((i) => takers[i % 2]!.take(bucket, NOW)));
    expect(grants.filter((grant) => grant.granted)).toHaveLength(3);
    const denied = await takers[0]!.take(bucket, NOW);
    expect(denied).toEqual({ granted: false, waitMs: 500 });
    expect((await takers[1]!.take(bucket, NOW + 500)).granted).toBe(true);
    expect((await takers[0]!.take(bucket, NOW + 500)).granted).toBe(false);
    // A long pause refills to the burst, never beyond.
    const later = NOW + 3_600_000;
    const afterPause = await Promise.all([0, 1, 2, 3].map((i) => takers[i % 2]!.take(bucket, later)));
    expect(afterPause.filter((grant) => grant.granted)).toHaveLength(3);
  });

  it('answers a contended bucket as an empty one, never with an error, and never over-grants', async () => {
    const options = { ratePerSecond: 4, burst: 40 };
    const bucket = tokenBucketKey('https://modelarts.example.com/v2', 'contended');
    const takers = Array.from({ length: 40 }, () => new TokenBucketRepository(store, options));
    const grants = await Promise.all(takers.map((taker) => taker.take(bucket, NOW)));
    const granted = grants.filter((grant) => grant.granted).length;
    expect(granted).toBeGreaterThan(0);
    expect(granted).toBeLessThanOrEqual(40);
    for (const grant of grants) if (!grant.granted) expect(grant.waitMs).toBeGreaterThanOrEqual(250);
    // What was not granted is still in the bucket for the next takers.
    const rest = await Promise.all(takers.map((taker) => taker.take(bucket, NOW)));
    expect(granted + rest.filter((grant) => grant.granted).length).toBeLessThanOrEqual(40);
  });
});

describe('activities', () => {
  it('lists a pool newest first and recent activity across pools, with a retention TTL', async () => {
    const retention = retentionDays(30);
    const activities = new ActivityRepository(store, { retentionDays: retention });
    const record = (pool: string, at: string, id: string) => ({
      pool,
      id,
      at,
      flavor: 'gpu',
      status: 'NoChange' as const,
      reasons: ['demand within target'],
      latencyMs: 12,
      correlationId: `c-${id}`,
    });
    await activities.put([
      record('a', iso(-1), '1'),
      record('a', iso(9 * 60), '2'),
      record('b', iso(9 * 60 + 30), '3'),
    ]);
    const ofA = await activities.listByPool('a');
    expect(ofA.map((activity) => activity.id)).toEqual(['2', '1']);
    expect(ofA[0]?.expiresAt).toBe(Date.parse(iso(9 * 60)) / 1000 + retention * 86_400);
    expect((await activities.listByPool('a', { since: iso(0) })).map((a) => a.id)).toEqual(['2']);
    const recent = await activities.listRecent(NOW, { since: iso(-24 * 60) });
    expect(recent.map((activity) => activity.id)).toEqual(['3', '2', '1']);
  });
});
