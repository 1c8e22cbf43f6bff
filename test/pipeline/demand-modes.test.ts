import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolEvaluator } from '../../functions/shared/pipeline';
import { RECONCILED_REASON } from '../../functions/shared/pipeline/workload-demand';
import { DepthRepository } from '../../functions/shared/store/depth-repository';
import { ScalerStateRepository } from '../../functions/shared/store/scaler-state-repository';
import { demoPool } from '../../simulator/index';
import { GPU, type Harness, JOB_RETENTION_DAYS, gpuPolicy, jobEvent, startHarness } from './harness';

/*
 * Demand read from the pool's own workloads, end to end against the simulator and DynamoDB Local: a pool whose
 * demand is its workloads scales up and back down without a single job event, and a pool fed by events that
 * were partly lost is repaired by the reconciliation against the workloads.
 */

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness('demand-modes', { provisioningDelayMs: 60_000 });
});
afterAll(() => harness?.stop());

const MINUTE = 60_000;

/** Scale at once in both directions, with no cooldown, so each step below is one evaluation. */
function eagerPolicy(pool: string, fields: Record<string, unknown>): Record<string, unknown> {
  const policy = gpuPolicy(pool, { cooldownSeconds: 0, ...fields });
  const flavors = policy.flavors as Record<string, Record<string, unknown>>;
  return {
    ...policy,
    flavors: {
      [GPU]: {
        ...flavors[GPU],
        scaleDown: {
          stabilizationSeconds: 0,
          policies: [{ type: 'Percent', value: 100, periodSeconds: 60 }],
          select: 'Max',
        },
      },
    },
  };
}

function gpuCount(pool: string): number {
  const entry = harness.stack
    .simulator!.pool(pool)
    ?.spec?.resources?.find((resource) => resource.flavor === GPU);
  return entry?.count ?? 0;
}

/** The requests the simulator saw since `index`, as `METHOD /sub-path status=...`, without the pool's prefix. */
function requestsSince(index: number, pool: string): string[] {
  return harness.stack
    .simulator!.requestLog.slice(index)
    .filter((entry) => entry.path.includes(pool))
    .map((entry) => {
      const status = entry.query.status ? ` status=${entry.query.status}` : '';
      return `${entry.method} ${entry.path.replace(/^.*\/pools\/[^/]+/, '')}${status}`;
    });
}

function evaluate(pool: string, trigger = 'test') {
  return new PoolEvaluator(harness.dependencies()).evaluate({ pool, trigger });
}

async function gpuActivity(pool: string) {
  const records = await harness.activities().listByPool(pool, { limit: 5 });
  return records.find((record) => record.flavor === GPU);
}

function depthOf(pool: string) {
  return new DepthRepository(harness.dependencies().store, {
    jobRetentionDays: JOB_RETENTION_DAYS,
  }).getPoolDepth(pool);
}

describe('demand: workloads', () => {
  it('scales up for queued workloads with no job event at all, from their shapes', async () => {
    const { pool } = harness;
    const simulator = harness.stack.simulator!;
    await harness.putPolicy(eagerPolicy(pool, { demand: 'workloads' }));
    // Four whole-node training jobs on a pool of two nodes: two run, two wait in the pool's queue.
    for (const name of ['a', 'b', 'c', 'd']) {
      simulator.submitWorkload(pool, { flavor: GPU, accelerators: 8, name, jobName: name });
    }
    harness.clock.advance(MINUTE);
    const before = simulator.requestLog.length;
    const result = await evaluate(pool);
    expect(result.status).toBe('Successful');
    expect(requestsSince(before, pool).sort()).toEqual(
      [
        'GET ',
        'GET /workloads status=Queue',
        'GET /workloads status=Pending',
        'GET /workloads status=Running',
        // Queued jobs are placed by shape: the nodes are listed, the running workloads are not listed again.
        'GET /nodes',
        'PATCH ',
      ].sort(),
    );
    expect(gpuCount(pool)).toBe(4);
    const record = await gpuActivity(pool);
    expect(record).toMatchObject({
      status: 'Successful',
      demandUnits: 32,
      before: { count: 2 },
      after: { count: 4 },
    });
    expect(record?.reasons).toContain(
      "demand from the pool's workloads: 2 queued (16 units), 2 running (16 units)",
    );
    // Recorded like a snapshot: the depth table, its metric and the alarm see what the evaluation saw.
    const depth = await depthOf(pool);
    expect(depth[GPU]).toMatchObject({ pendingUnits: 16, runningUnits: 16, updatedAt: harness.clock.now() });
    expect(
      await new DepthRepository(harness.dependencies().store, { jobRetentionDays: 1 }).getJob(pool, 'a'),
    ).toBe(undefined);
  });

  it('holds while the new nodes start the queued workloads, then scales back down by name once they end', async () => {
    const { pool } = harness;
    const simulator = harness.stack.simulator!;
    harness.clock.advance(2 * MINUTE);
    expect((await evaluate(pool)).status).toBe('NoChange');
    expect(simulator.workloads(pool).filter((workload) => workload.status === 'Running')).toHaveLength(4);
    expect((await depthOf(pool))[GPU]).toMatchObject({ pendingUnits: 0, runningUnits: 32 });

    for (const workload of simulator.workloads(pool)) simulator.completeWorkload(pool, workload.uid!);
    harness.clock.advance(MINUTE);
    const deletesBefore = harness.batchDeletes();
    expect((await evaluate(pool)).status).toBe('Successful');
    expect(harness.batchDeletes()).toBe(deletesBefore + 1);
    expect(gpuCount(pool)).toBe(1);
    expect(simulator.killedWorkloads(pool)).toBe(0);
    const record = await gpuActivity(pool);
    expect(record?.reasons).toContain(
      "demand from the pool's workloads: 0 queued (0 units), 0 running (0 units)",
    );
  });

  it('decides from the depth last read when the workloads cannot be listed, and says so', async () => {
    const { pool } = harness;
    const simulator = harness.stack.simulator!;
    simulator.setFaults([
      { method: 'GET', path: '/v2/*/pools/*/workloads', action: { type: 'error', status: 500 } },
    ]);
    try {
      harness.clock.advance(MINUTE);
      const result = await evaluate(pool);
      expect(result.status).toBe('NoChange');
      const record = await gpuActivity(pool);
      expect(record?.reasons).toContainEqual(
        expect.stringMatching(
          /^the pool's workloads could not be listed \(.*\): deciding from the depth last read$/,
        ),
      );
    } finally {
      simulator.setFaults([]);
    }
  });
});

