import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GPU, type Harness, NPU, gpuEntry, gpuPolicy, jobEvent, startHarness } from './harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness('scaling');
  await harness.putPolicy(gpuPolicy(harness.pool));
});
afterAll(() => harness?.stop());

describe('event-driven scaling against the simulator', () => {
  it('scales the pool up through a real PATCH when a burst of jobs arrives', async () => {
    const npuBefore = harness.stack
      .simulator!.pool(harness.pool)
      ?.spec?.resources?.find((r) => r.flavor === NPU);
    const burst = Array.from({ length: 10 }, (_, i) => jobEvent('job.submitted', harness.pool, `burst-${i}`));
    expect(await harness.deliver(burst)).toEqual([]);

    expect(harness.patches()).toBe(1);
    // The figures of the dashboard: demand, the decided target and the nodes the GET showed before the PATCH.
    expect(
      harness.telemetry.flavors.filter((f) => f.pool === harness.pool && f.flavor === GPU).at(-1),
    ).toEqual({
      pool: harness.pool,
      flavor: GPU,
      demandUnits: 80,
      targetNodes: 6,
      availableNodes: 2,
      creatingNodes: 0,
    });
    expect(harness.telemetry.depthAges.filter((d) => d.pool === harness.pool).at(-1)).toEqual({
      pool: harness.pool,
      ageSeconds: 0,
    });
    const gpu = gpuEntry(harness);
    // 80 units want 10 nodes; the scale-up policy allows 4 more per minute: 2 → 6.
    expect(gpu.count).toBe(6);
    expect(gpu.azs?.reduce((sum, az) => sum + az.count, 0)).toBe(6);
    // The untouched flavor keeps every field.
    const npuAfter = harness.stack
      .simulator!.pool(harness.pool)
      ?.spec?.resources?.find((r) => r.flavor === NPU);
    expect(npuAfter).toEqual(npuBefore);

    const [activity] = (await harness.activities().listByPool(harness.pool)).filter((a) => a.flavor === GPU);
    expect(activity).toMatchObject({
      status: 'Successful',
      action: 'scale',
      trigger: 'job events',
      before: { count: 2 },
      after: { count: 6 },
      demandUnits: 80,
      httpStatus: 200,
      attempts: 1,
    });
    expect(activity?.reasons.length).toBeGreaterThan(0);
  });

  it('scales down only after the stabilization window once the jobs finish', async () => {
    // Let the new nodes come up, then finish every job.
    harness.clock.advance(150_000);
    const finished = Array.from({ length: 10 }, (_, i) =>
      jobEvent('job.finished', harness.pool, `burst-${i}`),
    );
    await harness.deliver(finished);
    const patchesAfterFinish = harness.patches();
    expect(gpuEntry(harness).count).toBeGreaterThanOrEqual(6);

    // Within the 600 s window the recommendation history still holds the high count.
    harness.clock.advance(300_000);
    await harness.deliver([{ type: 'pool.evaluate', pool: harness.pool, reason: 'test' }]);
    expect(harness.patches()).toBe(patchesAfterFinish);
    // No job event since the last finish: the newest depth update is the 300 s just waited old.
    expect(harness.telemetry.depthAges.filter((d) => d.pool === harness.pool).at(-1)?.ageSeconds).toBe(300);
    expect(
      harness.telemetry.flavors.filter((f) => f.pool === harness.pool && f.flavor === GPU).at(-1),
    ).toMatchObject({ availableNodes: gpuEntry(harness).count, creatingNodes: 0 });

    // Past the window the idle nodes are removed by name (batch-delete), not by a count-lowering PATCH.
    harness.clock.advance(400_000);
    await harness.deliver([{ type: 'pool.evaluate', pool: harness.pool, reason: 'test' }]);
    expect(harness.patches()).toBe(patchesAfterFinish);
    expect(harness.batchDeletes()).toBe(1);
    const gpu = gpuEntry(harness);
    expect(gpu.count).toBeLessThan(6);
    expect(gpu.count).toBeGreaterThanOrEqual(1);
    const latest = (await harness.activities().listByPool(harness.pool, { limit: 5 })).find(
      (a) => a.flavor === GPU,
    );
    expect(latest).toMatchObject({ status: 'Successful', before: { count: 6 }, trigger: 'test' });
    expect(latest?.nodes).toHaveLength(6 - gpu.count);
    expect(harness.stack.simulator!.killedWorkloads(harness.pool)).toBe(0);
  });
});
