import type { StrategyResult } from './types';

/**
 * The cost/wait frontier of a sweep: one point per value of the swept field and one per baseline, all measured
 * to one horizon, with the points no other point beats on both node-hours and p95 wait marked, so an operator
 * picks a point knowingly.
 */
export interface FrontierPoint {
  /** `policy` for a value of the swept field, else the baseline's name. */
  strategy: string;
  /** The swept field's value as written; absent for a baseline. */
  value?: string;
  /** How the point is shown: `field=value`, or the baseline's name. */
  label: string;
  node_hours: number;
  oracle_ratio: number;
  wait_p50_s: number;
  wait_p95_s: number;
  wait_max_s: number;
  scale_operations: number;
  preempted_jobs: number;
  unfinished_jobs: number;
  /** Jobs that waited longer than the provisioning delay plus one sweep while their flavor was below maxCount. */
  starved_jobs: number;
  /** No other point has fewer or equal node-hours and p95 wait with one of them strictly fewer. */
  pareto: boolean;
}

export interface Frontier {
  /** The swept field as written. */
  field: string;
  points: FrontierPoint[];
}

function point(entry: StrategyResult, label: string, value?: string): Omit<FrontierPoint, 'pareto'> {
  return {
    strategy: entry.strategy,
    ...(value !== undefined ? { value } : {}),
    label,
    node_hours: entry.node_hours,
    oracle_ratio: entry.oracle_ratio,
    wait_p50_s: entry.wait_s.p50,
    wait_p95_s: entry.wait_s.p95,
    wait_max_s: entry.wait_s.max,
    scale_operations: entry.scale_operations,
    preempted_jobs: entry.preempted_jobs,
    unfinished_jobs: entry.unfinished_jobs,
    starved_jobs: entry.starved_jobs,
  };
}

type Costed = Pick<FrontierPoint, 'node_hours' | 'wait_p95_s'>;

/** Whether `a` is at least as good as `b` on both axes and better on one. */
export function dominates(a: Costed, b: Costed): boolean {
  return (
    a.node_hours <= b.node_hours &&
    a.wait_p95_s <= b.wait_p95_s &&
    (a.node_hours < b.node_hours || a.wait_p95_s < b.wait_p95_s)
  );
}

/** Marks the points no other point dominates on (node-hours, p95 wait). */
export function markPareto<T extends Costed>(points: readonly T[]): Array<T & { pareto: boolean }> {
  return points.map((candidate) => ({
    ...candidate,
    pareto: !points.some((other) => other !== candidate && dominates(other, candidate)),
  }));
}

/**
 * The frontier of a sweep: the policy at each value (in the order given), then each baseline; the oracle is
 * left out (it waits for nothing because it knows the future, so it would dominate every point).
 */
export function sweepFrontier(
  field: string,
  labels: readonly string[],
  policyResults: readonly StrategyResult[],
  results: readonly StrategyResult[],
): Frontier {
  const points = [
    ...policyResults.map((entry, index) => {
      const value = labels[index] as string;
      return point(entry, `${field}=${value}`, value);
    }),
    ...results
      .filter((entry) => entry.strategy !== 'policy' && entry.strategy !== 'oracle')
      .map((entry) => point(entry, entry.strategy)),
  ];
  return { field, points: markPareto(points) };
}
