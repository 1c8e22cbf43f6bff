import { describe, expect, it } from 'vitest';
import { updateAzHealth, type AzHealthUpdate } from '../../functions/shared/engine/az-backoff';
import {
  POOL_GUARDS,
  firstPoolStop,
  flavorMidChange,
  phaseNotResizable,
  policyDisabled,
  type PoolGuard,
  type PoolGuardInput,
  type PoolStop,
} from '../../functions/shared/engine/pool-guards';
import { emptyFlavorStatus, flavorStatuses } from '../../functions/shared/engine/pool-view';
import type { AzHealth } from '../../functions/shared/engine';
import { CPU, GPU, T0, policy, pool, stuckInB, type PoolOptions } from './fixtures';

interface Setup {
  policy?: Record<string, unknown>;
  pool?: PoolOptions;
  /** AZ health of the GPU flavor from the last evaluation. */
  azs?: Record<string, AzHealth>;
}

function guardInput(setup: Setup = {}): PoolGuardInput {
  const scalingPolicy = policy(setup.policy);
  const scaledPool = pool(setup.pool);
  const statuses = flavorStatuses(scaledPool);
  const health = new Map<string, AzHealthUpdate>();
  for (const [name, flavor] of Object.entries(scalingPolicy.flavors)) {
    const previous = name === GPU ? (setup.azs ?? {}) : {};
    health.set(
      name,
      updateAzHealth(previous, statuses.get(name) ?? emptyFlavorStatus(), flavor.azBackoff, T0),
    );
  }
  return { policy: scalingPolicy, pool: scaledPool, statuses, health };
}

type Row = [name: string, setup: Setup, expected: PoolStop | undefined];

function table(guard: PoolGuard, rows: Row[]) {
  describe(guard.name, () => {
    it.each(rows)('%s', (_name, setup, expected) => {
      expect(guard(guardInput(setup))).toEqual(expected);
    });
  });
}

const notRunning = (phase: string): PoolStop => ({
  action: 'skip',
  reason: `pool phase ${phase} is not resizable (resizablePhases: Running)`,
});

describe('POOL_GUARDS', () => {
  it('asks the guards in this order', () => {
    expect(POOL_GUARDS.map((guard) => guard.name)).toEqual([
      'policyDisabled',
      'phaseNotResizable',
      'flavorMidChange',
    ]);
  });

  it.each<Row>([
    ['nothing stops a Running pool at rest', {}, undefined],
    [
      'a disabled policy stops before the phase is read',
      { policy: { enabled: false }, pool: { phase: 'ScalingFailed' } },
      { action: 'disabled', reason: 'policy disabled (enabled: false)' },
    ],
    [
      'the phase stops before nodes mid-change are counted',
      { pool: { phase: 'Creating', creating: [{ flavor: GPU, count: 1 }] } },
      notRunning('Creating'),
    ],
  ])('firstPoolStop: %s', (_name, setup, expected) => {
    expect(firstPoolStop(guardInput(setup))).toEqual(expected);
  });
});

table(policyDisabled, [
  ['enabled', {}, undefined],
  [
    'enabled: false',
    { policy: { enabled: false } },
    { action: 'disabled', reason: 'policy disabled (enabled: false)' },
  ],
]);

table(phaseNotResizable, [
  ['Running', {}, undefined],
  ['ScalingFailed', { pool: { phase: 'ScalingFailed' } }, notRunning('ScalingFailed')],
  [
    'no phase yet (just created)',
    { pool: { phase: null } },
    { action: 'skip', reason: 'pool phase (none yet) is not resizable (resizablePhases: Running)' },
  ],
  [
    'a phase the policy admits',
    { policy: { resizablePhases: ['Running', 'Abnormal'] }, pool: { phase: 'Abnormal' } },
    undefined,
  ],
  [
    'a phase the policy does not admit names the ones it does',
    { policy: { resizablePhases: ['Running', 'Abnormal'] }, pool: { phase: 'Creating' } },
    { action: 'skip', reason: 'pool phase Creating is not resizable (resizablePhases: Running, Abnormal)' },
  ],
]);

/** GPU nodes: two available in AZ a, two creating in AZ b without progress since the back-off deadline. */
const stuck: Setup = {
  pool: stuckInB(),
  azs: { b: { troubleSince: T0 - 1_200_000, lastAvailable: 0 } },
};

table(flavorMidChange, [
  ['no node creating or deleting', {}, undefined],
  [
    'a node creating, in a flavor outside the policy too',
    { pool: { creating: [{ flavor: CPU, count: 1 }] } },
    {
      action: 'skip',
      reason: `flavor ${CPU} is mid-change (1 node creating, 0 deleting): one change at a time per pool`,
    },
  ],
  [
    'a node deleting',
    { pool: { deleting: [{ flavor: GPU, count: 1 }] } },
    {
      action: 'skip',
      reason: `flavor ${GPU} is mid-change (0 nodes creating, 1 deleting): one change at a time per pool`,
    },
  ],
  [
    'scaleWhileChanging lets a pool mid-change scale',
    { policy: { scaleWhileChanging: true }, pool: { creating: [{ flavor: GPU, count: 1 }] } },
    undefined,
  ],
  [
    'nodes creating in an AZ not yet backed off block',
    { ...stuck, azs: { b: { troubleSince: T0 - 60_000, lastAvailable: 0 } } },
    {
      action: 'skip',
      reason: `flavor ${GPU} is mid-change (2 nodes creating, 0 deleting): one change at a time per pool`,
    },
  ],
  ['nodes stuck in a backed-off AZ do not block the PATCH that moves them', stuck, undefined],
]);
