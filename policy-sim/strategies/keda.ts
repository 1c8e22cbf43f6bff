import type { AzCounts, FlavorSetup } from '../types';
import { queueMetric, recordReplicas } from './hpa';
import { HPA_SYNC_PERIOD_S, HpaController } from './hpa-controller';
import { minimumNodes, type PoolView, type ScalingStrategy, type StrategyStep } from './strategy';

/**
 * KEDA with one ScaledObject per flavor and the `aws-sqs-queue` trigger, all at their documented defaults.
 * - Trigger (https://keda.sh/docs/latest/scalers/aws-sqs/, kedacore/keda pkg/scalers/aws_sqs_queue_scaler.go):
 *   "actual messages" = ApproximateNumberOfMessages + ApproximateNumberOfMessagesNotVisible (scaleOnInFlight
 *   defaults to true), exposed to the HPA as an External metric with an AverageValue target of `queueLength`
 *   per replica, so desired = ceil(queue length / queueLength). Here a message is one capacity unit and
 *   `queueLength` is one node's units at the policy's target utilization. activationQueueLength defaults to 0.
 * - ScaledObject (https://keda.sh/docs/latest/reference/scaledobject-spec/): pollingInterval 30 s is how often
 *   the operator checks the trigger for activity; cooldownPeriod 300 s is how long after the trigger last reported
 *   active before it scales the target to minReplicaCount when that is 0. Between 1 and maxReplicaCount the
 *   HPA that KEDA creates decides, with the Kubernetes defaults (hpa-controller.ts), reconciling every 15 s and
 *   reading the metric fresh through KEDA's metrics server (`useCachedMetrics` defaults to false).
 * With minCount >= 1 (what ModelArts requires) the activation path never acts and KEDA behaves as its HPA does.
 */
export const KEDA_POLLING_INTERVAL_S = 30;
export const KEDA_COOLDOWN_PERIOD_S = 300;
export const KEDA_ACTIVATION_QUEUE_LENGTH = 0;

export class KedaStrategy implements ScalingStrategy {
  readonly name = 'keda' as const;
  readonly initialNodes: Record<string, AzCounts>;
  private readonly controllers = new Map<string, HpaController>();
  private readonly lastActiveAt = new Map<string, number>();
  private nextHpaSync = 0;
  private nextPoll = 0;

  constructor(private readonly flavors: readonly FlavorSetup[]) {
    this.initialNodes = minimumNodes(flavors);
    for (const setup of flavors) {
      // KEDA gives its HPA minReplicas = max(minReplicaCount, 1); 0 is the operator's business.
      this.controllers.set(
        setup.flavor,
        new HpaController({ minReplicas: Math.max(1, setup.minCount), maxReplicas: setup.maxCount }),
      );
    }
  }

  nextWakeAt(): number {
    return Math.min(this.nextHpaSync, this.nextPoll);
  }

  // KEDA polls the queue; job events do not wake it.
  onJobEvents(): void {}

  evaluate(t: number, view: PoolView): StrategyStep {
    const poll = this.nextPoll <= t;
    const sync = this.nextHpaSync <= t;
    while (this.nextPoll <= t) this.nextPoll += KEDA_POLLING_INTERVAL_S;
    while (this.nextHpaSync <= t) this.nextHpaSync += HPA_SYNC_PERIOD_S;
    const step: StrategyStep = { resize: {}, desired: {}, patched: false };
    for (const setup of this.flavors) {
      const { metric, target, nodes } = queueMetric(view, setup);
      step.desired[setup.flavor] = Math.ceil(metric / target);
      let replicas = nodes;
      if (poll) replicas = this.operatorLoop(t, setup, metric, nodes);
      if (sync && replicas > 0)
        replicas = this.controllers.get(setup.flavor)!.reconcile(t, replicas, metric, target);
      recordReplicas(step, view, setup, replicas, nodes);
    }
    return step;
  }

  /** The operator's own scaling (scale_scaledobjects.go): wake a target from zero, or put it to sleep. */
  private operatorLoop(t: number, setup: FlavorSetup, metric: number, nodes: number): number {
    const active = metric > KEDA_ACTIVATION_QUEUE_LENGTH;
    if (active) {
      this.lastActiveAt.set(setup.flavor, t);
      return nodes === 0 ? Math.max(1, setup.minCount) : nodes;
    }
    const idleSince = this.lastActiveAt.get(setup.flavor) ?? 0;
    if (nodes > 0 && setup.minCount === 0 && t - idleSince >= KEDA_COOLDOWN_PERIOD_S) return 0;
    return nodes;
  }
}
