import type { SimulationResult } from '../results';

export interface SummaryContext {
  /** Shown as the trace's name (a file name, never a full path, so outputs do not depend on where they ran). */
  traceName?: string;
  policyName?: string;
  /** Set by the local run: its report is titled for it and lists these settings instead of the simulator's. */
  localRun?: LocalRunSettings;
}

/** How a local run (`npm start`) ran, as its report lists it. */
export interface LocalRunSettings {
  /** Where the pool lives: the ModelArts simulator, or the endpoint's URL. */
  pool: string;
  dryRun: boolean;
  /** Virtual seconds per real second. */
  speed: number;
  sweepSeconds: number;
  /** The simulator's provisioning delay; absent against a real endpoint. */
  provisionDelaySeconds?: number;
  demand: string;
  /** Share of job events dropped on their way (`--drop-events`). */
  dropEvents: number;
  azCapacity?: string;
  durationLimitSeconds: number;
  stopReason: string;
  realSeconds: number;
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
