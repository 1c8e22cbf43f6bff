import type { AzCounts, FlavorSetup } from '../types';
import { splitOverAzs } from './az-split';
import { HPA_SYNC_PERIOD_S, HpaController } from './hpa-controller';
import { emptyStep, minimumNodes, type PoolView, type ScalingStrategy, type StrategyStep } from './strategy';

/** Nodes of one flavor that exist (creating or available): the scale target's current replicas. */
export function currentNodes(view: PoolView, setup: FlavorSetup): number {
  return Object.values(view.snapshot(setup.flavor).nodes).reduce((sum, count) => sum + count, 0);
}

/**
 * A baseline's new replica count of one flavor as its own PATCH (one scale target per flavor, so one request
 * each), spread over the AZs, when it differs from `nodes`. Lowering the count lets the service pick the nodes.
 */
export function recordReplicas(
  step: StrategyStep,
  view: PoolView,
  setup: FlavorSetup,
  replicas: number,
  nodes: number,
  reason: string,
): void {
  if (replicas === nodes) return;
  step.resize[setup.flavor] = splitOverAzs(replicas, setup.azWeights, view.snapshot(setup.flavor).nodes);
  step.patches++;
  step.decisions[setup.flavor] = { reason, requests: 1 };
}

/**
 * One Kubernetes HPA per flavor with the default behavior (see hpa-controller.ts), reconciling every 15 s on an
 * External metric of type AverageValue: the flavor's pending plus running capacity units, as the job system
 * would publish its demand through a metrics adapter, with one node's units as the per-node target (the
 * policy's targetUtilization is the policy's tuning and is not handed to the baselines). It reads the metric
 * fresh at every sync and lowers the count by PATCH, so the service picks the nodes that go, busy or not.
 */
export class HpaStrategy implements ScalingStrategy {
  readonly name = 'hpa' as const;
  readonly initialNodes: Record<string, AzCounts>;
  private readonly controllers = new Map<string, HpaController>();
  private nextSync = 0;

  constructor(private readonly flavors: readonly FlavorSetup[]) {
    this.initialNodes = minimumNodes(flavors);
    for (const setup of flavors) {
      this.controllers.set(
        setup.flavor,
        new HpaController({ minReplicas: setup.minCount, maxReplicas: setup.maxCount }),
      );
    }
  }

  nextWakeAt(): number {
    return this.nextSync;
  }

  // The HPA polls its metric; job events do not wake it.
  onJobEvents(): void {}

  evaluate(t: number, view: PoolView): StrategyStep {
    while (this.nextSync <= t) this.nextSync += HPA_SYNC_PERIOD_S;
    const step = emptyStep();
    for (const setup of this.flavors) {
      const snapshot = view.snapshot(setup.flavor);
      const metric = snapshot.pendingUnits + snapshot.runningUnits;
      const nodes = currentNodes(view, setup);
      const desired = Math.ceil(metric / setup.unitsPerNode);
      step.desired[setup.flavor] = desired;
      const replicas = this.controllers.get(setup.flavor)!.reconcile(t, nodes, metric, setup.unitsPerNode);
      const reason =
        replicas === desired
          ? `HPA: ${metric} units at ${setup.unitsPerNode} a node want ${desired}`
          : `HPA: ${metric} units want ${desired}, its default behavior (window, rate, bounds) gives ${replicas}`;
      recordReplicas(step, view, setup, replicas, nodes, reason);
    }
    return step;
  }
}
