import type { JobEvent } from '../../functions/shared/events';
import type { JobState } from '../../functions/shared/store/job-transitions';
import { jobEventOf } from '../../local/workload-events';
import {
  ModelArtsHttpError,
  type ModelArtsSimulator,
  type SimWorkloadStatus,
  type WorkloadSubmission,
} from '../../simulator/index';
import { seededRandom } from '../../simulator/random';

export { seededRandom };

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

export const depthKey = (pool: string, flavor: string): string => `${pool}\u0000${flavor}`;

/** The state a job's events reach once every event of its workload is in: the ground truth of the depth. */
export const JOB_STATE_OF: Record<SimWorkloadStatus, JobState> = {
  Queue: 'submitted',
  Running: 'started',
  Completed: 'finished',
  Failed: 'failed',
  Terminated: 'cancelled',
};

/** What the script does to a job after submitting it. */
type Fate =
  | { kind: 'leave' }
  | { kind: 'complete'; durationSeconds: number }
  | { kind: 'end'; action: 'fail' | 'terminate'; afterBursts: number };

/** A job as the transitions read so far leave it: what the queue has been told. */
export interface ScriptJob {
  pool: string;
  flavor: string;
  jobId: string;
  units: number;
  status: SimWorkloadStatus;
}

interface PendingEnd {
  pool: string;
  uid: string;
  action: 'fail' | 'terminate';
  burst: number;
}

export interface WorkloadScriptOptions {
  /** Job events to reach before the script stops submitting; what the simulator does next comes on top. */
  eventCount: number;
  pools: readonly string[];
  flavors: readonly string[];
  seed: number;
}

/**
 * The chaos run's jobs, as workloads of the simulated pools: bursts of jobs submitted to one pool at a time
 * (a team submitting a batch), each left to run (or wait) for ever, completing by itself after a short run, or
 * failed or cancelled by the script a few bursts later. The simulator queues and places them on the nodes the
 * autoscaler asks for, and fails those on nodes a scale-in removes. The job events are the workloads'
 * transitions, read once each from the simulator's feed.
 */
export class WorkloadScript {
  private readonly random: () => number;
  private readonly pools: ReadonlySet<string>;
  private readonly pending: PendingEnd[] = [];
  private readonly known = new Map<string, ScriptJob>();
  /** Jobs that complete by themselves once started. */
  private readonly timed = new Set<string>();
  private cursor: number;
  private burst = 0;
  private nextJob = 0;
  /** Transitions read so far: every one became an event. */
  events = 0;
  /** Transitions that were a kill (a node removed under a running workload). */
  killed = 0;

  constructor(
    private readonly simulator: ModelArtsSimulator,
    private readonly options: WorkloadScriptOptions,
  ) {
    this.random = seededRandom(options.seed);
    this.pools = new Set(options.pools);
    this.cursor = simulator.workloadTransitions().cursor;
  }

  /**
   * Whether the events read so far and those still certain to come (one end for each timed job running, one for
   * each end the script still has to make) reach the number asked for.
   */
  done(): boolean {
    let owed = 0;
    for (const job of this.known.values()) {
      if (job.status === 'Running' && this.timed.has(`${job.pool}\u0000${job.jobId}`)) owed += 1;
    }
    for (const end of this.pending) {
      const status = this.known.get(`${end.pool}\u0000${end.uid}`)?.status;
      if (status === 'Queue' || status === 'Running') owed += 1;
    }
    return this.events + owed >= this.options.eventCount;
  }

  /** Submits one burst of jobs to one pool and ends the jobs whose time has come. */
  step(): void {
    const { random } = this;
    const pool = pick(random, this.options.pools);
    const jobsInBurst = 4 + Math.floor(random() * 12);
    for (let b = 0; b < jobsInBurst; b += 1) {
      const uid = `job-${this.nextJob}`;
      this.nextJob += 1;
      const submission: WorkloadSubmission = {
        flavor: pick(random, this.options.flavors),
        accelerators: pick(random, [1, 2, 4, 8]),
        uid,
        jobName: uid,
      };
      const fate = this.fate();
      if (fate.kind === 'complete') {
        submission.durationSeconds = fate.durationSeconds;
        this.timed.add(`${pool}\u0000${uid}`);
      }
      this.simulator.submitWorkload(pool, submission);
      if (fate.kind === 'end')
        this.pending.push({ pool, uid, action: fate.action, burst: this.burst + fate.afterBursts });
    }
    this.endDue();
    this.burst += 1;
  }

  /** The job events of every transition of the chaos pools since the last call, in the order they happened. */
  take(): JobEvent[] {
    const page = this.simulator.workloadTransitions(this.cursor);
    if (page.missed > 0)
      throw new Error(`the simulator dropped ${page.missed} transitions before they were read`);
    this.cursor = page.cursor;
    const transitions = page.transitions.filter((transition) => this.pools.has(transition.pool));
    for (const transition of transitions) {
      this.events += 1;
      if (transition.killed === true) this.killed += 1;
      const { pool, flavor, uid, units } = transition;
      this.known.set(`${pool}\u0000${uid}`, { pool, flavor, jobId: uid, units, status: transition.to });
    }
    return transitions.map((transition) => jobEventOf(transition));
  }

  /** Every job, as the transitions taken so far leave it. */
  jobs(): ScriptJob[] {
    return [...this.known.values()];
  }

