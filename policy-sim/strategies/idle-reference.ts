import { isIdle, type NodeOccupancy } from '../../functions/shared/engine';
import type { AzCounts, FlavorSetup, IdleReferenceName } from '../types';
import { splitOverAzs } from './az-split';
import { currentNodes } from './hpa';
import { emptyStep, minimumNodes, type PoolView, type ScalingStrategy, type StrategyStep } from './strategy';
import { unschedulableJobs } from './unschedulable';

/** The idle times of the first-fit idle-only reference, one baseline each (`idle-0`, `idle-300`, `idle-900`). */
export const IDLE_REFERENCE_SECONDS = {
  'idle-0': 0,
  'idle-300': 300,
  'idle-900': 900,
} as const satisfies Record<IdleReferenceName, number>;

export interface IdleReferenceOptions {
  name: IdleReferenceName;
  flavors: readonly FlavorSetup[];
  /** From a job event to the evaluation it triggers: the policy's own latency, so both react as fast. */
  eventLatencySeconds: number;
}

/**
 * The first-fit idle-only reference: the autoscaler the cost/wait goal is measured against. It asks for new
 * nodes the moment a queued job fits on no live node (the jobs the scheduler could not place, packed largest first
 * onto new nodes, every flavor in one PATCH), and removes a node once it has been idle (available, no job) for
 * its idle time, every such node in one batch-delete; nothing else: no window, no rate limit, no cooldown. It
 * evaluates `eventLatencySeconds` after job events, as the policy does, and when an idle node reaches its idle
 * time. A node a queued job is placed on (a multi-node job waiting for the rest of its nodes) is not idle. It
 * never removes a busy node, so it never preempts.
 */
export class IdleReferenceStrategy implements ScalingStrategy {
  readonly name: IdleReferenceName;
  readonly initialNodes: Record<string, AzCounts>;
  private readonly idleSeconds: number;
  /** Since when each node has been seen idle. */
  private readonly idleSince = new Map<string, number>();
  private eventEvaluationAt: number | undefined;
  private nextRemovalAt = Infinity;

  constructor(private readonly options: IdleReferenceOptions) {
    if (!(options.eventLatencySeconds > 0)) throw new RangeError('eventLatencySeconds must be above 0');
    this.name = options.name;
    this.idleSeconds = IDLE_REFERENCE_SECONDS[options.name];
    this.initialNodes = minimumNodes(options.flavors);
  }

  nextWakeAt(): number {
    return Math.min(this.eventEvaluationAt ?? Infinity, this.nextRemovalAt);
  }

  onJobEvents(t: number): void {
    this.eventEvaluationAt ??= t + this.options.eventLatencySeconds;
  }

  evaluate(t: number, view: PoolView): StrategyStep {
    if (this.eventEvaluationAt !== undefined && this.eventEvaluationAt <= t)
      this.eventEvaluationAt = undefined;
    const step = emptyStep();
    const occupancy = view.occupancy();
    const removable: string[] = [];
    let grown = false;
    this.nextRemovalAt = Infinity;
    for (const setup of this.options.flavors) {
      const nodes = occupancy.nodes.filter((node) => node.flavor === setup.flavor);
      const current = currentNodes(view, setup);
      const queued = unschedulableJobs(setup, nodes, occupancy.pending[setup.flavor] ?? [], current);
      const idle = nodes.filter((node) => isIdle(node) && !queued.claimedNodes.has(node.name));
      step.desired[setup.flavor] = current + queued.newNodes;
      if (queued.newNodes > 0) {
        step.resize[setup.flavor] = splitOverAzs(
          current + queued.newNodes,
          setup.azWeights,
          view.snapshot(setup.flavor).nodes,
        );
        step.decisions[setup.flavor] = {
          reason: `${this.name}: ${queued.placedJobs} queued jobs fit on no node, ${queued.newNodes} new nodes`,
          requests: 1,
        };
        grown = true;
      }
      const due = this.dueNodes(idle, t).slice(0, Math.max(0, current - setup.minCount));
      if (due.length > 0) {
        removable.push(...due);
        step.desired[setup.flavor] = current - due.length;
        step.decisions[setup.flavor] = {
          reason: `${this.name}: ${due.length} nodes idle for ${this.idleSeconds} s`,
          requests: 1,
        };
      }
    }
    this.forgetBusyNodes(occupancy.nodes, removable);
    if (grown) step.patches = 1;
    if (removable.length > 0) {
      step.removeNodes = removable;
      step.batchDeletes = 1;
    }
    return step;
  }

  /** Idle nodes past their idle time; the next time another one will be, kept as a wake-up. */
  private dueNodes(idle: readonly NodeOccupancy[], t: number): string[] {
    const due: string[] = [];
    for (const node of idle) {
      const since = this.idleSince.get(node.name) ?? t;
      this.idleSince.set(node.name, since);
      if (t - since >= this.idleSeconds) due.push(node.name);
      else this.nextRemovalAt = Math.min(this.nextRemovalAt, since + this.idleSeconds);
    }
    return due;
  }

  /** Drops the idle marks of nodes that run a job again, and of those removed now. */
  private forgetBusyNodes(nodes: readonly NodeOccupancy[], removed: readonly string[]): void {
    const idle = new Set(nodes.filter(isIdle).map((node) => node.name));
    for (const name of removed) idle.delete(name);
    for (const name of this.idleSince.keys()) if (!idle.has(name)) this.idleSince.delete(name);
  }
}
