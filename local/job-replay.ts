import type { JobEvent } from '../functions/shared/events';
import type { TraceJob } from '../policy-sim/trace';
import type { FlavorSetup, JobOutcome } from '../policy-sim/types';
import { placeJob } from '../functions/shared/engine/placement';

interface Node {
  freeUnits: number;
  jobs: Set<RunningJob>;
}

interface QueuedJob {
  outcome: JobOutcome;
  /** Position in the trace: the queue is served in this order; a preempted job goes back to its place. */
  order: number;
  /** 0 for the first run; a preempted job runs again as a new attempt with its own job id. */
  attempt: number;
}

interface RunningJob extends QueuedJob {
  endS: number;
  placements: Array<{ node: Node; units: number }>;
}

interface FlavorJobs {
  setup: FlavorSetup;
  nodes: Node[];
  queue: QueuedJob[];
  running: Set<RunningJob>;
  pendingUnits: number;
  runningUnits: number;
  preempted: number;
}

export interface JobReplayOptions {
  pool: string;
  /** Prefix of every job id, so runs sharing a kept database never collide. */
  runId: string;
  /** ISO time of a trace second, for the events' `at`. */
  isoAt: (traceSecond: number) => string;
}

/**
 * Turns a trace into the job events a cluster would emit: jobs are submitted at their trace time, start when the
 * pool's available nodes have room (first fit in submit order, like the policy simulator's virtual pool; a job
 * larger than one node takes whole free nodes), and finish after their run time. Node counts come from the pool
 * being scaled, so the autoscaler's decisions decide when jobs start. When available nodes disappear, idle ones
 * go first; jobs on a removed busy node fail and are submitted again as a new attempt.
 */
export class JobReplay {
  private readonly flavors = new Map<string, FlavorJobs>();
  private readonly jobs: TraceJob[];
  private readonly outcomes: JobOutcome[];
  private nextJob = 0;

  constructor(
    jobs: readonly TraceJob[],
    setups: readonly FlavorSetup[],
    private readonly options: JobReplayOptions,
  ) {
    this.jobs = [...jobs].sort((a, b) => a.submitS - b.submitS);
    this.outcomes = this.jobs.map((job) => ({ job, preemptions: 0 }));
    for (const setup of setups) {
      this.flavors.set(setup.flavor, {
        setup,
        nodes: [],
        queue: [],
        running: new Set(),
        pendingUnits: 0,
        runningUnits: 0,
        preempted: 0,
      });
    }
  }

  /** Moves the replay to trace second `tS` given the available nodes per flavor; returns the events to send. */
  step(tS: number, availableNodes: Record<string, number>): JobEvent[] {
    const events: JobEvent[] = [];
    for (const flavor of this.flavors.values()) this.finishDue(flavor, tS, events);
    while (this.nextJob < this.jobs.length && this.jobs[this.nextJob]!.submitS <= tS) {
      const order = this.nextJob++;
      const outcome = this.outcomes[order]!;
      const flavor = this.flavor(outcome.job.flavor);
      this.enqueue(flavor, { outcome, order, attempt: 0 });
      events.push(this.event('job.submitted', outcome.job, 0, outcome.job.submitS));
    }
    for (const flavor of this.flavors.values()) {
      this.resizeNodes(flavor, availableNodes[flavor.setup.flavor] ?? 0, tS, events);
      this.place(flavor, tS, events);
    }
    return events;
  }

  /** Units waiting and running for one flavor: what the depth table should show. */
  demand(flavor: string): { pendingUnits: number; runningUnits: number } {
    const state = this.flavor(flavor);
    return { pendingUnits: state.pendingUnits, runningUnits: state.runningUnits };
  }

  preempted(flavor: string): number {
    return this.flavor(flavor).preempted;
  }

  /** Each trace job's first start and end, in trace seconds. */
  jobOutcomes(): readonly JobOutcome[] {
    return this.outcomes;
  }

  progress(): { total: number; submitted: number; finished: number } {
    return {
      total: this.jobs.length,
      submitted: this.nextJob,
      finished: this.outcomes.filter((outcome) => outcome.finishS !== undefined).length,
    };
  }

