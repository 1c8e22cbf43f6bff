import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DepthSnapshotEvent, JobEventType } from '../../functions/shared/events';
import { DepthRepository, DepthStorageFullError } from '../../functions/shared/store/depth-repository';
import {
  GPU,
  type Harness,
  JOB_RETENTION_DAYS,
  NPU,
  START,
  gpuPolicy,
  jobEvent,
  startHarness,
  testPoolName,
} from './harness';

/*
 * How the depth stays exact for jobs that run for weeks and for hostile or odd events, each case through the
 * real consumer against DynamoDB Local (whose TTL sweeper deletes expired items on the real clock).
 */

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness('depth-cases', {}, { ownDynamoDb: true });
});
afterAll(() => harness?.stop());

const DAY_MS = 86_400_000;

function depthRepository(): DepthRepository {
  return new DepthRepository(harness.dependencies().store, { jobRetentionDays: JOB_RETENTION_DAYS });
}

/** A paused policy naming both demo flavors, so the pool's events are counted and evaluating it calls nothing. */
async function twoFlavorPool(label: string): Promise<string> {
  const pool = testPoolName(label);
  const gpu = (gpuPolicy(pool).flavors as Record<string, unknown>)[GPU];
  await harness.putPolicy({ ...gpuPolicy(pool), enabled: false, flavors: { [GPU]: gpu, [NPU]: gpu } });
  return pool;
}

async function depthOf(pool: string, flavor: string = GPU) {
  const depth = await depthRepository().getPoolDepth(pool);
  return { pendingUnits: depth[flavor]?.pendingUnits ?? 0, runningUnits: depth[flavor]?.runningUnits ?? 0 };
}

