import { describe, expect, it } from 'vitest';
import type { NodeOccupancy } from '../../functions/shared/engine';
import { ClusterAutoscalerStrategy } from '../../policy-sim/strategies/cluster-autoscaler';
import { HpaStrategy } from '../../policy-sim/strategies/hpa';
import { HpaController } from '../../policy-sim/strategies/hpa-controller';
import { IdleReferenceStrategy } from '../../policy-sim/strategies/idle-reference';
import { KedaStrategy } from '../../policy-sim/strategies/keda';
import { StaticStrategy } from '../../policy-sim/strategies/static';
import type { PoolView } from '../../policy-sim/strategies/strategy';
import type { FlavorSetup } from '../../policy-sim/types';
import type { FlavorSnapshot } from '../../policy-sim/virtual-pool';

describe('HpaController (Kubernetes defaults)', () => {
  it.each([
    ['inside the 10 % tolerance: no change', 10, 84, 10],
    ['just outside the tolerance: ceil(metric / target)', 10, 89, 12],
    ['scale-up limited to max(100 %, +4) per 15 s', 2, 200, 6],
    ['scale-up limited by 100 % when that is more', 10, 400, 20],
    ['never above maxReplicas', 30, 1000, 40],
  ])('%s', (_name, current, metric, expected) => {
    const hpa = new HpaController({ minReplicas: 1, maxReplicas: 40 });
    expect(hpa.reconcile(0, current, metric, 8)).toBe(expected);
  });

  it('counts earlier scale-ups of the period against the rate limit', () => {
    const hpa = new HpaController({ minReplicas: 1, maxReplicas: 100 });
    expect(hpa.reconcile(0, 2, 800, 8)).toBe(6);
    // 5 s later the period (15 s) still started at 2 replicas: max(2 x 2, 2 + 4) = 6, no further growth.
    expect(hpa.reconcile(5, 6, 800, 8)).toBe(6);
    expect(hpa.reconcile(15, 6, 800, 8)).toBe(12);
  });

  it('holds a scale-down for the 300 s stabilization window, then drops at once (100 % per 15 s)', () => {
    const hpa = new HpaController({ minReplicas: 1, maxReplicas: 40 });
    expect(hpa.reconcile(0, 10, 80, 8)).toBe(10);
    for (let t = 15; t < 300; t += 15) expect(hpa.reconcile(t, 10, 8, 8)).toBe(10);
    expect(hpa.reconcile(300, 10, 8, 8)).toBe(1);
  });

  it("leaves a target at zero replicas alone: waking it is KEDA's job", () => {
    const hpa = new HpaController({ minReplicas: 1, maxReplicas: 10 });
    expect(hpa.reconcile(0, 0, 100, 8)).toBe(0);
  });
});

const GPU: FlavorSetup = {
  flavor: 'gpu',
  unitsPerNode: 8,
  targetUtilization: 1,
  minCount: 1,
  maxCount: 10,
  azs: ['az-a'],
  azWeights: { 'az-a': 1 },
  reversalWindowS: 300,
};
const ZERO_FLAVOR: FlavorSetup = { ...GPU, minCount: 0 };

interface ViewInput {
  /** Nodes as `[free units, phase]`, named node-0, node-1, ... in that order; a node with used units is busy. */
  nodes?: ReadonlyArray<readonly [number, NodeOccupancy['phase']]>;
  /** Queued jobs' units, in queue order. */
  queued?: readonly number[];
  /** Running jobs' units. */
  running?: readonly number[];
}

/** One flavor's pool as a strategy sees it, counts and occupancy from the same nodes and jobs. */
function view(setup: FlavorSetup, input: ViewInput): PoolView {
  const { unitsPerNode } = setup;
  const nodes: NodeOccupancy[] = (input.nodes ?? []).map(([free, phase], index) => ({
    name: `node-${index}`,
    flavor: setup.flavor,
    az: 'az-a',
    phase,
    prepaid: false,
    locked: false,
    labels: {},
    acceleratorsTotal: unitsPerNode,
    acceleratorsFree: free,
    busy: phase === 'Available' && free < unitsPerNode,
  }));
  const workers = (units: number) => (units > unitsPerNode ? Math.ceil(units / unitsPerNode) : 1);
  const queued = input.queued ?? [];
  const running = input.running ?? [];
  const available = nodes.filter((node) => node.phase === 'Available').length;
  const snapshot: FlavorSnapshot = {
    nodes: { 'az-a': nodes.length },
    creating: { 'az-a': nodes.length - available },
    available: { 'az-a': available },
    pendingUnits: queued.reduce((sum, units) => sum + units, 0),
    runningUnits: running.reduce((sum, units) => sum + units, 0),
    pendingWorkers: queued.reduce((sum, units) => sum + workers(units), 0),
    runningWorkers: running.reduce((sum, units) => sum + workers(units), 0),
    busyNodes: nodes.filter((node) => node.busy).length,
  };
  const pending = queued.map((units) => (workers(units) > 1 ? { units, nodes: workers(units) } : { units }));
  return {
    flavors: [setup],
    snapshot: () => snapshot,
    occupancy: () => ({ nodes, pending: { [setup.flavor]: pending }, pendingKnown: true }),
  };
}

