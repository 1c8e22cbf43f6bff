import type { AzCounts, FlavorSetup } from '../types';
import { splitOverAzs } from './az-split';
import { currentNodes } from './hpa';
import { HPA_SYNC_PERIOD_S, HpaController } from './hpa-controller';
import { emptyStep, minimumNodes, type PoolView, type ScalingStrategy, type StrategyStep } from './strategy';

/**
 * KEDA with one ScaledObject per flavor and the `aws-sqs-queue` trigger, at their documented defaults, on a job
 * queue with one message per worker: a job is one message, a job spread over N nodes is N (one worker per node).
 * - Trigger (https://keda.sh/docs/latest/scalers/aws-sqs/, kedacore/keda pkg/scalers/aws_sqs_queue_scaler.go):
 *   "actual messages" = ApproximateNumberOfMessages + ApproximateNumberOfMessagesNotVisible (scaleOnInFlight
 *   defaults to true: the messages of running jobs are in flight), exposed to the HPA as an External metric
 *   with an AverageValue target of `queueLength` messages per replica, so desired = ceil(messages /
 *   queueLength). The queue counts jobs, not their accelerators, so `queueLength` is 1: with more messages per
 *   node a job spread over N nodes waits until the queue holds N x queueLength messages, which may never happen
 *   (measured on examples/traces/two-flavor-weeks.csv with queueLength at the workload's mean messages per node:
 *   jobs still waited when the replay stopped, weeks later). One node per message never starves a job and pays
 *   for it with a node for each 1-accelerator job.
 * - ScaledObject (https://keda.sh/docs/latest/reference/scaledobject-spec/): pollingInterval 30 s is how often
 *   the operator checks the trigger for activity (activationQueueLength 0): it wakes a target at zero replicas
 *   and, cooldownPeriod 300 s after the trigger was last active, puts it back to zero when minReplicaCount is 0.
 *   Between 1 and maxReplicaCount the HPA that KEDA creates decides, with the Kubernetes defaults
 *   (hpa-controller.ts), reconciling every 15 s and reading the metric fresh through KEDA's metrics server
 *   (`triggers[].useCachedMetrics` defaults to false, same page).
 * Each change is its own request (the operator's or the HPA's scale of the flavor's target); lowering the count
 * lets the service pick the nodes that go, busy or not.
 */
export const KEDA_POLLING_INTERVAL_S = 30;
export const KEDA_COOLDOWN_PERIOD_S = 300;
export const KEDA_ACTIVATION_QUEUE_LENGTH = 0;
export const KEDA_QUEUE_LENGTH = 1;

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
    const step = emptyStep();
    for (const setup of this.flavors) {
      const snapshot = view.snapshot(setup.flavor);
      const messages = snapshot.pendingWorkers + snapshot.runningWorkers;
      const queueLength = KEDA_QUEUE_LENGTH;
      const nodes = currentNodes(view, setup);
      step.desired[setup.flavor] = Math.ceil(messages / queueLength);
      let replicas = nodes;
      let requests = 0;
      let reason = '';
      if (poll) replicas = this.operatorLoop(t, setup, messages, nodes);
      if (replicas !== nodes) {
        requests++;
        reason =
          replicas > nodes
            ? `KEDA: ${messages} messages in the queue, waking the target from 0`
            : `KEDA: queue empty for the cooldown (${KEDA_COOLDOWN_PERIOD_S} s), down to 0`;
      }
      if (sync && replicas > 0) {
        const scaled = this.controllers.get(setup.flavor)!.reconcile(t, replicas, messages, queueLength);
        if (scaled !== replicas) {
          requests++;
          reason = `KEDA's HPA: ${messages} messages at ${queueLength} a node, default behavior → ${scaled}`;
        }
        replicas = scaled;
      }
      step.patches += requests;
      if (replicas !== nodes) {
        step.resize[setup.flavor] = splitOverAzs(replicas, setup.azWeights, snapshot.nodes);
      }
      if (requests > 0) step.decisions[setup.flavor] = { reason, requests };
    }
    return step;
  }

  /** The operator's own scaling (scale_scaledobjects.go): wake a target from zero, or put it to sleep. */
  private operatorLoop(t: number, setup: FlavorSetup, messages: number, nodes: number): number {
    const active = messages > KEDA_ACTIVATION_QUEUE_LENGTH;
    if (active) {
      this.lastActiveAt.set(setup.flavor, t);
      return nodes === 0 ? Math.max(1, setup.minCount) : nodes;
    }
    const idleSince = this.lastActiveAt.get(setup.flavor) ?? 0;
    if (nodes > 0 && setup.minCount === 0 && t - idleSince >= KEDA_COOLDOWN_PERIOD_S) return 0;
    return nodes;
  }
}
