/**
 * Which nodes of a flavor go first when its count is lowered: nodes that do not serve yet (still waiting for
 * capacity, then being created), then abnormal ones, then available ones; newest first within each group.
 * One rule for the ModelArts simulator (the service picking the victims of a count-lowering PATCH, which does
 * not look at what runs on a node) and the policy simulator's virtual pool (which, with `idleFirst`, assumes
 * idle nodes go before busy ones, the least loaded busy node first). The counterpart of placement.ts.
 */

export type RemovalStage = 'waiting' | 'creating' | 'abnormal' | 'available';

/** A node as the removal order sees it. */
export interface RemovalCandidate {
  stage: RemovalStage;
  /** Capacity units its running jobs use; undefined when unknown, which counts as busy. */
  usedUnits: number | undefined;
  /** When it was requested; the newer goes first. */
  requestedAt: number;
  /** Breaks ties between nodes requested at the same instant: the greater goes first. */
  tiebreak: string | number;
}

export interface RemovalOptions {
  /** Idle available nodes go before busy ones. */
  idleFirst: boolean;
}

const STAGE_RANK: Record<RemovalStage, number> = { waiting: 0, creating: 1, abnormal: 2, available: 3 };
/** Available and running jobs (or not known to be idle): only ranked apart with `idleFirst`. */
const BUSY_RANK = 4;

/** Lower ranks are removed first. */
export function removalRank(candidate: RemovalCandidate, options: RemovalOptions): number {
  const busy = options.idleFirst && candidate.stage === 'available' && candidate.usedUnits !== 0;
  return busy ? BUSY_RANK : STAGE_RANK[candidate.stage];
}

/** Compares two nodes: negative when `a` is removed before `b`. */
export function compareRemoval(a: RemovalCandidate, b: RemovalCandidate, options: RemovalOptions): number {
  const rank = removalRank(a, options);
  if (rank !== removalRank(b, options)) return rank - removalRank(b, options);
  // Both busy: the least loaded first, unknown loads last.
  if (rank === BUSY_RANK && a.usedUnits !== b.usedUnits)
    return (a.usedUnits ?? Infinity) - (b.usedUnits ?? Infinity);
  if (a.requestedAt !== b.requestedAt) return b.requestedAt - a.requestedAt;
  return a.tiebreak === b.tiebreak ? 0 : a.tiebreak < b.tiebreak ? 1 : -1;
}

/** The nodes in the order they are removed; the input is not modified. */
export function removalOrder<N>(
  nodes: readonly N[],
  candidate: (node: N) => RemovalCandidate,
  options: RemovalOptions,
): N[] {
  const viewed = nodes.map((node) => ({ node, view: candidate(node) }));
  viewed.sort((a, b) => compareRemoval(a.view, b.view, options));
  return viewed.map((entry) => entry.node);
}
