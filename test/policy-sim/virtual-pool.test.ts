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

  it('removes creating nodes first, then idle ones, and kills jobs only when it must', () => {
    const p = pool({ 'az-a': 3 });
    const running = [job('a', 8, 1000), job('b', 4, 1000)];
    running.forEach((outcome, index) => p.submit(outcome, index));
    p.place(0);
    p.resize('gpu', { 'az-a': 5 }, 10);
    expect(p.resize('gpu', { 'az-a': 3 }, 20)).toBe(0);
    expect(p.snapshot('gpu').creating['az-a']).toBe(0);
    expect(p.resize('gpu', { 'az-a': 2 }, 30)).toBe(0);
    // Both remaining nodes run a job: the lighter one (b, 4 units) goes, and b is queued again.
    expect(p.resize('gpu', { 'az-a': 1 }, 40)).toBe(1);
    expect(p.preemptedJobs('gpu')).toBe(1);
    expect(running[1]!.preemptions).toBe(1);
    expect(p.snapshot('gpu')).toMatchObject({ pendingUnits: 4, runningUnits: 8 });
    // Node-seconds: the two extra nodes lived 10 s each, the idle original 30 s, the killed one 40 s.
    expect(p.nodeSeconds(40)).toEqual({ gpu: 10 + 10 + 30 + 40 + 40 });
  });

  it('deleting only idle nodes never kills a job and keeps the busy nodes an AZ still has', () => {
    const p = pool({ 'az-a': 3 });
    const running = [job('a', 8, 1000), job('b', 4, 1000)];
    running.forEach((outcome, index) => p.submit(outcome, index));
    p.place(0);
    expect(p.resize('gpu', { 'az-a': 1 }, 10, true)).toBe(0);
    expect(p.snapshot('gpu')).toMatchObject({ nodes: { 'az-a': 2 }, busyNodes: 2, runningUnits: 12 });
    expect(p.preemptedJobs('gpu')).toBe(0);
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
