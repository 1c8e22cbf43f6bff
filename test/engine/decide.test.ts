import { describe, expect, it } from 'vitest';
import {
  decide,
  initialScalerState,
  type Decision,
  type DecisionInput,
  type ScalerState,
} from '../../functions/shared/engine';
import { CPU, GPU, T0, depth, policy, pool } from './fixtures';

function run(overrides: Partial<DecisionInput>): Decision {
  return decide({
    policy: policy(),
    pool: pool(),
    depth: depth(0),
    state: initialScalerState(),
    now: T0,
    ...overrides,
  });
}

function gpu(decision: Decision) {
  const flavor = decision.flavors.find((entry) => entry.flavor === GPU);
  if (flavor === undefined) throw new Error('no GPU decision');
  return flavor;
}

const recent = (nodes: number, secondsAgo: number): ScalerState => ({
  version: 1,
  flavors: {
    [GPU]: {
      recommendations: [{ at: T0 - secondsAgo * 1000, nodes }],
      scaleUpEvents: [],
      scaleDownEvents: [],
      azs: {},
    },
  },
});

describe('decide: one rule per line', () => {
  it.each<[string, Partial<DecisionInput>, Decision['action'], number, string]>([
    [
      'demand → nodes',
      { depth: depth(12, 8) },
      'scale',
      3,
      'demand 20 units (12 pending + 8 running) / 8 per node → 3 nodes',
    ],
    ['demand met: unchanged', { depth: depth(16) }, 'none', 2, 'unchanged at 2'],
    [
      'clamped to maxCount',
      {
        depth: depth(1000),
        policy: policy({}, { scaleUp: { policies: [{ type: 'Nodes', value: 100, periodSeconds: 15 }] } }),
      },
      'scale',
      16,
      'clamped to maxCount 16',
    ],
    [
      'scale-up rate limit',
      {
        depth: depth(100),
        policy: policy({}, { scaleUp: { policies: [{ type: 'Nodes', value: 4, periodSeconds: 60 }] } }),
      },
      'scale',
      6,
      'scale-up limited by policy Nodes 4/60s → 6',
    ],
    [
      'scale-down stabilized by HPA default window',
      {
        depth: depth(0),
        pool: pool({ resources: [{ flavor: GPU, count: 5, maxCount: 5 }] }),
        state: recent(5, 100),
      },
      'none',
      5,
      'stabilized: highest recommendation in last 300 s is 5 → 5',
    ],
    [
      'scale-down once the window has passed',
      {
        depth: depth(0),
        pool: pool({ resources: [{ flavor: GPU, count: 5, maxCount: 5 }] }),
        state: recent(5, 301),
      },
      'scale',
      1,
      'raised to minCount 1',
    ],
    [
      'stale depth holds: no scale-down',
      {
        depth: depth(0, 0, T0 - 400_000),
        pool: pool({ resources: [{ flavor: GPU, count: 5, maxCount: 5 }] }),
      },
      'none',
      5,
      'depth is 400 s old (staleAfterSeconds 300): holding, no scale-down',
    ],
    ['stale depth still scales up', { depth: depth(40, 0, T0 - 400_000) }, 'scale', 5, 'scale 2 → 5'],
    [
      'missing depth holds',
      { depth: {}, pool: pool({ resources: [{ flavor: GPU, count: 5, maxCount: 5 }] }) },
      'none',
      5,
      'no depth reported for this flavor: holding, no scale-down',
    ],
    [
      'cooldown after the last scale',
      {
        depth: depth(40),
        policy: policy({ cooldownSeconds: 60 }),
        state: {
          version: 1,
          flavors: {
            [GPU]: {
              recommendations: [],
              scaleUpEvents: [],
              scaleDownEvents: [],
              lastScaleAt: T0 - 30_000,
              azs: {},
            },
          },
        },
      },
      'none',
      2,
      'cooldown: last scale 30 s ago (cooldownSeconds 60): held at 2',
    ],
    [
      'current above maxCount goes straight to it',
      { depth: depth(200), pool: pool({ resources: [{ flavor: GPU, count: 20, maxCount: 20 }] }) },
      'scale',
      16,
      'scale 20 → 16',
    ],
    [
      'current below minCount goes straight to it',
      { depth: depth(0), policy: policy({}, { minCount: 4 }) },
      'scale',
      4,
      'raised to minCount 4',
    ],
    [
      'schedule raises minCount while active',
      {
        depth: depth(0),
        policy: policy({}, { schedules: [{ cron: '0 12 * * *', durationSeconds: 3600, minCount: 6 }] }),
      },
      'scale',
      6,
      'raised to minCount 6',
    ],
    [
      'running jobs are never evicted',
      {
        depth: depth(0, 24),
        policy: policy({}, { activationUnits: 100 }),
        pool: pool({ resources: [{ flavor: GPU, count: 5, maxCount: 5 }] }),
        state: recent(3, 400),
      },
      'scale',
      3,
      'running jobs need 3 nodes → 3 nodes',
    ],
    [
      'running jobs above maxCount: hold instead of evicting',
      {
        depth: depth(0, 160),
        policy: policy({}, { maxCount: 8 }),
        pool: pool({ resources: [{ flavor: GPU, count: 20, maxCount: 20 }] }),
      },
      'none',
      20,
      'held at 20: running jobs need 20 nodes, more than maxCount 8 allows removing',
    ],
    [
      'idle below activation falls back to minCount',
      {
        depth: depth(3),
        policy: policy({}, { activationUnits: 4, minCount: 1 }),
        pool: pool({ resources: [{ flavor: GPU, count: 1, maxCount: 1 }] }),
      },
      'none',
      1,
      'idle: demand 3 units below activationUnits 4 → fall back to minCount',
    ],
    [
      'scale to zero with allowZero',
      {
        depth: depth(0),
        policy: policy({}, { minCount: 0, allowZero: true, scaleDown: { stabilizationSeconds: 0 } }),
        pool: pool({ resources: [{ flavor: GPU, count: 2, maxCount: 2 }] }),
      },
      'scale',
      0,
      'scale 2 → 0',
    ],
    [
      'at zero with AZ weights, nothing to place: no PATCH again and again',
      {
        depth: depth(0),
        policy: policy({}, { minCount: 0, allowZero: true, azs: { 'cn-north-4a': 1, 'cn-north-4b': 1 } }),
        pool: pool({ resources: [{ flavor: GPU, count: 0, maxCount: 0 }], available: [] }),
      },
      'none',
      0,
      'unchanged at 0',
    ],
    [
      'wake from zero',
      {
        depth: depth(8),
        policy: policy({}, { minCount: 0, allowZero: true }),
        pool: pool({ resources: [{ flavor: GPU, count: 0, maxCount: 0 }], available: [] }),
      },
      'scale',
      1,
      'scale 0 → 1',
    ],
    [
      'creatingStep multiples',
      {
        depth: depth(24),
        pool: pool({
          resources: [{ flavor: GPU, count: 2, maxCount: 2, creatingStep: { step: 2, type: 'rack' } }],
        }),
      },
      'scale',
      4,
      'rounded to a multiple of creatingStep 2 → 4',
    ],
    [
      'dry run reports the would-be patch',
      { depth: depth(24), policy: policy({ dryRun: true }) },
      'dry-run',
      3,
      'scale 2 → 3',
    ],
  ])('%s', (_name, overrides, action, count, reason) => {
    const decision = run(overrides);
    expect(decision.action).toBe(action);
    expect(gpu(decision).after.count).toBe(count);
    expect(gpu(decision).reasons).toContain(reason);
  });
});

