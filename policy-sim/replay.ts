import { DecisionLog } from './decision-log';
import { ReversalCounter } from './metrics';
import type { Random } from './rng';
import type { PoolView, ScalingStrategy } from './strategies/strategy';
import { TimelineRecorder } from './timeline';
import type { TraceJob } from './trace';
import type { DecisionMark, FlavorSetup, JobOutcome, TimelineRow } from './types';
import { VirtualPool } from './virtual-pool';

export interface ReplayOptions {
  /** Sorted by submit time (as `parseTrace` returns them). */
  jobs: readonly TraceJob[];
  flavors: readonly FlavorSetup[];
  strategy: ScalingStrategy;
  provisionDelayS: (flavor: string, az: string) => number;
  jitterS?: number;
  random?: Random;
  /** Epoch ms of the trace's second 0: the nodes' creation timestamps the strategies read. */
  startEpochMs?: number;
}

export interface ReplayResult {
  outcomes: JobOutcome[];
  nodeSeconds: Record<string, number>;
  preemptedJobs: Record<string, number>;
  reversals: Record<string, number>;
  peakNodes: Record<string, number>;
  patches: number;
  /** Requests that changed the pool's size: PATCHes and batch-deletes. */
  scaleOperations: number;
  timeline: TimelineRow[];
  /** Every request, and the decisions that held a flavor, with their reasons. */
  decisions: DecisionMark[];
}

const total = (counts: Record<string, number>): number =>
  Object.values(counts).reduce((sum, n) => sum + n, 0);

/**
 * Replays a trace against one strategy in virtual time, as far as it is asked to go. At every instant where
 * something happens, in this order: nodes come up and jobs end, jobs are submitted, queued jobs are placed, the
 * strategy is told about job events and evaluates if it is due, its resize (PATCH) or removal by name
 * (batch-delete) is applied and placement retried, and the timeline records the result.
 */
export class Replay {
  private readonly pool: VirtualPool;
  private readonly view: PoolView;
  private readonly outcomes: JobOutcome[];
  private readonly timeline: TimelineRecorder;
  private readonly decisions: DecisionLog;
  private readonly reversals: Map<string, ReversalCounter>;
  private readonly desired: Record<string, number> = {};
  private readonly peakNodes: Record<string, number> = {};
  private patches = 0;
  private scaleOperations = 0;
  private nextJob = 0;
  /** The last instant replayed. */
  private reachedS = 0;

  constructor(private readonly options: ReplayOptions) {
    const { jobs, flavors, strategy } = options;
    this.pool = new VirtualPool({
      flavors,
      provisionDelayS: options.provisionDelayS,
      jitterS: options.jitterS,
      random: options.random,
      initialNodes: strategy.initialNodes,
      ...(options.startEpochMs !== undefined ? { startEpochMs: options.startEpochMs } : {}),
    });
    this.view = {
      flavors,
      snapshot: (flavor) => this.pool.snapshot(flavor),
      occupancy: () => this.pool.occupancy(),
    };
    this.outcomes = jobs.map((job) => ({ job, preemptions: 0 }));
    this.timeline = new TimelineRecorder(strategy.name);
    this.decisions = new DecisionLog(strategy.name);
    this.reversals = new Map(
      flavors.map((setup) => [setup.flavor, new ReversalCounter(setup.reversalWindowS)]),
    );
    for (const setup of flavors) {
      this.desired[setup.flavor] = total(strategy.initialNodes[setup.flavor] ?? {});
      this.peakNodes[setup.flavor] = this.desired[setup.flavor]!;
    }
    recordTimeline(this.timeline, 0, flavors, this.pool, this.desired);
  }

  /** Replays until every job has ended, or up to `capS`. Returns when the last job ended (or `capS`). */
  runUntilAllEnded(capS: number): number {
    this.run(capS, () => this.allEnded());
    return this.allEnded() ? this.reachedS : capS;
  }

  /** Whether every job of the trace has run to its end. */
  allEnded(): boolean {
    return this.pool.endedJobs() === this.outcomes.length;
  }

  /** Replays every instant up to and including `horizonS`. */
  runTo(horizonS: number): void {
    this.run(horizonS, () => false);
  }

