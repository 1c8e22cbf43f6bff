import { decidingReason } from '../bin/commands/deciding-reason';
import type { Activity } from '../functions/shared/store/activity-repository';
import { DecisionLog } from '../policy-sim/decision-log';
import { ReversalCounter, roundFigure } from '../policy-sim/metrics';
import { simulationResult, type SimulationResult, type SimulationSettings } from '../policy-sim/results';
import type { TraceJob } from '../policy-sim/trace';
import type { FlavorSetup, JobOutcome, TimelineRow } from '../policy-sim/types';
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
  private decisions = new DecisionLog('policy');
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

  /**
   * The evaluator's decisions as its activities recorded them (any order; `startEpochMs` is the trace's second
   * 0): each PATCH or batch-delete sent (or, in a dry run, that would be), and the decisions that held a flavor.
   * A pool-level record (a failed read, a back-off) is a decision for every flavor.
   */
  recordActivities(activities: readonly Activity[], startEpochMs: number): void {
    this.decisions = new DecisionLog('policy');
    const sorted = [...activities].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    for (const activity of sorted) {
      const tS = roundFigure((Date.parse(activity.at) - startEpochMs) / 1000);
      const changed =
        (activity.status === 'Successful' || activity.status === 'DryRun') &&
        (activity.action === 'scale' || activity.action === 'dry-run');
      const kind = activity.nodes !== undefined && activity.nodes.length > 0 ? 'batch-delete' : 'patch';
      const decided = decidingReason(activity.reasons, activity.errorMessage);
      const reason =
        !changed && activity.errorMessage !== undefined && activity.action === 'scale'
          ? `${kind === 'patch' ? 'PATCH' : 'batch-delete'} ${activity.status.toLowerCase()}: ${decided}`
          : decided;
      const flavors = activity.flavor === '*' ? this.setups.map((setup) => setup.flavor) : [activity.flavor];
      for (const flavor of flavors) {
        const nodesBefore = activity.before?.count ?? this.lastCount(flavor, tS);
        this.decisions.record({
          tS,
          flavor,
          request: changed ? kind : 'none',
          requests: changed ? 1 : 0,
          nodesBefore,
          nodesAfter: changed ? (activity.after?.count ?? nodesBefore) : nodesBefore,
          reason,
        });
      }
    }
  }

  /** The flavor's node count (creating or available) last observed at or before `tS`. */
  private lastCount(flavor: string, tS: number): number {
    const row = this.timeline.findLast(
      (entry) => entry.flavor === flavor && entry.az === '*' && entry.tS <= tS,
    );
    return row?.count ?? 0;
  }

  moves(): Record<string, ScaleMoves> {
    return Object.fromEntries(
      [...this.flavors].map(([flavor, record]) => [
        flavor,
        { scaleUps: record.scaleUps, scaleDowns: record.scaleDowns, targets: this.targets.get(flavor) ?? [] },
      ]),
    );
  }

  /**
   * The run as a `SimulationResult` with the `policy` strategy and the oracle for comparison, assembled as
   * `simulate` assembles its own.
   */
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
    const nodeSeconds: Record<string, number> = {};
    const reversals: Record<string, number> = {};
    const peakNodes: Record<string, number> = {};
    for (const [flavor, record] of this.flavors) {
      nodeSeconds[flavor] = record.nodeSeconds;
      reversals[flavor] = record.reversals.count;
      peakNodes[flavor] = record.peakNodes;
    }
    return simulationResult({
      pool: input.pool,
      jobs: input.jobs,
      skippedJobs: 0,
      flavors: this.setups,
      settings: {
        ...input.settings,
        tail_s: 0,
        horizon_s: horizonS,
        last_job_end_s: roundFigure(Math.max(0, ...ends)),
        // The run ends by itself once every job has ended, or at its time limit, which is then its cap.
        horizon_cap_s: horizonS,
        horizon_capped: input.outcomes.some((outcome) => outcome.finishS === undefined),
        baselines: [],
      },
      runs: [
        {
          strategy: 'policy',
          run: {
            outcomes: [...input.outcomes],
            nodeSeconds,
            preemptedJobs: input.preempted,
            reversals,
            peakNodes,
            patches: this.patches,
            scaleOperations: this.scaleOperations,
            timeline: this.timeline,
            decisions: this.decisions.marks,
          },
        },
      ],
    });
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
