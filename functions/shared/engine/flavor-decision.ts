import type { Pool, PoolResource } from '../modelarts/schemas';
import { arrivalWindowSeconds, recordArrivals } from './arrivals';
import { withAzHealth, type AzHealthUpdate } from './az-backoff';
import { pruneScaleEvents, recordRecommendation } from './behavior';
import { effectiveBounds, type EffectiveBounds } from './bounds';
import { recommendNodes } from './demand';
import {
  flavorBusyNodes,
  proposeFlavor,
  type FlavorContext,
  type FlavorOccupancy,
  type FlavorProposal,
} from './flavor-steps';
import { earliestAfter } from './next-change';
import { isIdle } from './occupancy';
import { sizeChanged, sizeOf } from './patch-body';
import type { FlavorPolicy, Policy } from './policy';
import type { FlavorStatus } from './pool-view';
import { withScale, type FlavorScalerState } from './state';
import type { FlavorDecision, FlavorDepth, FlavorSize, FlavorTarget } from './types';

/** Everything the decision for one flavor of the policy reads. */
export interface FlavorInput {
  name: string;
  policy: Policy;
  flavor: FlavorPolicy;
  pool: Pool;
  /** The pool's entries of this flavor: the steps run only when there is exactly one. */
  entries: readonly PoolResource[];
  status: FlavorStatus;
  depth: FlavorDepth | undefined;
  state: FlavorScalerState;
  health: AzHealthUpdate;
  /** The flavor's nodes and queued jobs, when the evaluation read them. */
  occupancy?: FlavorOccupancy;
  now: number;
}

export interface FlavorResult {
  decision: FlavorDecision;
  /** What the PATCH sets, when the entry changes by PATCH. */
  target?: FlavorTarget;
  /** Nodes removed by name instead (`nodes/batch-delete`). */
  removeNodes?: string[];
  /** A rule wanted the nodes and queued jobs: why. */
  needsOccupancy?: string;
  /** Next state once the PATCH is applied. */
  applied: FlavorScalerState;
  /** Next state when it is not. */
  notApplied: FlavorScalerState;
  nextChangeAt?: number;
}

/** The state carried over, without scale events no rate period counts any more. */
function prunedState(input: FlavorInput): FlavorScalerState {
  const { flavor, now, state } = input;
  return {
    ...state,
    scaleUpEvents: pruneScaleEvents(state.scaleUpEvents, now, flavor.scaleUp, flavor.scaleDown),
    scaleDownEvents: pruneScaleEvents(state.scaleDownEvents, now, flavor.scaleUp, flavor.scaleDown),
  };
}

/** The bounds in force with the pool's own floor: no flavor goes to zero nodes unless allowZero says so. */
function boundsInForce(flavor: FlavorPolicy, now: number): EffectiveBounds {
  const bounds = effectiveBounds(flavor, now);
  const minCount = flavor.allowZero ? bounds.minCount : Math.max(1, bounds.minCount);
  return { ...bounds, minCount, maxCount: Math.max(minCount, bounds.maxCount) };
}

/** The context the steps read, for a flavor with exactly one entry. */
export function flavorContext(input: FlavorInput, entry: PoolResource): FlavorContext {
  const before = sizeOf(entry);
  return {
    name: input.name,
    policy: input.policy,
    flavor: input.flavor,
    pool: input.pool,
    entry,
    before,
    current: entry.count,
    status: input.status,
    state: prunedState(input),
    health: input.health,
    bounds: boundsInForce(input.flavor, input.now),
    demand: recommendNodes(input.flavor, input.depth, input.now, input.policy.staleAfterSeconds),
    pendingUnits: Math.max(0, input.depth?.pendingUnits ?? 0),
    ...(input.occupancy !== undefined ? { occupancy: input.occupancy } : {}),
    now: input.now,
  };
}

/** A flavor with no entry, or with several (node pools): reported, never changed. */
function entryNotHandled(input: FlavorInput): FlavorResult {
  const absent = input.entries.length === 0;
  const size = absent ? { count: 0 } : sizeOf(input.entries[0] as PoolResource);
  const state = withAzHealth(prunedState(input), input.health);
  return {
    decision: {
      flavor: input.name,
      outcome: absent ? 'absent' : 'skipped',
      before: size,
      after: size,
      desired: size.count,
      demandUnits: (input.depth?.pendingUnits ?? 0) + (input.depth?.runningUnits ?? 0),
      reasons: [
        absent
          ? 'flavor is in the policy but not in the pool: not created'
          : `${input.entries.length} entries (node pools) share this flavor: left as they are`,
      ],
    },
    applied: state,
    notApplied: state,
  };
}