const idle = (count: number) => Array.from({ length: count }, () => [8, 'Available'] as const);

describe('HpaStrategy: the external metric is the demand in units, one node per unitsPerNode', () => {
  it.each([
    ['eight 1-unit jobs fill one node', { nodes: idle(1), running: [1, 1, 1, 1, 1, 1, 1, 1] }, undefined],
    ['three whole-node jobs: 3 nodes', { nodes: idle(1), queued: [8, 8], running: [8] }, 3],
    ['a 32-unit job: 4 nodes', { nodes: idle(1), queued: [32] }, 4],
    ['scale-up limited to +4 per 15 s', { nodes: idle(1), queued: [8, 8, 8, 8, 8, 8] }, 5],
  ] as const)('%s', (_name, input, nodes) => {
    const hpa = new HpaStrategy([GPU]);
    const step = hpa.evaluate(0, view(GPU, input));
    expect(step.resize.gpu?.['az-a']).toBe(nodes);
    expect(step.patches).toBe(nodes === undefined ? 0 : 1);
    expect(hpa.nextWakeAt()).toBe(15);
  });

  it('lowers the count by PATCH after its 300 s window: the service picks the nodes', () => {
    const hpa = new HpaStrategy([GPU]);
    const nodes = [...idle(2), [0, 'Available'] as const];
    expect(hpa.evaluate(0, view(GPU, { nodes, running: [8, 8, 8] })).patches).toBe(0);
    const quiet = view(GPU, { nodes, running: [8] });
    for (let t = 15; t < 300; t += 15) expect(hpa.evaluate(t, quiet).patches).toBe(0);
    const step = hpa.evaluate(300, quiet);
    expect(step).toMatchObject({ resize: { gpu: { 'az-a': 1 } }, removeNodes: [], patches: 1 });
  });
});

describe('KedaStrategy: the SQS queue counts messages, one per job worker, one node per message', () => {
  it.each([
    ['eight 1-unit jobs: a node each', { nodes: idle(1), running: [1, 1, 1, 1, 1, 1, 1, 1] }, 5],
    ['two whole-node jobs: 2 nodes', { nodes: idle(1), queued: [8], running: [8] }, 2],
    ['a 32-unit job is 4 workers: 4 nodes', { nodes: idle(1), queued: [32] }, 4],
    ['nothing queued or running: minCount', { nodes: idle(1) }, undefined],
  ] as const)('%s', (_name, input, nodes) => {
    const keda = new KedaStrategy([GPU]);
    // The HPA's +4 per 15 s limit holds the first step to 5 nodes.
    const step = keda.evaluate(0, view(GPU, input));
    expect(step.resize.gpu?.['az-a']).toBe(nodes);
  });

  it('polls every 30 s, wakes a flavor from zero when the queue has messages, and lets its HPA size it', () => {
    const keda = new KedaStrategy([ZERO_FLAVOR]);
    expect(keda.initialNodes).toEqual({ gpu: { 'az-a': 0 } });
    expect(keda.nextWakeAt()).toBe(0);
    const step = keda.evaluate(0, view(ZERO_FLAVOR, { queued: [8, 8, 8] }));
    // Activated to 1 by the operator (one request), then its HPA asks for 3 messages / 1 = 3 (another).
    expect(step.resize).toEqual({ gpu: { 'az-a': 3 } });
    expect(step.patches).toBe(2);
    expect(keda.nextWakeAt()).toBe(15);
    expect(keda.evaluate(15, view(ZERO_FLAVOR, { nodes: idle(3), queued: [8, 8, 8] })).patches).toBe(0);
    expect(keda.nextWakeAt()).toBe(30);
  });

  it('scales to zero only after the 300 s cooldown since the queue was last active', () => {
    const keda = new KedaStrategy([ZERO_FLAVOR]);
    keda.evaluate(0, view(ZERO_FLAVOR, { nodes: [[0, 'Available']], running: [8] }));
    let scaledToZeroAt: number | undefined;
    for (let t = keda.nextWakeAt(); t <= 600 && scaledToZeroAt === undefined; t = keda.nextWakeAt()) {
      const step = keda.evaluate(t, view(ZERO_FLAVOR, { nodes: idle(1) }));
      if (step.resize.gpu?.['az-a'] === 0) scaledToZeroAt = t;
    }
    expect(scaledToZeroAt).toBe(300);
  });
});

