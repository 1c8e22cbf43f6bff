import type { Pool, PoolResource } from '../modelarts/schemas';
import type { AzHealthUpdate } from './az-backoff';
import { splitAcrossAzs } from './azs';
import { normalizeWithBehavior } from './behavior';
import { clampToBounds, roundToStep, type EffectiveBounds } from './bounds';
import type { DemandRecommendation } from './demand';
import { nodesPerAz } from './patch-body';
import type { FlavorPolicy, Policy } from './policy';
import { entryStep, liveNodesByAz, type FlavorStatus } from './pool-view';
import type { FlavorScalerState } from './state';
import type { FlavorSize } from './types';
import { countOf } from './wording';

/**
 * The decision for one flavor entry, read like the HPA's `normalizeDesiredReplicasWithBehaviors`: an ordered
 * list of small steps over one proposal. Each step is a pure function of what the evaluation saw (the context)
 * and what the steps before it proposed; the order is `FLAVOR_STEPS`, and a new rule is one more entry.
 */

/** What the evaluation saw of one flavor with exactly one entry. Steps only read it. */
export interface FlavorContext {
  readonly name: string;
  readonly policy: Policy;
  readonly flavor: FlavorPolicy;
  readonly pool: Pool;
  readonly entry: PoolResource;
  /** The entry's sizing fields as the pool has them. */
  readonly before: FlavorSize;
  /** The entry's count now. */
  readonly current: number;
  readonly status: FlavorStatus;
  /** The flavor's state from the last evaluation, without scale events no rate period counts any more. */
  readonly state: FlavorScalerState;
  readonly health: AzHealthUpdate;
  /** Bounds in force: schedules applied, minCount at least 1 unless allowZero, maxCount at least minCount. */
  readonly bounds: EffectiveBounds;
  readonly demand: DemandRecommendation;
  readonly now: number;
}

/** What the steps so far propose for the entry. */
export interface FlavorProposal {
  /** The demand within the bounds: the recommendation the stabilization windows keep. */
  readonly desired: number;
  /** The node count proposed so far. */
  readonly target: number;
  /**
   * `entry`: the entry keeps every sizing field as the pool has it (count, maxCount and AZ placement), so the
   * PATCH leaves it alone. Set by the steps that must not touch the entry; no later step clears it.
   */
  readonly hold?: 'entry';
  /** The entry's sizing fields as proposed: the entry as it is until the sizing steps set them. */
  readonly after: FlavorSize;
  /** Which rule shaped the proposal, in the order the steps ran. */
  readonly reasons: readonly string[];
  /**
   * When a time-bound rule that shaped the proposal next changes (schedule, stabilization window, rate period,
   * warm-up, cooldown, AZ back-off), epoch ms.
   */
  readonly changesAt: readonly number[];
}

export type FlavorStep = (ctx: FlavorContext, proposal: FlavorProposal) => FlavorProposal;

function noting(proposal: FlavorProposal, ...reasons: string[]): FlavorProposal {
  return reasons.length === 0 ? proposal : { ...proposal, reasons: [...proposal.reasons, ...reasons] };
}

function changingAt(proposal: FlavorProposal, at: number | undefined): FlavorProposal {
  return at === undefined ? proposal : { ...proposal, changesAt: [...proposal.changesAt, at] };
}

/** Before any step: the entry as it is. */
export function initialProposal(ctx: FlavorContext): FlavorProposal {
  return {
    desired: ctx.current,
    target: ctx.current,
    after: { ...ctx.before },
    reasons: [],
    changesAt: [],
  };
}

/** The schedules in force, and when one next begins or ends. */
export function scheduledBounds(ctx: FlavorContext, proposal: FlavorProposal): FlavorProposal {
  return changingAt(noting(proposal, ...ctx.bounds.reasons), ctx.bounds.nextChangeAt);
}

/** The nodes the demand asks for (never fewer than the running jobs occupy). */
export function demandNodes(ctx: FlavorContext, proposal: FlavorProposal): FlavorProposal {
  const creating = ctx.status.creating.total;
  const reasons = [...ctx.demand.reasons];
  if (creating > 0)
    reasons.push(`${countOf(creating, 'node')} still creating: counted as capacity on its way`);
  return { ...noting(proposal, ...reasons), target: ctx.demand.nodes };
}

/**
 * The recommendation the stabilization windows keep is the demand within the bounds in force, so a schedule
 * ending is stabilized like any other drop in demand. Unknown or stale demand keeps at least the current count.
 */
export function demandWithinBounds(ctx: FlavorContext, proposal: FlavorProposal): FlavorProposal {
  const bounded = clampToBounds(proposal.target, ctx.bounds);
  const reasons: string[] = [];
  if (bounded.outside === 'above') reasons.push(`clamped to maxCount ${ctx.bounds.maxCount}`);
  if (bounded.outside === 'below') reasons.push(`raised to minCount ${ctx.bounds.minCount}`);
  const desired = ctx.demand.hold && bounded.nodes < ctx.current ? ctx.current : bounded.nodes;
  return { ...noting(proposal, ...reasons), desired, target: desired };
}

