import type { Policy } from '../functions/shared/engine';
import { sweepFrontier } from './frontier';
import type { SimulationResult } from './results';
import { simulatePolicies, type SimulationOptions } from './simulate';
import { parseSweepSpec, policyAtValue, resolveSweepPaths } from './sweep-field';
import type { TraceJob } from './trace';

/**
 * `simulate --sweep FIELD=V1,V2,...`: the policy once per value of the field, every baseline once, all to one
 * horizon. The result is the first value's replay (its `results`, timeline and charts) with the frontier of
 * every point.
 */
export function simulateSweep(
  jobs: readonly TraceJob[],
  policy: Policy,
  sweep: string,
  options: SimulationOptions = {},
): SimulationResult {
  const spec = parseSweepSpec(sweep);
  const paths = resolveSweepPaths(spec, policy);
  const versions = spec.values.map((_, index) => policyAtValue(policy, paths, spec, index));
  const { result, policies } = simulatePolicies(jobs, versions, options);
  return { ...result, frontier: sweepFrontier(spec.field, spec.labels, policies, result.results) };
}
