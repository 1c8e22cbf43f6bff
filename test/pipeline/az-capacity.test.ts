import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activity } from '../../functions/shared/store/activity-repository';
import { GPU, type Harness, gpuEntry, gpuPolicy, jobEvent, startHarness } from './harness';

/*
 * An AZ out of capacity, end to end: the simulator finds no room for new nodes in cn-north-4a, they stay
 * creating; the pipeline backs the AZ off across evaluations, steers the stuck node to the other AZ within the
 * policy's weights, says why in its activities, and places new nodes in the AZ again once the back-off ends.
 */

const A = 'cn-north-4a';
const B = 'cn-north-4b';
const MINUTE = 60_000;

let harness: Harness;
beforeAll(async () => {
  // Room for the one GPU node cn-north-4a already has, and no more.
  harness = await startHarness('az-capacity', { azCapacity: { [A]: { [GPU]: 1 } } });
});
afterAll(() => harness?.stop());

function policy(): Record<string, unknown> {
  const base = gpuPolicy(harness.pool, { cooldownSeconds: 0 });
  const flavors = base.flavors as Record<string, Record<string, unknown>>;
  return {
    ...base,
    flavors: {
      [GPU]: {
        ...flavors[GPU],
        azs: { [A]: 1, [B]: 1 },
        azBackoff: { afterSeconds: 120, durationSeconds: 600 },
      },
    },
  };
}

const azCounts = () => Object.fromEntries((gpuEntry(harness).azs ?? []).map((az) => [az.az, az.count]));

async function sweep(): Promise<Activity | undefined> {
  await harness.deliver([{ type: 'pool.evaluate', pool: harness.pool, reason: 'sweep' }]);
  const records = await harness.activities().listByPool(harness.pool, { limit: 3 });
  return records.find((record) => record.flavor === GPU);
}

describe('an AZ out of capacity', () => {
  it('is backed off, its stuck node steered to the other AZ, and used again once the back-off ends', async () => {
    const simulator = harness.stack.simulator!;
    await harness.putPolicy(policy());
    const jobs = ['a', 'b', 'c', 'd'].map((id) => jobEvent('job.submitted', harness.pool, id, 8));
    expect(await harness.deliver(jobs)).toEqual([]);
    // Four nodes by weight: two per AZ; the second of cn-north-4a finds no capacity.
    expect(azCounts()).toEqual({ [A]: 2, [B]: 2 });

    // Nodes still creating hold every change; the AZ has been in trouble since this sweep.
    harness.clock.advance(MINUTE);
    expect((await sweep())?.status).toBe('Skipped');
    // cn-north-4b's node came up, cn-north-4a's did not: past afterSeconds the AZ backs off.
    harness.clock.advance(2 * MINUTE + 1_000);
    const steered = await sweep();
    expect(steered?.status).toBe('Successful');
    expect(steered?.reasons.join(' | ')).toContain(`AZ ${A} backed off for 600 s`);
    expect(steered?.reasons.join(' | ')).toContain(
      `steering around backed-off AZ ${A}: 1 stuck node placed in other AZs`,
    );
    expect(azCounts()).toEqual({ [A]: 1, [B]: 3 });

    // While backed off, new demand goes to cn-north-4b only.
    harness.clock.advance(3 * MINUTE);
    expect(await harness.deliver([jobEvent('job.submitted', harness.pool, 'e', 8)])).toEqual([]);
    expect(azCounts()).toEqual({ [A]: 1, [B]: 4 });

    // Capacity is back and the back-off has run out: new nodes go to cn-north-4a again, by weight.
    simulator.setCapacity(undefined);
    harness.clock.advance(10 * MINUTE);
    await sweep();
    expect(
      await harness.deliver(['f', 'g', 'h'].map((id) => jobEvent('job.submitted', harness.pool, id, 8))),
    ).toEqual([]);
    const back = azCounts();
    expect(back[A]).toBeGreaterThan(1);
    expect((back[A] ?? 0) + (back[B] ?? 0)).toBe(8);
    expect(simulator.killedWorkloads(harness.pool)).toBe(0);
  });
});
