import type { ScalingRatePolicy, ScalingRules } from './policy';
import type { ScaleEvent, TimedRecommendation } from './state';

/**
 * Scaling behavior with the semantics of the Kubernetes HPA controller
 * (`pkg/controller/podautoscaler/horizontal.go`, `normalizeDesiredReplicasWithBehaviors`): stabilize the
 * recommendation over the recent ones, then limit the change by the rate policies, then clamp to the bounds.
 * Every step is a plain function over plain data with the clock passed in.
 */

export interface BehaviorInput {
  current: number;
  /** The unstabilized recommendation of this evaluation. */
  desired: number;
  minCount: number;
  maxCount: number;
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
  /** Earlier unstabilized recommendations (this one not included). */
  recommendations: readonly TimedRecommendation[];
  scaleUpEvents: readonly ScaleEvent[];
  scaleDownEvents: readonly ScaleEvent[];
  now: number;
}

export interface StabilizedRecommendation {
  nodes: number;
  reason?: string;
  /** When the recommendation that held the result leaves its window, epoch ms. */
  releasedAt?: number;
}

/**
 * `stabilizeRecommendationWithBehaviors`: the result is the current count brought within [lowest recommendation
 * of the scale-up window, highest recommendation of the scale-down window], both windows including the new
 * recommendation. So scale-down follows the highest recent recommendation and scale-up the lowest one.
 */
export function stabilizeRecommendation(input: BehaviorInput): StabilizedRecommendation {
  const { now, desired, current } = input;
  const upCutoff = now - input.scaleUp.stabilizationSeconds * 1000;
  const downCutoff = now - input.scaleDown.stabilizationSeconds * 1000;
  let upRecommendation = desired;
  let downRecommendation = desired;
  let upHeldUntil: number | undefined;
  let downHeldUntil: number | undefined;
  for (const rec of input.recommendations) {
    if (rec.at > upCutoff && rec.nodes <= upRecommendation) {
      upHeldUntil = rec.at;
      upRecommendation = rec.nodes;
    }
    if (rec.at > downCutoff && rec.nodes >= downRecommendation) {
      downHeldUntil = rec.at;
      downRecommendation = rec.nodes;
    }
  }
  let nodes = current;
  if (nodes < upRecommendation) nodes = upRecommendation;
  if (nodes > downRecommendation) nodes = downRecommendation;
  if (nodes === desired) return { nodes };
  const held =
    desired > current
      ? { bound: 'lowest', window: input.scaleUp, recommendation: upRecommendation, since: upHeldUntil }
      : {
          bound: 'highest',
          window: input.scaleDown,
          recommendation: downRecommendation,
          since: downHeldUntil,
        };
  const seconds = held.window.stabilizationSeconds;
  return {
    nodes,
    reason: `stabilized: ${held.bound} recommendation in last ${seconds} s is ${held.recommendation}`,
    ...(held.since === undefined ? {} : { releasedAt: held.since + seconds * 1000 }),
  };
}

/** `getReplicasChangePerPeriod`: nodes changed by events strictly inside the last `periodSeconds`. */
export function changeInPeriod(events: readonly ScaleEvent[], periodSeconds: number, now: number): number {
  const cutoff = now - periodSeconds * 1000;
  let change = 0;
  for (const event of events) if (event.at > cutoff) change += event.change;
  return change;
}

export interface RateLimit {
  /** Highest (scale-up) or lowest (scale-down) count the policies allow now. */
  limit: number;
  /** The policy whose proposal was selected; absent when `select` is Disabled. */
  policy?: ScalingRatePolicy;
}

export function describeRatePolicy(policy: ScalingRatePolicy): string {
  return `${policy.type} ${policy.value}${policy.type === 'Percent' ? '%' : ''}/${policy.periodSeconds}s`;
}

/**
 * `calculateScaleUpLimitWithScalingRules`: each policy proposes a ceiling from the count at the start of its
 * period (current minus nodes added plus nodes removed within it); `select` Max takes the largest ceiling,
 * Min the smallest, Disabled forbids scaling up.
 */
