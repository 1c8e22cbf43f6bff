/**
 * The Kubernetes HorizontalPodAutoscaler controller for one target with one External metric of type
 * AverageValue, with nodes in the place of pods. It follows the upstream controller step for step:
 * - kubernetes/kubernetes pkg/controller/podautoscaler/replica_calculator.go, GetExternalPerPodMetricReplicas:
 *   usageRatio = metric / (target x currentReplicas); within the tolerance nothing changes, otherwise
 *   desired = ceil(metric / target).
 * - pkg/controller/podautoscaler/horizontal.go, normalizeDesiredReplicasWithBehaviors: stabilize over the past
 *   recommendations (min over the scale-up window, max over the scale-down window), then limit the change by the
 *   rate policies counted from the replicas at the start of each period (calculateScaleUpLimitWithScalingRules,
 *   calculateScaleDownLimitWithBehaviors), then clamp to [minReplicas, maxReplicas].
 * Defaults from https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/ ("Default Behavior",
 * "Algorithm details"): 15 s sync period (--horizontal-pod-autoscaler-sync-period), tolerance 0.1
 * (--horizontal-pod-autoscaler-tolerance), scale up by max(100 %, 4 pods) per 15 s with no stabilization, scale
 * down by up to 100 % per 15 s after a 300 s stabilization window.
 */

export interface HpaRatePolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export interface HpaScalingRules {
  stabilizationWindowSeconds: number;
  policies: HpaRatePolicy[];
  selectPolicy: 'Max' | 'Min' | 'Disabled';
}

export const HPA_SYNC_PERIOD_S = 15;
export const HPA_TOLERANCE = 0.1;

export const HPA_DEFAULT_SCALE_UP: HpaScalingRules = {
  stabilizationWindowSeconds: 0,
  policies: [
    { type: 'Percent', value: 100, periodSeconds: 15 },
    { type: 'Pods', value: 4, periodSeconds: 15 },
  ],
  selectPolicy: 'Max',
};

export const HPA_DEFAULT_SCALE_DOWN: HpaScalingRules = {
  stabilizationWindowSeconds: 300,
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  selectPolicy: 'Max',
};

export interface HpaOptions {
  minReplicas: number;
  maxReplicas: number;
  scaleUp?: HpaScalingRules;
  scaleDown?: HpaScalingRules;
  tolerance?: number;
}

interface TimedValue {
  at: number;
  value: number;
}

export class HpaController {
  private readonly scaleUp: HpaScalingRules;
  private readonly scaleDown: HpaScalingRules;
  private readonly tolerance: number;
  private recommendations: TimedValue[] = [];
  private scaleUpEvents: TimedValue[] = [];
  private scaleDownEvents: TimedValue[] = [];

  constructor(private readonly options: HpaOptions) {
    this.scaleUp = options.scaleUp ?? HPA_DEFAULT_SCALE_UP;
    this.scaleDown = options.scaleDown ?? HPA_DEFAULT_SCALE_DOWN;
    this.tolerance = options.tolerance ?? HPA_TOLERANCE;
  }

  /** The replicas the metric alone asks for (replica_calculator.go). */
  metricReplicas(currentReplicas: number, metric: number, targetAverageValue: number): number {
    if (currentReplicas === 0) return Math.ceil(metric / targetAverageValue);
    const usageRatio = metric / (targetAverageValue * currentReplicas);
    if (Math.abs(1 - usageRatio) <= this.tolerance) return currentReplicas;
    return Math.ceil(metric / targetAverageValue);
  }

  /**
   * One reconcile at `nowS` (horizontal.go reconcileAutoscaler). Returns the new replica count; a change is
   * remembered as a scale event for the rate policies.
   */
  reconcile(nowS: number, currentReplicas: number, metric: number, targetAverageValue: number): number {
    const { minReplicas, maxReplicas } = this.options;
    let desired: number;
    if (currentReplicas === 0 && minReplicas !== 0) {
      // "scaling is disabled since the replica count of the target is zero": KEDA wakes the target up.
      return 0;
    } else if (currentReplicas > maxReplicas) {
      desired = maxReplicas;
    } else if (currentReplicas < minReplicas) {
      desired = minReplicas;
    } else {
      const proposal = this.metricReplicas(currentReplicas, metric, targetAverageValue);
      desired = this.normalize(nowS, currentReplicas, proposal);
    }
    if (desired > currentReplicas) this.scaleUpEvents.push({ at: nowS, value: desired - currentReplicas });
    if (desired < currentReplicas) this.scaleDownEvents.push({ at: nowS, value: currentReplicas - desired });
    this.forgetOldEvents(nowS);
    return desired;
  }

