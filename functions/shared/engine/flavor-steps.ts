import type { Pool, PoolResource } from '../modelarts/schemas';
import type { AzHealthUpdate } from './az-backoff';
import { splitAcrossAzs } from './azs';
import { normalizeWithBehavior } from './behavior';
import { arrivalWindowSeconds, expectedArrivalNodes, recordArrivals } from './arrivals';
import { clampToBounds, roundToStep, type EffectiveBounds } from './bounds';
import type { DemandRecommendation } from './demand';
import { nodesPerAz } from './patch-body';
import {
  checkShapes,
  chooseNodesToRemove,
  isIdle,
  isLive,
  nodesInUse,
  type KeptBecause,
  type NodeOccupancy,
  type PendingJob,
} from './occupancy';
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
  /** Units of queued jobs, as the depth counts them. */
  readonly pendingUnits: number;
  /** The flavor's nodes and queued jobs, when the evaluation read them. */
  readonly occupancy?: FlavorOccupancy;
  readonly now: number;
}

/** One flavor's part of the pool's occupancy. */
export interface FlavorOccupancy {
  readonly nodes: readonly NodeOccupancy[];
  /** Queued jobs oldest first; undefined when their shapes could not be read. */
  readonly pending: readonly PendingJob[] | undefined;
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
  /** Nodes a scale-in by name removes (`nodes/batch-delete`) instead of a count-lowering PATCH. */
  readonly remove?: readonly NodeOccupancy[];
  /** With `remove`: the flavor's nodes that could not be removed, by why. */
  readonly kept?: Partial<Record<KeptBecause, number>>;
  /** A rule wanted the pool's nodes and queued jobs it was not given: why. */
  readonly needsOccupancy?: string;
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
 * Scale-up by shape: queued jobs placed, oldest first, on the free units of the live nodes the way the service
 * places them (a job needs its units free on one node, or whole free nodes); the nodes the jobs left over need
 * are added to the live ones. Units spread over busy nodes do not count as room for a job that needs more of
 * them on one node. Without the nodes and the queue, the evaluation is asked to read them.
 */
export function queuedJobShapes(ctx: FlavorContext, proposal: FlavorProposal): FlavorProposal {
  if (ctx.pendingUnits <= 0) return proposal;
  if (ctx.occupancy === undefined) {
    return {
      ...proposal,
      needsOccupancy: `${ctx.name}: jobs are queued: placing them on the nodes by shape`,
    };
  }
  const pending = ctx.occupancy.pending;
  if (pending === undefined || pending.length === 0) return proposal;
  const unitsPerNode = ctx.flavor.unitsPerNode;
  const check = checkShapes(ctx.occupancy.nodes, pending, unitsPerNode);
  if (check.unplaced === 0) return proposal;
  const needed = ctx.occupancy.nodes.filter(isLive).length + check.newNodes;
  if (needed <= proposal.target) return proposal;
  const whole = check.multiNode > 0 ? `, ${check.multiNode} of them on whole nodes` : '';
  const reason = `${countOf(check.unplaced, 'queued job')} fit no live node's free units${whole}: ${countOf(check.newNodes, 'node')} more → ${countOf(needed, 'node')}`;
  return { ...noting(proposal, reason), target: needed };
}

/**
 * Headroom from the recent arrival rate: free whole nodes for the nodes the jobs are expected to ask for while a
 * new node provisions (`headroom.leadSeconds`), beyond the nodes the running and queued jobs use, so the next
 * jobs start at once. Units spread over busy nodes are not counted as free: a whole-node job could not use them.
 * It reads the pool's nodes at every evaluation; without them the evaluation is asked to read them.
 */
export function arrivalHeadroom(ctx: FlavorContext, proposal: FlavorProposal): FlavorProposal {
  const { leadSeconds, windowSeconds } = ctx.flavor.headroom;
  if (arrivalWindowSeconds(ctx.flavor) === 0 || ctx.demand.hold) return proposal;
  if (ctx.occupancy === undefined) {
    return { ...proposal, needsOccupancy: `${ctx.name}: arrival rate: counting the nodes in use` };
  }
  if (leadSeconds === 0) return proposal;
  const used = flavorNodesInUse(ctx);
  const expected = expectedNodeAsks(ctx, leadSeconds, windowSeconds);
  const spare = Math.ceil(expected - 1e-9);
  const needed = used + spare;
  if (spare === 0 || needed <= proposal.target) return proposal;
  const reason = `headroom: the jobs of the last ${windowSeconds} s asked for ${formatNodes(expected)} nodes per ${leadSeconds} s: ${countOf(spare, 'free node')} beyond the ${countOf(used, 'node')} in use → ${countOf(needed, 'node')}`;
  return { ...noting(proposal, reason), target: needed };
}

/** Nodes the flavor's jobs are expected to ask for over the next `leadSeconds`, at the rate of `windowSeconds`. */
function expectedNodeAsks(ctx: FlavorContext, leadSeconds: number, windowSeconds: number): number {
  const arrivals = recordArrivals(ctx.state, flavorBusyNodes(ctx), ctx.now, arrivalWindowSeconds(ctx.flavor));
  return expectedArrivalNodes(arrivals, ctx.now, windowSeconds, leadSeconds);
}

/**
 * Nodes running the flavor's jobs, from its occupancy (0 without it): what the arrival rate counts the rises of.
 * Queued jobs count once they run, so a queued-job marker that comes and goes (a lost job event) asks for nothing.
 */
export function flavorBusyNodes(ctx: FlavorContext): number {
  return ctx.occupancy?.nodes.filter((node) => node.busy).length ?? 0;
}

/** Nodes the flavor's jobs use, from its occupancy (0 without it). */
export function flavorNodesInUse(ctx: FlavorContext): number {
  if (ctx.occupancy === undefined) return 0;
  return nodesInUse(ctx.occupancy.nodes, ctx.occupancy.pending ?? [], ctx.flavor.unitsPerNode).used;
}

function formatNodes(nodes: number): string {
  return Number.isInteger(nodes) ? String(nodes) : nodes.toFixed(1);
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

/** AZ counts of the entry once `removed` nodes are gone. */
function azsWithout(azs: FlavorSize['azs'], removed: readonly NodeOccupancy[]): FlavorSize['azs'] {
  if (azs === undefined) return undefined;
  const left = new Map(nodesPerAz(azs));
  for (const node of removed) left.set(node.az, Math.max(0, (left.get(node.az) ?? 0) - 1));
  return [...left.entries()].map(([az, count]) => ({ az, count }));
}

function keptText(kept: Partial<Record<KeptBecause, number>>): string {
  const words: Record<KeptBecause, string> = {
    busy: 'running jobs',
    prepaid: 'yearly/monthly',
    protected: 'protected',
    coming: 'still coming up',
    deleting: 'already deleting',
    warm: 'kept warm for reuse',
  };
  const parts = (Object.keys(words) as KeptBecause[])
    .filter((why) => (kept[why] ?? 0) > 0)
    .map((why) => `${kept[why]} ${words[why]}`);
  return parts.length === 0 ? 'no node' : parts.join(', ');
}

/**
 * Reuse-aware scale-in: of the idle nodes chosen for removal, how many stay so that the flavor keeps as many idle
 * nodes as its jobs are expected to ask for over `idleNodes.reuseLeadSeconds`, rounded (half a node or more keeps
 * one: fewer asks would rarely find the node before it cost more than a new one). The last chosen, the most
 * recently idle, stay.
 */
function reuseKeep(ctx: FlavorContext, nodes: readonly NodeOccupancy[], chosen: number): number {
  const { reuseLeadSeconds, reuseWindowSeconds } = ctx.flavor.idleNodes;
  if (reuseLeadSeconds === 0 || chosen === 0) return 0;
  const idle = nodes.filter(isIdle).length;
  const wanted = Math.round(expectedNodeAsks(ctx, reuseLeadSeconds, reuseWindowSeconds));
  return Math.min(chosen, Math.max(0, wanted - (idle - chosen)));
}

/** How long an idle node is kept for reuse before scale-in may take it. */
function warmRule(ctx: FlavorContext): { warmSince?: number } {
  const seconds = ctx.flavor.idleNodes.keepSeconds;
  return seconds > 0 ? { warmSince: ctx.now - seconds * 1000 } : {};
}

/**
 * Scale-in by name: the nodes to remove are chosen, idle pay-per-use nodes only (stuck ones first, then the
 * longest idle, keeping the AZ split), and removed with `nodes/batch-delete`; the service never picks the
 * victims. When fewer nodes are removable than the target asks, those go and the rest are held. A logical pool
 * (its nodes belong to its parent) and a policy with `scaleIn: patch` lower the count by PATCH instead, and so
 * does a flavor going to zero once all its nodes are removable (the service keeps one node per entry on
 * batch-delete).
 */
export function scaleInByName(ctx: FlavorContext, proposal: FlavorProposal): FlavorProposal {
  const toRemove = ctx.current - proposal.target;
  if (proposal.hold === 'entry' || toRemove <= 0) return proposal;
  if (ctx.policy.scaleIn === 'patch' || ctx.pool.spec.type === 'Logical') return proposal;
  if (ctx.occupancy === undefined) {
    const held = `scale-in of ${countOf(toRemove, 'node')} waits for the nodes' occupancy: held at ${ctx.current}`;
    return {
      ...noting(proposal, held),
      target: ctx.current,
      hold: 'entry',
      after: { ...ctx.before },
      needsOccupancy: `${ctx.name}: scale-in: choosing idle nodes`,
    };
  }
  const nodes = ctx.occupancy.nodes;
  const choice = chooseNodesToRemove(nodes, toRemove, {
    protectionLabels: ctx.policy.protectionLabels,
    stuckSince: ctx.now - ctx.flavor.azBackoff.afterSeconds * 1000,
    idleSince: ctx.state.idleSince ?? {},
    azTargets: Object.fromEntries(nodesPerAz(proposal.after.azs ?? [])),
    ...warmRule(ctx),
    now: ctx.now,
  });
  const reused = reuseKeep(ctx, nodes, choice.remove.length);
  if (reused > 0) choice.kept.warm = (choice.kept.warm ?? 0) + reused;
  const removable = choice.remove.slice(0, choice.remove.length - reused);
  const seen = nodes.filter((node) => node.phase !== 'Deleting').length;
  if (proposal.target === 0 && seen === ctx.current && removable.length === seen) {
    return noting(proposal, 'every node is idle: the PATCH to 0 removes no job');
  }
  // The service keeps the last node of an entry: zero is reached by PATCH once all nodes are idle (above).
  const remove = removable.slice(0, Math.min(removable.length, ctx.current - 1));
  const heldBack = toRemove - remove.length;
  if (remove.length === 0) {
    const held = `${countOf(toRemove, 'node')} to remove, none removable (${keptText(choice.kept)}): held at ${ctx.current}`;
    return { ...noting(proposal, held), target: ctx.current, hold: 'entry', after: { ...ctx.before } };
  }
  const count = ctx.current - remove.length;
  const reasons = [`removing ${remove.map((node) => node.name).join(', ')} by name`];
  if (remove.length < removable.length) {
    reasons.push('the entry keeps its last node: the service removes no entry by batch-delete');
  } else if (heldBack > 0) {
    reasons.push(
      `${heldBack} of ${countOf(toRemove, 'node')} to remove ${heldBack === 1 ? 'is' : 'are'} not removable (${keptText(choice.kept)}): held`,
    );
  }
  const maxCount =
    proposal.after.maxCount === undefined
      ? {}
      : { maxCount: ctx.pool.spec.type === 'Dedicate' ? count : Math.max(count, proposal.after.maxCount) };
  const azs = azsWithout(ctx.before.azs, remove);
  return {
    ...noting(proposal, ...reasons),
    target: count,
    after: { count, ...maxCount, ...(azs !== undefined ? { azs } : {}) },
    remove,
    kept: choice.kept,
  };
}

/** The rules of a flavor decision, in order. */
export const FLAVOR_STEPS = [
  scheduledBounds,
  demandNodes,
  queuedJobShapes,
  arrivalHeadroom,
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
  scaleInByName,
] as const satisfies readonly FlavorStep[];

/** Runs every step in order over the entry as it is. */
export function proposeFlavor(ctx: FlavorContext): FlavorProposal {
  return FLAVOR_STEPS.reduce<FlavorProposal>((proposal, step) => step(ctx, proposal), initialProposal(ctx));
}