export function scaleUpLimit(
  current: number,
  upEvents: readonly ScaleEvent[],
  downEvents: readonly ScaleEvent[],
  rules: ScalingRules,
  now: number,
): RateLimit {
  // Rounded up so that a Percent policy on a small count still adds a node (as the HPA does).
  return selectRateLimit(current, upEvents, downEvents, rules, now, 'up', (periodStart, policy) =>
    policy.type === 'Nodes' ? periodStart + policy.value : Math.ceil(periodStart * (1 + policy.value / 100)),
  );
}

/**
 * `calculateScaleDownLimitWithBehaviors`: each policy proposes a floor from the count at the start of its
 * period; `select` Max allows the biggest drop (lowest floor), Min the smallest, Disabled forbids scaling down.
 */
export function scaleDownLimit(
  current: number,
  upEvents: readonly ScaleEvent[],
  downEvents: readonly ScaleEvent[],
  rules: ScalingRules,
  now: number,
): RateLimit {
  // Truncated as the HPA does (Go int32 conversion): 50 % of 5 may leave 2.
  return selectRateLimit(current, upEvents, downEvents, rules, now, 'down', (periodStart, policy) =>
    policy.type === 'Nodes' ? periodStart - policy.value : Math.trunc(periodStart * (1 - policy.value / 100)),
  );
}

/**
 * Asks every policy for its limit, given the count at the start of its period (current minus nodes added
 * plus nodes removed within it). `select` Max takes the limit allowing the biggest change in `direction`
 * (the highest ceiling up, the lowest floor down), Min the smallest; the first policy wins a tie.
 */
function selectRateLimit(
  current: number,
  upEvents: readonly ScaleEvent[],
  downEvents: readonly ScaleEvent[],
  rules: ScalingRules,
  now: number,
  direction: 'up' | 'down',
  propose: (periodStart: number, policy: ScalingRatePolicy) => number,
): RateLimit {
  if (rules.select === 'Disabled') return { limit: current };
  const preferHigher = (direction === 'up') === (rules.select === 'Max');
  let best: RateLimit | undefined;
  for (const policy of rules.policies) {
    const added = changeInPeriod(upEvents, policy.periodSeconds, now);
    const removed = changeInPeriod(downEvents, policy.periodSeconds, now);
    const proposed = propose(current - added + removed, policy);
    const better = preferHigher
      ? proposed > (best?.limit ?? -Infinity)
      : proposed < (best?.limit ?? Infinity);
    if (best === undefined || better) best = { limit: proposed, policy };
  }
  return best ?? { limit: current };
}

export interface RateLimitedRecommendation {
  nodes: number;
  reason?: string;
  /** When the oldest event counted by the binding policy leaves its period, epoch ms. */
  releasedAt?: number;
}

function releaseTime(events: readonly ScaleEvent[], policy: ScalingRatePolicy | undefined, now: number) {
  if (policy === undefined) return undefined;
  const cutoff = now - policy.periodSeconds * 1000;
  const counted = events.filter((event) => event.at > cutoff).map((event) => event.at);
  return counted.length === 0 ? undefined : Math.min(...counted) + policy.periodSeconds * 1000;
}

/**
 * `convertDesiredReplicasWithBehaviorRate`: limits the stabilized recommendation by the rate policies and the
 * bounds. A scale-up from zero may always add one node: percentages of zero are zero, and the activation from
 * zero is the job of the activation threshold, as in KEDA.
 */
