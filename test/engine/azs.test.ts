import { describe, expect, it } from 'vitest';
import { updateAzHealth } from '../../functions/shared/engine/az-backoff';
import { splitAcrossAzs } from '../../functions/shared/engine/azs';
import { emptyFlavorStatus, type FlavorStatus } from '../../functions/shared/engine/pool-view';
import type { AzHealth } from '../../functions/shared/engine';

const even = { a: 1, b: 1, c: 1 };

describe('splitAcrossAzs: least movement by weight', () => {
  it.each([
    ['empty start spreads evenly', 6, {}, even, undefined, { a: 2, b: 2, c: 2 }],
    ['remainder goes to the first AZ by name', 4, {}, even, undefined, { a: 2, b: 1, c: 1 }],
    ['adds where furthest below share', 6, { a: 3, b: 1, c: 0 }, even, undefined, { a: 3, b: 2, c: 1 }],
    ['never moves existing nodes to add', 4, { a: 3 }, even, undefined, { a: 3, b: 1 }],
    ['removes where furthest above share', 3, { a: 3, b: 1, c: 0 }, even, undefined, { a: 2, b: 1 }],
    ['weights 3:1', 8, {}, { a: 3, b: 1 }, undefined, { a: 6, b: 2 }],
    [
      'AZ outside the weights loses nodes first',
      3,
      { a: 1, b: 1, z: 2 },
      { a: 1, b: 1 },
      undefined,
      { a: 1, b: 1, z: 1 },
    ],
    ['weight 0 gets no new nodes', 4, {}, { a: 1, b: 0 }, undefined, { a: 4 }],
    ['same target: no movement', 5, { a: 4, b: 1 }, even, undefined, { a: 4, b: 1 }],
    ['backed-off AZ gets no new nodes', 6, { a: 1, b: 1, c: 1 }, even, new Set(['c']), { a: 3, b: 2, c: 1 }],
    ['backed-off AZ loses nodes first', 2, { a: 1, b: 1, c: 1 }, even, new Set(['c']), { a: 1, b: 1 }],
    ['every AZ backed off: placed by weight anyway', 2, {}, { a: 1 }, new Set(['a']), { a: 2 }],
    ['scale to zero', 0, { a: 2, b: 1 }, even, undefined, {}],
  ])('%s', (_name, target, current, weights, backedOff, expected) => {
    const split = splitAcrossAzs({ target, current, weights, ...(backedOff ? { backedOff } : {}) });
    expect(Object.fromEntries(split.azs.map((az) => [az.az, az.count]))).toEqual(expected);
    expect(split.azs.reduce((sum, az) => sum + az.count, 0)).toBe(target);
  });

  it('caps a backed-off AZ to its healthy nodes and places the rest elsewhere', () => {
    const split = splitAcrossAzs({
      target: 6,
      current: { a: 2, b: 2, c: 2 },
      weights: even,
      backedOff: new Set(['c']),
      caps: { c: 0 },
    });
    expect(split.azs).toEqual([
      { az: 'a', count: 3 },
      { az: 'b', count: 3 },
    ]);
    expect(split.moved).toBe(2);
  });
});

function status(counts: {
  available?: Record<string, number>;
  creating?: Record<string, number>;
  abnormal?: Record<string, number>;
}): FlavorStatus {
  const result = emptyFlavorStatus();
  for (const state of ['available', 'creating', 'abnormal'] as const) {
    for (const [az, count] of Object.entries(counts[state] ?? {})) {
      result[state].byAz[az] = count;
      result[state].total += count;
    }
  }
  return result;
}

describe('updateAzHealth: back-off after nodes stay creating or abnormal', () => {
  const backoff = { afterSeconds: 600, durationSeconds: 300 };
  const T = 1_000_000_000;

  function run(steps: { at: number; counts: Parameters<typeof status>[0] }[]) {
    let health: Record<string, AzHealth> = {};
    let last: ReturnType<typeof updateAzHealth> | undefined;
    for (const step of steps) {
      last = updateAzHealth(health, status(step.counts), backoff, T + step.at * 1000);
      health = last.health;
    }
    if (last === undefined) throw new Error('no steps');
    return last;
  }

  it.each([
    [
      'creating a short while: fine',
      [
        { at: 0, counts: { creating: { a: 1 } } },
        { at: 599, counts: { creating: { a: 1 } } },
      ],
      [],
    ],
    [
      'creating past the deadline: backed off',
      [
        { at: 0, counts: { creating: { a: 1 } } },
        { at: 600, counts: { creating: { a: 1 } } },
      ],
      ['a'],
    ],
    [
      'abnormal past the deadline: backed off',
      [
        { at: 0, counts: { abnormal: { b: 1 } } },
        { at: 700, counts: { abnormal: { b: 1 } } },
      ],
      ['b'],
    ],
    [
      'a node becoming available is progress: the clock restarts',
      [
        { at: 0, counts: { creating: { a: 2 } } },
        { at: 500, counts: { creating: { a: 1 }, available: { a: 1 } } },
        { at: 900, counts: { creating: { a: 1 }, available: { a: 1 } } },
      ],
      [],
    ],
    [
      'trouble clears: no back-off',
      [
        { at: 0, counts: { creating: { a: 1 } } },
        { at: 300, counts: { available: { a: 1 } } },
        { at: 900, counts: { creating: { a: 1 } } },
      ],
      [],
    ],
    [
      'back-off lasts durationSeconds',
      [
        { at: 0, counts: { creating: { a: 1 } } },
        { at: 600, counts: { creating: { a: 1 } } },
        { at: 899, counts: { available: { a: 1 } } },
      ],
      ['a'],
    ],
    [
      'and then ends',
      [
        { at: 0, counts: { creating: { a: 1 } } },
        { at: 600, counts: { creating: { a: 1 } } },
        { at: 900, counts: { available: { a: 1 } } },
      ],
      [],
    ],
  ])('%s', (_name, steps, backedOff) => {
    expect([...run(steps).backedOff]).toEqual(backedOff);
  });

  it('reports when the back-off was entered and when it ends', () => {
    const result = run([
      { at: 0, counts: { creating: { a: 1 } } },
      { at: 600, counts: { creating: { a: 1 } } },
    ]);
    expect(result.newlyBackedOff).toEqual(['a']);
    expect(result.nextChangeAt).toBe(T + 900_000);
  });
});
