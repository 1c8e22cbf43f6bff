import { ReversalCounter } from './metrics';
import type { Random } from './rng';
import type { PoolView, ScalingStrategy } from './strategies/strategy';
import { TimelineRecorder } from './timeline';
import type { TraceJob } from './trace';
import type { FlavorSetup, JobOutcome, TimelineRow } from './types';
import { VirtualPool } from './virtual-pool';

export interface ReplayOptions {
  /** Sorted by submit time (as `parseTrace` returns them). */
  jobs: readonly TraceJob[];
  flavors: readonly FlavorSetup[];
  strategy: ScalingStrategy;
  horizonS: number;
  provisionDelayS: (flavor: string, az: string) => number;
  jitterS?: number;
  random?: Random;
}

export interface ReplayResult {
  outcomes: JobOutcome[];
  nodeSeconds: Record<string, number>;
  preemptedJobs: Record<string, number>;
  reversals: Record<string, number>;
  peakNodes: Record<string, number>;
  patches: number;
  timeline: TimelineRow[];
}

const total = (counts: Record<string, number>): number =>
  Object.values(counts).reduce((sum, n) => sum + n, 0);

/**
 * Replays a trace against one strategy in virtual time. At every instant where something happens, in this order:
 * nodes come up and jobs end, jobs are submitted, queued jobs are placed, the strategy is told about job events
 * and evaluates if it is due, its resize is applied (and placement retried), and the timeline records the result.
 */
export function replay(options: ReplayOptions): ReplayResult {
  const { jobs, flavors, strategy, horizonS } = options;
  const pool = new VirtualPool({
    flavors,
    provisionDelayS: options.provisionDelayS,
    jitterS: options.jitterS,
    random: options.random,
    initialNodes: strategy.initialNodes,
  });
  const view: PoolView = { flavors, snapshot: (flavor) => pool.snapshot(flavor) };
  const outcomes: JobOutcome[] = jobs.map((job) => ({ job, preemptions: 0 }));
  const timeline = new TimelineRecorder(strategy.name);
  const reversals = new Map(
    flavors.map((setup) => [setup.flavor, new ReversalCounter(setup.reversalWindowS)]),
  );
  const desired: Record<string, number> = {};
  const peakNodes: Record<string, number> = {};
  for (const setup of flavors) {
    desired[setup.flavor] = total(strategy.initialNodes[setup.flavor] ?? {});
    peakNodes[setup.flavor] = desired[setup.flavor]!;
  }
  let patches = 0;
  let nextJob = 0;
  recordTimeline(timeline, 0, flavors, pool, desired);

  for (;;) {
    const t = Math.min(
      jobs[nextJob]?.submitS ?? Infinity,
      pool.nextEventTime() ?? Infinity,
      strategy.nextWakeAt(),
    );
    if (!(t <= horizonS)) break;
    pool.advanceTo(t);
    for (; nextJob < jobs.length && jobs[nextJob]!.submitS <= t; nextJob++)
      pool.submit(outcomes[nextJob]!, nextJob);
    pool.place(t);
    if (pool.takeJobEvents() > 0) strategy.onJobEvents(t);
    if (strategy.nextWakeAt() <= t) {
      const step = strategy.evaluate(t, view);
      if (step.patched) patches++;
      Object.assign(desired, step.desired);
      for (const [flavor, target] of Object.entries(step.resize)) {
        const before = total(pool.snapshot(flavor).nodes);
        pool.resize(flavor, target, t, strategy.scaleIn === 'idle-nodes');
        const after = total(pool.snapshot(flavor).nodes);
        reversals.get(flavor)?.record(t, before, after);
        peakNodes[flavor] = Math.max(peakNodes[flavor] ?? 0, after);
      }
      pool.place(t);
      if (pool.takeJobEvents() > 0) strategy.onJobEvents(t);
    }
    recordTimeline(timeline, t, flavors, pool, desired);
  }

  const preemptedJobs: Record<string, number> = {};
  const reversalCounts: Record<string, number> = {};
  for (const setup of flavors) {
    preemptedJobs[setup.flavor] = pool.preemptedJobs(setup.flavor);
    reversalCounts[setup.flavor] = reversals.get(setup.flavor)?.count ?? 0;
  }
  return {
    outcomes,
    nodeSeconds: pool.nodeSeconds(horizonS),
    preemptedJobs,
    reversals: reversalCounts,
    peakNodes,
    patches,
    timeline: timeline.rows,
  };
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
