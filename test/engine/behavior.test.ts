import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  changeInPeriod,
  limitByRate,
  normalizeWithBehavior,
  recordRecommendation,
  scaleDownLimit,
  scaleUpLimit,
  stabilizeRecommendation,
  type BehaviorInput,
} from '../../functions/shared/engine/behavior';
import type { ScalingRatePolicy, ScalingRules } from '../../functions/shared/engine';
import type { ScaleEvent, TimedRecommendation } from '../../functions/shared/engine';

const NOW = 1_000_000_000;
const s = (seconds: number) => NOW - seconds * 1000;

function rules(
  policies: ScalingRatePolicy[],
  select: ScalingRules['select'] = 'Max',
  stabilizationSeconds = 0,
) {
  return { stabilizationSeconds, policies, select } satisfies ScalingRules;
}
const nodes = (value: number, periodSeconds = 60): ScalingRatePolicy => ({
  type: 'Nodes',
  value,
  periodSeconds,
});
const percent = (value: number, periodSeconds = 60): ScalingRatePolicy => ({
  type: 'Percent',
  value,
  periodSeconds,
});
const recs = (...pairs: [number, number][]): TimedRecommendation[] =>
  pairs.map(([ago, value]) => ({ at: s(ago), nodes: value }));
const events = (...pairs: [number, number][]): ScaleEvent[] =>
  pairs.map(([ago, change]) => ({ at: s(ago), change }));

function input(overrides: Partial<BehaviorInput>): BehaviorInput {
  return {
    current: 5,
    desired: 5,
    minCount: 1,
    maxCount: 100,
    scaleUp: rules([percent(100, 15), nodes(4, 15)], 'Max', 0),
    scaleDown: rules([percent(100, 15)], 'Max', 300),
    recommendations: [],
    scaleUpEvents: [],
    scaleDownEvents: [],
    now: NOW,
    ...overrides,
  };
}

describe('stabilizeRecommendation (stabilizeRecommendationWithBehaviors)', () => {
  it.each([
    ['no history: the recommendation passes', input({ current: 5, desired: 2 }), 2],
    [
      'down: takes the highest recommendation of the window',
      input({ current: 5, desired: 2, recommendations: recs([100, 4], [200, 3]) }),
      4,
    ],
    [
      'down: never above current even if the window holds more',
      input({ current: 5, desired: 2, recommendations: recs([100, 9]) }),
      5,
    ],
    [
      'down: recommendations older than the window are ignored',
      input({ current: 5, desired: 2, recommendations: recs([301, 5], [100, 3]) }),
      3,
    ],
    [
      'down: a recommendation exactly at the window edge is outside it',
      input({ current: 5, desired: 2, recommendations: recs([300, 5]) }),
      2,
    ],
    [
      'up: takes the lowest recommendation of the window',
      input({
        current: 2,
        desired: 8,
        scaleUp: rules([nodes(100)], 'Max', 120),
        recommendations: recs([60, 4], [30, 6]),
      }),
      4,
    ],
    [
      'up: never below current even if the window holds less',
      input({
        current: 3,
        desired: 8,
        scaleUp: rules([nodes(100)], 'Max', 120),
        recommendations: recs([60, 1]),
      }),
      3,
    ],
    [
      'up: window 0 passes the recommendation',
      input({ current: 2, desired: 8, recommendations: recs([1, 2]) }),
      8,
    ],
  ])('%s', (_name, args, expected) => {
    expect(stabilizeRecommendation(args).nodes).toBe(expected);
  });

  it('explains a held scale-down', () => {
    const result = stabilizeRecommendation(
      input({ current: 5, desired: 2, recommendations: recs([100, 4]) }),
    );
    expect(result.reason).toBe('stabilized: highest recommendation in last 300 s is 4');
    expect(result.releasedAt).toBe(s(100) + 300_000);
  });
});