/** HPA behavior (behavior.ts): stabilization windows, then the rate policies. */
export function hpaBehavior(ctx: FlavorContext, proposal: FlavorProposal): FlavorProposal {
  const normalized = normalizeWithBehavior({
    current: ctx.current,
    desired: proposal.target,
    minCount: ctx.bounds.minCount,
    maxCount: ctx.bounds.maxCount,
    scaleUp: ctx.flavor.scaleUp,
    scaleDown: ctx.flavor.scaleDown,
    recommendations: ctx.state.recommendations,
    scaleUpEvents: ctx.state.scaleUpEvents,
    scaleDownEvents: ctx.state.scaleDownEvents,
    now: ctx.now,
  });
  const limited = { ...noting(proposal, ...normalized.reasons), target: normalized.nodes };
  return changingAt(limited, normalized.releasedAt);
}

/**
 * A count outside the bounds (a schedule began or ended, an operator edited the pool) is brought back at once,
 * as the HPA does: stabilization and rate limits only shape the way within them. The demand was clamped too,
 * by `demandWithinBounds`, but with the current count held by the windows the result can still lie outside.
 */
export function backWithinBounds(ctx: FlavorContext, proposal: FlavorProposal): FlavorProposal {
  const { minCount, maxCount } = ctx.bounds;
  const bounded = clampToBounds(proposal.target, ctx.bounds);
  if (bounded.outside === undefined) return proposal;
  const reason =
    bounded.outside === 'above'
      ? `current count ${ctx.current} is above maxCount ${maxCount} → ${maxCount}`
      : `current count ${ctx.current} is below minCount ${minCount} → ${minCount}`;
  return { ...noting(proposal, reason), target: bounded.nodes };
}

/**
 * Without history nothing stabilizes a drop: a new policy or a lost state would otherwise remove nodes at the
 * first evaluation, before the demand they were kept for is known. Bringing a count back within bounds is exempt.
 */
export function warmUp(ctx: FlavorContext, proposal: FlavorProposal): FlavorProposal {
  const since = ctx.state.observedSince;
  const windowSeconds = ctx.flavor.scaleDown.stabilizationSeconds;
  if (since === undefined || ctx.now - since >= windowSeconds * 1000) return proposal;
  const endsAt = since + windowSeconds * 1000;
  const warming = changingAt(proposal, endsAt);
  if (proposal.target >= ctx.current || ctx.current > ctx.bounds.maxCount) return warming;
  const reason = `warming up: no scale-down until ${windowSeconds} s of recommendations are known (${Math.round((endsAt - ctx.now) / 1000)} s left): held at ${ctx.current}`;
  return { ...noting(warming, reason), target: ctx.current };
}

/**
 * An entry created in racks takes only multiples of its creatingStep within the bounds; when none exists the
 * entry is left entirely as it is.
 */
export function creatingStepMultiple(ctx: FlavorContext, proposal: FlavorProposal): FlavorProposal {
  const step = entryStep(ctx.entry);
  if (step <= 1 || proposal.target === ctx.current) return proposal;
  const { minCount, maxCount } = ctx.bounds;
  const rounded = roundToStep(proposal.target, step, minCount, maxCount);
  if (rounded === null) {
    const reason = `no multiple of creatingStep ${step} lies within [${minCount}, ${maxCount}]: left as it is`;
    return { ...noting(proposal, reason), target: ctx.current, hold: 'entry' };
  }
  if (rounded === proposal.target) return proposal;
  const reason = `rounded to a multiple of creatingStep ${step} → ${rounded}`;
  return { ...noting(proposal, reason), target: rounded };
}

/**
 * Never below the nodes running jobs occupy. Only reachable when the ceiling (or its creatingStep multiple) is
 * below them: wait for the jobs rather than evict them, and leave the entry as it is.
 */
export function runningJobsFloor(ctx: FlavorContext, proposal: FlavorProposal): FlavorProposal {
  const running = ctx.demand.runningNodes;
  if (proposal.target >= ctx.current || proposal.target >= running) return proposal;
  const reason = `held at ${ctx.current}: running jobs need ${countOf(running, 'node')}, more than maxCount ${ctx.bounds.maxCount} allows removing`;
  return { ...noting(proposal, reason), target: ctx.current, hold: 'entry' };
}

/** Nothing of the entry changes while it cools down after a scale, AZ placement and maxCount included. */
export function cooldown(ctx: FlavorContext, proposal: FlavorProposal): FlavorProposal {
  const lastScaleAt = ctx.state.lastScaleAt;
  const cooldownSeconds = ctx.policy.cooldownSeconds;
  if (lastScaleAt === undefined || ctx.now - lastScaleAt >= cooldownSeconds * 1000) return proposal;
  const cooling: FlavorProposal = {
    ...changingAt(proposal, lastScaleAt + cooldownSeconds * 1000),
    hold: 'entry',
  };
  if (proposal.target === ctx.current) return cooling;
  const reason = `cooldown: last scale ${Math.round((ctx.now - lastScaleAt) / 1000)} s ago (cooldownSeconds ${cooldownSeconds}): held at ${ctx.current}`;
  return { ...noting(cooling, reason), target: ctx.current };
}

