import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../policy-sim/rng';
import type { FlavorSetup, JobOutcome } from '../../policy-sim/types';
import { VirtualPool } from '../../policy-sim/virtual-pool';

const GPU: FlavorSetup = {
  flavor: 'gpu',
  unitsPerNode: 8,
  targetUtilization: 1,
  minCount: 1,
  maxCount: 10,
  azs: ['az-a', 'az-b'],
  azWeights: { 'az-a': 1, 'az-b': 1 },
  reversalWindowS: 300,
};

function job(jobId: string, units: number, durationS: number, submitS = 0): JobOutcome {
  return { job: { jobId, submitS, flavor: 'gpu', units, durationS }, preemptions: 0 };
}

function pool(initial: Record<string, number>, delayS = 100): VirtualPool {
  return new VirtualPool({ flavors: [GPU], provisionDelayS: () => delayS, initialNodes: { gpu: initial } });
}

describe('VirtualPool', () => {
  it('makes new nodes available after the provisioning delay and bills them from the request', () => {
    const p = pool({ 'az-a': 1 });
    p.resize('gpu', { 'az-b': 2 }, 50);
    expect(p.snapshot('gpu')).toMatchObject({
      creating: { 'az-a': 0, 'az-b': 2 },
      available: { 'az-a': 1, 'az-b': 0 },
    });
    expect(p.nextEventTime()).toBe(150);
    p.advanceTo(150);
    expect(p.snapshot('gpu').available).toEqual({ 'az-a': 1, 'az-b': 2 });
    expect(p.nodeSeconds(200)).toEqual({ gpu: 200 + 150 + 150 });
  });

  it('places jobs first-fit in submit order, letting a later small job use room a larger one cannot', () => {
    const p = pool({ 'az-a': 2 });
    const outcomes = [job('a', 6, 100), job('b', 8, 100), job('c', 4, 100), job('d', 2, 100)];
    outcomes.forEach((outcome, index) => p.submit(outcome, index));
    p.place(0);
    // a takes 6 of node 1, b all of node 2, c does not fit (2 left on node 1), d takes the last 2 of node 1.
    expect(outcomes.map((outcome) => outcome.startS)).toEqual([0, 0, undefined, 0]);
    expect(p.snapshot('gpu')).toMatchObject({ pendingUnits: 4, runningUnits: 16, busyNodes: 2 });
    p.advanceTo(100);
    expect(outcomes[2]!.startS).toBe(100);
    expect(outcomes[0]!.finishS).toBe(100);
  });

  it('runs a multi-node job only on whole free nodes', () => {
    // A 1-unit job is placed first on part of a node; the 16-unit job then needs two other whole nodes.
    function placeAfterSmallJob(nodes: number): { p: VirtualPool; large: JobOutcome } {
      const p = pool({ 'az-a': nodes });
      const large = job('large', 16, 50);
      p.submit(job('small', 1, 50), 0);
      p.submit(large, 1);
      p.place(0);
      return { p, large };
    }
    expect(placeAfterSmallJob(3).large.startS).toBe(0);
    const { p, large } = placeAfterSmallJob(2);
    expect(large.startS).toBeUndefined();
    p.advanceTo(50);
    expect(large.startS).toBe(50);
  });

  it('lowers a count as the service does: creating nodes first, then the newest available, busy or not', () => {
    const p = pool({ 'az-a': 2 });
    const running = [job('a', 8, 10), job('b', 8, 1000)];
    running.forEach((outcome, index) => p.submit(outcome, index));
    p.place(0);
    p.advanceTo(10);
    // a ended: node-00000 is idle, node-00001 runs b. Two more nodes are asked for, then the count goes back.
    p.resize('gpu', { 'az-a': 4 }, 20);
    expect(p.resize('gpu', { 'az-a': 2 }, 30)).toBe(0);
    expect(p.snapshot('gpu')).toMatchObject({ creating: { 'az-a': 0 }, available: { 'az-a': 2 } });
    // The newest available node goes although it runs b and an older one is idle: b is killed and queued again.
    expect(p.resize('gpu', { 'az-a': 1 }, 40)).toBe(1);
    expect(p.nodeNames('gpu')).toEqual(['node-00000']);
    expect(p.preemptedJobs('gpu')).toBe(1);
    expect(running[1]!.preemptions).toBe(1);
    expect(p.snapshot('gpu')).toMatchObject({ pendingUnits: 8, runningUnits: 0 });
    p.place(40);
    expect(p.snapshot('gpu')).toMatchObject({ pendingUnits: 0, runningUnits: 8 });
    // Node-seconds: the two extra nodes lived 10 s each, the killed node 40 s, the one left 40 s.
    expect(p.nodeSeconds(40)).toEqual({ gpu: 10 + 10 + 40 + 40 });
  });

  it('shows its occupancy as the nodes and workloads listings do', () => {
    const p = new VirtualPool({
      flavors: [GPU],
      provisionDelayS: () => 100,
      initialNodes: { gpu: { 'az-a': 2 } },
      startEpochMs: 1_000_000,
    });
    const outcomes = [
      job('a', 1, 500),
      job('b', 8, 500),
      job('c', 8, 500),
      job('d', 16, 500),
      job('e', 2, 500),
    ];
    outcomes.forEach((outcome, index) => p.submit(outcome, index));
    p.place(0);
    p.resize('gpu', { 'az-b': 1 }, 30);
    // a and e share node-00000, b fills node-00001; c (8) and d (16, two whole nodes) wait, in queue order.
    expect(p.occupancy()).toEqual({
      nodes: [
        {
          name: 'node-00000',
          flavor: 'gpu',
          az: 'az-a',
          phase: 'Available',
          prepaid: false,
          locked: false,
          labels: {},
          acceleratorsTotal: 8,
          acceleratorsFree: 5,
          busy: true,
          createdAt: 1_000_000,
        },
        expect.objectContaining({ name: 'node-00001', acceleratorsFree: 0, busy: true }),
        expect.objectContaining({
          name: 'node-00002',
          az: 'az-b',
          phase: 'Creating',
          acceleratorsFree: 8,
          busy: false,
          createdAt: 1_030_000,
        }),
      ],
      pending: { gpu: [{ units: 8 }, { units: 16, nodes: 2 }] },
      pendingKnown: true,
    });
    expect(p.snapshot('gpu')).toMatchObject({ pendingWorkers: 3, runningWorkers: 3 });
    p.advanceTo(130);
    // node-00002 is up and c takes it; d still needs two whole free nodes.
    expect(p.occupancy().nodes[2]).toMatchObject({ phase: 'Available', acceleratorsFree: 0, busy: true });
    expect(p.occupancy().pending).toEqual({ gpu: [{ units: 16, nodes: 2 }] });
  });

  it('removes nodes by name: an idle one kills nothing, a busy one kills its jobs, an unknown name is ignored', () => {
    const p = pool({ 'az-a': 3 });
    const running = [job('a', 8, 1000), job('b', 16, 1000)];
    p.submit(running[0]!, 0);
    p.place(0);
    expect(p.deleteNodes(['node-00002', 'node-99999'], 10)).toBe(0);
    expect(p.nodeNames('gpu')).toEqual(['node-00000', 'node-00001']);
    p.submit(running[1]!, 1);
    p.resize('gpu', { 'az-a': 3 }, 20);
    p.advanceTo(120);
    // b spans node-00001 and the new node-00003: removing one of them kills b once, on both.
    expect(p.occupancy().nodes.map((node) => [node.name, node.busy])).toEqual([
      ['node-00000', true],
      ['node-00001', true],
      ['node-00003', true],
    ]);
    expect(p.deleteNodes(['node-00003'], 130)).toBe(1);
    expect(p.preemptedJobs('gpu')).toBe(1);
    expect(running[1]!.preemptions).toBe(1);
    expect(p.snapshot('gpu')).toMatchObject({ busyNodes: 1, runningUnits: 8, pendingUnits: 16 });
    expect(p.occupancy().nodes[1]).toMatchObject({ name: 'node-00001', acceleratorsFree: 8, busy: false });
    expect(p.nodeSeconds(130)).toEqual({ gpu: 130 + 130 + 10 + 110 });
  });

  it('draws jitter from the seeded source, within bounds, the same way every time', () => {
    const readyTimes = (seed: number): number[] => {
      const p = new VirtualPool({
        flavors: [GPU],
        provisionDelayS: () => 300,
        jitterS: 30,
        random: seededRandom(seed),
        initialNodes: { gpu: { 'az-a': 1 } },
      });
      p.resize('gpu', { 'az-a': 9 }, 0);
      const times: number[] = [];
      for (let t = p.nextEventTime(); t !== undefined; t = p.nextEventTime()) {
        times.push(t);
        p.advanceTo(t);
      }
      return times;
    };
    const first = readyTimes(7);
    expect(first).toHaveLength(8);
    for (const t of first) {
      expect(t).toBeGreaterThanOrEqual(270);
      expect(t).toBeLessThanOrEqual(330);
    }
    expect(readyTimes(7)).toEqual(first);
    expect(readyTimes(8)).not.toEqual(first);
  });
});
