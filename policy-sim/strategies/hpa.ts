import type { AzCounts, FlavorSetup } from '../types';
import { splitOverAzs } from './az-split';
import { HPA_SYNC_PERIOD_S, HpaController } from './hpa-controller';
import { minimumNodes, type PoolView, type ScalingStrategy, type StrategyStep } from './strategy';

/**
 * The queue metric every baseline scales on: the flavor's pending plus running capacity units (the SQS
 * "queue length including in-flight messages" with one message per unit), against a per-node target of one
 * node's units: KEDA's own advice ("if one pod can handle 10 messages, set the queue length target to 10").
 * The policy's targetUtilization is the policy's tuning and is not handed to the baselines.
 */
export function queueMetric(
  view: PoolView,
  setup: FlavorSetup,
): { metric: number; target: number; nodes: number } {
  const snapshot = view.snapshot(setup.flavor);
  const nodes = Object.values(snapshot.nodes).reduce((sum, count) => sum + count, 0);
  return {
    metric: snapshot.pendingUnits + snapshot.runningUnits,
    target: setup.unitsPerNode,
    nodes,
  };
}

/** A baseline's new replica count as a PATCH spread over the AZs, when it differs from `nodes`. */
export function recordReplicas(
  step: StrategyStep,
  view: PoolView,
  setup: FlavorSetup,
  replicas: number,
  nodes: number,
): void {
  if (replicas === nodes) return;
  step.resize[setup.flavor] = splitOverAzs(replicas, setup.azWeights, view.snapshot(setup.flavor).nodes);
  step.patched = true;
}

/** One HPA per flavor with the Kubernetes defaults (see hpa-controller.ts), reconciling every 15 s. */
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
    const step: StrategyStep = { resize: {}, desired: {}, patched: false };
    for (const setup of this.flavors) {
      const { metric, target, nodes } = queueMetric(view, setup);
      const controller = this.controllers.get(setup.flavor)!;
      step.desired[setup.flavor] = Math.ceil(metric / target);
      const replicas = controller.reconcile(t, nodes, metric, target);
      recordReplicas(step, view, setup, replicas, nodes);
    }
    return step;
  }
}
