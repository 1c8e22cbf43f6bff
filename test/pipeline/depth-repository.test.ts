import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent, JobEventType } from '../../functions/shared/events';
import { DepthRepository } from '../../functions/shared/store/depth-repository';
import type { StoreContext } from '../../functions/shared/store/document-client';
import { anchoredNow } from '../clock-anchor';
import { createTestStore } from './support';

let store: StoreContext & { client: { destroy(): void } };
let depth: DepthRepository;

beforeAll(async () => {
  store = await createTestStore('depth');
  depth = new DepthRepository(store, { jobRetentionDays: 16 });
});
afterAll(() => store.client.destroy());

const NOW = anchoredNow();
const AT = new Date(NOW).toISOString();

function job(type: JobEventType, pool: string, jobId: string, units = 8, flavor = 'gpu'): JobEvent {
  return { type, pool, flavor, jobId, units, at: AT };
}

describe('job events', () => {
  it('moves units from pending to running to gone along the lifecycle', async () => {
    const pool = 'lifecycle';
    await depth.applyJobEvent(job('job.submitted', pool, 'j1'), NOW);
    await depth.applyJobEvent(job('job.submitted', pool, 'j2', 4), NOW);
    expect((await depth.getPoolDepth(pool)).gpu).toMatchObject({ pendingUnits: 12, runningUnits: 0 });
    await depth.applyJobEvent(job('job.started', pool, 'j1'), NOW + 1);
    expect((await depth.getPoolDepth(pool)).gpu).toMatchObject({
      pendingUnits: 4,
      runningUnits: 8,
      updatedAt: NOW + 1,
    });
    await depth.applyJobEvent(job('job.finished', pool, 'j1'), NOW);
    await depth.applyJobEvent(job('job.cancelled', pool, 'j2', 4), NOW);
    expect((await depth.getPoolDepth(pool)).gpu).toMatchObject({ pendingUnits: 0, runningUnits: 0 });
  });

  it('ignores a duplicate, a late submitted after started, and anything after a terminal state', async () => {
    const pool = 'late';
    expect((await depth.applyJobEvent(job('job.started', pool, 'j1'), NOW)).applied).toBe(true);
    expect(await depth.applyJobEvent(job('job.started', pool, 'j1'), NOW)).toMatchObject({ applied: false });
    expect(await depth.applyJobEvent(job('job.submitted', pool, 'j1'), NOW)).toMatchObject({
      applied: false,
      state: 'started',
    });
    await depth.applyJobEvent(job('job.failed', pool, 'j1'), NOW);
    expect(await depth.applyJobEvent(job('job.finished', pool, 'j1'), NOW)).toMatchObject({ applied: false });
    expect((await depth.getPoolDepth(pool)).gpu).toMatchObject({ pendingUnits: 0, runningUnits: 0 });
    expect(await depth.getJob(pool, 'j1')).toMatchObject({ state: 'failed', units: 8, flavor: 'gpu' });
  });

  it('keeps the units of the first event seen for a job and rejects an event that says otherwise', async () => {
    const pool = 'units';
    await depth.applyJobEvent(job('job.submitted', pool, 'j1', 8), NOW);
    await expect(depth.applyJobEvent(job('job.started', pool, 'j1', 3), NOW)).rejects.toMatchObject({
      name: 'InvalidEventError',
      field: 'units',
    });
    expect((await depth.getPoolDepth(pool)).gpu).toMatchObject({ pendingUnits: 8, runningUnits: 0 });
    expect(await depth.getJob(pool, 'j1')).toMatchObject({ state: 'submitted', units: 8 });
  });
});

describe('depth snapshots', () => {
  it('replace the counters, and an older snapshot never overwrites a newer one', async () => {
    const pool = 'snapshot';
    await depth.applyJobEvent(job('job.submitted', pool, 'j1'), NOW);
    const snapshot = (at: string, pendingUnits: number) => ({
      type: 'depth.snapshot' as const,
      pool,
      flavor: 'gpu',
      pendingUnits,
      runningUnits: 2,
      at,
    });
    const minutes = (n: number) => new Date(NOW + n * 60_000).toISOString();
    expect(await depth.applySnapshot(snapshot(minutes(5), 40), NOW)).toBe(true);
    expect(await depth.applySnapshot(snapshot(minutes(4), 99), NOW)).toBe(false);
    expect((await depth.getPoolDepth(pool)).gpu).toMatchObject({ pendingUnits: 40, runningUnits: 2 });
  });
});

describe('depth under at-least-once, unordered delivery', () => {
  const lifecycle = fc.record({
    units: fc.integer({ min: 1, max: 16 }),
    flavor: fc.constantFrom('gpu', 'npu'),
    started: fc.boolean(),
    end: fc.constantFrom<JobEventType | null>('job.finished', 'job.failed', 'job.cancelled', null),
  });

  it('equals the ground truth whatever the duplicates, order and concurrency', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(lifecycle, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
        async (jobs, noise) => {
          run += 1;
          const pool = `prop-${run}`;
          const events: JobEvent[] = [];
          const truth: Record<string, { pendingUnits: number; runningUnits: number }> = {};
          jobs.forEach((j, index) => {
            const id = `j${index}`;
            const types: JobEventType[] = ['job.submitted'];
            if (j.started) types.push('job.started');
            if (j.end) types.push(j.end);
            for (const type of types) events.push(job(type, pool, id, j.units, j.flavor));
            const t = (truth[j.flavor] ??= { pendingUnits: 0, runningUnits: 0 });
            if (j.end === null && j.started) t.runningUnits += j.units;
            if (j.end === null && !j.started) t.pendingUnits += j.units;
          });
          // Duplicate some events, then shuffle deterministically from the generated noise.
          const delivered = [...events, ...events.filter((_, i) => (noise[i % noise.length] ?? 0) % 3 === 0)];
          const keyed = delivered.map((event, i) => ({ event, key: noise[i % noise.length]! * 1000 + i }));
          keyed.sort((a, b) => a.key - b.key);
          // Deliver in two concurrent streams, like two Lambda invocations.
          const streams = [keyed.filter((_, i) => i % 2 === 0), keyed.filter((_, i) => i % 2 === 1)];
          await Promise.all(
            streams.map(async (stream) => {
              for (const { event } of stream) await depth.applyJobEvent(event, NOW);
            }),
          );
          const actual = await depth.getPoolDepth(pool);
          for (const flavor of ['gpu', 'npu']) {
            expect({
              pendingUnits: actual[flavor]?.pendingUnits ?? 0,
              runningUnits: actual[flavor]?.runningUnits ?? 0,
            }).toEqual(truth[flavor] ?? { pendingUnits: 0, runningUnits: 0 });
          }
        },
      ),
      { numRuns: 15, seed: 5 },
    );
  });
});
