import type { NodeOccupancy, PendingJob, PoolOccupancy } from '../functions/shared/engine/occupancy';
import { fits, freeCapacity, placeJob } from '../functions/shared/engine/placement';
import {
  removalOrder,
  type RemovalCandidate,
  type RemovalOptions,
} from '../functions/shared/engine/removal-order';
import { EventQueue } from './event-queue';
import type { Random } from './rng';
import type { AzCounts, FlavorSetup, JobOutcome } from './types';

export interface VirtualPoolOptions {
  flavors: readonly FlavorSetup[];
  /** Seconds from a node's request until it is available, per flavor and AZ. */
  provisionDelayS: (flavor: string, az: string) => number;
  /** Moves each new node's delay by a whole number of seconds drawn uniformly from [-jitterS, +jitterS]. */
  jitterS?: number;
  random?: Random;
  /** Nodes that exist and are available at time 0. */
  initialNodes: Record<string, AzCounts>;
  /** Epoch ms of second 0, for the nodes' creation timestamps in `occupancy` (default 0). */
  startEpochMs?: number;
}

/** What one flavor of the pool looks like at an instant. */
export interface FlavorSnapshot {
  /** Nodes that exist (creating or available), per AZ: the pool spec's `azs` once a resize has been applied. */
  nodes: AzCounts;
  creating: AzCounts;
  available: AzCounts;
  pendingUnits: number;
  runningUnits: number;
  /** Queued and running jobs, a job spread over several nodes counted once per node (one worker each). */
  pendingWorkers: number;
  runningWorkers: number;
  /** Available nodes with at least one running job. */
  busyNodes: number;
}

interface VirtualNode {
  id: number;
  /** Stable for the replay: the name a nodes listing shows and a batch-delete names. */
  name: string;
  flavor: string;
  az: string;
  requestedS: number;
  available: boolean;
  removed: boolean;
  freeUnits: number;
  jobs: Set<RunningJob>;
}

interface QueuedJob {
  outcome: JobOutcome;
  /** Position in the trace: queues are served in this order, preempted jobs go back to their place. */
  order: number;
}

interface RunningJob extends QueuedJob {
  endS: number;
  placements: Array<{ node: VirtualNode; units: number }>;
  killed: boolean;
}

interface FlavorPool {
  setup: FlavorSetup;
  azs: string[];
  nodes: VirtualNode[];
  queue: QueuedJob[];
  pendingUnits: number;
  runningUnits: number;
  pendingWorkers: number;
  runningWorkers: number;
  nodeSeconds: number;
  preempted: number;
  /** Something changed that could let a queued job start: a job queued, capacity freed or a node up. */
  placementDue: boolean;
  /** Cached snapshot, dropped on every change to the flavor. */
  snapshot: FlavorSnapshot | undefined;
}

type PoolEvent = { kind: 'ready'; node: VirtualNode } | { kind: 'finish'; job: RunningJob };

// At one instant, nodes come up before jobs finish; both happen before anything is placed.
const READY_RANK = 0;
const FINISH_RANK = 1;

/**
 * A ModelArts pool in virtual time: nodes per flavor and AZ that are created after a provisioning delay and removed
 * at once, and the jobs of a trace queued per flavor and placed first-fit in submit order on the free capacity
 * units of available nodes. A job needing at most one node's units goes on the first node with room; a larger job
 * takes whole free nodes. Every node has a stable name; the pool shows its occupancy as the nodes and workloads
 * listings would (`occupancy`), lowers a count the way the service does (`resize`: newest first, busy or not) and
 * removes nodes by name (`deleteNodes`). Removing a node under running jobs kills them: they are counted as
 * preempted and go back to the queue at their original place, to run again from the start.
 */
export class VirtualPool {
  private readonly flavors = new Map<string, FlavorPool>();
  private readonly byName = new Map<string, VirtualNode>();
  private readonly events = new EventQueue<PoolEvent>();
  /** Cached occupancy, dropped on every change to any flavor. */
  private occupancyCache: PoolOccupancy | undefined;
  private nextNodeId = 0;
  private jobEvents = 0;
  private ended = 0;