/**
 * Only a hold keeps a count outside the bounds (running jobs, no creatingStep multiple within them); whichever
 * step kept it, the entry's other sizing fields stay as they are too.
 */
export function outsideBoundsHoldsEntry(ctx: FlavorContext, proposal: FlavorProposal): FlavorProposal {
  if (clampToBounds(proposal.target, ctx.bounds).outside === undefined) return proposal;
  return { ...proposal, hold: 'entry' };
}

/**
 * The sizing fields the pool type asks for: a physical pool (Dedicate) keeps maxCount equal to count; a logical
 * pool keeps maxCount as its ceiling and raises it only when count passes it. An entry without maxCount gets none.
 */
export function sizeByPoolType(ctx: FlavorContext, proposal: FlavorProposal): FlavorProposal {
  if (proposal.hold === 'entry') return proposal;
  const count = proposal.target;
  const entryMaxCount = ctx.entry.maxCount;
  if (entryMaxCount === undefined) return { ...proposal, after: { count } };
  if (ctx.pool.spec.type === 'Dedicate') return { ...proposal, after: { count, maxCount: count } };
  const after = { count, maxCount: Math.max(entryMaxCount, count) };
  if (entryMaxCount >= count) return { ...proposal, after };
  return { ...noting(proposal, `logical pool: maxCount raised to count ${count}`), after };
}

/**
 * AZ weights in force: the policy's, else an even spread over the AZs the entry uses (or, when steering around a
 * backed-off AZ, the AZs the status shows nodes in).
 */
function azWeights(ctx: FlavorContext): Record<string, number> | undefined {
  if (ctx.flavor.azs !== undefined) return ctx.flavor.azs;
  const entryAzs = ctx.entry.azs;
  if (entryAzs !== undefined && entryAzs.length > 0)
    return Object.fromEntries(entryAzs.map((az) => [az.az, 1]));
  if (ctx.health.backedOff.size === 0) return undefined;
  const live = Object.keys(liveNodesByAz(ctx.status));
  return live.length === 0 ? undefined : Object.fromEntries(live.map((az) => [az, 1]));
}

/**
 * AZ placement by weight with the least movement, nodes stuck in a backed-off AZ placed in the others. A held
 * entry keeps its placement with the rest of its sizing; without weights (no policy AZs, an entry placing no
 * nodes per AZ, nothing to steer around) the service places the nodes.
 */
export function azPlacement(ctx: FlavorContext, proposal: FlavorProposal): FlavorProposal {
  const { health } = ctx;
  const backoffReasons = health.newlyBackedOff.map(
    (az) =>
      `AZ ${az} backed off for ${ctx.flavor.azBackoff.durationSeconds} s: nodes creating without progress or abnormal for ${ctx.flavor.azBackoff.afterSeconds} s`,
  );
  const noted = changingAt(noting(proposal, ...backoffReasons), health.nextChangeAt);
  const weights = proposal.hold === 'entry' ? undefined : azWeights(ctx);
  if (weights === undefined) return noted;
  const entryAzs = ctx.entry.azs;
  const placed =
    entryAzs !== undefined && entryAzs.length > 0
      ? Object.fromEntries(nodesPerAz(entryAzs))
      : liveNodesByAz(ctx.status);
  const caps: Record<string, number> = {};
  for (const az of health.backedOff) caps[az] = ctx.status.available.byAz[az] ?? 0;
  const split = splitAcrossAzs({
    target: noted.target,
    current: placed,
    weights,
    backedOff: health.backedOff,
    caps,
  });
  const reasons: string[] = [];
  if (split.moved > 0) {
    reasons.push(
      `steering around backed-off AZ ${[...health.backedOff].join(', ')}: ${countOf(split.moved, 'stuck node')} placed in other AZs`,
    );
  }
  if (split.backoffIgnored && health.backedOff.size > 0) {
    reasons.push('every weighted AZ is backed off: placing by weight anyway');
  }
  return { ...noting(noted, ...reasons), after: { ...noted.after, azs: split.azs } };
}

/** The rules of a flavor decision, in order. */
export const FLAVOR_STEPS = [
  scheduledBounds,
  demandNodes,
  demandWithinBounds,
  hpaBehavior,
  backWithinBounds,
  warmUp,
  creatingStepMultiple,
  runningJobsFloor,
  cooldown,
  outsideBoundsHoldsEntry,
  sizeByPoolType,
  azPlacement,
] as const satisfies readonly FlavorStep[];

/** Runs every step in order over the entry as it is. */
export function proposeFlavor(ctx: FlavorContext): FlavorProposal {
  return FLAVOR_STEPS.reduce<FlavorProposal>((proposal, step) => step(ctx, proposal), initialProposal(ctx));
}
