import { describe, expect, it } from 'vitest';
import { updateAzHealth } from '../../functions/shared/engine/az-backoff';
import { flavorContext } from '../../functions/shared/engine/flavor-decision';
import {
  FLAVOR_STEPS,
  azPlacement,
  backWithinBounds,
  cooldown,
  creatingStepMultiple,
  demandNodes,
  demandWithinBounds,
  hpaBehavior,
  initialProposal,
  outsideBoundsHoldsEntry,
  proposeFlavor,
  runningJobsFloor,
  scheduledBounds,
  sizeByPoolType,
  warmUp,
  type FlavorContext,
  type FlavorProposal,
  type FlavorStep,
} from '../../functions/shared/engine/flavor-steps';
import { emptyFlavorStatus, flavorStatuses } from '../../functions/shared/engine/pool-view';
import { emptyFlavorState } from '../../functions/shared/engine/state';
import type { FlavorDepth, FlavorScalerState, FlavorSize } from '../../functions/shared/engine';
import type { PoolResource } from '../../functions/shared/modelarts/schemas';
import { GPU, T0, azs, depth, policy, pool, stuckInB, type PoolOptions } from './fixtures';

/** One flavor as the steps see it: the GPU entry of the fixture pool (4 nodes of 8 units, bounds 1..16). */
interface Setup {
  policy?: Record<string, unknown>;
  flavor?: Record<string, unknown>;
  entry?: Partial<PoolResource>;
  pool?: Omit<PoolOptions, 'resources'>;
  /** Depth per flavor, as `depth()` of the fixtures builds it; null: none reported. */
  depth?: Record<string, FlavorDepth> | null;
  state?: Partial<FlavorScalerState>;
  now?: number;
}

function context(setup: Setup = {}): FlavorContext {
  const now = setup.now ?? T0;
  const scalingPolicy = policy(setup.policy, setup.flavor);
  const flavor = scalingPolicy.flavors[GPU];
  if (flavor === undefined) throw new Error('no GPU flavor in the policy');
  const entry: PoolResource = { flavor: GPU, count: 4, maxCount: 4, ...setup.entry };
  const scaledPool = pool({ ...setup.pool, resources: [entry] });
  const status = flavorStatuses(scaledPool).get(GPU) ?? emptyFlavorStatus();
  const state = { ...emptyFlavorState(), ...setup.state };
  return flavorContext(
    {
      name: GPU,
      policy: scalingPolicy,
      flavor,
      pool: scaledPool,
      entries: [entry],
      status,
      depth: setup.depth === null ? undefined : (setup.depth ?? depth(32))[GPU],
      state,
      health: updateAzHealth(state.azs, status, flavor.azBackoff, now),
      now,
    },
    entry,
  );
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const field of Object.values(value)) deepFreeze(field);
  }
  return value;
}

/** What a step is expected to add: the count and hold it leaves, the reasons and times it appends. */
interface Expected {
  target: number;
  hold?: 'entry';
  reasons: string[];
  desired?: number;
  after?: FlavorSize;
  changesAt?: number[];
}

type Row = [name: string, setup: Setup, given: Partial<FlavorProposal>, expected: Expected];

/** One table per step: each row runs the step alone on a frozen context and proposal. */
function table(step: FlavorStep, rows: Row[]) {
  describe(step.name, () => {
    it.each(rows)('%s', (_name, setup, given, expected) => {
      const ctx = deepFreeze(context(setup));
      const before = deepFreeze({ ...initialProposal(ctx), reasons: ['earlier reason'], ...given });
      const after = step(ctx, before);
      expect({
        target: after.target,
        hold: after.hold,
        reasons: after.reasons.slice(before.reasons.length),
      }).toEqual({ target: expected.target, hold: expected.hold, reasons: expected.reasons });
      expect(after.reasons.slice(0, before.reasons.length)).toEqual(before.reasons);
      if (expected.desired !== undefined) expect(after.desired).toBe(expected.desired);
      if (expected.after !== undefined) expect(after.after).toEqual(expected.after);
      if (expected.changesAt !== undefined) {
        expect(after.changesAt.slice(before.changesAt.length)).toEqual(expected.changesAt);
      }
    });
  });
}

