import { jobWaits, ReversalCounter, roundFigure, unfinishedJobs, waitStats } from '../policy-sim/metrics';
import type { SimulationResult, SimulationSettings } from '../policy-sim/simulate';
import { oracleFlavor, oracleTimeline } from '../policy-sim/strategies/oracle';
import type { TraceJob } from '../policy-sim/trace';
import type { FlavorResult, FlavorSetup, JobOutcome, StrategyResult, TimelineRow } from '../policy-sim/types';
import type { AzState, FlavorState } from './pool-state';

interface FlavorRecord {
  nodeSeconds: number;
  lastNodes: number;
  peakNodes: number;
  lastTarget: number | undefined;
  scaleUps: number;
  scaleDowns: number;
  reversals: ReversalCounter;
}

/** How the pool's size moved during the run, per flavor. */
export interface ScaleMoves {
  scaleUps: number;
  scaleDowns: number;
  /** Target after each change, starting with the first one seen. */
  targets: number[];
}

/**
 * Records what the local run observed (pool status per flavor and AZ, demand, PATCHes) in the policy simulator's
 * terms, so its summary and report are written by the same code and read the same way as `simulate`'s.
 */
export class RunRecorder {
  private readonly timeline: TimelineRow[] = [];
  private readonly lastRows = new Map<string, string>();
  private readonly flavors = new Map<string, FlavorRecord>();
  private readonly targets = new Map<string, number[]>();
  private lastT = 0;
  patches = 0;
  /** PATCHes and batch-deletes. */
  scaleOperations = 0;

  constructor(private readonly setups: readonly FlavorSetup[]) {
    for (const setup of setups) {
      this.flavors.set(setup.flavor, {
        nodeSeconds: 0,
        lastNodes: 0,
        peakNodes: 0,
        lastTarget: undefined,
        scaleUps: 0,
        scaleDowns: 0,
        reversals: new ReversalCounter(setup.reversalWindowS),
      });
      this.targets.set(setup.flavor, []);
    }
  }

  /** One observation at trace second `tS`. */
  observe(tS: number, states: readonly FlavorState[], demandUnits: Record<string, number>): void {
    const dt = Math.max(0, tS - this.lastT);
    for (const state of states) {
      const record = this.flavors.get(state.flavor);
      if (record === undefined) continue;
      // Billed from request until gone: creating and deleting nodes count too.
      record.nodeSeconds += record.lastNodes * dt;
      record.lastNodes = state.creating + state.available + state.deleting + state.abnormal;
      record.peakNodes = Math.max(record.peakNodes, record.lastNodes);
      if (record.lastTarget !== undefined && state.target !== record.lastTarget) {
        if (state.target > record.lastTarget) record.scaleUps++;
        else record.scaleDowns++;
        record.reversals.record(tS, record.lastTarget, state.target);
      }
      if (record.lastTarget !== state.target) this.targets.get(state.flavor)?.push(state.target);
      record.lastTarget = state.target;
      this.row(tS, state.flavor, state, demandUnits[state.flavor] ?? 0);
      for (const az of state.azs) this.row(tS, state.flavor, az, undefined);
    }
    this.lastT = Math.max(this.lastT, tS);
  }

  moves(): Record<string, ScaleMoves> {
    return Object.fromEntries(
      [...this.flavors].map(([flavor, record]) => [
        flavor,
        { scaleUps: record.scaleUps, scaleDowns: record.scaleDowns, targets: this.targets.get(flavor) ?? [] },
      ]),
    );
  }

