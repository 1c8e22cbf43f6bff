import type { Pool, PoolResource } from '../modelarts/schemas';
import { updateAzHealth, type AzHealthUpdate } from './az-backoff';
import { splitAcrossAzs } from './azs';
import { normalizeWithBehavior, pruneScaleEvents, recordRecommendation } from './behavior';
import { effectiveBounds, roundToStep } from './bounds';
import { recommendNodes } from './demand';
import { buildPatchBody, nodesPerAz, sizeChanged, sizeOf } from './patch-body';
import type { FlavorPolicy, Policy } from './policy';
import {
  emptyFlavorStatus,
  entryStep,
  flavorEntries,
  flavorStatuses,
  liveNodesByAz,
  type FlavorStatus,
} from './pool-view';
import { newFlavorState, type FlavorScalerState, type ScalerState } from './state';
import { countOf } from './wording';
import type { Decision, DecisionInput, FlavorDecision, FlavorDepth, FlavorSize, FlavorTarget } from './types';

interface FlavorResult {
  decision: FlavorDecision;
  target?: FlavorTarget;
  /** Next state once the PATCH is applied. */
  applied: FlavorScalerState;
  /** Next state when it is not. */
  notApplied: FlavorScalerState;
  nextChangeAt?: number;
}

interface FlavorContext {
  name: string;
  policy: Policy;
  flavor: FlavorPolicy;
  pool: Pool;
  entries: PoolResource[];
  status: FlavorStatus;
  depth: FlavorDepth | undefined;
  state: FlavorScalerState;
  health: AzHealthUpdate;
  now: number;
}

function clampCount(nodes: number, minCount: number, maxCount: number): number {
  return Math.min(maxCount, Math.max(minCount, nodes));
}

function earliest(times: readonly (number | undefined)[], after: number): number | undefined {
  let result: number | undefined;
  for (const time of times) {
    if (time === undefined || time <= after) continue;
    result = result === undefined ? time : Math.min(result, time);
  }
  return result;
}

function withHealth(state: FlavorScalerState, health: AzHealthUpdate): FlavorScalerState {
  return { ...state, azs: health.health };
}

/** AZ weights in force: the policy's, else an even spread over the AZs the entry (or, when steering, the status) uses. */
function azWeights(ctx: FlavorContext, entry: PoolResource): Record<string, number> | undefined {
  if (ctx.flavor.azs !== undefined) return ctx.flavor.azs;
  const zones = entry.azs !== undefined && entry.azs.length > 0 ? entry.azs.map((az) => az.az) : undefined;
  if (zones !== undefined) return Object.fromEntries(zones.map((az) => [az, 1]));
  if (ctx.health.backedOff.size === 0) return undefined;
  const live = Object.keys(liveNodesByAz(ctx.status));
  return live.length === 0 ? undefined : Object.fromEntries(live.map((az) => [az, 1]));
}