  private normalize(nowS: number, currentReplicas: number, proposal: number): number {
    const stabilized = this.stabilize(nowS, currentReplicas, proposal);
    return this.limitRate(nowS, currentReplicas, stabilized);
  }

  /** stabilizeRecommendationWithBehaviors. */
  private stabilize(nowS: number, currentReplicas: number, proposal: number): number {
    const upCutoff = nowS - this.scaleUp.stabilizationWindowSeconds;
    const downCutoff = nowS - this.scaleDown.stabilizationWindowSeconds;
    let up = proposal;
    let down = proposal;
    for (const rec of this.recommendations) {
      if (rec.at > upCutoff) up = Math.min(up, rec.value);
      if (rec.at > downCutoff) down = Math.max(down, rec.value);
    }
    let recommendation = currentReplicas;
    if (recommendation < up) recommendation = up;
    if (recommendation > down) recommendation = down;
    const longest = Math.max(
      this.scaleUp.stabilizationWindowSeconds,
      this.scaleDown.stabilizationWindowSeconds,
    );
    this.recommendations = this.recommendations.filter((rec) => rec.at > nowS - longest);
    this.recommendations.push({ at: nowS, value: proposal });
    return recommendation;
  }

  /** convertDesiredReplicasWithBehaviorRate. */
  private limitRate(nowS: number, currentReplicas: number, desired: number): number {
    const { minReplicas, maxReplicas } = this.options;
    if (desired > currentReplicas) {
      const limit = Math.max(currentReplicas, this.scaleUpLimit(nowS, currentReplicas));
      return Math.min(desired, Math.min(maxReplicas, limit));
    }
    if (desired < currentReplicas) {
      const limit = Math.min(currentReplicas, this.scaleDownLimit(nowS, currentReplicas));
      return Math.max(desired, Math.max(minReplicas, limit));
    }
    return desired;
  }

  private periodStart(nowS: number, currentReplicas: number, periodSeconds: number): number {
    const added = changeInPeriod(this.scaleUpEvents, nowS, periodSeconds);
    const removed = changeInPeriod(this.scaleDownEvents, nowS, periodSeconds);
    return currentReplicas - added + removed;
  }

  /** calculateScaleUpLimitWithScalingRules. */
  private scaleUpLimit(nowS: number, currentReplicas: number): number {
    const rules = this.scaleUp;
    if (rules.selectPolicy === 'Disabled') return currentReplicas;
    const proposals = rules.policies.map((policy) => {
      const start = this.periodStart(nowS, currentReplicas, policy.periodSeconds);
      return policy.type === 'Pods' ? start + policy.value : Math.ceil(start * (1 + policy.value / 100));
    });
    return rules.selectPolicy === 'Min' ? Math.min(...proposals) : Math.max(...proposals);
  }

  /** calculateScaleDownLimitWithBehaviors. */
  private scaleDownLimit(nowS: number, currentReplicas: number): number {
    const rules = this.scaleDown;
    if (rules.selectPolicy === 'Disabled') return currentReplicas;
    const proposals = rules.policies.map((policy) => {
      const start = this.periodStart(nowS, currentReplicas, policy.periodSeconds);
      return policy.type === 'Pods' ? start - policy.value : Math.trunc(start * (1 - policy.value / 100));
    });
    return rules.selectPolicy === 'Min' ? Math.max(...proposals) : Math.min(...proposals);
  }

  private forgetOldEvents(nowS: number): void {
    const longest = Math.max(
      ...this.scaleUp.policies.map((policy) => policy.periodSeconds),
      ...this.scaleDown.policies.map((policy) => policy.periodSeconds),
    );
    this.scaleUpEvents = this.scaleUpEvents.filter((event) => event.at > nowS - longest);
    this.scaleDownEvents = this.scaleDownEvents.filter((event) => event.at > nowS - longest);
  }
}

/** getReplicasChangePerPeriod: events strictly after the period's start. */
function changeInPeriod(events: readonly TimedValue[], nowS: number, periodSeconds: number): number {
  const cutoff = nowS - periodSeconds;
  return events.reduce((sum, event) => (event.at > cutoff ? sum + event.value : sum), 0);
}