describe('decide: pool-level rules', () => {
  it.each<[string, Partial<DecisionInput>, Decision['action'], string]>([
    [
      'disabled policy',
      { policy: policy({ enabled: false }), depth: depth(100) },
      'disabled',
      'policy disabled (enabled: false): nothing is changed',
    ],
    [
      'pool not Running',
      { pool: pool({ phase: 'ScalingFailed' }), depth: depth(100) },
      'skip',
      'skipped: pool phase ScalingFailed is not resizable (resizablePhases: Running)',
    ],
    [
      'pool phase missing (just created)',
      { pool: pool({ phase: null }), depth: depth(100) },
      'skip',
      'skipped: pool phase (none yet) is not resizable (resizablePhases: Running)',
    ],
    [
      'a flavor has nodes creating',
      { pool: pool({ creating: [{ flavor: CPU, count: 1 }] }), depth: depth(100) },
      'skip',
      `skipped: flavor ${CPU} is mid-change (1 node creating, 0 deleting): one change at a time per pool`,
    ],
    [
      'a flavor has nodes deleting',
      { pool: pool({ deleting: [{ flavor: GPU, count: 1 }] }), depth: depth(100) },
      'skip',
      `skipped: flavor ${GPU} is mid-change (0 nodes creating, 1 deleting): one change at a time per pool`,
    ],
    [
      'scaleWhileChanging lets it scale',
      {
        policy: policy({ scaleWhileChanging: true }),
        pool: pool({ creating: [{ flavor: GPU, count: 1 }] }),
        depth: depth(100),
      },
      'scale',
      `scaling ${GPU}`,
    ],
    [
      'resizablePhases can admit Abnormal',
      {
        policy: policy({ resizablePhases: ['Running', 'Abnormal'] }),
        pool: pool({ phase: 'Abnormal' }),
        depth: depth(100),
      },
      'scale',
      `scaling ${GPU}`,
    ],
  ])('%s', (_name, overrides, action, reason) => {
    const decision = run(overrides);
    expect(decision.action).toBe(action);
    expect(decision.reasons).toContain(reason);
    if (action !== 'scale') expect(decision.patch).toBeNull();
  });

  it('leaves flavors outside the policy untouched and reports policy flavors the pool lacks', () => {
    const decision = run({
      policy: policy({
        flavors: { [GPU]: { maxCount: 16, unitsPerNode: 8 }, 'modelarts.vm.npu.1': { maxCount: 2 } },
      }),
      pool: pool({
        resources: [
          { flavor: GPU, count: 2, maxCount: 2 },
          { flavor: CPU, count: 3, maxCount: 3, tags: [{ key: 'k', value: 'v' }] },
        ],
      }),
      depth: depth(40),
    });
    expect(decision.reasons).toContain(`flavor ${CPU} is not in the policy: left as it is`);
    expect(decision.flavors.find((flavor) => flavor.flavor === 'modelarts.vm.npu.1')).toMatchObject({
      outcome: 'absent',
      reasons: ['flavor is in the policy but not in the pool: not created'],
    });
    expect(decision.patch?.spec?.resources).toEqual([
      { flavor: GPU, count: 5, maxCount: 5 },
      { flavor: CPU, count: 3, maxCount: 3, tags: [{ key: 'k', value: 'v' }] },
    ]);
  });

  it('physical pool: maxCount follows count', () => {
    const decision = run({ depth: depth(40) });
    expect(gpu(decision).after).toEqual({ count: 5, maxCount: 5 });
  });

  it('logical pool: count moves, maxCount stays the ceiling unless count passes it', () => {
    const logical = (count: number, maxCount: number) =>
      run({
        depth: depth(40),
        pool: pool({ type: 'Logical', resources: [{ flavor: GPU, count, maxCount }], available: [] }),
      });
    expect(gpu(logical(2, 10)).after).toEqual({ count: 5, maxCount: 10 });
    expect(gpu(logical(2, 3)).after).toEqual({ count: 5, maxCount: 5 });
    expect(gpu(logical(2, 3)).reasons).toContain('logical pool: maxCount raised to count 5');
  });

  it('splits over the policy AZs with the least movement', () => {
    const decision = run({
      policy: policy({}, { azs: { a: 1, b: 1 } }),
      pool: pool({ resources: [{ flavor: GPU, count: 2, maxCount: 2, azs: [{ az: 'a', count: 2 }] }] }),
      depth: depth(40),
    });
    expect(gpu(decision).after.azs).toEqual([
      { az: 'a', count: 3 },
      { az: 'b', count: 2 },
    ]);
  });

  it('keeps spreading over the AZs the entry already uses when the policy names none', () => {
    const decision = run({
      pool: pool({
        resources: [
          {
            flavor: GPU,
            count: 2,
            maxCount: 2,
            azs: [
              { az: 'x', count: 1 },
              { az: 'y', count: 1 },
            ],
          },
        ],
      }),
      depth: depth(32),
    });
    expect(gpu(decision).after.azs).toEqual([
      { az: 'x', count: 2 },
      { az: 'y', count: 2 },
    ]);
  });

  it('steers nodes stuck creating in one AZ to the others after the deadline', () => {
    const stuckPool = pool({
      resources: [
        {
          flavor: GPU,
          count: 4,
          maxCount: 4,
          azs: [
            { az: 'a', count: 2 },
            { az: 'b', count: 2 },
          ],
        },
      ],
      available: [{ flavor: GPU, count: 2, azs: [{ az: 'a', count: 2 }] }],
      creating: [{ flavor: GPU, count: 2, azs: [{ az: 'b', count: 2 }] }],
    });
    const base = {
      policy: policy({}, { azs: { a: 1, b: 1 }, azBackoff: { afterSeconds: 600, durationSeconds: 900 } }),
      pool: stuckPool,
      depth: depth(32),
    };
    const first = decide({ ...base, state: initialScalerState(), now: T0 });
    expect(first.action).toBe('skip');
    const later = decide({ ...base, state: first.state, now: T0 + 600_000 });
    expect(later.action).toBe('scale');
    expect(gpu(later).after).toEqual({ count: 4, maxCount: 4, azs: [{ az: 'a', count: 4 }] });
    expect(gpu(later).reasons).toContain(
      'AZ b backed off for 900 s: nodes creating without progress or abnormal for 600 s',
    );
    expect(gpu(later).reasons).toContain(
      'steering around backed-off AZ b: 2 stuck nodes placed in other AZs',
    );
  });

  it('a flavor seen for the first time does not scale down before a scale-down window has passed', () => {
    const big = pool({ resources: [{ flavor: GPU, count: 5, maxCount: 5 }] });
    const first = run({ pool: big, depth: depth(0) });
    expect(first.action).toBe('none');
    expect(gpu(first).reasons).toContain(
      'warming up: no scale-down until 300 s of recommendations are known (300 s left): held at 5',
    );
    expect(first.nextEvaluationAt).toBe(T0 + 300_000);
    expect(first.state.flavors[GPU]?.observedSince).toBe(T0);
    const later = decide({
      policy: policy(),
      pool: big,
      depth: depth(0, 0, T0 + 300_000),
      state: first.state,
      now: T0 + 300_000,
    });
    expect(later.action).toBe('scale');
    expect(gpu(later).after.count).toBe(1);
  });

  it('a flavor seen for the first time scales up at once', () => {
    expect(gpu(run({ depth: depth(40) })).after.count).toBe(5);
  });

  it('records scale events only in the applied state', () => {
    const decision = run({ depth: depth(40) });
    expect(decision.state.flavors[GPU]?.scaleUpEvents).toEqual([{ at: T0, change: 3 }]);
    expect(decision.state.flavors[GPU]?.lastScaleAt).toBe(T0);
    expect(decision.stateIfNotApplied.flavors[GPU]?.scaleUpEvents).toEqual([]);
    expect(decision.stateIfNotApplied.flavors[GPU]?.recommendations).toEqual([{ at: T0, nodes: 5 }]);
  });

  it('dry run keeps the state free of scale events', () => {
    const decision = run({ depth: depth(40), policy: policy({ dryRun: true }) });
    expect(decision.patch).not.toBeNull();
    expect(decision.state).toEqual(decision.stateIfNotApplied);
  });

  it('the state survives a JSON round trip unchanged', () => {
    const decision = run({ depth: depth(40) });
    expect(JSON.parse(JSON.stringify(decision.state))).toEqual(decision.state);
  });

  it('says when to look again', () => {
    const decision = run({
      depth: depth(0),
      pool: pool({ resources: [{ flavor: GPU, count: 5, maxCount: 5 }] }),
      state: recent(5, 100),
    });
    expect(decision.nextEvaluationAt).toBe(T0 + 200_000);
  });
});