describe('ClusterAutoscalerStrategy: scale-up for unschedulable jobs, removal of empty nodes by name', () => {
  it.each([
    [
      'jobs that fit on the free units of available nodes: none',
      { nodes: [[4, 'Available']], queued: [2, 2] },
      0,
    ],
    [
      'jobs that fit on a node still creating: none',
      {
        nodes: [
          [0, 'Available'],
          [8, 'Creating'],
        ],
        queued: [4, 4],
      },
      0,
    ],
    [
      '1-unit jobs bin-packed: 9 jobs on 2 new nodes',
      { nodes: [[0, 'Available']], queued: [1, 1, 1, 1, 1, 1, 1, 1, 1] },
      2,
    ],
    [
      'largest first: 6, 4, 4, 2 need 2 new nodes (3 in queue order)',
      { nodes: [[0, 'Available']], queued: [4, 6, 2, 4] },
      2,
    ],
    ['a 16-unit job: 2 whole new nodes', { nodes: [[2, 'Available']], queued: [16] }, 2],
    ['never above maxCount', { nodes: [[0, 'Available']], queued: Array.from({ length: 12 }, () => 8) }, 9],
  ] as const)('%s', (_name, input, newNodes) => {
    const ca = new ClusterAutoscalerStrategy([GPU]);
    const step = ca.evaluate(0, view(GPU, input));
    const current = input.nodes.length;
    expect(step.resize.gpu?.['az-a'] ?? current).toBe(current + newNodes);
    expect(step.patches).toBe(newNodes > 0 ? 1 : 0);
    expect(ca.nextWakeAt()).toBe(10);
  });

  it('grows one flavor per scan: the one whose new nodes place the most jobs', () => {
    const npu: FlavorSetup = { ...GPU, flavor: 'npu' };
    const gpuView = view(GPU, { nodes: [[0, 'Available']], queued: [8] });
    const npuView = view(npu, { nodes: [[0, 'Available']], queued: [1, 1] });
    const both: PoolView = {
      flavors: [GPU, npu],
      snapshot: (flavor) => (flavor === 'gpu' ? gpuView : npuView).snapshot(flavor),
      occupancy: () => ({
        nodes: [
          ...gpuView.occupancy().nodes,
          ...npuView.occupancy().nodes.map((node) => ({ ...node, name: `n-${node.name}` })),
        ],
        pending: { ...gpuView.occupancy().pending, ...npuView.occupancy().pending },
        pendingKnown: true,
      }),
    };
    const step = new ClusterAutoscalerStrategy([GPU, npu]).evaluate(0, both);
    expect(step.resize).toEqual({ npu: { 'az-a': 2 } });
    expect(step.desired).toEqual({ gpu: 2, npu: 2 });
  });

  it('removes only nodes empty for 10 minutes, by name, not below minCount, and none within 10 minutes of a scale-up', () => {
    const ca = new ClusterAutoscalerStrategy([GPU]);
    const growing = view(GPU, { nodes: [[0, 'Available']], queued: [8] });
    expect(ca.evaluate(0, growing).patches).toBe(1);
    // From 10 s on: node-0 busy, node-1 and node-2 empty, node-3 still creating.
    const quiet = view(GPU, { nodes: [[0, 'Available'], ...idle(2), [8, 'Creating']], running: [8] });
    const removals: Array<[number, string[]]> = [];
    for (let t = 10; t <= 700; t = ca.nextWakeAt()) {
      const step = ca.evaluate(t, quiet);
      expect(step.patches).toBe(0);
      if (step.removeNodes.length > 0) removals.push([t, step.removeNodes]);
    }
    // Empty since 10 s: unneeded at 610 s, after the 600 s delay that followed the scale-up at 0.
    expect(removals[0]).toEqual([610, ['node-1', 'node-2']]);
    const atMin = view(GPU, { nodes: idle(1) });
    expect(ca.evaluate(2000, atMin).removeNodes).toEqual([]);
  });
});