function decideFlavor(ctx: FlavorContext): FlavorResult {
  const { flavor, now, policy } = ctx;
  const prunedEvents = {
    scaleUpEvents: pruneScaleEvents(ctx.state.scaleUpEvents, now, flavor.scaleUp, flavor.scaleDown),
    scaleDownEvents: pruneScaleEvents(ctx.state.scaleDownEvents, now, flavor.scaleUp, flavor.scaleDown),
  };
  const unchangedState = withHealth({ ...ctx.state, ...prunedEvents }, ctx.health);

  if (ctx.entries.length !== 1) {
    const absent = ctx.entries.length === 0;
    const size = absent ? { count: 0 } : sizeOf(ctx.entries[0] as PoolResource);
    return {
      decision: {
        flavor: ctx.name,
        outcome: absent ? 'absent' : 'skipped',
        before: size,
        after: size,
        desired: size.count,
        demandUnits: (ctx.depth?.pendingUnits ?? 0) + (ctx.depth?.runningUnits ?? 0),
        reasons: [
          absent
            ? 'flavor is in the policy but not in the pool: not created'
            : `${ctx.entries.length} entries (node pools) share this flavor: left as they are`,
        ],
      },
      applied: unchangedState,
      notApplied: unchangedState,
    };
  }

  const entry = ctx.entries[0] as PoolResource;
  const before = sizeOf(entry);
  const current = entry.count;
  const bounds = effectiveBounds(flavor, now);
  const minCount = flavor.allowZero ? bounds.minCount : Math.max(1, bounds.minCount);
  const maxCount = Math.max(minCount, bounds.maxCount);
  const demand = recommendNodes(flavor, ctx.depth, now, policy.staleAfterSeconds);
  const reasons = [...bounds.reasons, ...demand.reasons];
  if (ctx.status.creating.total > 0) {
    reasons.push(
      `${countOf(ctx.status.creating.total, 'node')} still creating: counted as capacity on its way`,
    );
  }

  // The recommendation kept for the stabilization windows is the demand within the bounds in force, so a
  // schedule ending is stabilized like any other drop in demand.
  let desired = clampCount(demand.nodes, minCount, maxCount);
  if (demand.nodes > maxCount) reasons.push(`clamped to maxCount ${maxCount}`);
  else if (demand.nodes < minCount) reasons.push(`raised to minCount ${minCount}`);
  if (demand.hold && desired < current) desired = current;
  const recommendations = recordRecommendation(
    ctx.state.recommendations,
    desired,
    now,
    flavor.scaleUp,
    flavor.scaleDown,
  );

  const normalized = normalizeWithBehavior({
    current,
    desired,
    minCount,
    maxCount,
    scaleUp: flavor.scaleUp,
    scaleDown: flavor.scaleDown,
    recommendations: ctx.state.recommendations,
    scaleUpEvents: prunedEvents.scaleUpEvents,
    scaleDownEvents: prunedEvents.scaleDownEvents,
    now,
  });
  let target = normalized.nodes;
  const releasedAt = normalized.releasedAt;
  reasons.push(...normalized.reasons);
  // A count outside the bounds (a schedule began or ended, an operator edited the pool) is brought back at once,
  // as the HPA does; stabilization and rate limits only shape the way within them.
  if (target > maxCount) {
    reasons.push(`current count ${current} is above maxCount ${maxCount} → ${maxCount}`);
    target = maxCount;
  } else if (target < minCount) {
    reasons.push(`current count ${current} is below minCount ${minCount} → ${minCount}`);
    target = minCount;
  }

  // Without history nothing stabilizes a drop: a new policy or a lost state would otherwise remove nodes at the
  // first evaluation, before the demand they were kept for is known. Bringing a count back within bounds is exempt.
  let warmUpEndsAt: number | undefined;
  const observedSince = ctx.state.observedSince;
  const downWindowMs = flavor.scaleDown.stabilizationSeconds * 1000;
  if (observedSince !== undefined && now - observedSince < downWindowMs) {
    warmUpEndsAt = observedSince + downWindowMs;
    if (target < current && current <= maxCount) {
      reasons.push(
        `warming up: no scale-down until ${flavor.scaleDown.stabilizationSeconds} s of recommendations are known (${Math.round((warmUpEndsAt - now) / 1000)} s left): held at ${current}`,
      );
      target = current;
    }
  }

  // A flavor that must keep a count outside the legal range is left entirely as it is.
  let frozen = false;
  const step = entryStep(entry);
  if (step > 1 && target !== current) {
    const rounded = roundToStep(target, step, minCount, maxCount);
    if (rounded === null) {
      reasons.push(
        `no multiple of creatingStep ${step} lies within [${minCount}, ${maxCount}]: left as it is`,
      );
      target = current;
      frozen = true;
    } else if (rounded !== target) {
      reasons.push(`rounded to a multiple of creatingStep ${step} → ${rounded}`);
      target = rounded;
    }
  }

  if (target < current && target < demand.runningNodes) {
    // Only reachable when the ceiling (or its creatingStep multiple) is below what running jobs occupy:
    // wait for the jobs rather than evict them.
    reasons.push(
      `held at ${current}: running jobs need ${countOf(demand.runningNodes, 'node')}, more than maxCount ${maxCount} allows removing`,
    );
    target = current;
    frozen = true;
  }

  let cooldownEndsAt: number | undefined;
  const lastScaleAt = ctx.state.lastScaleAt;
  const coolingDown = lastScaleAt !== undefined && now - lastScaleAt < policy.cooldownSeconds * 1000;
  if (coolingDown && lastScaleAt !== undefined) {
    cooldownEndsAt = lastScaleAt + policy.cooldownSeconds * 1000;
    if (target !== current) {
      reasons.push(
        `cooldown: last scale ${Math.round((now - lastScaleAt) / 1000)} s ago (cooldownSeconds ${policy.cooldownSeconds}): held at ${current}`,
      );
      target = current;
    }
    // Nothing of the entry changes while it cools down, AZ placement and maxCount included.
    frozen = true;
  }

  // Holding a count outside the bounds (running jobs) must not patch the entry's other sizing either.
  if (target < minCount || target > maxCount) frozen = true;
  const after: FlavorSize = frozen ? { ...before } : { count: target };
  if (!frozen && entry.maxCount !== undefined) {
    if (ctx.pool.spec.type === 'Dedicate') {
      after.maxCount = target;
    } else {
      after.maxCount = Math.max(entry.maxCount, target);
      if (entry.maxCount < target) reasons.push(`logical pool: maxCount raised to count ${target}`);
    }
  }

  for (const az of ctx.health.newlyBackedOff) {
    reasons.push(
      `AZ ${az} backed off for ${flavor.azBackoff.durationSeconds} s: nodes creating without progress or abnormal for ${flavor.azBackoff.afterSeconds} s`,
    );
  }
  const weights = frozen ? undefined : azWeights(ctx, entry);
  if (weights !== undefined) {
    const placed =
      entry.azs !== undefined && entry.azs.length > 0
        ? Object.fromEntries(nodesPerAz(entry.azs))
        : liveNodesByAz(ctx.status);
    const caps: Record<string, number> = {};
    for (const az of ctx.health.backedOff) caps[az] = ctx.status.available.byAz[az] ?? 0;
    const split = splitAcrossAzs({ target, current: placed, weights, backedOff: ctx.health.backedOff, caps });
    after.azs = split.azs;
    if (split.moved > 0) {
      reasons.push(
        `steering around backed-off AZ ${[...ctx.health.backedOff].join(', ')}: ${countOf(split.moved, 'stuck node')} placed in other AZs`,
      );
    }
    if (split.backoffIgnored && ctx.health.backedOff.size > 0) {
      reasons.push('every weighted AZ is backed off: placing by weight anyway');
    }
  } else if (before.azs !== undefined) {
    after.azs = before.azs;
  }

  const changed = sizeChanged(before, after);
  if (changed) {
    const azText =
      after.azs === undefined ? '' : ` (${after.azs.map((az) => `${az.az}: ${az.count}`).join(', ')})`;
    reasons.push(
      target === current ? `AZ placement changes${azText}` : `scale ${current} → ${target}${azText}`,
    );
  } else {
    reasons.push(`unchanged at ${current}`);
  }

  const notApplied: FlavorScalerState = withHealth(
    { ...ctx.state, ...prunedEvents, recommendations },
    ctx.health,
  );
  let applied = notApplied;
  if (changed) {
    applied = { ...notApplied, lastScaleAt: now };
    if (target > current) {
      applied.scaleUpEvents = [...prunedEvents.scaleUpEvents, { at: now, change: target - current }];
    } else if (target < current) {
      applied.scaleDownEvents = [...prunedEvents.scaleDownEvents, { at: now, change: current - target }];
    }
  }

  const nextChangeAt = earliest(
    [bounds.nextChangeAt, releasedAt, cooldownEndsAt, warmUpEndsAt, ctx.health.nextChangeAt],
    now,
  );
  const result: FlavorResult = {
    decision: {
      flavor: ctx.name,
      outcome: changed ? 'scale' : 'unchanged',
      before,
      after,
      desired,
      demandUnits: demand.demandUnits,
      reasons,
    },
    applied,
    notApplied,
  };
  if (changed) {
    // AZs carried over unchanged stay out of the target, so the entry keeps them exactly as the pool has them.
    const { azs, ...size } = after;
    result.target = {
      flavor: ctx.name,
      ...size,
      ...(azs !== undefined && azs !== before.azs ? { azs } : {}),
    };
  }
  if (nextChangeAt !== undefined) result.nextChangeAt = nextChangeAt;
  return result;
}