const HOUR = 3_600_000;

describe('FLAVOR_STEPS', () => {
  it('runs the rules in this order', () => {
    expect(FLAVOR_STEPS.map((step) => step.name)).toEqual([
      'scheduledBounds',
      'demandNodes',
      'queuedJobShapes',
      'arrivalHeadroom',
      'demandWithinBounds',
      'hpaBehavior',
      'backWithinBounds',
      'warmUp',
      'creatingStepMultiple',
      'runningJobsFloor',
      'cooldown',
      'outsideBoundsHoldsEntry',
      'sizeByPoolType',
      'azPlacement',
      'scaleInByName',
    ]);
  });

  it('starts from the entry as it is and runs every step over it', () => {
    const ctx = context({ depth: depth(12, 8) });
    expect(initialProposal(ctx)).toEqual({
      desired: 4,
      target: 4,
      after: { count: 4, maxCount: 4 },
      reasons: [],
      changesAt: [],
    });
    expect(proposeFlavor(ctx)).toEqual({
      desired: 3,
      target: 3,
      after: { count: 3, maxCount: 3 },
      reasons: ['demand 20 units (12 pending + 8 running) / 8 per node → 3 nodes'],
      changesAt: [],
      // Jobs are queued: the evaluation is asked for the nodes, to place them by shape.
      needsOccupancy: `${GPU}: jobs are queued: placing them on the nodes by shape`,
    });
  });
});

table(scheduledBounds, [
  ['no schedule: nothing to add', {}, {}, { target: 4, reasons: [], changesAt: [] }],
  [
    'active schedule: its overrides, and when it ends',
    { flavor: { schedules: [{ cron: '0 12 * * *', durationSeconds: 3600, minCount: 6 }] } },
    {},
    {
      target: 4,
      reasons: [
        `schedule schedules[0] (0 12 * * * UTC, 3600 s) active until ${new Date(T0 + HOUR).toISOString()}: minCount 6`,
      ],
      changesAt: [T0 + HOUR],
    },
  ],
  [
    'inactive schedule: only when it next begins',
    { flavor: { schedules: [{ cron: '0 14 * * *', durationSeconds: 3600, maxCount: 2 }] } },
    {},
    { target: 4, reasons: [], changesAt: [T0 + 2 * HOUR] },
  ],
]);

table(demandNodes, [
  [
    'demand → nodes',
    { depth: depth(12, 8) },
    {},
    { target: 3, reasons: ['demand 20 units (12 pending + 8 running) / 8 per node → 3 nodes'] },
  ],
  [
    'nodes still creating are noted',
    { depth: depth(40), pool: { creating: [{ flavor: GPU, count: 2 }] } },
    {},
    {
      target: 5,
      reasons: [
        'demand 40 units (40 pending + 0 running) / 8 per node → 5 nodes',
        '2 nodes still creating: counted as capacity on its way',
      ],
    },
  ],
  [
    'idle, but running jobs keep their nodes',
    { depth: depth(0, 24), flavor: { activationUnits: 100 } },
    {},
    {
      target: 3,
      reasons: [
        'idle: demand 24 units below activationUnits 100 → fall back to minCount',
        'running jobs need 3 nodes → 3 nodes',
      ],
    },
  ],
  [
    'no depth reported: holding',
    { depth: null },
    {},
    {
      target: 0,
      reasons: ['no depth reported for this flavor: holding, no scale-down'],
    },
  ],
]);

table(demandWithinBounds, [
  ['within bounds: the demand is desired', {}, { target: 5 }, { target: 5, desired: 5, reasons: [] }],
  [
    'above maxCount: clamped',
    {},
    { target: 20 },
    { target: 16, desired: 16, reasons: ['clamped to maxCount 16'] },
  ],
  [
    'below minCount: raised',
    { flavor: { minCount: 3 } },
    { target: 0 },
    { target: 3, desired: 3, reasons: ['raised to minCount 3'] },
  ],
  [
    'allowZero: zero is within bounds',
    { flavor: { minCount: 0, allowZero: true } },
    { target: 0 },
    { target: 0, desired: 0, reasons: [] },
  ],
  [
    'a schedule in force sets the bounds',
    { flavor: { schedules: [{ cron: '0 12 * * *', durationSeconds: 3600, maxCount: 2, minCount: 2 }] } },
    { target: 5 },
    { target: 2, desired: 2, reasons: ['clamped to maxCount 2'] },
  ],
  [
    'stale demand: no drop below the current count',
    { depth: depth(0, 0, T0 - 400_000) },
    { target: 1 },
    { target: 4, desired: 4, reasons: [] },
  ],
  [
    'stale demand still rises',
    { depth: depth(48, 0, T0 - 400_000) },
    { target: 6 },
    { target: 6, desired: 6, reasons: [] },
  ],
]);

