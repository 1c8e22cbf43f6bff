import type { FlavorPolicy } from './policy';
import type { DemandArrival, FlavorScalerState } from './state';

/**
 * The recent rate at which a flavor's jobs asked for nodes, from what the evaluations saw: each rise of the
 * nodes running jobs since the previous evaluation counts as nodes asked for then. A job that fits in the free
 * units of a busy node asks for none; jobs ending between two evaluations hide some rises, so the rate errs low,
 * never high. Plain functions over the scaler state.
 */

/** The rises kept: those within the window, and this evaluation's when the nodes in use rose. */
export function recordArrivals(
  state: Pick<FlavorScalerState, 'arrivals' | 'lastNodesInUse'>,
  nodesInUse: number,
  now: number,
  windowSeconds: number,
): DemandArrival[] {
  const cutoff = now - windowSeconds * 1000;
  const kept = (state.arrivals ?? []).filter((arrival) => arrival.at > cutoff);
  // Without an earlier look (a new policy, a lost state) the nodes already in use are not a rise.
  const rise = state.lastNodesInUse === undefined ? 0 : nodesInUse - state.lastNodesInUse;
  return rise > 0 ? [...kept, { at: now, nodes: rise }] : kept;
}

/** Nodes expected to be asked for over the next `leadSeconds`, at the rate of the last `windowSeconds`. */
export function expectedArrivalNodes(
  arrivals: readonly DemandArrival[],
  now: number,
  windowSeconds: number,
  leadSeconds: number,
): number {
  const cutoff = now - windowSeconds * 1000;
  const nodes = arrivals.reduce((sum, arrival) => (arrival.at > cutoff ? sum + arrival.nodes : sum), 0);
  return (nodes * leadSeconds) / windowSeconds;
}

/**
 * How far back a flavor's rises are kept: the longest window of the rules that use the arrival rate (headroom,
 * reuse-aware scale-in); 0 when none does.
 */
export function arrivalWindowSeconds(flavor: Pick<FlavorPolicy, 'headroom' | 'idleNodes'>): number {
  const headroom = flavor.headroom.leadSeconds > 0 ? flavor.headroom.windowSeconds : 0;
  const reuse = flavor.idleNodes.reuseLeadSeconds > 0 ? flavor.idleNodes.reuseWindowSeconds : 0;
  return Math.max(headroom, reuse);
}
