import type { Frontier } from './frontier';
import { jobWaits, periodsAtMaxCount, roundFigure, starvedJobs, unfinishedJobs, waitStats } from './metrics';
import type { ReplayResult } from './replay';
import type { ScaleInMode } from './strategies/strategy';
import { oracleFlavor, oracleTimeline, type OracleFlavor } from './strategies/oracle';
import type { TraceJob } from './trace';
import type {
  BaselineName,
  DecisionMark,
  FlavorResult,
  FlavorSetup,
  StrategyName,
  StrategyResult,
  TimelineRow,
} from './types';

export interface SimulationSettings {
  provision_delay_s: number;
  provision_jitter_s: number;
  sweep_seconds: number;
  event_latency_s: number;
  seed: number;
  tail_s: number;
  /** Every figure of every strategy, the oracle's too, covers [0, horizon_s]. */
  horizon_s: number;
  /** When the last job ended, in the slowest strategy. */
  last_job_end_s: number;
  horizon_cap_s: number;
  /** True when some strategy still had jobs queued or running at the cap: they count as unfinished. */
  horizon_capped: boolean;
  start: string;
  baselines: BaselineName[];
  /** How the policy scaled in: its `scaleIn` field, or the `--policy-scale-in` what-if that replaced it. */
  policy_scale_in: ScaleInMode;
}

/** The longest a job may wait for a node it needs: the provisioning delay (jitter included) plus one sweep. */
export function waitBoundS(settings: SimulationSettings): number {
  return settings.provision_delay_s + settings.provision_jitter_s + settings.sweep_seconds;
}

export interface SimulationResult {
  pool: string;
  jobs: number;
  /** Jobs whose `pool` column names another pool: not replayed. */
  skippedJobs: number;
  flavors: FlavorSetup[];
  settings: SimulationSettings;
  results: StrategyResult[];
  timeline: TimelineRow[];
  /** Each strategy's requests and holds with their reasons, in time order per strategy (the report's marks). */
  decisions: DecisionMark[];
  /** Waits in seconds per strategy and flavor, in trace order (for the report's distribution charts). */
  waits: Partial<Record<StrategyName, Record<string, number[]>>>;
  /** With `--sweep`: the policy at each value of the field and every baseline, on (node-hours, p95 wait). */
  frontier?: Frontier;
}

/** One strategy's replay (or the local run's observation of the real handlers), reaching the horizon. */
export interface StrategyRun {
  strategy: StrategyName;
  run: ReplayResult;
}

export interface SimulationResultInput {
  pool: string;
  /** The jobs replayed, in trace order. */
  jobs: readonly TraceJob[];
  skippedJobs: number;
  flavors: readonly FlavorSetup[];
  /** `horizon_s` is the horizon every figure, the oracle's too, covers. */
  settings: SimulationSettings;
  runs: readonly StrategyRun[];
}

/**
 * Every strategy's figures and the zero-wait oracle's over [0, horizon], in the shape summary.json,
 * timeline.csv and report.html read: one assembly for `simulate` and the local run.
 */
export function simulationResult(input: SimulationResultInput): SimulationResult {
  const { jobs, flavors } = input;
  const horizonS = input.settings.horizon_s;
  const oracle = new Map<string, OracleFlavor>(
    flavors.map((setup) => [setup.flavor, oracleFlavor(jobs, setup, horizonS)]),
  );
  const oracleSeconds = [...oracle.values()].reduce((sum, result) => sum + result.nodeSeconds, 0);
  const results: StrategyResult[] = [];
  const timeline: TimelineRow[] = [];
  const decisions: DecisionMark[] = [];
  const waits: SimulationResult['waits'] = {};
  for (const { strategy, run } of input.runs) {
    results.push(strategyResult(strategy, run, flavors, input.settings, oracleSeconds));
    timeline.push(...run.timeline);
    decisions.push(...run.decisions);
    waits[strategy] = waitsByFlavor(run, flavors, horizonS);
  }
  results.push(oracleResult(oracle, flavors, oracleSeconds, jobs));
  timeline.push(...oracleTimeline(oracle));
  waits.oracle = Object.fromEntries(
    flavors.map((setup) => [setup.flavor, jobs.filter((job) => job.flavor === setup.flavor).map(() => 0)]),
  );
  return {
    pool: input.pool,
    jobs: jobs.length,
    skippedJobs: input.skippedJobs,
    flavors: [...flavors],
    settings: input.settings,
    results,
    // Stable: rows of one instant keep the strategy order, then flavor and AZ order.
    timeline: timeline.sort((a, b) => a.tS - b.tS),
    decisions,
    waits,
  };
}