/** Waits until DynamoDB Local's TTL sweeper has deleted an item that expired before the wait began. */
async function waitForTtlSweep(): Promise<void> {
  const { store } = harness.dependencies();
  const key = { pool: testPoolName('ttl-probe'), jobId: `probe-${Date.now()}` };
  await store.doc.send(
    new PutCommand({
      TableName: store.tables.jobs,
      Item: { ...key, state: 'finished', expiresAt: Math.floor(Date.now() / 1000) - 60 },
    }),
  );
  for (;;) {
    const probe = await store.doc.send(
      new GetCommand({ TableName: store.tables.jobs, Key: key, ConsistentRead: true }),
    );
    if (!probe.Item) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('a job that runs for weeks', () => {
  it('keeps its record while it runs, so its end and late duplicates count exactly', async () => {
    const pool = await harness.depthOnlyPool('long-job');
    const startedAt = START - 10 * DAY_MS;
    harness.clock.nowMs = startedAt;
    const event = (type: JobEventType, at: number) => jobEvent(type, pool, 'long-1', 8, GPU, at);
    expect(
      await harness.deliver([event('job.submitted', startedAt), event('job.started', startedAt)]),
    ).toEqual([]);
    const running = await depthRepository().getJob(pool, 'long-1');
    expect(running).toMatchObject({ state: 'started' });
    expect(running?.expiresAt).toBeUndefined();

    // Ten days on, after the TTL sweeper has run, the job ends and its old events come once more.
    harness.clock.nowMs = START;
    await waitForTtlSweep();
    expect(await depthRepository().getJob(pool, 'long-1')).toMatchObject({ state: 'started' });
    expect(await harness.deliver([event('job.finished', START)])).toEqual([]);
    expect(
      await harness.deliver([event('job.submitted', startedAt), event('job.started', startedAt)]),
    ).toEqual([]);
    expect(await depthOf(pool)).toEqual({ pendingUnits: 0, runningUnits: 0 });
    const ended = await depthRepository().getJob(pool, 'long-1');
    expect(ended?.expiresAt).toBe(Math.floor(START / 1000) + JOB_RETENTION_DAYS * 86_400);
  });
});

describe('an event that contradicts its job', () => {
  it('is rejected when it names another flavor, and no counter goes below zero', async () => {
    const pool = await twoFlavorPool('flavor-change');
    expect(await harness.deliver([jobEvent('job.submitted', pool, 'D1', 8, GPU)])).toEqual([]);
    const failed = await harness.deliver([jobEvent('job.started', pool, 'D1', 8, NPU)]);
    expect(failed).toHaveLength(1);
    expect(await depthOf(pool, GPU)).toEqual({ pendingUnits: 8, runningUnits: 0 });
    expect(await depthOf(pool, NPU)).toEqual({ pendingUnits: 0, runningUnits: 0 });
    // Real NPU demand is seen in full, not hidden behind a negative counter.
    expect(await harness.deliver([jobEvent('job.submitted', pool, 'N1', 8, NPU)])).toEqual([]);
    expect(await depthOf(pool, NPU)).toEqual({ pendingUnits: 8, runningUnits: 0 });
    expect(await depthRepository().getJob(pool, 'D1')).toMatchObject({ flavor: GPU, state: 'submitted' });
  });

  it('is rejected when it names other units', async () => {
    const pool = await harness.depthOnlyPool('units-change');
    expect(await harness.deliver([jobEvent('job.submitted', pool, 'U1', 8)])).toEqual([]);
    expect(await harness.deliver([jobEvent('job.finished', pool, 'U1', 2)])).toHaveLength(1);
    expect(await depthOf(pool)).toEqual({ pendingUnits: 8, runningUnits: 0 });
  });
});

describe('events no policy can use', () => {
  it('are rejected for a flavor the policy does not name, so the depth item cannot grow', async () => {
    const pool = await harness.depthOnlyPool('many-flavors');
    const bodies = Array.from({ length: 500 }, (_, i) =>
      jobEvent('job.submitted', pool, `job-${i}`, 1, `flavor-from-job-id-${i}`),
    );
    const invalidBefore = harness.telemetry.eventCounts.invalid;
    for (let start = 0; start < bodies.length; start += 10) {
      expect(await harness.deliver(bodies.slice(start, start + 10))).toHaveLength(10);
    }
    expect(harness.telemetry.eventCounts.invalid - invalidBefore).toBe(500);
    expect(await harness.deliver([jobEvent('job.submitted', pool, 'real-1', 8)])).toEqual([]);
    const depth = await depthRepository().getPoolDepth(pool);
    expect(Object.keys(depth)).toEqual([GPU]);
    expect(await depthRepository().getJob(pool, 'job-0')).toBeUndefined();
  });

  it('are rejected for a pool without a policy or with a name no ModelArts pool has', async () => {
    const unknown = testPoolName('no-policy');
    expect(await harness.deliver([jobEvent('job.submitted', unknown, 'x-1')])).toHaveLength(1);
    expect(await harness.deliver([jobEvent('job.submitted', 'not a pool', 'x-2')])).toHaveLength(1);
    expect(await depthRepository().getJob(unknown, 'x-1')).toBeUndefined();
    expect(await depthRepository().getPoolDepth(unknown)).toEqual({});
  });

  it('are rejected, not retried as contention, when the depth item is full', async () => {
    const pool = await harness.depthOnlyPool('full-item');
    const { store } = harness.dependencies();
    await store.doc.send(
      new PutCommand({ TableName: store.tables.depth, Item: { pool, ballast: 'x'.repeat(409_500) } }),
    );
    await expect(
      depthRepository().applyJobEvent(jobEvent('job.submitted', pool, 'f-1'), START),
    ).rejects.toThrow(DepthStorageFullError);
    const invalidBefore = harness.telemetry.eventCounts.invalid;
    expect(await harness.deliver([jobEvent('job.submitted', pool, 'f-2')])).toHaveLength(1);
    expect(harness.telemetry.eventCounts.invalid - invalidBefore).toBe(1);
  });
});

describe('snapshots against job events', () => {
  const snapshot = (
    pool: string,
    at: number,
    pendingUnits: number,
    runningUnits = 0,
  ): DepthSnapshotEvent => ({
    type: 'depth.snapshot',
    pool,
    flavor: GPU,
    pendingUnits,
    runningUnits,
    at: new Date(at).toISOString(),
  });

  it('a snapshot older than a counted job event does not overwrite it', async () => {
    const pool = await harness.depthOnlyPool('late-snapshot');
    harness.clock.nowMs = START;
    // Taken at START - 60 s (one job pending), delayed in the queue behind the job's start.
    expect(await harness.deliver([jobEvent('job.submitted', pool, 'S1', 8, GPU, START - 120_000)])).toEqual(
      [],
    );
    expect(await harness.deliver([jobEvent('job.started', pool, 'S1', 8, GPU, START - 30_000)])).toEqual([]);
    expect(await harness.deliver([snapshot(pool, START - 60_000, 8, 0)])).toEqual([]);
    expect(await depthOf(pool)).toEqual({ pendingUnits: 0, runningUnits: 8 });
  });

  it('a job event a snapshot already counts moves the job, not the counters', async () => {
    const pool = await harness.depthOnlyPool('counted-event');
    harness.clock.nowMs = START;
    expect(await harness.deliver([snapshot(pool, START - 10_000, 8, 0)])).toEqual([]);
    // The snapshot saw this job pending: its submission, delivered late, adds nothing; its start moves it.
    expect(await harness.deliver([jobEvent('job.submitted', pool, 'C1', 8, GPU, START - 20_000)])).toEqual(
      [],
    );
    expect(await depthOf(pool)).toEqual({ pendingUnits: 8, runningUnits: 0 });
    expect(await harness.deliver([jobEvent('job.started', pool, 'C1', 8, GPU, START - 5_000)])).toEqual([]);
    expect(await depthOf(pool)).toEqual({ pendingUnits: 0, runningUnits: 8 });
  });

  it('a snapshot that missed a job never drives a counter below zero', async () => {
    const pool = await harness.depthOnlyPool('missed-job');
    harness.clock.nowMs = START;
    expect(await harness.deliver([snapshot(pool, START - 10_000, 0, 0)])).toEqual([]);
    expect(await harness.deliver([jobEvent('job.started', pool, 'M1', 8, GPU, START - 5_000)])).toEqual([]);
    expect(await harness.deliver([jobEvent('job.submitted', pool, 'M2', 4, GPU, START - 20_000)])).toEqual(
      [],
    );
    // M2 was pending at the snapshot but not in it: its cancellation would take pending below zero.
    expect(await harness.deliver([jobEvent('job.cancelled', pool, 'M2', 4, GPU, START - 1_000)])).toEqual([]);
    expect(await depthOf(pool)).toEqual({ pendingUnits: 0, runningUnits: 8 });
  });

  it('a snapshot or job event dated far from its receipt is rejected, naming at', async () => {
    const pool = await harness.depthOnlyPool('far-dates');
    harness.clock.nowMs = START;
    const farFuture = { ...snapshot(pool, START, 4), at: '9999-12-31T00:00:00Z' };
    expect(await harness.deliver([farFuture])).toHaveLength(1);
    expect(await harness.deliver([snapshot(pool, START - 60 * DAY_MS, 4)])).toHaveLength(1);
    expect(await harness.deliver([{ ...snapshot(pool, START, 4), pendingUnits: 10 ** 12 }])).toHaveLength(1);
    // A later, sane snapshot still applies: the far-future one left no mark.
    expect(await harness.deliver([snapshot(pool, START, 4)])).toEqual([]);
    expect(await depthOf(pool)).toEqual({ pendingUnits: 4, runningUnits: 0 });
  });
});

describe('a reused job id', () => {
  it('is rejected while the ended job is remembered', async () => {
    const pool = await harness.depthOnlyPool('reused-id');
    harness.clock.nowMs = START;
    const first = (type: JobEventType) => jobEvent(type, pool, 'R1', 8, GPU, START);
    expect(
      await harness.deliver([first('job.submitted'), first('job.started'), first('job.finished')]),
    ).toEqual([]);
    // A late duplicate of the submission is ignored; a resubmission under the same id, dated later, is refused.
    expect(await harness.deliver([first('job.submitted')])).toEqual([]);
    harness.clock.nowMs = START + 3_600_000;
    expect(
      await harness.deliver([jobEvent('job.submitted', pool, 'R1', 8, GPU, START + 3_600_000)]),
    ).toHaveLength(1);
    expect(await depthOf(pool)).toEqual({ pendingUnits: 0, runningUnits: 0 });
  });

  it('names a new job once the ended job is forgotten', async () => {
    const pool = await harness.depthOnlyPool('reused-late');
    // This job ended so long ago that its record expires as soon as it is written: on the real clock, which
    // the TTL sweeper reads, whatever day the test clock is anchored to.
    const longAgo = Date.now() - (JOB_RETENTION_DAYS + 2) * DAY_MS;
    harness.clock.nowMs = longAgo;
    const old = (type: JobEventType) => jobEvent(type, pool, 'R2', 8, GPU, longAgo);
    expect(await harness.deliver([old('job.submitted'), old('job.finished')])).toEqual([]);
    const { store } = harness.dependencies();
    for (;;) {
      const record = await store.doc.send(
        new GetCommand({ TableName: store.tables.jobs, Key: { pool, jobId: 'R2' }, ConsistentRead: true }),
      );
      if (!record.Item) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    harness.clock.nowMs = START;
    expect(await harness.deliver([jobEvent('job.submitted', pool, 'R2', 8, GPU, START)])).toEqual([]);
    expect(await depthOf(pool)).toEqual({ pendingUnits: 8, runningUnits: 0 });
  });
});