function unchangedFlavorDecisions(policy: Policy, pool: Pool, reason: string): FlavorDecision[] {
  const entries = flavorEntries(pool);
  return Object.keys(policy.flavors).map((name) => {
    const entry = entries.get(name)?.[0];
    const size = entry === undefined ? { count: 0 } : sizeOf(entry);
    return {
      flavor: name,
      outcome: entry === undefined ? 'absent' : 'unchanged',
      before: size,
      after: size,
      desired: size.count,
      demandUnits: 0,
      reasons: [reason],
    } satisfies FlavorDecision;
  });
}

/** Why the pool cannot be changed now, or undefined when it can. */
function midChangeReason(
  policy: Policy,
  pool: Pool,
  statuses: Map<string, FlavorStatus>,
  health: Map<string, AzHealthUpdate>,
): string | undefined {
  const phase = pool.status.phase;
  if (phase === undefined || !policy.resizablePhases.includes(phase)) {
    return `pool phase ${phase ?? '(none yet)'} is not resizable (resizablePhases: ${policy.resizablePhases.join(', ')})`;
  }
  if (policy.scaleWhileChanging) return undefined;
  for (const [flavor, status] of statuses) {
    const backedOff = health.get(flavor)?.backedOff ?? new Set<string>();
    // Nodes stuck in a backed-off AZ are what the next PATCH moves away: they do not block it.
    let creating = status.creating.total;
    for (const az of backedOff) creating -= status.creating.byAz[az] ?? 0;
    if (creating > 0 || status.deleting.total > 0) {
      return `flavor ${flavor} is mid-change (${countOf(Math.max(0, creating), 'node')} creating, ${status.deleting.total} deleting): one change at a time per pool`;
    }
  }
  return undefined;
}