table(hpaBehavior, [
  ['no history: the demand passes', {}, { target: 6 }, { target: 6, reasons: [], changesAt: [] }],
  [
    'scale-down held by the highest recent recommendation',
    { state: { recommendations: [{ at: T0 - 100_000, nodes: 4 }] } },
    { target: 1 },
    {
      target: 4,
      reasons: ['stabilized: highest recommendation in last 300 s is 4 → 4'],
      changesAt: [T0 + 200_000],
    },
  ],
  [
    'scale-up limited by a rate policy',
    { flavor: { scaleUp: { policies: [{ type: 'Nodes', value: 2, periodSeconds: 60 }] } } },
    { target: 10 },
    { target: 6, reasons: ['scale-up limited by policy Nodes 2/60s → 6'], changesAt: [] },
  ],
  [
    'scale-up limited by what the period already added',
    {
      flavor: { scaleUp: { policies: [{ type: 'Nodes', value: 2, periodSeconds: 60 }] } },
      state: { scaleUpEvents: [{ at: T0 - 30_000, change: 1 }] },
    },
    { target: 10 },
    { target: 5, reasons: ['scale-up limited by policy Nodes 2/60s → 5'], changesAt: [T0 + 30_000] },
  ],
  [
    'scale-up disabled',
    { flavor: { scaleUp: { select: 'Disabled' } } },
    { target: 10 },
    { target: 4, reasons: ['scale-up disabled by policy (select Disabled)'], changesAt: [] },
  ],
]);

table(backWithinBounds, [
  ['within bounds: nothing to do', {}, { target: 4 }, { target: 4, reasons: [] }],
  [
    'above maxCount: straight down to it',
    { entry: { count: 20, maxCount: 20 } },
    { target: 20 },
    { target: 16, reasons: ['current count 20 is above maxCount 16 → 16'] },
  ],
  [
    'below minCount: straight up to it',
    { flavor: { minCount: 6 }, entry: { count: 2, maxCount: 2 } },
    { target: 2 },
    { target: 6, reasons: ['current count 2 is below minCount 6 → 6'] },
  ],
]);

table(warmUp, [
  ['no first-seen time in the state: no warm-up', {}, { target: 1 }, { target: 1, reasons: [] }],
  [
    'a scale-down window seen: warm-up over',
    { state: { observedSince: T0 - 300_000 } },
    { target: 1 },
    { target: 1, reasons: [], changesAt: [] },
  ],
  [
    'scale-down held while warming up',
    { state: { observedSince: T0 - 100_000 } },
    { target: 1 },
    {
      target: 4,
      reasons: ['warming up: no scale-down until 300 s of recommendations are known (200 s left): held at 4'],
      changesAt: [T0 + 200_000],
    },
  ],
  [
    'scale-up goes through while warming up',
    { state: { observedSince: T0 } },
    { target: 6 },
    { target: 6, reasons: [], changesAt: [T0 + 300_000] },
  ],
  [
    'a count above maxCount comes down even while warming up',
    { entry: { count: 20, maxCount: 20 }, state: { observedSince: T0 } },
    { target: 16 },
    { target: 16, reasons: [], changesAt: [T0 + 300_000] },
  ],
]);

const inRacks = (step: number) => ({ creatingStep: { step, type: 'rack' as const } });