  constructor(private readonly options: VirtualPoolOptions) {
    for (const setup of options.flavors) {
      this.flavors.set(setup.flavor, {
        setup,
        azs: [...setup.azs],
        nodes: [],
        queue: [],
        pendingUnits: 0,
        runningUnits: 0,
        pendingWorkers: 0,
        runningWorkers: 0,
        nodeSeconds: 0,
        preempted: 0,
        placementDue: false,
        snapshot: undefined,
      });
      for (const [az, count] of Object.entries(options.initialNodes[setup.flavor] ?? {})) {
        for (let i = 0; i < count; i++) this.addNode(setup.flavor, az, 0, 0);
      }
    }
  }

  /** Time of the next node arrival or job end, if any. */
  nextEventTime(): number | undefined {
    return this.events.peekTime();
  }

  /** Jobs that have run to their end. */
  endedJobs(): number {
    return this.ended;
  }

  /** Job submissions, starts, ends and preemptions since the last call: what would reach the events queue. */
  takeJobEvents(): number {
    const count = this.jobEvents;
    this.jobEvents = 0;
    return count;
  }

  submit(outcome: JobOutcome, order: number): void {
    const pool = this.flavor(outcome.job.flavor);
    this.enqueue(pool, { outcome, order });
    this.jobEvents++;
  }

  /** Brings nodes up and ends jobs due by `t`, then places queued jobs. */
  advanceTo(t: number): void {
    for (let at = this.events.peekTime(); at !== undefined && at <= t; at = this.events.peekTime()) {
      const event = this.events.pop()!.value;
      if (event.kind === 'ready') {
        if (!event.node.removed) {
          event.node.available = true;
          this.changed(this.flavor(event.node.flavor), true);
        }
      } else if (!event.job.killed) {
        this.finishJob(event.job, event.job.endS);
      }
    }
    this.place(t);
  }

  /** Starts every queued job that fits, in submit order per flavor. */
  place(t: number): void {
    for (const pool of this.flavors.values()) this.placeFlavor(pool, t);
  }

  /**
   * Resizes one flavor to `target` nodes per AZ (AZs left out keep their nodes), as a count-changing PATCH does.
   * Scale-in takes the victims the service takes (functions/shared/engine/removal-order.ts): nodes still being
   * created first, then available ones, newest first, whether they run jobs or not. Returns the jobs killed.
   */
  resize(flavor: string, target: AzCounts, t: number): number {
    const pool = this.flavor(flavor);
    let killed = 0;
    for (const [az, wanted] of Object.entries(target)) {
      if (!pool.azs.includes(az)) pool.azs.push(az);
      const inAz = pool.nodes.filter((node) => node.az === az);
      if (wanted > inAz.length) {
        for (let i = inAz.length; i < wanted; i++) this.addNode(flavor, az, t, this.delayFor(flavor, az));
      } else if (wanted < inAz.length) {
        const victims = removalOrder(inAz, removalView, SERVICE_CHOICE).slice(0, inAz.length - wanted);
        for (const node of victims) killed += this.removeNode(pool, node, t);
      }
    }
    pool.preempted += killed;
    return killed;
  }

  /**
   * Removes the named nodes at once, as `nodes/batch-delete` does; names the pool does not have are ignored. A
   * named node that runs jobs is removed all the same and its jobs are killed (counted as preempted), so a wrong
   * choice shows. Returns the jobs killed.
   */
  deleteNodes(names: readonly string[], t: number): number {
    let killed = 0;
    for (const name of names) {
      const node = this.byName.get(name);
      if (node === undefined) continue;
      const pool = this.flavor(node.flavor);
      const jobs = this.removeNode(pool, node, t);
      pool.preempted += jobs;
      killed += jobs;
    }
    return killed;
  }

  /** Names of a flavor's nodes, in the order they were requested. */
  nodeNames(flavor: string): string[] {
    return this.flavor(flavor).nodes.map((node) => node.name);
  }

  /**
   * The pool as the engine reads it from the nodes and workloads listings: every node with its phase
   * (`Available`, or `Creating` until it is up), AZ and free and total capacity units as accelerators, busy when
   * a job runs on it; and per flavor the queued jobs in queue order, a job larger than one node as whole nodes.
   */
  occupancy(): PoolOccupancy {
    this.occupancyCache ??= this.readOccupancy();
    return this.occupancyCache;
  }