/**
 * Decides the next size of every flavor of one pool. Pure and deterministic: everything it needs, including
 * the clock, comes in `input`; the next scaler state goes out in the decision.
 *
 * Order: enabled → AZ health → pool phase and mid-change → per flavor: bounds and schedules → demand and
 * activation → stabilization → rate policies → bounds → warm-up → creatingStep → running-jobs floor → cooldown
 * → pool type (maxCount) → AZ split → PATCH body.
 */
export function decide(input: DecisionInput): Decision {
  const { policy, pool, now } = input;
  const poolName = pool.metadata.name;
  const entries = flavorEntries(pool);
  const statuses = flavorStatuses(pool);
  const previous = input.state.flavors;
  const flavorNames = Object.keys(policy.flavors);

  if (!policy.enabled) {
    return {
      pool: poolName,
      action: 'disabled',
      flavors: unchangedFlavorDecisions(policy, pool, 'policy disabled (enabled: false)'),
      patch: null,
      reasons: ['policy disabled (enabled: false): nothing is changed'],
      state: input.state,
      stateIfNotApplied: input.state,
    };
  }

  const health = new Map<string, AzHealthUpdate>();
  for (const name of flavorNames) {
    const flavor = policy.flavors[name] as FlavorPolicy;
    const previousHealth = previous[name]?.azs ?? {};
    health.set(
      name,
      updateAzHealth(previousHealth, statuses.get(name) ?? emptyFlavorStatus(), flavor.azBackoff, now),
    );
  }

  const reasons: string[] = [];
  for (const name of entries.keys()) {
    if (!(name in policy.flavors)) reasons.push(`flavor ${name} is not in the policy: left as it is`);
  }

  const blocked = midChangeReason(policy, pool, statuses, health);
  if (blocked !== undefined) {
    const flavors: ScalerState['flavors'] = {};
    for (const name of flavorNames) {
      flavors[name] = withHealth(previous[name] ?? newFlavorState(now), health.get(name) as AzHealthUpdate);
    }
    const state: ScalerState = { version: 1, flavors };
    const nextEvaluationAt = earliest(
      [...health.values()].map((update) => update.nextChangeAt),
      now,
    );
    return {
      pool: poolName,
      action: 'skip',
      flavors: unchangedFlavorDecisions(policy, pool, `skipped: ${blocked}`),
      patch: null,
      reasons: [`skipped: ${blocked}`, ...reasons],
      state,
      stateIfNotApplied: state,
      ...(nextEvaluationAt === undefined ? {} : { nextEvaluationAt }),
    };
  }

  const results = flavorNames.map((name) =>
    decideFlavor({
      name,
      policy,
      flavor: policy.flavors[name] as FlavorPolicy,
      pool,
      entries: entries.get(name) ?? [],
      status: statuses.get(name) ?? emptyFlavorStatus(),
      depth: input.depth[name],
      state: previous[name] ?? newFlavorState(now),
      health: health.get(name) as AzHealthUpdate,
      now,
    }),
  );

  const targets = results.flatMap((result) => (result.target === undefined ? [] : [result.target]));
  const patch = buildPatchBody(pool, targets);
  const applied: ScalerState = { version: 1, flavors: {} };
  const notApplied: ScalerState = { version: 1, flavors: {} };
  results.forEach((result, index) => {
    const name = flavorNames[index] as string;
    applied.flavors[name] = result.applied;
    notApplied.flavors[name] = result.notApplied;
  });

  let action: Decision['action'] = 'none';
  if (patch !== null) {
    action = policy.dryRun ? 'dry-run' : 'scale';
    const scaled = results
      .filter((result) => result.target !== undefined)
      .map((result) => result.decision.flavor);
    reasons.unshift(
      policy.dryRun
        ? `dry run: would scale ${scaled.join(', ')}; PATCH not sent`
        : `scaling ${scaled.join(', ')}`,
    );
  } else {
    reasons.unshift('no flavor changes');
  }

  const nextEvaluationAt = earliest(
    results.map((result) => result.nextChangeAt),
    now,
  );
  return {
    pool: poolName,
    action,
    flavors: results.map((result) => result.decision),
    patch,
    reasons,
    state: action === 'scale' ? applied : notApplied,
    stateIfNotApplied: notApplied,
    ...(nextEvaluationAt === undefined ? {} : { nextEvaluationAt }),
  };
}
