import { describe, expect, it } from 'vitest';
import { recommendNodes } from '../../functions/shared/engine/demand';
import { GPU, T0, policy } from './fixtures';

const flavor = (overrides: Record<string, unknown> = {}) => {
  const parsed = policy({}, overrides).flavors[GPU];
  if (parsed === undefined) throw new Error('no flavor');
  return parsed;
};
const at = (pendingUnits: number, runningUnits: number, ageSeconds = 0) => ({
  pendingUnits,
  runningUnits,
  updatedAt: T0 - ageSeconds * 1000,
});

describe('recommendNodes', () => {
  it.each([
    [
      '20 units / 8 per node → 3',
      flavor(),
      at(12, 8),
      3,
      'demand 20 units (12 pending + 8 running) / 8 per node → 3 nodes',
    ],
    [
      'exact multiple',
      flavor(),
      at(16, 0),
      2,
      'demand 16 units (16 pending + 0 running) / 8 per node → 2 nodes',
    ],
    [
      'target utilization keeps headroom',
      flavor({ targetUtilization: 0.5 }),
      at(16, 0),
      4,
      'demand 16 units (16 pending + 0 running) / (8 per node × 0.5 utilization) → 4 nodes',
    ],
    [
      'below activation: idle',
      flavor({ activationUnits: 4 }),
      at(3, 0),
      0,
      'idle: demand 3 units below activationUnits 4 → fall back to minCount',
    ],
    [
      'no demand with the default activation',
      flavor(),
      at(0, 0),
      0,
      'idle: demand 0 units below activationUnits 1 → fall back to minCount',
    ],
    [
      'whole nodes',
      flavor({ unitsPerNode: 1 }),
      at(5, 2),
      7,
      'demand 7 units (5 pending + 2 running) / 1 per node → 7 nodes',
    ],
    [
      'negative counters read as 0',
      flavor(),
      at(-4, 8),
      1,
      'demand 8 units (0 pending + 8 running) / 8 per node → 1 node',
    ],
  ])('%s', (_name, flavorPolicy, depth, nodes, reason) => {
    const result = recommendNodes(flavorPolicy, depth, T0, 300);
    expect(result.nodes).toBe(nodes);
    expect(result.reasons[0]).toBe(reason);
    expect(result.hold).toBe(false);
  });

  it('never recommends fewer nodes than running jobs occupy, even when idle by activation', () => {
    const result = recommendNodes(flavor({ activationUnits: 100 }), at(0, 17), T0, 300);
    expect(result.nodes).toBe(3);
    expect(result.runningNodes).toBe(3);
    expect(result.reasons).toContain('running jobs need 3 nodes → 3 nodes');
  });

  it.each([
    ['missing depth', undefined, 'no depth reported for this flavor: holding, no scale-down'],
    ['stale depth', at(1, 0, 301), 'depth is 301 s old (staleAfterSeconds 300): holding, no scale-down'],
  ])('holds on %s', (_name, depth, reason) => {
    const result = recommendNodes(flavor(), depth, T0, 300);
    expect(result.hold).toBe(true);
    expect(result.reasons[0]).toBe(reason);
  });

  it.each([
    ['NaN pending units', { pendingUnits: Number.NaN, runningUnits: 8, updatedAt: T0 }, 1, false],
    [
      'infinite running units',
      { pendingUnits: 8, runningUnits: Number.POSITIVE_INFINITY, updatedAt: T0 },
      1,
      false,
    ],
    ['an unreadable time', { pendingUnits: 8, runningUnits: 0, updatedAt: Number.NaN }, 1, true],
  ])('reads %s safely', (_name, depth, nodes, hold) => {
    const result = recommendNodes(flavor(), depth, T0, 300);
    expect(result.nodes).toBe(nodes);
    expect(result.hold).toBe(hold);
  });

  it('trusts depth exactly staleAfterSeconds old', () => {
    expect(recommendNodes(flavor(), at(1, 0, 300), T0, 300).hold).toBe(false);
  });
});
