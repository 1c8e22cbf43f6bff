import { isIdle, isLive, type NodeOccupancy } from '../../functions/shared/engine';
import type { AzCounts, FlavorSetup } from '../types';
import { splitOverAzs } from './az-split';
import { currentNodes } from './hpa';
import { unschedulableJobs } from './unschedulable';
import { emptyStep, minimumNodes, type PoolView, type ScalingStrategy, type StrategyStep } from './strategy';

/**
 * The Kubernetes Cluster Autoscaler with each flavor as one node group, at its documented defaults
 * (kubernetes/autoscaler cluster-autoscaler/FAQ.md, "What are the parameters to CA?"):
 * - `--scan-interval` 10 s: every scan looks at the jobs the scheduler could not place.
 * - Scale-up: the pending jobs that fit on no node, upcoming (still creating) nodes included, are bin-packed
 *   onto new nodes of their flavor, largest first (estimator/binpacking_estimator.go with the decreasing pod
 *   orderer), within the node group's maximum; one node group grows per scan (core/scaleup: the expander picks
 *   one option). The default expander is `random`; `most-pods` (the option that places the most jobs) is used
 *   here so the replay stays deterministic.
 * - Scale-down: only empty nodes, each after `--scale-down-unneeded-time` 10 min without a job, at most
 *   `--max-empty-bulk-delete` 10 per scan, never below the group's minimum, and none for
 *   `--scale-down-delay-after-add` 10 min after a scale-up. Nodes running jobs are not drained: training pods are
 *   marked `cluster-autoscaler.kubernetes.io/safe-to-evict: "false"`, so CA never preempts.
 * Requests: a scale-up is one PATCH (the node group's IncreaseSize); the empty nodes of a flavor removed in one
 * scan are one batch-delete (a ModelArts cloud provider would batch them; CA's own default deletes each node in
 * its own call, so this count is the lower one).
 */
export const CA_SCAN_INTERVAL_S = 10;
export const CA_SCALE_DOWN_UNNEEDED_S = 600;
export const CA_SCALE_DOWN_DELAY_AFTER_ADD_S = 600;
export const CA_MAX_EMPTY_BULK_DELETE = 10;

interface ScaleUpOption {
  setup: FlavorSetup;
  newNodes: number;
  placedJobs: number;
}

export class ClusterAutoscalerStrategy implements ScalingStrategy {
  readonly name = 'cluster-autoscaler' as const;
  readonly initialNodes: Record<string, AzCounts>;
  /** Since when each node has been seen empty (available, no job). */
  private readonly emptySince = new Map<string, number>();
  private lastScaleUpAt = -Infinity;
  private nextScan = 0;

  constructor(private readonly flavors: readonly FlavorSetup[]) {
    this.initialNodes = minimumNodes(flavors);
  }

  nextWakeAt(): number {
    return this.nextScan;
  }

  // CA scans on its own schedule; the scheduler's events do not wake it.
  onJobEvents(): void {}

  evaluate(t: number, view: PoolView): StrategyStep {
    while (this.nextScan <= t) this.nextScan += CA_SCAN_INTERVAL_S;
    const step = emptyStep();
    const occupancy = view.occupancy();
    this.trackEmptyNodes(occupancy.nodes, t);
    const options: ScaleUpOption[] = [];
    for (const setup of this.flavors) {
      const nodes = occupancy.nodes.filter((node) => node.flavor === setup.flavor);
      const option = {
        setup,
        ...unschedulableJobs(setup, nodes, occupancy.pending[setup.flavor] ?? [], currentNodes(view, setup)),
      };
      step.desired[setup.flavor] = nodes.filter(isLive).length + option.newNodes;
      if (option.newNodes > 0) options.push(option);
    }
    const best = options.reduce<ScaleUpOption | undefined>(
      (chosen, option) => (chosen === undefined || option.placedJobs > chosen.placedJobs ? option : chosen),
      undefined,
    );
    if (best !== undefined) {
      const { setup } = best;
      const count = currentNodes(view, setup) + best.newNodes;
      step.resize[setup.flavor] = splitOverAzs(count, setup.azWeights, view.snapshot(setup.flavor).nodes);
      step.patches = 1;
      step.decisions[setup.flavor] = {
        reason: `CA scale-up: ${best.placedJobs} unschedulable jobs need ${best.newNodes} new nodes`,
        requests: 1,
      };
      this.lastScaleUpAt = t;
      return step;
    }
    if (t - this.lastScaleUpAt < CA_SCALE_DOWN_DELAY_AFTER_ADD_S) return step;
    for (const setup of this.flavors) {
      const removable = this.unneededNodes(setup, occupancy.nodes, t, currentNodes(view, setup));
      if (removable.length === 0) continue;
      step.removeNodes.push(...removable);
      step.batchDeletes++;
      step.decisions[setup.flavor] = {
        reason: `CA scale-down: ${removable.length} nodes empty for ${CA_SCALE_DOWN_UNNEEDED_S / 60} min`,
        requests: 1,
      };
    }
    return step;
  }

  private trackEmptyNodes(nodes: readonly NodeOccupancy[], t: number): void {
    const empty = new Set(nodes.filter(isIdle).map((node) => node.name));
    for (const name of this.emptySince.keys()) if (!empty.has(name)) this.emptySince.delete(name);
    for (const name of empty) if (!this.emptySince.has(name)) this.emptySince.set(name, t);
  }

  /** The flavor's nodes empty for the unneeded time, longest first, within the bulk limit and the minimum. */
  private unneededNodes(
    setup: FlavorSetup,
    nodes: readonly NodeOccupancy[],
    t: number,
    current: number,
  ): string[] {
    const allowed = Math.min(CA_MAX_EMPTY_BULK_DELETE, current - setup.minCount);
    if (allowed <= 0) return [];
    return nodes
      .filter((node) => node.flavor === setup.flavor && isIdle(node))
      .map((node) => ({ name: node.name, since: this.emptySince.get(node.name) ?? t }))
      .filter((entry) => t - entry.since >= CA_SCALE_DOWN_UNNEEDED_S)
      .sort((a, b) => a.since - b.since || (a.name < b.name ? -1 : 1))
      .slice(0, allowed)
      .map((entry) => entry.name);
  }
}