  private readOccupancy(): PoolOccupancy {
    const startEpochMs = this.options.startEpochMs ?? 0;
    const nodes: NodeOccupancy[] = [];
    const pending: Record<string, PendingJob[]> = {};
    for (const [flavor, pool] of this.flavors) {
      const unitsPerNode = pool.setup.unitsPerNode;
      for (const node of pool.nodes) {
        nodes.push({
          name: node.name,
          flavor,
          az: node.az,
          phase: node.available ? 'Available' : 'Creating',
          prepaid: false,
          locked: false,
          labels: {},
          acceleratorsTotal: unitsPerNode,
          acceleratorsFree: node.available ? node.freeUnits : unitsPerNode,
          busy: node.jobs.size > 0,
          createdAt: startEpochMs + Math.round(node.requestedS * 1000),
        });
      }
      if (pool.queue.length > 0) {
        pending[flavor] = pool.queue.map((queued) => pendingJob(queued.outcome.job.units, unitsPerNode));
      }
    }
    return { nodes, pending, pendingKnown: true };
  }

  snapshot(flavor: string): FlavorSnapshot {
    const pool = this.flavor(flavor);
    pool.snapshot ??= this.takeSnapshot(pool);
    return pool.snapshot;
  }

  private takeSnapshot(pool: FlavorPool): FlavorSnapshot {
    const nodes: AzCounts = {};
    const creating: AzCounts = {};
    const available: AzCounts = {};
    for (const az of pool.azs) {
      nodes[az] = 0;
      creating[az] = 0;
      available[az] = 0;
    }
    let busyNodes = 0;
    for (const node of pool.nodes) {
      nodes[node.az] = (nodes[node.az] ?? 0) + 1;
      const bucket = node.available ? available : creating;
      bucket[node.az] = (bucket[node.az] ?? 0) + 1;
      if (node.jobs.size > 0) busyNodes++;
    }
    return {
      nodes,
      creating,
      available,
      pendingUnits: pool.pendingUnits,
      runningUnits: pool.runningUnits,
      pendingWorkers: pool.pendingWorkers,
      runningWorkers: pool.runningWorkers,
      busyNodes,
    };
  }

  /** Node-seconds per flavor up to `endS`, nodes still present counted until then. */
  nodeSeconds(endS: number): Record<string, number> {
    const result: Record<string, number> = {};
    for (const [flavor, pool] of this.flavors) {
      let total = pool.nodeSeconds;
      for (const node of pool.nodes) total += Math.max(0, endS - node.requestedS);
      result[flavor] = total;
    }
    return result;
  }

  preemptedJobs(flavor: string): number {
    return this.flavor(flavor).preempted;
  }

  private changed(pool: FlavorPool, placementDue: boolean): void {
    pool.snapshot = undefined;
    this.occupancyCache = undefined;
    if (placementDue) pool.placementDue = true;
  }

  private flavor(flavor: string): FlavorPool {
    const pool = this.flavors.get(flavor);
    if (pool === undefined) throw new Error(`flavor ${flavor} is not part of the simulated pool`);
    return pool;
  }

  private delayFor(flavor: string, az: string): number {
    const base = this.options.provisionDelayS(flavor, az);
    const jitter = this.options.jitterS ?? 0;
    if (jitter <= 0 || this.options.random === undefined) return base;
    const offset = Math.floor(this.options.random.next() * (2 * jitter + 1)) - jitter;
    return Math.max(0, base + offset);
  }

  private addNode(flavor: string, az: string, t: number, delayS: number): void {
    const pool = this.flavor(flavor);
    if (!pool.azs.includes(az)) pool.azs.push(az);
    const id = this.nextNodeId++;
    const node: VirtualNode = {
      id,
      name: `node-${String(id).padStart(5, '0')}`,
      flavor,
      az,
      requestedS: t,
      available: delayS <= 0,
      removed: false,
      freeUnits: pool.setup.unitsPerNode,
      jobs: new Set(),
    };
    pool.nodes.push(node);
    this.byName.set(node.name, node);
    this.changed(pool, node.available);
    if (!node.available) this.events.push(t + delayS, READY_RANK, { kind: 'ready', node });
  }

