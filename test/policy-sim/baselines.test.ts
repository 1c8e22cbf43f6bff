import { describe, expect, it } from 'vitest';
import { HpaController } from '../../policy-sim/strategies/hpa-controller';
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

const ZERO_FLAVOR: FlavorSetup = {
  flavor: 'gpu',
  unitsPerNode: 8,
  targetUtilization: 1,
  minCount: 0,
  maxCount: 10,
  azs: ['az-a'],
  azWeights: { 'az-a': 1 },
  reversalWindowS: 300,
};

function view(nodes: number, demandUnits: number): PoolView {
  const snapshot: FlavorSnapshot = {
    nodes: { 'az-a': nodes },
    creating: { 'az-a': 0 },
    available: { 'az-a': nodes },
    pendingUnits: demandUnits,
    runningUnits: 0,
    busyNodes: 0,
  };
  return { flavors: [ZERO_FLAVOR], snapshot: () => snapshot };
}

describe('KedaStrategy (aws-sqs-queue defaults)', () => {
  it('polls every 30 s, wakes a flavor from zero when the queue has messages, and lets its HPA size it', () => {
    const keda = new KedaStrategy([ZERO_FLAVOR]);
    expect(keda.initialNodes).toEqual({ gpu: { 'az-a': 0 } });
    expect(keda.nextWakeAt()).toBe(0);
    const step = keda.evaluate(0, view(0, 40));
    // Activated to 1 by the operator; the HPA then asks for ceil(40 / 8) = 5 within its +4 limit.
    expect(step.resize).toEqual({ gpu: { 'az-a': 5 } });
    expect(keda.nextWakeAt()).toBe(15);
  });

  it('scales to zero only after the 300 s cooldown since the queue was last active', () => {
    const keda = new KedaStrategy([ZERO_FLAVOR]);
    keda.evaluate(0, view(1, 8));
    let scaledToZeroAt: number | undefined;
    for (let t = 15; t <= 600 && scaledToZeroAt === undefined; t += 15) {
      while (keda.nextWakeAt() < t) keda.evaluate(keda.nextWakeAt(), view(1, 0));
      const step = keda.evaluate(t, view(1, 0));
      if (step.resize.gpu?.['az-a'] === 0) scaledToZeroAt = t;
    }
    expect(scaledToZeroAt).toBe(300);
  });
});

describe('StaticStrategy', () => {
  it('starts at the peak, spread over the AZs, and never patches', () => {
    const fixed = new StaticStrategy([{ ...ZERO_FLAVOR, azs: ['a', 'b'], azWeights: { a: 1, b: 1 } }], {
      gpu: 5,
    });
    expect(fixed.initialNodes).toEqual({ gpu: { a: 3, b: 2 } });
    expect(fixed.nextWakeAt()).toBe(Infinity);
    expect(fixed.evaluate()).toEqual({ resize: {}, desired: {}, patched: false });
  });
});