/** The last reason: what changes, or that nothing does. */
function summary(current: number, after: FlavorSize, changed: boolean): string {
  if (!changed) return `unchanged at ${current}`;
  const azText =
    after.azs === undefined ? '' : ` (${after.azs.map((az) => `${az.az}: ${az.count}`).join(', ')})`;
  return after.count === current
    ? `AZ placement changes${azText}`
    : `scale ${current} → ${after.count}${azText}`;
}

/** What the PATCH sets for the entry. */
function patchTarget(ctx: FlavorContext, after: FlavorSize): FlavorTarget {
  // AZs carried over unchanged stay out of the target, so the entry keeps them exactly as the pool has them.
  const { azs, ...size } = after;
  return { flavor: ctx.name, ...size, ...(azs !== undefined && azs !== ctx.before.azs ? { azs } : {}) };
}

/**
 * Since when each idle available node has been seen idle: kept for the nodes idle now, started now for those
 * newly idle, dropped for the others. Carried over unchanged when the nodes were not read.
 */
function idleSince(ctx: FlavorContext): FlavorScalerState['idleSince'] {
  if (ctx.occupancy === undefined) return ctx.state.idleSince;
  const previous = ctx.state.idleSince ?? {};
  const idle = ctx.occupancy.nodes.filter(isIdle);
  return Object.fromEntries(idle.map((node) => [node.name, previous[node.name] ?? ctx.now]));
}

/** The rises of the nodes running jobs for the arrival rate: kept for a flavor with headroom or reuse, once read. */
function arrivalState(ctx: FlavorContext): Pick<FlavorScalerState, 'arrivals' | 'lastNodesInUse'> {
  const windowSeconds = arrivalWindowSeconds(ctx.flavor);
  if (windowSeconds === 0 || ctx.demand.hold || ctx.occupancy === undefined) return {};
  const busy = flavorBusyNodes(ctx);
  return { arrivals: recordArrivals(ctx.state, busy, ctx.now, windowSeconds), lastNodesInUse: busy };
}

/** The decision, the PATCH target (or the nodes to remove) and the next states from what the steps proposed. */
export function flavorResult(ctx: FlavorContext, proposal: FlavorProposal): FlavorResult {
  const { before, current, flavor, now } = ctx;
  const { after } = proposal;
  const changed = sizeChanged(before, after);
  const recommendations = recordRecommendation(
    ctx.state.recommendations,
    proposal.desired,
    now,
    flavor.scaleUp,
    flavor.scaleDown,
  );
  const idle = idleSince(ctx);
  const notApplied = withAzHealth(
    {
      ...ctx.state,
      recommendations,
      ...(idle !== undefined ? { idleSince: idle } : {}),
      ...arrivalState(ctx),
    },
    ctx.health,
  );
  const removed = proposal.remove?.map((node) => node.name);
  const result: FlavorResult = {
    decision: {
      flavor: ctx.name,
      outcome: changed ? 'scale' : 'unchanged',
      before,
      after,
      desired: proposal.desired,
      demandUnits: ctx.demand.demandUnits,
      reasons: [...proposal.reasons, summary(current, after, changed)],
      ...(removed !== undefined ? { nodes: { remove: removed, kept: proposal.kept ?? {} } } : {}),
    },
    applied: changed ? withScale(notApplied, current, after.count, now) : notApplied,
    notApplied,
  };
  if (changed && removed !== undefined) result.removeNodes = removed;
  else if (changed) result.target = patchTarget(ctx, after);
  if (proposal.needsOccupancy !== undefined) result.needsOccupancy = proposal.needsOccupancy;
  const nextChangeAt = earliestAfter(proposal.changesAt, now);
  if (nextChangeAt !== undefined) result.nextChangeAt = nextChangeAt;
  return result;
}

/** The decision for one flavor: the entry guard, the steps, the result. */
export function decideFlavor(input: FlavorInput): FlavorResult {
  const entry = input.entries.length === 1 ? input.entries[0] : undefined;
  if (entry === undefined) return entryNotHandled(input);
  const ctx = flavorContext(input, entry);
  return flavorResult(ctx, proposeFlavor(ctx));
}
