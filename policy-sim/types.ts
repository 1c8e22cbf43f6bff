import type { TraceJob } from './trace';

/** What the simulator needs to know about one flavor, taken from the policy under test. */
export interface FlavorSetup {
  flavor: string;
  unitsPerNode: number;
  targetUtilization: number;
  minCount: number;
  maxCount: number;
  /** AZs in a fixed order, with the policy's weights (equal weights when the policy names none). */
  azs: string[];
  azWeights: Record<string, number>;
  /** The policy's scale-down stabilization window (at least 300 s): a direction change within it is a reversal. */
  reversalWindowS: number;
}

/** Node count per AZ of one flavor. */
export type AzCounts = Record<string, number>;

/** The strategies one run compares; `policy` is the real engine. */
export type StrategyName = 'policy' | BaselineName | 'oracle';
/** The first-fit idle-only reference at three idle times (policy-sim/strategies/idle-reference.ts). */
export type IdleReferenceName = 'idle-0' | 'idle-300' | 'idle-900';
export const IDLE_REFERENCES: readonly IdleReferenceName[] = ['idle-0', 'idle-300', 'idle-900'];
export type BaselineName = 'static' | 'keda' | 'hpa' | 'cluster-autoscaler' | IdleReferenceName;
export const BASELINES: readonly BaselineName[] = [
  'static',
  'keda',
  'hpa',
  'cluster-autoscaler',
  ...IDLE_REFERENCES,
];

/** A job's life in one strategy's replay. */
export interface JobOutcome {
  job: TraceJob;
  /** First start; undefined when it never started before the horizon. */
  startS?: number;
  finishS?: number;
  preemptions: number;
}

/** One line of `timeline.csv` (ARCHITECTURE 3.4). `demandUnits` is per flavor, so AZ rows leave it empty. */
export interface TimelineRow {
  tS: number;
  strategy: StrategyName;
  flavor: string;
  az: string;
  demandUnits: number | undefined;
  target: number;
  count: number;
  available: number;
  creating: number;
}

/** What one evaluation sent for a flavor: a PATCH, a batch-delete of chosen nodes, or nothing. */
export type DecisionRequest = 'patch' | 'batch-delete' | 'none';

/**
 * One decision of a strategy for one flavor, for the report's marks: every request, and every decision that
 * sent nothing when its reason differs in kind from the flavor's previous one (a hold starting, a clamp
 * ending), so that a day of identical holds is one mark.
 */
export interface DecisionMark {
  tS: number;
  strategy: StrategyName;
  flavor: string;
  request: DecisionRequest;
  /** Requests of that kind the evaluation sent that changed the flavor (a PATCH of two flavors counts for each). */
  requests: number;
  nodesBefore: number;
  nodesAfter: number;
  /** The one reason that decided, in the engine's words for the policy. */
  reason: string;
}

/** Distribution of job waits in seconds. */
export interface WaitStats {
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Figures for one flavor of one strategy. */
export interface FlavorResult {
  node_seconds: number;
  wait_s: WaitStats;
  jobs: number;
  preempted_jobs: number;
  unfinished_jobs: number;
  /** Jobs that waited longer than the provisioning delay plus one sweep while the flavor was below maxCount. */
  starved_jobs: number;
  reversals: number;
  peak_nodes: number;
}

/** One entry of `summary.json` `results` (ARCHITECTURE 3.4). */
export interface StrategyResult {
  strategy: StrategyName;
  node_seconds: number;
  node_hours: number;
  oracle_ratio: number;
  wait_s: WaitStats;
  patches: number;
  /** Requests that changed the pool's size: PATCHes and batch-deletes of chosen nodes. */
  scale_operations: number;
  reversals: number;
  preempted_jobs: number;
  unfinished_jobs: number;
  /**
   * Jobs that waited longer than the provisioning delay (its jitter included) plus one sweep while their flavor
   * stayed below maxCount nodes for the whole wait: a node they needed was not asked for in time.
   */
  starved_jobs: number;
  flavors: Record<string, FlavorResult>;
}