describe('rate limits (calculateScaleUpLimitWithScalingRules / calculateScaleDownLimitWithBehaviors)', () => {
  it.each([
    ['Nodes: current + value', 10, [], [], rules([nodes(4)]), 14],
    ['Percent: rounds up', 3, [], [], rules([percent(50)]), 5],
    ['Percent 100 doubles', 6, [], [], rules([percent(100)]), 12],
    [
      'Max picks the larger ceiling (Percent on a big count)',
      10,
      [],
      [],
      rules([percent(100), nodes(4)]),
      20,
    ],
    ['Max picks the larger ceiling (Nodes on a small count)', 1, [], [], rules([percent(100), nodes(4)]), 5],
    ['Min picks the smaller ceiling', 10, [], [], rules([percent(100), nodes(4)], 'Min'), 14],
    ['Disabled keeps current', 10, [], [], rules([nodes(4)], 'Disabled'), 10],
    ['additions inside the period count against it', 10, events([30, 3]), [], rules([nodes(4)]), 11],
    ['additions outside the period do not', 10, events([61, 3]), [], rules([nodes(4)]), 14],
    ['removals inside the period give room back', 10, [], events([30, 2]), rules([nodes(4)]), 16],
    ['each policy counts its own period', 10, events([30, 4]), [], rules([nodes(4, 15), nodes(2, 60)]), 14],
  ])('up: %s', (_name, current, up, down, scaling, expected) => {
    expect(scaleUpLimit(current, up, down, scaling, NOW).limit).toBe(expected);
  });

  it.each([
    ['Nodes: current - value', 10, [], [], rules([nodes(4)]), 6],
    ['Percent: truncates', 5, [], [], rules([percent(50)]), 2],
    ['Max allows the biggest drop', 10, [], [], rules([percent(50), nodes(2)]), 5],
    ['Min allows the smallest drop', 10, [], [], rules([percent(50), nodes(2)], 'Min'), 8],
    ['Disabled keeps current', 10, [], [], rules([nodes(4)], 'Disabled'), 10],
    ['removals inside the period count against it', 10, [], events([100, 3]), rules([nodes(4, 300)]), 9],
    ['additions inside the period raise the floor base', 10, events([10, 2]), [], rules([nodes(4)]), 4],
  ])('down: %s', (_name, current, up, down, scaling, expected) => {
    expect(scaleDownLimit(current, up, down, scaling, NOW).limit).toBe(expected);
  });

  it('counts only events strictly inside the period', () => {
    expect(changeInPeriod(events([60, 5], [59, 1]), 60, NOW)).toBe(1);
  });
});

describe('limitByRate (convertDesiredReplicasWithBehaviorRate)', () => {
  it.each([
    ['within the limit', input({ current: 5, scaleUp: rules([nodes(4)]) }), 8, 8, undefined],
    [
      'scale-up limited by Nodes',
      input({ current: 5, scaleUp: rules([nodes(4)]) }),
      20,
      9,
      'scale-up limited by policy Nodes 4/60s → 9',
    ],
    [
      'scale-up limited by Percent',
      input({ current: 4, scaleUp: rules([percent(50, 30)]) }),
      20,
      6,
      'scale-up limited by policy Percent 50%/30s → 6',
    ],
    [
      'maxCount binds before the rate',
      input({ current: 5, maxCount: 7, scaleUp: rules([nodes(4)]) }),
      20,
      7,
      'clamped to maxCount 7',
    ],
    [
      'scale-up disabled',
      input({ current: 5, scaleUp: rules([nodes(4)], 'Disabled') }),
      20,
      5,
      'scale-up disabled by policy (select Disabled)',
    ],
    [
      'scale-down limited by Percent',
      input({ current: 10, scaleDown: rules([percent(50, 300)]) }),
      1,
      5,
      'scale-down limited by policy Percent 50%/300s → 5',
    ],
    [
      'minCount binds before the rate',
      input({ current: 10, minCount: 8, scaleDown: rules([percent(50)]) }),
      1,
      8,
      'raised to minCount 8',
    ],
    [
      'scale-down disabled',
      input({ current: 10, scaleDown: rules([percent(50)], 'Disabled') }),
      1,
      10,
      'scale-down disabled by policy (select Disabled)',
    ],
    [
      'period used up: no further scale-up',
      input({ current: 9, scaleUp: rules([nodes(4)]), scaleUpEvents: events([30, 4]) }),
      20,
      9,
      'scale-up limited by policy Nodes 4/60s → 9',
    ],
    [
      'from zero a Percent-only policy still adds a node',
      input({ current: 0, minCount: 0, scaleUp: rules([percent(100)]) }),
      3,
      1,
      'scale-up limited by policy Percent 100%/60s → 1',
    ],
  ])('%s', (_name, args, stabilized, expected, reason) => {
    const result = limitByRate(args, stabilized);
    expect(result.nodes).toBe(expected);
    expect(result.reason).toBe(reason);
  });
});

