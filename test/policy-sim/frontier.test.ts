import { describe, expect, it } from 'vitest';
import { dominates, markPareto } from '../../policy-sim/frontier';

const at = (node_hours: number, wait_p95_s: number) => ({ node_hours, wait_p95_s });

describe('dominates', () => {
  it.each([
    ['cheaper and shorter', at(1, 1), at(2, 2), true],
    ['cheaper, same wait', at(1, 5), at(2, 5), true],
    ['same cost, shorter', at(2, 1), at(2, 5), true],
    ['equal', at(2, 5), at(2, 5), false],
    ['cheaper but longer', at(1, 9), at(2, 5), false],
    ['dearer and longer', at(3, 9), at(2, 5), false],
  ])('%s', (_name, a, b, expected) => {
    expect(dominates(a, b)).toBe(expected);
  });
});

describe('markPareto', () => {
  it.each([
    ['one point is optimal', [at(1, 1)], [true]],
    ['a trade-off keeps both', [at(1, 300), at(2, 0)], [true, true]],
    ['a beaten point is not', [at(1, 300), at(2, 0), at(3, 10)], [true, true, false]],
    ['equal points are both optimal', [at(2, 5), at(2, 5)], [true, true]],
  ])('%s', (_name, points, expected) => {
    expect(markPareto(points).map((point) => point.pareto)).toEqual(expected);
  });
});