describe('IdleReferenceStrategy: new nodes for unschedulable jobs at once, idle nodes removed after their idle time', () => {
  const reference = (name: 'idle-0' | 'idle-300' | 'idle-900') =>
    new IdleReferenceStrategy({ name, flavors: [GPU], eventLatencySeconds: 1 });

  it('evaluates one event latency after job events, and not before', () => {
    const idle300 = reference('idle-300');
    expect(idle300.nextWakeAt()).toBe(Infinity);
    idle300.onJobEvents(40);
    idle300.onJobEvents(40.5);
    expect(idle300.nextWakeAt()).toBe(41);
    idle300.evaluate(41, view(GPU, { nodes: [[0, 'Available']], running: [8] }));
    expect(idle300.nextWakeAt()).toBe(Infinity);
  });

  it.each([
    [
      'jobs that fit on free units or coming nodes: none',
      {
        nodes: [
          [4, 'Available'],
          [8, 'Creating'],
        ],
        queued: [4, 8],
      },
      0,
    ],
    [
      '1-unit jobs bin-packed: 9 jobs on 2 new nodes',
      { nodes: [[0, 'Available']], queued: [1, 1, 1, 1, 1, 1, 1, 1, 1] },
      2,
    ],
    ['a 16-unit job: 2 whole new nodes', { nodes: [[2, 'Available']], queued: [16] }, 2],
    ['never above maxCount', { nodes: [[0, 'Available']], queued: Array.from({ length: 12 }, () => 8) }, 9],
  ] as const)('scale-up: %s', (_name, input, newNodes) => {
    const step = reference('idle-0').evaluate(1, view(GPU, input));
    expect(step.resize.gpu?.['az-a'] ?? input.nodes.length).toBe(input.nodes.length + newNodes);
    expect(step.patches).toBe(newNodes > 0 ? 1 : 0);
    expect(step.removeNodes).toEqual([]);
  });

  it('removes every node idle for its idle time in one batch-delete, wakes when the next one will be, never below minCount', () => {
    const idle300 = reference('idle-300');
    const quiet = view(GPU, { nodes: [[0, 'Available'], ...idle(2), [8, 'Creating']], running: [8] });
    const first = idle300.evaluate(100, quiet);
    expect(first.removeNodes).toEqual([]);
    expect(idle300.nextWakeAt()).toBe(400);
    const due = idle300.evaluate(400, quiet);
    expect(due.removeNodes).toEqual(['node-1', 'node-2']);
    expect(due.batchDeletes).toBe(1);
    const atMin = view(GPU, { nodes: idle(1) });
    expect(reference('idle-0').evaluate(1, atMin).removeNodes).toEqual([]);
  });

  it('forgets a node that runs a job again: its idle time starts over', () => {
    const idle300 = reference('idle-300');
    idle300.evaluate(0, view(GPU, { nodes: idle(2) }));
    idle300.evaluate(
      200,
      view(GPU, {
        nodes: [
          [7, 'Available'],
          [8, 'Available'],
        ],
        running: [1],
      }),
    );
    // node-1 stayed idle since 0: due at 300; node-0 ran a job until 300: due at 600.
    expect(idle300.evaluate(300, view(GPU, { nodes: idle(2) })).removeNodes).toEqual(['node-1']);
    expect(idle300.nextWakeAt()).toBe(600);
  });

  it('keeps an idle node a queued multi-node job is placed on while it waits for the rest', () => {
    const step = reference('idle-0').evaluate(
      1,
      view(GPU, { nodes: [...idle(2), [8, 'Creating']], queued: [24] }),
    );
    expect(step.removeNodes).toEqual([]);
    expect(step.patches).toBe(0);
  });
});

describe('StaticStrategy', () => {
  it('starts at the peak, spread over the AZs, and never patches', () => {
    const fixed = new StaticStrategy([{ ...ZERO_FLAVOR, azs: ['a', 'b'], azWeights: { a: 1, b: 1 } }], {
      gpu: 5,
    });
    expect(fixed.initialNodes).toEqual({ gpu: { a: 3, b: 2 } });
    expect(fixed.nextWakeAt()).toBe(Infinity);
    expect(fixed.evaluate()).toEqual({
      resize: {},
      removeNodes: [],
      desired: {},
      patches: 0,
      batchDeletes: 0,
      decisions: {},
    });
  });
});