function waitsByFlavor(run: ReplayResult, flavors: readonly FlavorSetup[], horizonS: number) {
  return Object.fromEntries(
    flavors.map((setup) => {
      const outcomes = run.outcomes.filter((outcome) => outcome.job.flavor === setup.flavor);
      return [setup.flavor, jobWaits(outcomes, horizonS)];
    }),
  );
}

/** One strategy's figures over [0, horizon], its node-hours against the oracle's `oracleSeconds`. */
export function strategyResult(
  name: StrategyName,
  run: ReplayResult,
  flavors: readonly FlavorSetup[],
  settings: SimulationSettings,
  oracleSeconds: number,
): StrategyResult {
  const horizonS = settings.horizon_s;
  const flavorResults: Record<string, FlavorResult> = {};
  for (const setup of flavors) {
    const outcomes = run.outcomes.filter((outcome) => outcome.job.flavor === setup.flavor);
    const rows = run.timeline.filter((row) => row.flavor === setup.flavor && row.az === '*');
    const atMax = periodsAtMaxCount(rows, setup.maxCount);
    flavorResults[setup.flavor] = {
      node_seconds: roundFigure(run.nodeSeconds[setup.flavor] ?? 0),
      wait_s: waitStats(jobWaits(outcomes, horizonS)),
      jobs: outcomes.length,
      preempted_jobs: run.preemptedJobs[setup.flavor] ?? 0,
      unfinished_jobs: unfinishedJobs(outcomes),
      starved_jobs: starvedJobs(outcomes, atMax, waitBoundS(settings), horizonS),
      reversals: run.reversals[setup.flavor] ?? 0,
      peak_nodes: run.peakNodes[setup.flavor] ?? 0,
    };
  }
  const nodeSeconds = Object.values(run.nodeSeconds).reduce((sum, seconds) => sum + seconds, 0);
  return {
    strategy: name,
    node_seconds: roundFigure(nodeSeconds),
    node_hours: roundFigure(nodeSeconds / 3600),
    oracle_ratio: roundFigure(oracleSeconds > 0 ? nodeSeconds / oracleSeconds : 0),
    wait_s: waitStats(jobWaits(run.outcomes, horizonS)),
    patches: run.patches,
    scale_operations: run.scaleOperations,
    reversals: Object.values(run.reversals).reduce((sum, count) => sum + count, 0),
    preempted_jobs: Object.values(run.preemptedJobs).reduce((sum, count) => sum + count, 0),
    unfinished_jobs: unfinishedJobs(run.outcomes),
    starved_jobs: Object.values(flavorResults).reduce((sum, figures) => sum + figures.starved_jobs, 0),
    flavors: flavorResults,
  };
}

function oracleResult(
  oracle: Map<string, OracleFlavor>,
  flavors: readonly FlavorSetup[],
  oracleSeconds: number,
  jobs: readonly TraceJob[],
): StrategyResult {
  const noWait = waitStats([]);
  const flavorResults: Record<string, FlavorResult> = {};
  for (const setup of flavors) {
    const result = oracle.get(setup.flavor)!;
    flavorResults[setup.flavor] = {
      node_seconds: roundFigure(result.nodeSeconds),
      wait_s: noWait,
      jobs: jobs.filter((job) => job.flavor === setup.flavor).length,
      preempted_jobs: 0,
      unfinished_jobs: 0,
      starved_jobs: 0,
      reversals: 0,
      peak_nodes: result.peakNodes,
    };
  }
  return {
    strategy: 'oracle',
    node_seconds: roundFigure(oracleSeconds),
    node_hours: roundFigure(oracleSeconds / 3600),
    oracle_ratio: oracleSeconds > 0 ? 1 : 0,
    wait_s: noWait,
    patches: 0,
    scale_operations: 0,
    reversals: 0,
    preempted_jobs: 0,
    unfinished_jobs: 0,
    starved_jobs: 0,
    flavors: flavorResults,
  };
}
