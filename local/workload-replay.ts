import type { JobEvent } from '../functions/shared/events';
import type { TraceJob } from '../policy-sim/trace';
import type { FlavorSetup, JobOutcome } from '../policy-sim/types';
import {
  flavorResourcesByName,
  type FlavorResourcesOverride,
  type TransitionPage,
  type WorkloadSubmission,
  type WorkloadTransition,
} from '../simulator';
import { jobEventOf } from './workload-events';

/** The simulator calls the replay makes (a `ModelArtsSimulator` has them). */
export interface WorkloadHost {
  submitWorkload(pool: string, submission: WorkloadSubmission): unknown;
  workloadTransitions(cursor?: number): TransitionPage;
}

export interface WorkloadReplayOptions {
  /** The pool the job events name: the one the autoscaler scales. */
  pool: string;
  /** The simulator pool the workloads run in: the same pool, or the local mirror of a real one. */
  workloadPool: string;
  /** Prefix of every job id, so runs sharing a kept database never collide. */
  runId: string;
  /** Epoch ms of the trace's second 0 on the simulation clock. */
  startEpochMs: number;
}

export class WorkloadFeedError extends Error {
  override readonly name = 'WorkloadFeedError';
}

interface TrackedJob {
  outcome: JobOutcome;
  jobId: string;
}

interface FlavorFigures {
  setup: FlavorSetup;
  /** Whether the simulator counts the flavor's units in accelerators (else in whole nodes). */
  accelerators: boolean;
  pendingUnits: number;
  runningUnits: number;
  preempted: number;
}

/**
 * What a node of each flavor holds in the simulator: the policy's `unitsPerNode`. A flavor whose name already
 * says so keeps the simulator's reading; any other gets that many accelerators per node.
 */
export function simulatorFlavors(setups: readonly FlavorSetup[]): Record<string, FlavorResourcesOverride> {
  const overrides: Record<string, FlavorResourcesOverride> = {};
  for (const setup of setups) {
    const byName = flavorResourcesByName(setup.flavor);
    const perNode = byName.accelerators > 0 ? byName.accelerators : 1;
    if (perNode !== setup.unitsPerNode) overrides[setup.flavor] = { accelerators: setup.unitsPerNode };
  }
  return overrides;
}

/**
 * A trace job as a workload: its units as accelerators (or whole nodes on a flavor without any), a job larger
 * than one node as a workload on whole nodes, completing by itself after the job's run time.
 */
export function workloadSubmission(
  job: TraceJob,
  uid: string,
  flavor: { unitsPerNode: number; accelerators: boolean },
): WorkloadSubmission {
  const base = { flavor: job.flavor, uid, jobName: job.jobId.slice(0, 128), durationSeconds: job.durationS };
  if (!flavor.accelerators) return { ...base, nodeCount: job.units };
  if (job.units > flavor.unitsPerNode && job.units % flavor.unitsPerNode === 0) {
    return { ...base, nodeCount: job.units / flavor.unitsPerNode, acceleratorsPerNode: flavor.unitsPerNode };
  }
  return { ...base, accelerators: job.units };
}

/**
 * The trace replayed as simulator workloads: each job is submitted at its trace time, and the simulator queues,
 * places, runs and ends it (and fails it when a node under it is removed). The job events are the workloads'
 * transitions, read from the simulator's feed exactly once each, in the order it made them. A workload killed
 * by a node removal ends the job as failed and counts as preempted; it is not submitted again.
 */
export class WorkloadReplay {
  private readonly jobs: TraceJob[];
  private readonly outcomes: JobOutcome[];
  private readonly tracked = new Map<string, TrackedJob>();
  private readonly flavors = new Map<string, FlavorFigures>();
  private nextJob = 0;
  private ended = 0;
  private cursor: number;