  /** The run as a `SimulationResult` with the `policy` strategy and the oracle for comparison. */
  result(input: {
    pool: string;
    jobs: readonly TraceJob[];
    outcomes: readonly JobOutcome[];
    preempted: Record<string, number>;
    settings: Omit<
      SimulationSettings,
      'horizon_s' | 'tail_s' | 'baselines' | 'last_job_end_s' | 'horizon_cap_s' | 'horizon_capped'
    >;
  }): SimulationResult {
    const horizonS = roundFigure(this.lastT);
    const ends = input.outcomes.map((outcome) => outcome.finishS ?? horizonS);
    const settings: SimulationSettings = {
      ...input.settings,
      tail_s: 0,
      horizon_s: horizonS,
      last_job_end_s: roundFigure(Math.max(0, ...ends)),
      // The run ends by itself once every job has ended, or at its time limit, which is then its cap.
      horizon_cap_s: horizonS,
      horizon_capped: input.outcomes.some((outcome) => outcome.finishS === undefined),
      baselines: [],
    };
    const oracle = new Map(
      this.setups.map((setup) => [setup.flavor, oracleFlavor(input.jobs, setup, horizonS)]),
    );
    const oracleSeconds = [...oracle.values()].reduce((sum, flavor) => sum + flavor.nodeSeconds, 0);
    const flavorResults: Record<string, FlavorResult> = {};
    const oracleFlavors: Record<string, FlavorResult> = {};
    const waits: Record<string, number[]> = {};
    for (const setup of this.setups) {
      const record = this.flavors.get(setup.flavor)!;
      const outcomes = input.outcomes.filter((outcome) => outcome.job.flavor === setup.flavor);
      waits[setup.flavor] = jobWaits(outcomes, horizonS);
      flavorResults[setup.flavor] = {
        node_seconds: roundFigure(record.nodeSeconds),
        wait_s: waitStats(waits[setup.flavor]!),
        jobs: outcomes.length,
        preempted_jobs: input.preempted[setup.flavor] ?? 0,
        unfinished_jobs: unfinishedJobs(outcomes),
        reversals: record.reversals.count,
        peak_nodes: record.peakNodes,
      };
      const best = oracle.get(setup.flavor)!;
      oracleFlavors[setup.flavor] = {
        node_seconds: roundFigure(best.nodeSeconds),
        wait_s: waitStats([]),
        jobs: outcomes.length,
        preempted_jobs: 0,
        unfinished_jobs: 0,
        reversals: 0,
        peak_nodes: best.peakNodes,
      };
    }
    const nodeSeconds = [...this.flavors.values()].reduce((sum, record) => sum + record.nodeSeconds, 0);
    const policy: StrategyResult = {
      strategy: 'policy',
      node_seconds: roundFigure(nodeSeconds),
      node_hours: roundFigure(nodeSeconds / 3600),
      oracle_ratio: roundFigure(oracleSeconds > 0 ? nodeSeconds / oracleSeconds : 0),
      wait_s: waitStats(jobWaits(input.outcomes, horizonS)),
      patches: this.patches,
      scale_operations: this.scaleOperations,
      reversals: Object.values(flavorResults).reduce((sum, flavor) => sum + flavor.reversals, 0),
      preempted_jobs: Object.values(flavorResults).reduce((sum, flavor) => sum + flavor.preempted_jobs, 0),
      unfinished_jobs: unfinishedJobs(input.outcomes),
      flavors: flavorResults,
    };
    const oracleResult: StrategyResult = {
      strategy: 'oracle',
      node_seconds: roundFigure(oracleSeconds),
      node_hours: roundFigure(oracleSeconds / 3600),
      oracle_ratio: oracleSeconds > 0 ? 1 : 0,
      wait_s: waitStats([]),
      patches: 0,
      scale_operations: 0,
      reversals: 0,
      preempted_jobs: 0,
      unfinished_jobs: 0,
      flavors: oracleFlavors,
    };
    return {
      pool: input.pool,
      jobs: input.jobs.length,
      skippedJobs: 0,
      flavors: [...this.setups],
      settings,
      results: [policy, oracleResult],
      timeline: [...this.timeline, ...oracleTimeline(oracle)].sort((a, b) => a.tS - b.tS),
      waits: {
        policy: waits,
        oracle: Object.fromEntries(
          Object.entries(waits).map(([flavor, list]) => [flavor, list.map(() => 0)]),
        ),
      },
    };
  }

  private row(tS: number, flavor: string, state: AzState, demandUnits: number | undefined): void {
    const count = state.creating + state.available;
    const key = `${flavor}\u0000${state.az}`;
    const signature = `${demandUnits ?? ''}|${state.target}|${count}|${state.available}|${state.creating}`;
    if (this.lastRows.get(key) === signature) return;
    this.lastRows.set(key, signature);
    this.timeline.push({
      tS: roundFigure(tS),
      strategy: 'policy',
      flavor,
      az: state.az,
      demandUnits,
      target: state.target,
      count,
      available: state.available,
      creating: state.creating,
    });
  }
}
