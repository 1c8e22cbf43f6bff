import type { SimulationResult } from '../results';

export interface SummaryContext {
  /** Shown as the trace's name (a file name, never a full path, so outputs do not depend on where they ran). */
  traceName?: string;
  policyName?: string;
}

/**
 * `summary.json` (ARCHITECTURE 3.4): `results` holds one entry per strategy, the oracle last; with a sweep,
 * `frontier` holds its points.
 */
export function summaryJson(result: SimulationResult, context: SummaryContext = {}): string {
  const summary = {
    pool: result.pool,
    trace: {
      name: context.traceName ?? null,
      jobs: result.jobs,
      skipped_jobs: result.skippedJobs,
    },
    policy: { name: context.policyName ?? null },
    flavors: result.flavors.map((setup) => ({
      flavor: setup.flavor,
      units_per_node: setup.unitsPerNode,
      target_utilization: setup.targetUtilization,
      min_count: setup.minCount,
      max_count: setup.maxCount,
      azs: setup.azWeights,
    })),
    settings: result.settings,
    results: result.results,
    ...(result.frontier !== undefined ? { frontier: result.frontier } : {}),
  };
  return `${JSON.stringify(summary, null, 2)}\n`;
}