describe('demand: events+workloads', () => {
  let pool: string;
  beforeAll(async () => {
    const created = demoPool();
    created.metadata.labels['os.modelarts/name'] = 'reconciled';
    pool = harness.stack.simulator!.seedPool(created).metadata.name;
    await harness.putPolicy(eagerPolicy(pool, { demand: 'events+workloads', reconcileSeconds: 300 }));
  });

  it('reconciles at the first evaluation, then only every reconcileSeconds', async () => {
    const simulator = harness.stack.simulator!;
    harness.clock.advance(MINUTE);
    let before = simulator.requestLog.length;
    await evaluate(pool);
    expect(
      requestsSince(before, pool).filter((request) => request.startsWith('GET /workloads')),
    ).toHaveLength(3);
    const record = await gpuActivity(pool);
    expect(record?.reasons).toContain(`${RECONCILED_REASON}: no drift (0 units pending, 0 units running)`);
    const state = await new ScalerStateRepository(harness.dependencies().store).get(pool);
    expect(state.lastReconciledAt).toBe(harness.clock.now());

    harness.clock.advance(MINUTE);
    before = simulator.requestLog.length;
    await evaluate(pool);
    expect(requestsSince(before, pool)).toEqual(['GET ']);
  });

  it('repairs the counters of events that were lost, and records how far they were off', async () => {
    const simulator = harness.stack.simulator!;
    // Three jobs; the producer's events of two of them never arrive.
    for (const name of ['x', 'y', 'z'])
      simulator.submitWorkload(pool, { flavor: GPU, accelerators: 8, name });
    const at = harness.clock.now();
    expect(
      await harness.deliver([
        jobEvent('job.submitted', pool, 'x', 8, GPU, at),
        jobEvent('job.started', pool, 'x', 8, GPU, at),
      ]),
    ).toEqual([]);
    expect((await depthOf(pool))[GPU]).toMatchObject({ pendingUnits: 0, runningUnits: 8 });
    // The first reconciliation found no demand: the pool is down to one node, which runs x.
    expect(gpuCount(pool)).toBe(1);

    // Past reconcileSeconds since the last reconciliation: the evaluation lists the workloads.
    harness.clock.advance(5 * MINUTE);
    const result = await evaluate(pool);
    expect(result.status).toBe('Successful');
    const record = await gpuActivity(pool);
    expect(record?.reasons).toContain(
      `${RECONCILED_REASON}: pending 0 → 16 units, running 8 → 8 units (off by 16 units)`,
    );
    expect((await depthOf(pool))[GPU]).toMatchObject({ pendingUnits: 16, runningUnits: 8 });
    expect(gpuCount(pool)).toBe(3);
    const state = await new ScalerStateRepository(harness.dependencies().store).get(pool);
    expect(state.lastReconciledAt).toBe(harness.clock.now());

    // Events dated after the reconciliation move the counters again.
    harness.clock.advance(MINUTE);
    expect(await harness.deliver([jobEvent('job.finished', pool, 'x', 8, GPU, harness.clock.now())])).toEqual(
      [],
    );
    expect((await depthOf(pool))[GPU]).toMatchObject({ pendingUnits: 16, runningUnits: 0 });
  });
});