describe('normalizeWithBehavior', () => {
  it('stabilizes first, then limits the rate', () => {
    const result = normalizeWithBehavior(
      input({
        current: 10,
        desired: 1,
        scaleDown: rules([nodes(2)], 'Max', 300),
        recommendations: recs([100, 6]),
      }),
    );
    expect(result.nodes).toBe(8);
    expect(result.reasons).toEqual([
      'stabilized: highest recommendation in last 300 s is 6 → 6',
      'scale-down limited by policy Nodes 2/60s → 8',
    ]);
  });

  it('with HPA defaults, a drop waits 300 s and then goes all the way', () => {
    const history = recs([299, 8]);
    expect(normalizeWithBehavior(input({ current: 8, desired: 2, recommendations: history })).nodes).toBe(8);
    expect(
      normalizeWithBehavior(input({ current: 8, desired: 2, recommendations: history, now: NOW + 2000 }))
        .nodes,
    ).toBe(2);
  });
});

describe('recordRecommendation', () => {
  it('appends and drops recommendations older than the longest window or matched by later ones', () => {
    const kept = recordRecommendation(
      recs([400, 1], [200, 2]),
      3,
      NOW,
      rules([nodes(1)], 'Max', 0),
      rules([nodes(1)], 'Max', 300),
    );
    expect(kept).toEqual([
      { at: s(200), nodes: 2 },
      { at: NOW, nodes: 3 },
    ]);
  });
});

describe('recordRecommendation compaction', () => {
  it('keeps every stabilization result of the full history', () => {
    const sample = fc.record({
      history: fc.array(
        fc.record({ gap: fc.integer({ min: 1, max: 40 }), nodes: fc.integer({ min: 0, max: 12 }) }),
        {
          maxLength: 80,
        },
      ),
      current: fc.integer({ min: 0, max: 12 }),
      desired: fc.integer({ min: 0, max: 12 }),
      later: fc.integer({ min: 0, max: 700 }),
      upWindow: fc.constantFrom(0, 30, 120),
      downWindow: fc.constantFrom(0, 60, 300, 600),
    });
    fc.assert(
      fc.property(sample, ({ history, current, desired, later, upWindow, downWindow }) => {
        const scaleUp = rules([nodes(100)], 'Max', upWindow);
        const scaleDown = rules([nodes(100)], 'Max', downWindow);
        let at = NOW;
        let full: TimedRecommendation[] = [];
        let compacted: TimedRecommendation[] = [];
        for (const step of history) {
          at += step.gap * 1000;
          full = [...full, { at, nodes: step.nodes }];
          compacted = recordRecommendation(compacted, step.nodes, at, scaleUp, scaleDown);
        }
        expect(compacted.length).toBeLessThanOrEqual(2 * 13);
        const query = { ...input({ current, desired, scaleUp, scaleDown }), now: at + later * 1000 };
        expect(stabilizeRecommendation({ ...query, recommendations: compacted }).nodes).toBe(
          stabilizeRecommendation({ ...query, recommendations: full }).nodes,
        );
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});