  /** Units per pool and flavor the depth table must end with: queued ones pending, running ones running. */
  expectedDepth(): Map<string, { pendingUnits: number; runningUnits: number }> {
    const depth = new Map<string, { pendingUnits: number; runningUnits: number }>();
    for (const pool of this.options.pools) {
      for (const flavor of this.options.flavors)
        depth.set(depthKey(pool, flavor), { pendingUnits: 0, runningUnits: 0 });
    }
    for (const job of this.known.values()) {
      const counters = depth.get(depthKey(job.pool, job.flavor));
      if (counters === undefined) continue;
      if (job.status === 'Queue') counters.pendingUnits += job.units;
      if (job.status === 'Running') counters.runningUnits += job.units;
    }
    return depth;
  }

  /** Jobs whose workload the simulator now shows in another state than the transitions taken said. */
  stale(): string[] {
    return this.options.pools.flatMap((pool) =>
      this.simulator.workloads(pool).flatMap((workload) => {
        const known = this.known.get(`${pool}\u0000${workload.uid}`);
        return known?.status === workload.status ? [] : [`${pool} ${workload.uid}: ${workload.status}`];
      }),
    );
  }

  /**
   * Nothing more will change by itself: no node on its way in or out, no running workload left to complete,
   * no end the script still has to make.
   */
  settled(): boolean {
    if (this.pending.length > 0) return false;
    return this.options.pools.every(
      (pool) =>
        this.simulator
          .nodes(pool)
          .every((node) => node.status.phase === 'Available' || node.status.phase === 'Abnormal') &&
        this.simulator
          .workloads(pool)
          .every((workload) => workload.status !== 'Running' || workload.durationMs === undefined),
    );
  }

  /** Makes every end the script still has to make, without waiting for its burst. */
  finish(): void {
    this.burst = Number.POSITIVE_INFINITY;
    this.endDue();
  }

  private endDue(): void {
    for (const end of this.pending.filter((candidate) => candidate.burst <= this.burst)) {
      this.pending.splice(this.pending.indexOf(end), 1);
      try {
        if (end.action === 'fail') this.simulator.failWorkload(end.pool, end.uid, { reason: 'chaos script' });
        else this.simulator.terminateWorkload(end.pool, end.uid, { reason: 'chaos script' });
      } catch (error) {
        // A scale-in failed it already: a workload ends once.
        if (!(error instanceof ModelArtsHttpError && error.status === 409)) throw error;
      }
    }
  }

  private fate(): Fate {
    const roll = this.random();
    if (roll < 0.5) return { kind: 'leave' };
    if (roll < 0.6)
      return { kind: 'end', action: 'terminate', afterBursts: 1 + Math.floor(this.random() * 3) };
    const end = pick(this.random, ['complete', 'fail', 'terminate'] as const);
    if (end === 'complete') return { kind: 'complete', durationSeconds: 0.3 + this.random() * 2.7 };
    return { kind: 'end', action: end, afterBursts: 1 + Math.floor(this.random() * 3) };
  }
}

/** Bodies that can never be processed; each must end in the dead-letter queue without hurting its batch. */
const POISON_BODIES = [
  'not json at all',
  '{"type":"job.submitted"}',
  '{"type":"job.exploded","pool":"p","flavor":"f","jobId":"j","units":1,"at":"2026-11-23T08:00:00Z"}',
  '{"type":"job.started","pool":"p","flavor":"f","jobId":"j","units":-4,"at":"2026-11-23T08:00:00Z"}',
];

export interface MessageStreamOptions {
  seed: number;
  /** Share of events delivered a second time, later. */
  duplicateRate: number;
  /** How far a message may move from its place in the producers' order. */
  reorderWindow: number;
  poisonCount: number;
  /** Events after which all poison has been mixed in (spread evenly up to there). */
  poisonWithin: number;
}

/**
 * Turns the events, as they come, into the message bodies the producers send: every message may swap with one
 * up to `reorderWindow` places later (so a job's events often arrive backwards), a share of the events is
 * delivered again later, and poison messages are mixed in. Bodies leave once no later swap can move them.
 */
export class MessageStream {
  private readonly random: () => number;
  private readonly buffer: string[] = [];
  private eventsIn = 0;
  private poisonIn = 0;
  duplicates = 0;

  constructor(private readonly options: MessageStreamOptions) {
    this.random = seededRandom(options.seed);
  }

  get poison(): number {
    return this.poisonIn;
  }

  /** Adds events; returns the bodies that are ready to send. */
  push(events: readonly JobEvent[]): string[] {
    for (const event of events) {
      this.buffer.push(JSON.stringify(event));
      this.eventsIn += 1;
      if (this.random() < this.options.duplicateRate) {
        this.insertLater(JSON.stringify(event));
        this.duplicates += 1;
      }
      const { poisonCount, poisonWithin } = this.options;
      while (
        this.poisonIn < poisonCount &&
        this.eventsIn >= ((this.poisonIn + 1) * poisonWithin) / (poisonCount + 1)
      ) {
        this.insertLater(POISON_BODIES[this.poisonIn % POISON_BODIES.length]!);
        this.poisonIn += 1;
      }
    }
    return this.release(false);
  }

  /** Everything still held, the poison not yet mixed in included. */
  flush(): string[] {
    while (this.poisonIn < this.options.poisonCount) {
      this.insertLater(POISON_BODIES[this.poisonIn % POISON_BODIES.length]!);
      this.poisonIn += 1;
    }
    return this.release(true);
  }

  private insertLater(body: string): void {
    this.buffer.splice(Math.floor(this.random() * (this.buffer.length + 1)), 0, body);
  }

  private release(all: boolean): string[] {
    const window = this.options.reorderWindow;
    const out: string[] = [];
    while (this.buffer.length > (all ? 0 : window)) {
      const j = Math.min(this.buffer.length - 1, Math.floor(this.random() * window));
      [this.buffer[0], this.buffer[j]] = [this.buffer[j] as string, this.buffer[0] as string];
      out.push(this.buffer.shift() as string);
    }
    return out;
  }
}
