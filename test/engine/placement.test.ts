import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fits, freeCapacity, placeJob, placeQueue } from '../../functions/shared/engine/placement';

const nodes = (...free: number[]) => free.map((freeUnits, id) => ({ id, freeUnits }));
const where = (placements: ReturnType<typeof placeJob<{ id: number; freeUnits: number }>>) =>
  placements?.map((p) => `${p.node.id}:${p.units}`).join(' ');

describe('placeJob', () => {
  it.each([
    ['one accelerator on the first node with room', [0, 3, 8], 1, '1:1'],
    ['a job that fills a node exactly', [4, 8], 8, '1:8'],
    ['a job larger than any free slot waits', [4, 4], 6, undefined],
    ['two whole nodes for a 16-unit job, skipping a busy one', [8, 7, 8, 8], 16, '0:8 2:8'],
    ['a 12-unit job takes two whole nodes, the second half used', [8, 8], 12, '0:8 1:4'],
    ['a multi-node job waits for whole free nodes', [8, 7, 7], 16, undefined],
    ['no nodes at all', [], 1, undefined],
  ])('%s', (_name, free, units, expected) => {
    expect(where(placeJob(nodes(...free), units, 8))).toBe(expected);
  });
});

describe('fits and freeCapacity', () => {
  it.each([
    [[8, 3], 4, true],
    [[3, 3], 4, false],
    [[8, 8, 2], 16, true],
    [[8, 2, 2], 16, false],
  ])('free %j, %d units: %s', (free, units, expected) => {
    expect(fits(units, 8, freeCapacity(nodes(...free), 8))).toBe(expected);
  });
});

describe('placeQueue', () => {
  it('places in queue order on what earlier jobs left, skipping jobs that do not fit', () => {
    const result = placeQueue(nodes(8, 8), [6, 16, 2, 4], 8).map(where);
    expect(result).toEqual(['0:6', undefined, '0:2', '1:4']);
  });

  it('does not modify the nodes it is given', () => {
    const given = nodes(8, 4);
    placeQueue(given, [4, 4], 8);
    expect(given.map((n) => n.freeUnits)).toEqual([8, 4]);
  });

  it('is placeJob applied job after job, and never uses more than a node has', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 24 }), { maxLength: 10 }),
        (free, jobs) => {
          const given = nodes(...free);
          const result = placeQueue(given, jobs, 8);
          const state = nodes(...free);
          jobs.forEach((units, index) => {
            const expected = placeJob(state, units, 8);
            expect(where(result[index])).toBe(where(expected));
            for (const p of expected ?? []) state[p.node.id]!.freeUnits -= p.units;
          });
          const used = new Map<number, number>();
          for (const placements of result)
            for (const p of placements ?? []) used.set(p.node.id, (used.get(p.node.id) ?? 0) + p.units);
          for (const [id, units] of used) expect(units).toBeLessThanOrEqual(free[id]!);
          result.forEach((placements, index) => {
            if (placements) expect(placements.reduce((sum, p) => sum + p.units, 0)).toBe(jobs[index]);
          });
        },
      ),
    );
  });
});