  private removeNode(pool: FlavorPool, node: VirtualNode, t: number): number {
    node.removed = true;
    pool.nodes.splice(pool.nodes.indexOf(node), 1);
    this.byName.delete(node.name);
    pool.nodeSeconds += t - node.requestedS;
    this.changed(pool, false);
    let killed = 0;
    for (const job of [...node.jobs]) {
      job.killed = true;
      killed++;
      for (const placement of job.placements) {
        placement.node.freeUnits += placement.units;
        placement.node.jobs.delete(job);
      }
      pool.runningUnits -= job.outcome.job.units;
      pool.runningWorkers -= workersOf(job.outcome.job.units, pool.setup.unitsPerNode);
      job.outcome.preemptions++;
      this.enqueue(pool, { outcome: job.outcome, order: job.order });
      this.jobEvents++;
    }
    return killed;
  }

  private enqueue(pool: FlavorPool, queued: QueuedJob): void {
    let index = pool.queue.length;
    while (index > 0 && pool.queue[index - 1]!.order > queued.order) index--;
    pool.queue.splice(index, 0, queued);
    pool.pendingUnits += queued.outcome.job.units;
    pool.pendingWorkers += workersOf(queued.outcome.job.units, pool.setup.unitsPerNode);
    this.changed(pool, true);
  }

  private finishJob(job: RunningJob, t: number): void {
    const pool = this.flavor(job.outcome.job.flavor);
    for (const placement of job.placements) {
      placement.node.freeUnits += placement.units;
      placement.node.jobs.delete(job);
    }
    pool.runningUnits -= job.outcome.job.units;
    pool.runningWorkers -= workersOf(job.outcome.job.units, pool.setup.unitsPerNode);
    job.outcome.finishS = t;
    this.ended++;
    this.changed(pool, true);
    this.jobEvents++;
  }

  private placeFlavor(pool: FlavorPool, t: number): void {
    if (!pool.placementDue) return;
    pool.placementDue = false;
    if (pool.queue.length === 0) return;
    const unitsPerNode = pool.setup.unitsPerNode;
    const usable = pool.nodes.filter((node) => node.available);
    let capacity = freeCapacity(usable, unitsPerNode);
    if (capacity.total === 0) return;
    const stillQueued: QueuedJob[] = [];
    let started = 0;
    for (const [index, queued] of pool.queue.entries()) {
      if (capacity.total === 0) {
        // Full: nothing further back in the queue can start either.
        stillQueued.push(...pool.queue.slice(index));
        break;
      }
      const units = queued.outcome.job.units;
      const placements = fits(units, unitsPerNode, capacity)
        ? placeJob(usable, units, unitsPerNode)
        : undefined;
      if (placements === undefined) {
        stillQueued.push(queued);
        continue;
      }
      const running: RunningJob = {
        ...queued,
        endS: t + queued.outcome.job.durationS,
        placements,
        killed: false,
      };
      for (const placement of placements) {
        placement.node.freeUnits -= placement.units;
        placement.node.jobs.add(running);
      }
      pool.pendingUnits -= units;
      pool.runningUnits += units;
      const workers = workersOf(units, unitsPerNode);
      pool.pendingWorkers -= workers;
      pool.runningWorkers += workers;
      queued.outcome.startS ??= t;
      this.events.push(running.endS, FINISH_RANK, { kind: 'finish', job: running });
      this.jobEvents++;
      started++;
      capacity = freeCapacity(usable, unitsPerNode);
    }
    pool.queue = stillQueued;
    if (started > 0) {
      pool.snapshot = undefined;
      this.occupancyCache = undefined;
    }
  }
}

/** Nodes a job of `units` spans: one unless it needs more than one node's units. */
function workersOf(units: number, unitsPerNode: number): number {
  return units > unitsPerNode ? Math.ceil(units / unitsPerNode) : 1;
}

/** A queued job as the engine reads it: its units, and the whole nodes it needs when it spans several. */
function pendingJob(units: number, unitsPerNode: number): PendingJob {
  const nodes = workersOf(units, unitsPerNode);
  return nodes > 1 ? { units, nodes } : { units };
}

const SERVICE_CHOICE: RemovalOptions = { idleFirst: false };

/** How the service's removal order sees a node: it does not look at what runs on it. */
function removalView(node: VirtualNode): RemovalCandidate {
  return {
    stage: node.available ? 'available' : 'creating',
    usedUnits: undefined,
    requestedAt: node.requestedS,
    tiebreak: node.id,
  };
}