table(creatingStepMultiple, [
  ['no creatingStep: nothing to round', {}, { target: 5 }, { target: 5, reasons: [] }],
  ['count unchanged: nothing to round', { entry: inRacks(3) }, { target: 4 }, { target: 4, reasons: [] }],
  [
    'rounded up to a multiple',
    { entry: inRacks(4) },
    { target: 5 },
    { target: 8, reasons: ['rounded to a multiple of creatingStep 4 → 8'] },
  ],
  ['already a multiple', { entry: inRacks(2) }, { target: 6 }, { target: 6, reasons: [] }],
  [
    'rounded down when rounding up passes the ceiling',
    { entry: inRacks(3) },
    { target: 16 },
    { target: 15, reasons: ['rounded to a multiple of creatingStep 3 → 15'] },
  ],
  [
    'no multiple within the bounds: the entry is left as it is',
    { entry: inRacks(4), flavor: { minCount: 5, maxCount: 7 } },
    { target: 6 },
    {
      target: 4,
      hold: 'entry',
      reasons: ['no multiple of creatingStep 4 lies within [5, 7]: left as it is'],
    },
  ],
]);

table(runningJobsFloor, [
  ['scale-down above the running jobs', { depth: depth(0, 16) }, { target: 3 }, { target: 3, reasons: [] }],
  ['scale-up', { depth: depth(0, 160) }, { target: 16 }, { target: 16, reasons: [] }],
  [
    'scale-down below the running jobs: held, the entry left as it is',
    { depth: depth(0, 160), flavor: { maxCount: 8 }, entry: { count: 20, maxCount: 20 } },
    { target: 8 },
    {
      target: 20,
      hold: 'entry',
      reasons: ['held at 20: running jobs need 20 nodes, more than maxCount 8 allows removing'],
    },
  ],
]);

table(cooldown, [
  [
    'never scaled: no cooldown',
    { policy: { cooldownSeconds: 60 } },
    { target: 6 },
    { target: 6, reasons: [] },
  ],
  [
    'cooldown over',
    { policy: { cooldownSeconds: 60 }, state: { lastScaleAt: T0 - 60_000 } },
    { target: 6 },
    { target: 6, reasons: [], changesAt: [] },
  ],
  [
    'cooling down with nothing to change: the entry is held all the same',
    { policy: { cooldownSeconds: 60 }, state: { lastScaleAt: T0 - 30_000 } },
    { target: 4 },
    { target: 4, hold: 'entry', reasons: [], changesAt: [T0 + 30_000] },
  ],
  [
    'cooling down: the change waits',
    { policy: { cooldownSeconds: 60 }, state: { lastScaleAt: T0 - 30_000 } },
    { target: 6 },
    {
      target: 4,
      hold: 'entry',
      reasons: ['cooldown: last scale 30 s ago (cooldownSeconds 60): held at 4'],
      changesAt: [T0 + 30_000],
    },
  ],
]);

table(outsideBoundsHoldsEntry, [
  ['within bounds', {}, { target: 4 }, { target: 4, reasons: [] }],
  [
    'held above maxCount: the entry is left as it is',
    { entry: { count: 20, maxCount: 20 } },
    { target: 20 },
    { target: 20, hold: 'entry', reasons: [] },
  ],
  [
    'held below minCount: the entry is left as it is',
    { flavor: { minCount: 6 }, entry: { count: 2, maxCount: 2 } },
    { target: 2 },
    { target: 2, hold: 'entry', reasons: [] },
  ],
]);

table(sizeByPoolType, [
  [
    'held entry: every sizing field as it is',
    { entry: { count: 4, maxCount: 4, azs: azs({ a: 4 }) } },
    { target: 4, hold: 'entry' },
    { target: 4, hold: 'entry', reasons: [], after: { count: 4, maxCount: 4, azs: azs({ a: 4 }) } },
  ],
  [
    'physical pool: maxCount follows count',
    {},
    { target: 6 },
    { target: 6, reasons: [], after: { count: 6, maxCount: 6 } },
  ],
  [
    'an entry without maxCount gets none',
    { entry: { maxCount: undefined } },
    { target: 6 },
    { target: 6, reasons: [], after: { count: 6 } },
  ],
  [
    'logical pool: maxCount stays the ceiling',
    { pool: { type: 'Logical', available: [] }, entry: { count: 2, maxCount: 10 } },
    { target: 5 },
    { target: 5, reasons: [], after: { count: 5, maxCount: 10 } },
  ],
  [
    'logical pool: maxCount raised when count passes it',
    { pool: { type: 'Logical', available: [] }, entry: { count: 2, maxCount: 3 } },
    { target: 5 },
    { target: 5, reasons: ['logical pool: maxCount raised to count 5'], after: { count: 5, maxCount: 5 } },
  ],
]);