export function limitByRate(input: BehaviorInput, stabilized: number): RateLimitedRecommendation {
  const { current, now } = input;
  if (stabilized > current) {
    const up = scaleUpLimit(current, input.scaleUpEvents, input.scaleDownEvents, input.scaleUp, now);
    let limit = Math.max(up.limit, current);
    if (current === 0 && input.scaleUp.select !== 'Disabled') limit = Math.max(limit, 1);
    if (input.maxCount <= limit) {
      if (stabilized > input.maxCount)
        return { nodes: input.maxCount, reason: `clamped to maxCount ${input.maxCount}` };
      return { nodes: stabilized };
    }
    if (stabilized <= limit) return { nodes: stabilized };
    const releasedAt = releaseTime(input.scaleUpEvents, up.policy, now);
    const reason =
      up.policy === undefined
        ? 'scale-up disabled by policy (select Disabled)'
        : `scale-up limited by policy ${describeRatePolicy(up.policy)} → ${limit}`;
    return { nodes: limit, reason, ...(releasedAt === undefined ? {} : { releasedAt }) };
  }
  if (stabilized < current) {
    const down = scaleDownLimit(current, input.scaleUpEvents, input.scaleDownEvents, input.scaleDown, now);
    const limit = Math.min(down.limit, current);
    if (input.minCount >= limit) {
      if (stabilized < input.minCount)
        return { nodes: input.minCount, reason: `raised to minCount ${input.minCount}` };
      return { nodes: stabilized };
    }
    if (stabilized >= limit) return { nodes: stabilized };
    const releasedAt = releaseTime(input.scaleDownEvents, down.policy, now);
    const reason =
      down.policy === undefined
        ? 'scale-down disabled by policy (select Disabled)'
        : `scale-down limited by policy ${describeRatePolicy(down.policy)} → ${limit}`;
    return { nodes: limit, reason, ...(releasedAt === undefined ? {} : { releasedAt }) };
  }
  return { nodes: stabilized };
}

export interface NormalizedRecommendation {
  nodes: number;
  reasons: string[];
  /** Epoch ms when a window or period that bound the result expires. */
  releasedAt?: number;
}

/** `normalizeDesiredReplicasWithBehaviors`: stabilize, then limit by rate and bounds. */
export function normalizeWithBehavior(input: BehaviorInput): NormalizedRecommendation {
  const reasons: string[] = [];
  const stabilized = stabilizeRecommendation(input);
  if (stabilized.reason !== undefined) reasons.push(`${stabilized.reason} → ${stabilized.nodes}`);
  const limited = limitByRate(input, stabilized.nodes);
  if (limited.reason !== undefined) reasons.push(limited.reason);
  const releases = [stabilized.releasedAt, limited.releasedAt].filter((at): at is number => at !== undefined);
  return releases.length === 0
    ? { nodes: limited.nodes, reasons }
    : { nodes: limited.nodes, reasons, releasedAt: Math.min(...releases) };
}

/**
 * Adds this evaluation's recommendation and drops those no window can use any more: older than both
 * stabilization windows, or matched by later ones on both sides (a later one at least as high serves every
 * scale-down window that contains it, a later one at least as low every scale-up window). What is kept are
 * the running maxima and minima from the newest backwards, at most two per node count, so the state stays
 * small however often the pool is evaluated, and every stabilization result is the same as with the full list.
 */
export function recordRecommendation(
  recommendations: readonly TimedRecommendation[],
  nodes: number,
  now: number,
  scaleUp: ScalingRules,
  scaleDown: ScalingRules,
): TimedRecommendation[] {
  const keepAfter = now - Math.max(scaleUp.stabilizationSeconds, scaleDown.stabilizationSeconds) * 1000;
  const all = [...recommendations.filter((rec) => rec.at > keepAfter), { at: now, nodes }];
  const kept: TimedRecommendation[] = [];
  let laterHighest = -Infinity;
  let laterLowest = Infinity;
  for (let index = all.length - 1; index >= 0; index -= 1) {
    const rec = all[index] as TimedRecommendation;
    if (rec.nodes > laterHighest || rec.nodes < laterLowest) kept.push(rec);
    laterHighest = Math.max(laterHighest, rec.nodes);
    laterLowest = Math.min(laterLowest, rec.nodes);
  }
  return kept.reverse();
}

function longestPeriodSeconds(rules: ScalingRules): number {
  return rules.policies.reduce((longest, policy) => Math.max(longest, policy.periodSeconds), 0);
}

/** Drops scale events older than the longest period of any policy: no rate check can count them again. */
export function pruneScaleEvents(
  events: readonly ScaleEvent[],
  now: number,
  scaleUp: ScalingRules,
  scaleDown: ScalingRules,
): ScaleEvent[] {
  const keepAfter = now - Math.max(longestPeriodSeconds(scaleUp), longestPeriodSeconds(scaleDown)) * 1000;
  return events.filter((event) => event.at > keepAfter);
}