  constructor(
    jobs: readonly TraceJob[],
    setups: readonly FlavorSetup[],
    private readonly host: WorkloadHost,
    private readonly options: WorkloadReplayOptions,
  ) {
    this.jobs = [...jobs].sort((a, b) => a.submitS - b.submitS);
    this.outcomes = this.jobs.map((job) => ({ job, preemptions: 0 }));
    const overrides = simulatorFlavors(setups);
    for (const setup of setups) {
      const accelerators =
        overrides[setup.flavor] !== undefined || flavorResourcesByName(setup.flavor).accelerators > 0;
      this.flavors.set(setup.flavor, { setup, accelerators, pendingUnits: 0, runningUnits: 0, preempted: 0 });
    }
    // Only what happens from now on is this replay's.
    this.cursor = host.workloadTransitions().cursor;
  }

  /** Submits the jobs due by trace second `tS`, then returns the events of every transition since the last call. */
  step(tS: number): JobEvent[] {
    for (; this.nextJob < this.jobs.length && this.jobs[this.nextJob]!.submitS <= tS; this.nextJob++) {
      this.submit(this.nextJob);
    }
    const page = this.host.workloadTransitions(this.cursor);
    if (page.missed > 0) {
      throw new WorkloadFeedError(
        `the simulator dropped ${page.missed} workload transitions before they were read; their job events would be lost`,
      );
    }
    this.cursor = page.cursor;
    return page.transitions.flatMap((transition) => this.apply(transition));
  }

  /** Units waiting and running for one flavor: what the depth table should show. */
  demand(flavor: string): { pendingUnits: number; runningUnits: number } {
    const figures = this.flavor(flavor);
    return { pendingUnits: figures.pendingUnits, runningUnits: figures.runningUnits };
  }

  /** Workloads of the flavor that a node removal killed. */
  preempted(flavor: string): number {
    return this.flavor(flavor).preempted;
  }

  /** Each trace job's first start and its end in trace seconds (a killed job ends when it is killed). */
  jobOutcomes(): readonly JobOutcome[] {
    return this.outcomes;
  }

  progress(): { total: number; submitted: number; ended: number; preempted: number } {
    let preempted = 0;
    for (const figures of this.flavors.values()) preempted += figures.preempted;
    return { total: this.jobs.length, submitted: this.nextJob, ended: this.ended, preempted };
  }

  /** Every job submitted and ended (completed, or failed when its node was removed). */
  done(): boolean {
    return this.nextJob >= this.jobs.length && this.ended >= this.jobs.length;
  }

  private flavor(name: string): FlavorFigures {
    const figures = this.flavors.get(name);
    if (figures === undefined) throw new Error(`flavor ${name} is not in the policy`);
    return figures;
  }

  private submit(order: number): void {
    const job = this.jobs[order]!;
    const uid = `${this.options.runId}-${order}`;
    this.tracked.set(uid, {
      outcome: this.outcomes[order]!,
      jobId: `${this.options.runId}-${job.jobId}`,
    });
    const figures = this.flavor(job.flavor);
    this.host.submitWorkload(
      this.options.workloadPool,
      workloadSubmission(job, uid, {
        unitsPerNode: figures.setup.unitsPerNode,
        accelerators: figures.accelerators,
      }),
    );
  }

  private apply(transition: WorkloadTransition): JobEvent[] {
    if (transition.pool !== this.options.workloadPool) return [];
    const job = this.tracked.get(transition.uid);
    if (job === undefined) return [];
    const figures = this.flavor(transition.flavor);
    const units = transition.units;
    const tS = (transition.at - this.options.startEpochMs) / 1000;
    if (transition.from === 'Queue') figures.pendingUnits -= units;
    if (transition.from === 'Running') figures.runningUnits -= units;
    if (transition.to === 'Queue') figures.pendingUnits += units;
    else if (transition.to === 'Running') {
      figures.runningUnits += units;
      job.outcome.startS ??= tS;
    } else {
      // Ended: completed, or failed with its node. A killed job is not run again: its end is here.
      job.outcome.finishS = tS;
      this.ended++;
      if (transition.killed) {
        figures.preempted++;
        job.outcome.preemptions++;
      }
    }
    return [jobEventOf(transition, { pool: this.options.pool, jobId: job.jobId })];
  }
}
