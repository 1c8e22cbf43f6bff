import { describe, expect, it } from 'vitest';
import { updateAzHealth } from '../../functions/shared/engine/az-backoff';
import { decideFlavor, type FlavorResult } from '../../functions/shared/engine/flavor-decision';
import { emptyFlavorStatus, flavorStatuses } from '../../functions/shared/engine/pool-view';
import { emptyFlavorState } from '../../functions/shared/engine/state';
import type { FlavorOutcome, FlavorScalerState, FlavorTarget } from '../../functions/shared/engine';
import type { PoolResource } from '../../functions/shared/modelarts/schemas';
import { GPU, T0, azs, depth, policy, pool, stuckInB, type PoolOptions } from './fixtures';

interface Setup {
  policy?: Record<string, unknown>;
  flavor?: Record<string, unknown>;
  pool?: PoolOptions;
  state?: Partial<FlavorScalerState>;
  pendingUnits?: number;
}

function run(setup: Setup = {}): FlavorResult {
  const scalingPolicy = policy(setup.policy, setup.flavor);
  const flavor = scalingPolicy.flavors[GPU];
  if (flavor === undefined) throw new Error('no GPU flavor in the policy');
  const scaledPool = pool(setup.pool);
  const status = flavorStatuses(scaledPool).get(GPU) ?? emptyFlavorStatus();
  const state = { ...emptyFlavorState(), ...setup.state };
  return decideFlavor({
    name: GPU,
    policy: scalingPolicy,
    flavor,
    pool: scaledPool,
    entries: scaledPool.spec.resources.filter((resource) => resource.flavor === GPU),
    status,
    depth: depth(setup.pendingUnits ?? 16)[GPU],
    state,
    health: updateAzHealth(state.azs, status, flavor.azBackoff, T0),
    now: T0,
  });
}

const entry = (overrides: Partial<PoolResource> = {}): PoolResource => ({
  flavor: GPU,
  count: 2,
  maxCount: 2,
  ...overrides,
});

interface Expected {
  outcome: FlavorOutcome;
  /** The last reason: what the decision comes to. */
  summary: string;
  target?: FlavorTarget;
  /** Scale recorded in the applied state only. */
  scaled: boolean;
  nextChangeAt?: number;
}

describe('decideFlavor: entry guard, steps, result', () => {
  it.each<[string, Setup, Expected]>([
    [
      'no entry in the pool: reported, never created',
      { pool: { resources: [{ flavor: 'other', count: 1 }] } },
      {
        outcome: 'absent',
        summary: 'flavor is in the policy but not in the pool: not created',
        scaled: false,
      },
    ],
    [
      'entries of several node pools share the flavor: left as they are',
      {
        pool: {
          resources: [entry({ nodePool: 'np-a' }), entry({ nodePool: 'np-b' })],
        },
      },
      {
        outcome: 'skipped',
        summary: '2 entries (node pools) share this flavor: left as they are',
        scaled: false,
      },
    ],
    ['demand met: unchanged', {}, { outcome: 'unchanged', summary: 'unchanged at 2', scaled: false }],
    [
      'scale-up: the target carries count and maxCount',
      { pendingUnits: 40 },
      {
        outcome: 'scale',
        summary: 'scale 2 → 5',
        target: { flavor: GPU, count: 5, maxCount: 5 },
        scaled: true,
      },
    ],
    [
      'scale-up with AZs: the reason lists them',
      { pendingUnits: 32, flavor: { azs: { a: 1, b: 1 } } },
      {
        outcome: 'scale',
        summary: 'scale 2 → 4 (a: 2, b: 2)',
        target: { flavor: GPU, count: 4, maxCount: 4, azs: azs({ a: 2, b: 2 }) },
        scaled: true,
      },
    ],
    [
      'only the placement moves',
      {
        pendingUnits: 32,
        flavor: { azs: { a: 1, b: 1 }, azBackoff: { afterSeconds: 600, durationSeconds: 900 } },
        pool: stuckInB(),
        state: { azs: { b: { troubleSince: T0 - 600_000, lastAvailable: 0 } } },
      },
      {
        outcome: 'scale',
        summary: 'AZ placement changes (a: 4)',
        target: { flavor: GPU, count: 4, maxCount: 4, azs: azs({ a: 4 }) },
        scaled: true,
        nextChangeAt: T0 + 900_000,
      },
    ],
    [
      'cooling down: the entry is held and no scale recorded',
      { pendingUnits: 40, policy: { cooldownSeconds: 60 }, state: { lastScaleAt: T0 - 30_000 } },
      { outcome: 'unchanged', summary: 'unchanged at 2', scaled: false, nextChangeAt: T0 + 30_000 },
    ],
  ])('%s', (_name, setup, expected) => {
    const result = run(setup);
    expect(result.decision.outcome).toBe(expected.outcome);
    expect(result.decision.reasons.at(-1)).toBe(expected.summary);
    expect(result.target).toEqual(expected.target);
    expect(result.nextChangeAt).toBe(expected.nextChangeAt);
    if (expected.scaled) {
      expect(result.applied.lastScaleAt).toBe(T0);
      expect(result.notApplied.lastScaleAt).toBe(setup.state?.lastScaleAt);
    } else {
      expect(result.applied).toEqual(result.notApplied);
    }
  });

  it('records the demand within bounds as the recommendation, applied or not', () => {
    const result = run({ pendingUnits: 1000 });
    expect(result.decision.desired).toBe(16);
    expect(result.notApplied.recommendations).toEqual([{ at: T0, nodes: 16 }]);
    expect(result.applied.recommendations).toEqual([{ at: T0, nodes: 16 }]);
    expect(result.applied.scaleUpEvents).toEqual([{ at: T0, change: 4 }]);
    expect(result.notApplied.scaleUpEvents).toEqual([]);
  });

  it('records no recommendation for a flavor it cannot handle', () => {
    const result = run({ pool: { resources: [] } });
    expect(result.applied.recommendations).toEqual([]);
  });
});