/** Two nodes available in AZ a, two stuck creating in AZ b since the back-off deadline. */
const { available, creating } = stuckInB();
const stuck: Setup = {
  flavor: { azBackoff: { afterSeconds: 600, durationSeconds: 900 } },
  entry: { azs: azs({ a: 2, b: 2 }) },
  pool: { available, creating },
  state: { azs: { b: { troubleSince: T0 - 600_000, lastAvailable: 0 } } },
};
const backedOffB = 'AZ b backed off for 900 s: nodes creating without progress or abnormal for 600 s';

table(azPlacement, [
  [
    'no weights: the service places the nodes',
    {},
    { target: 6, after: { count: 6, maxCount: 6 } },
    { target: 6, reasons: [], after: { count: 6, maxCount: 6 }, changesAt: [] },
  ],
  [
    'policy weights: split with the least movement',
    { flavor: { azs: { a: 1, b: 1 } }, entry: { azs: azs({ a: 4 }) } },
    { target: 6, after: { count: 6, maxCount: 6 } },
    {
      target: 6,
      reasons: [],
      after: { count: 6, maxCount: 6, azs: azs({ a: 4, b: 2 }) },
    },
  ],
  [
    'no policy weights: the AZs the entry uses, evenly',
    {
      entry: { azs: azs({ x: 3, y: 1 }) },
    },
    { target: 6, after: { count: 6, maxCount: 6 } },
    {
      target: 6,
      reasons: [],
      after: { count: 6, maxCount: 6, azs: azs({ x: 3, y: 3 }) },
    },
  ],
  [
    'held entry: placement kept',
    { flavor: { azs: { a: 1, b: 1 } }, entry: { azs: azs({ a: 4 }) } },
    { target: 4, hold: 'entry' },
    { target: 4, hold: 'entry', reasons: [], after: { count: 4, maxCount: 4, azs: azs({ a: 4 }) } },
  ],
  [
    'stuck nodes steered out of a backed-off AZ',
    { ...stuck, flavor: { ...stuck.flavor, azs: { a: 1, b: 1 } } },
    { target: 4, after: { count: 4, maxCount: 4 } },
    {
      target: 4,
      reasons: [backedOffB, 'steering around backed-off AZ b: 2 stuck nodes placed in other AZs'],
      after: { count: 4, maxCount: 4, azs: azs({ a: 4 }) },
      changesAt: [T0 + 900_000],
    },
  ],
  [
    'back-off noted for a held entry, nothing placed',
    { ...stuck, flavor: { ...stuck.flavor, azs: { a: 1, b: 1 } } },
    { target: 4, hold: 'entry' },
    {
      target: 4,
      hold: 'entry',
      reasons: [backedOffB],
      after: { count: 4, maxCount: 4, azs: azs({ a: 2, b: 2 }) },
      changesAt: [T0 + 900_000],
    },
  ],
  [
    'every weighted AZ backed off: placed by weight anyway',
    { ...stuck, flavor: { ...stuck.flavor, azs: { b: 1 } } },
    { target: 4, after: { count: 4, maxCount: 4 } },
    {
      target: 4,
      reasons: [
        backedOffB,
        'steering around backed-off AZ b: 2 stuck nodes placed in other AZs',
        'every weighted AZ is backed off: placing by weight anyway',
      ],
      after: { count: 4, maxCount: 4, azs: azs({ a: 2, b: 2 }) },
    },
  ],
  [
    'an entry placing nothing per AZ is steered by the AZs its nodes are in',
    { ...stuck, entry: {} },
    { target: 4, after: { count: 4, maxCount: 4 } },
    {
      target: 4,
      reasons: [backedOffB, 'steering around backed-off AZ b: 2 stuck nodes placed in other AZs'],
      after: { count: 4, maxCount: 4, azs: azs({ a: 4 }) },
    },
  ],
]);