  /** Every job submitted and ended. */
  done(): boolean {
    return this.nextJob >= this.jobs.length && [...this.flavors.values()].every(isIdle);
  }

  private flavor(name: string): FlavorJobs {
    const flavor = this.flavors.get(name);
    if (flavor === undefined) throw new Error(`flavor ${name} is not in the policy`);
    return flavor;
  }

  private event(type: JobEvent['type'], job: TraceJob, attempt: number, atS: number): JobEvent {
    return {
      type,
      pool: this.options.pool,
      flavor: job.flavor,
      jobId: `${this.options.runId}-${job.jobId}${attempt > 0 ? `.r${attempt}` : ''}`,
      units: job.units,
      at: this.options.isoAt(atS),
    };
  }

  private enqueue(flavor: FlavorJobs, queued: QueuedJob): void {
    let index = flavor.queue.length;
    while (index > 0 && flavor.queue[index - 1]!.order > queued.order) index--;
    flavor.queue.splice(index, 0, queued);
    flavor.pendingUnits += queued.outcome.job.units;
  }

  private finishDue(flavor: FlavorJobs, tS: number, events: JobEvent[]): void {
    const due = [...flavor.running].filter((job) => job.endS <= tS).sort((a, b) => a.endS - b.endS);
    for (const job of due) {
      this.release(flavor, job);
      job.outcome.finishS = job.endS;
      events.push(this.event('job.finished', job.outcome.job, job.attempt, job.endS));
    }
  }

  private release(flavor: FlavorJobs, job: RunningJob): void {
    for (const placement of job.placements) {
      placement.node.freeUnits += placement.units;
      placement.node.jobs.delete(job);
    }
    flavor.running.delete(job);
    flavor.runningUnits -= job.outcome.job.units;
  }

  private resizeNodes(flavor: FlavorJobs, wanted: number, tS: number, events: JobEvent[]): void {
    while (flavor.nodes.length < wanted) {
      flavor.nodes.push({ freeUnits: flavor.setup.unitsPerNode, jobs: new Set() });
    }
    if (flavor.nodes.length <= wanted) return;
    // Idle nodes go first, then the least loaded, newest first among equals: the fewest jobs are lost.
    const age = new Map(flavor.nodes.map((node, index) => [node, index]));
    const victims = [...flavor.nodes]
      .sort(
        (a, b) =>
          a.jobs.size - b.jobs.size || b.freeUnits - a.freeUnits || (age.get(b) ?? 0) - (age.get(a) ?? 0),
      )
      .slice(0, flavor.nodes.length - wanted);
    for (const node of victims) {
      flavor.nodes.splice(flavor.nodes.indexOf(node), 1);
      for (const job of [...node.jobs]) {
        this.release(flavor, job);
        flavor.preempted++;
        job.outcome.preemptions++;
        events.push(this.event('job.failed', job.outcome.job, job.attempt, tS));
        const retry: QueuedJob = { outcome: job.outcome, order: job.order, attempt: job.attempt + 1 };
        this.enqueue(flavor, retry);
        events.push(this.event('job.submitted', job.outcome.job, retry.attempt, tS));
      }
    }
  }

  private place(flavor: FlavorJobs, tS: number, events: JobEvent[]): void {
    const unitsPerNode = flavor.setup.unitsPerNode;
    const stillQueued: QueuedJob[] = [];
    for (const queued of flavor.queue) {
      const placements = placeJob(flavor.nodes, queued.outcome.job.units, unitsPerNode);
      if (placements === undefined) {
        stillQueued.push(queued);
        continue;
      }
      const running: RunningJob = { ...queued, endS: tS + queued.outcome.job.durationS, placements };
      for (const placement of placements) {
        placement.node.freeUnits -= placement.units;
        placement.node.jobs.add(running);
      }
      flavor.running.add(running);
      flavor.pendingUnits -= queued.outcome.job.units;
      flavor.runningUnits += queued.outcome.job.units;
      queued.outcome.startS ??= tS;
      events.push(this.event('job.started', queued.outcome.job, queued.attempt, tS));
    }
    flavor.queue = stillQueued;
  }
}

function isIdle(flavor: FlavorJobs): boolean {
  return flavor.queue.length === 0 && flavor.running.size === 0;
}