  /** Figures over [0, horizonS]; the replay must have reached it. */
  result(horizonS: number): ReplayResult {
    const preemptedJobs: Record<string, number> = {};
    const reversalCounts: Record<string, number> = {};
    for (const setup of this.options.flavors) {
      preemptedJobs[setup.flavor] = this.pool.preemptedJobs(setup.flavor);
      reversalCounts[setup.flavor] = this.reversals.get(setup.flavor)?.count ?? 0;
    }
    return {
      outcomes: this.outcomes,
      nodeSeconds: this.pool.nodeSeconds(horizonS),
      preemptedJobs,
      reversals: reversalCounts,
      peakNodes: this.peakNodes,
      patches: this.patches,
      scaleOperations: this.scaleOperations,
      timeline: this.timeline.rows,
      decisions: this.decisions.marks,
    };
  }

  private nodeCount(flavor: string): number {
    return total(this.pool.snapshot(flavor).nodes);
  }

  private run(limitS: number, done: () => boolean): void {
    const { jobs, flavors, strategy } = this.options;
    const { pool } = this;
    while (!done()) {
      const t = Math.min(
        jobs[this.nextJob]?.submitS ?? Infinity,
        pool.nextEventTime() ?? Infinity,
        strategy.nextWakeAt(),
      );
      if (!(t <= limitS)) break;
      pool.advanceTo(t);
      for (; this.nextJob < jobs.length && jobs[this.nextJob]!.submitS <= t; this.nextJob++)
        pool.submit(this.outcomes[this.nextJob]!, this.nextJob);
      pool.place(t);
      if (pool.takeJobEvents() > 0) strategy.onJobEvents(t);
      if (strategy.nextWakeAt() <= t) {
        const step = strategy.evaluate(t, this.view);
        this.patches += step.patches;
        this.scaleOperations += step.patches + step.batchDeletes;
        Object.assign(this.desired, step.desired);
        const before = Object.fromEntries(
          flavors.map((setup) => [setup.flavor, this.nodeCount(setup.flavor)]),
        );
        for (const [flavor, target] of Object.entries(step.resize)) pool.resize(flavor, target, t);
        if (step.removeNodes.length > 0) pool.deleteNodes(step.removeNodes, t);
        for (const setup of flavors) {
          const after = this.nodeCount(setup.flavor);
          this.reversals.get(setup.flavor)?.record(t, before[setup.flavor] ?? after, after);
          this.peakNodes[setup.flavor] = Math.max(this.peakNodes[setup.flavor] ?? 0, after);
          const why = step.decisions[setup.flavor];
          if (why === undefined) continue;
          this.decisions.record({
            tS: t,
            flavor: setup.flavor,
            request:
              why.requests === 0
                ? 'none'
                : step.resize[setup.flavor] !== undefined
                  ? 'patch'
                  : 'batch-delete',
            requests: why.requests,
            nodesBefore: before[setup.flavor] ?? after,
            nodesAfter: after,
            reason: why.reason,
          });
        }
        pool.place(t);
        if (pool.takeJobEvents() > 0) strategy.onJobEvents(t);
      }
      recordTimeline(this.timeline, t, flavors, pool, this.desired);
      this.reachedS = t;
    }
  }
}

/** Replays up to `horizonS` and returns the figures over [0, horizonS]. */
export function replay(options: ReplayOptions & { horizonS: number }): ReplayResult {
  const run = new Replay(options);
  run.runTo(options.horizonS);
  return run.result(options.horizonS);
}

function recordTimeline(
  timeline: TimelineRecorder,
  tS: number,
  flavors: readonly FlavorSetup[],
  pool: VirtualPool,
  desired: Record<string, number>,
): void {
  for (const setup of flavors) {
    const snapshot = pool.snapshot(setup.flavor);
    timeline.record({
      tS,
      flavor: setup.flavor,
      az: '*',
      demandUnits: snapshot.pendingUnits + snapshot.runningUnits,
      target: desired[setup.flavor] ?? 0,
      count: total(snapshot.nodes),
      available: total(snapshot.available),
      creating: total(snapshot.creating),
    });
    for (const az of Object.keys(snapshot.nodes)) {
      timeline.record({
        tS,
        flavor: setup.flavor,
        az,
        demandUnits: undefined,
        target: snapshot.nodes[az] ?? 0,
        count: snapshot.nodes[az] ?? 0,
        available: snapshot.available[az] ?? 0,
        creating: snapshot.creating[az] ?? 0,
      });
    }
  }
}
