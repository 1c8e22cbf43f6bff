import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from '../../functions/shared/modelarts';
import type { FlavorSetup } from '../../policy-sim/types';
import { type PoolMirror, startPoolMirror } from '../../local/pool-mirror';
import { anchoredNow } from '../clock-anchor';

const GPU = 'modelarts.vm.gpu.8v100';
const NPU = 'modelarts.vm.npu.8snt9b';

const setup = (flavor: string): FlavorSetup => ({
  flavor,
  unitsPerNode: 8,
  targetUtilization: 1,
  minCount: 1,
  maxCount: 8,
  azs: ['cn-north-4a'],
  azWeights: { 'cn-north-4a': 1 },
  reversalWindowS: 300,
});

/** A real pool as GET returns it, with `available` nodes per flavor over two AZs and one more creating. */
function realPool(available: Record<string, number>): Pool {
  const entries = Object.entries(available).filter(([, count]) => count > 0);
  return {
    kind: 'Pool',
    apiVersion: 'v2',
    metadata: { name: `pool-real-${'0'.repeat(32)}` },
    spec: {
      type: 'Dedicate',
      scope: ['Train'],
      resources: Object.keys(available).map((flavor) => ({ flavor, count: (available[flavor] ?? 0) + 1 })),
    },
    status: {
      phase: 'Running',
      resources: {
        available: entries.map(([flavor, count]) => ({
          flavor,
          count,
          azs: [
            { az: 'cn-north-4a', count: Math.ceil(count / 2) },
            { az: 'cn-north-4b', count: Math.floor(count / 2) },
          ].filter((az) => az.count > 0),
        })),
        creating: Object.keys(available).map((flavor) => ({ flavor, count: 1 })),
      },
    },
  } as Pool;
}

let mirror: PoolMirror | undefined;
afterEach(async () => {
  await mirror?.close();
  mirror = undefined;
});

function availableNodes(m: PoolMirror, flavor: string): number {
  return m.simulator
    .nodes(m.pool)
    .filter((node) => node.spec.flavor === flavor && node.status.phase === 'Available').length;
}

describe("the local mirror of a real pool's available nodes (--endpoint)", () => {
  it('has as many available nodes per flavor as the real pool, none included, failing the jobs on removed nodes', async () => {
    let now = anchoredNow();
    mirror = await startPoolMirror({ setups: [setup(GPU), setup(NPU)], flavors: {}, now: () => now });
    const m = mirror;
    expect([availableNodes(m, GPU), availableNodes(m, NPU)]).toEqual([0, 0]);
    const a = m.simulator.submitWorkload(m.pool, { flavor: GPU, accelerators: 8 });
    const b = m.simulator.submitWorkload(m.pool, { flavor: GPU, accelerators: 8 });
    expect(m.simulator.workloads(m.pool).map((w) => w.status)).toEqual(['Queue', 'Queue']);

    m.follow(realPool({ [GPU]: 2, [NPU]: 1 }));
    expect([availableNodes(m, GPU), availableNodes(m, NPU)]).toEqual([2, 1]);
    expect(m.simulator.workloads(m.pool).map((w) => w.status)).toEqual(['Running', 'Running']);

    now += 1000;
    m.follow(realPool({ [GPU]: 1, [NPU]: 1 }));
    expect(availableNodes(m, GPU)).toBe(1);
    expect(m.simulator.killedWorkloads(m.pool)).toBe(1);

    now += 1000;
    m.follow(realPool({ [GPU]: 0, [NPU]: 3 }));
    expect([availableNodes(m, GPU), availableNodes(m, NPU)]).toEqual([0, 3]);
    expect(m.simulator.killedWorkloads(m.pool)).toBe(2);
    expect(m.simulator.workloads(m.pool).map((w) => [w.uid, w.status])).toEqual([
      [a.uid, 'Failed'],
      [b.uid, 'Failed'],
    ]);

    now += 1000;
    m.follow(realPool({ [GPU]: 3, [NPU]: 3 }));
    expect([availableNodes(m, GPU), availableNodes(m, NPU)]).toEqual([3, 3]);
    // The mirror is never reached over HTTP: only the autoscaler's pool is.
    expect(m.simulator.requestLog).toEqual([]);
  });
});
