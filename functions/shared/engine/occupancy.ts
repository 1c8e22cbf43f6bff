import { placeJob, placeQueue, type PlacementNode } from './placement';

/**
 * What runs where, as the evaluation read it from the pool's nodes and workloads: the input of the two
 * node-aware rules, placing queued jobs the way the service does (scale-up by shape) and naming the idle
 * nodes a scale-in removes. Plain data: the pipeline builds it from the ModelArts listings, the policy
 * simulator from its virtual pool.
 */

/** Node phases of the nodes API; anything else reads as not usable. */
export type NodePhase = 'Creating' | 'Checking' | 'Available' | 'Abnormal' | 'Deleting';

export interface NodeOccupancy {
  name: string;
  /** The flavor of the pool entry the node belongs to. */
  flavor: string;
  az: string;
  phase: NodePhase | (string & {});
  /** Yearly/monthly: never removed by the autoscaler (capacity bought ahead can only grow). */
  prepaid: boolean;
  /** A deletion lock (`os.modelarts.node/lock.action`) is set on the node. */
  locked: boolean;
  labels: Readonly<Record<string, string>>;
  /** Accelerators the node has and has free; both 0 for a node without accelerators. */
  acceleratorsTotal: number;
  acceleratorsFree: number;
  /**
   * A workload runs on the node, or its occupancy could not be read: it is never removed, and its free
   * accelerators are what placement may use.
   */
  busy: boolean;
  /** Epoch ms of `metadata.creationTimestamp`, when known. */
  createdAt?: number;
}

/** A job waiting for the flavor: its capacity units and, for a job spread over several nodes, their number. */
export interface PendingJob {
  units: number;
  nodes?: number;
}

/** The nodes of every flavor of the pool, and the jobs queued for each, oldest first. */
export interface PoolOccupancy {
  nodes: readonly NodeOccupancy[];
  /** Per flavor; a flavor left out has no queued job, or their shapes could not be read (`pendingKnown`). */
  pending: Readonly<Record<string, readonly PendingJob[]>>;
  /** False when the queued jobs' shapes could not be read: scale-up then counts units only. */
  pendingKnown: boolean;
}

/** The occupancy of pools whose nodes could not be read: every node unknown, so none is ever removed. */
export const UNKNOWN_OCCUPANCY: PoolOccupancy = { nodes: [], pending: {}, pendingKnown: false };

/** A node in the flavor's capacity units. */
export interface UnitNode extends PlacementNode {
  node: NodeOccupancy;
}

const COMING: readonly string[] = ['Creating', 'Checking'];

/** Nodes a job can run on now or soon: available ones, and those still coming up (empty by definition). */
export function isLive(node: NodeOccupancy): boolean {
  return node.phase === 'Available' || COMING.includes(node.phase);
}

/** An available node no workload runs on: what scale-in may remove and the idle times are kept for. */
export function isIdle(node: NodeOccupancy): boolean {
  return node.phase === 'Available' && !node.busy;
}

/**
 * Free capacity units of a live node. A node still coming up is free; an available one is free in the share of
 * its accelerators no workload uses (a node without accelerators is free only when nothing runs on it), rounded
 * down to whole units.
 */
export function freeUnits(node: NodeOccupancy, unitsPerNode: number): number {
  if (COMING.includes(node.phase)) return unitsPerNode;
  if (node.phase !== 'Available') return 0;
  if (node.acceleratorsTotal <= 0) return node.busy ? 0 : unitsPerNode;
  const share = Math.max(0, Math.min(1, node.acceleratorsFree / node.acceleratorsTotal));
  return Math.floor(share * unitsPerNode + 1e-9);
}

/** What a queued job needs on this flavor's nodes: units on one node, or whole nodes. */
export function placementUnits(job: PendingJob, unitsPerNode: number): number {
  const nodes = job.nodes ?? 1;
  return nodes > 1 ? nodes * unitsPerNode : job.units;
}

export interface ShapeCheck {
  /** Queued jobs the live nodes cannot take. */
  unplaced: number;
  /** New empty nodes those jobs need, packed first fit in queue order. */
  newNodes: number;
  /** Queued jobs that need more than one whole node. */
  multiNode: number;
  /** Live and new nodes left entirely free once the queued jobs are placed. */
  wholeFree: number;
}

/**
 * Places the queued jobs, oldest first, on the free units of the live nodes the way the service does
 * (`placeQueue`), then counts the new nodes the jobs left over need: each goes on the first new node with room,
 * or takes as many new whole nodes as it needs.
 */
export function checkShapes(
  nodes: readonly NodeOccupancy[],
  pending: readonly PendingJob[],
  unitsPerNode: number,
): ShapeCheck {
  const live: UnitNode[] = nodes
    .filter(isLive)
    .map((node) => ({ node, freeUnits: freeUnits(node, unitsPerNode) }))
    // Available nodes first, as the service places on them; coming ones take what is left.
    .sort((a, b) => Number(COMING.includes(a.node.phase)) - Number(COMING.includes(b.node.phase)));
  const units = pending.map((job) => placementUnits(job, unitsPerNode));
  const placed = placeQueue(live, units, unitsPerNode);
  const added: PlacementNode[] = [];
  let unplaced = 0;
  units.forEach((jobUnits, index) => {
    if (placed[index] !== undefined) return;
    unplaced += 1;
    let placements = placeJob(added, jobUnits, unitsPerNode);
    if (placements === undefined) {
      const needed = jobUnits <= unitsPerNode ? 1 : Math.ceil(jobUnits / unitsPerNode);
      for (let i = 0; i < needed; i++) added.push({ freeUnits: unitsPerNode });
      placements = placeJob(added.slice(added.length - needed), jobUnits, unitsPerNode) ?? [];
    }
    for (const placement of placements) placement.node.freeUnits -= placement.units;
  });
  const multiNode = units.filter((jobUnits) => jobUnits > unitsPerNode).length;
  const taken = new Map<UnitNode, number>();
  for (const placements of placed)
    for (const placement of placements ?? [])
      taken.set(placement.node, (taken.get(placement.node) ?? 0) + placement.units);
  const wholeFree =
    live.filter((node) => node.freeUnits - (taken.get(node) ?? 0) >= unitsPerNode).length +
    added.filter((node) => node.freeUnits >= unitsPerNode).length;
  return { unplaced, newNodes: added.length, multiNode, wholeFree };
}

/**
 * Nodes the flavor's running and queued jobs use: the live nodes not left entirely free once the queue is
 * placed, and the new ones the jobs left over need.
 */
export function nodesInUse(
  nodes: readonly NodeOccupancy[],
  pending: readonly PendingJob[],
  unitsPerNode: number,
): { used: number; check: ShapeCheck } {
  const check = checkShapes(nodes, pending, unitsPerNode);
  return { used: nodes.filter(isLive).length + check.newNodes - check.wholeFree, check };
}

/** Why a node of the flavor cannot be removed; undefined when it can. */
export type KeptBecause = 'busy' | 'prepaid' | 'protected' | 'coming' | 'deleting' | 'warm';

/**
 * Whether a node may be removed by name: pay-per-use, unlocked, without a protection label, running nothing
 * that can be seen, and either available or stuck (creating or abnormal longer than `stuckAfterMs`).
 */
export function keptBecause(
  node: NodeOccupancy,
  protectionLabels: readonly string[],
  stuckSince: number,
): KeptBecause | undefined {
  if (node.phase === 'Deleting') return 'deleting';
  if (node.prepaid) return 'prepaid';
  if (node.locked || protectionLabels.some((label) => isSet(node.labels[label]))) return 'protected';
  if (node.busy) return 'busy';
  if (node.phase === 'Available') return undefined;
  // Creating, checking or abnormal: removable only once stuck, so a node about to come up is not thrown away.
  const stuck = node.createdAt !== undefined && node.createdAt <= stuckSince;
  return stuck ? undefined : 'coming';
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && value.toLowerCase() !== 'false';
}

/** An available idle node idle for less than the reuse window is kept warm; one whose idle start is unknown too. */
function warmBecause(node: NodeOccupancy, rules: RemovalRules): KeptBecause | undefined {
  if (rules.warmSince === undefined || node.phase !== 'Available') return undefined;
  return (rules.idleSince[node.name] ?? rules.now) > rules.warmSince ? 'warm' : undefined;
}

export interface RemovalChoice {
  /** The nodes to remove, in the order chosen. */
  remove: NodeOccupancy[];
  /** Nodes of the flavor that were not removable, by why. */
  kept: Partial<Record<KeptBecause, number>>;
}

export interface RemovalRules {
  protectionLabels: readonly string[];
  /** Nodes still creating, checking or abnormal that were created at or before this are stuck. */
  stuckSince: number;
  /** Since when each node has been seen idle. */
  idleSince: Readonly<Record<string, number>>;
  /** Nodes per AZ the flavor should keep: ties go to the AZ furthest above its share. */
  azTargets: Readonly<Record<string, number>>;
  /**
   * Available idle nodes seen idle since after this are kept warm for the jobs expected to reuse them; undefined
   * when none is.
   */
  warmSince?: number;
  now: number;
}

/**
 * The `count` least useful removable nodes of one flavor: stuck nodes first (they serve nobody), then idle
 * available nodes, longest idle first, then from the AZ furthest above its share, then by name.
 */
export function chooseNodesToRemove(
  nodes: readonly NodeOccupancy[],
  count: number,
  rules: RemovalRules,
): RemovalChoice {
  const kept: Partial<Record<KeptBecause, number>> = {};
  const removable: NodeOccupancy[] = [];
  for (const node of nodes) {
    const reason = keptBecause(node, rules.protectionLabels, rules.stuckSince) ?? warmBecause(node, rules);
    if (reason === undefined) removable.push(node);
    else kept[reason] = (kept[reason] ?? 0) + 1;
  }
  const perAz = new Map<string, number>();
  for (const node of nodes) if (node.phase !== 'Deleting') perAz.set(node.az, (perAz.get(node.az) ?? 0) + 1);
  const remove: NodeOccupancy[] = [];
  let candidates = removable;
  while (remove.length < count && candidates.length > 0) {
    const excess = (az: string) => (perAz.get(az) ?? 0) - (rules.azTargets[az] ?? 0);
    const ranked = [...candidates].sort(
      (a, b) =>
        Number(a.phase === 'Available') - Number(b.phase === 'Available') ||
        (rules.idleSince[a.name] ?? rules.now) - (rules.idleSince[b.name] ?? rules.now) ||
        excess(b.az) - excess(a.az) ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
    const chosen = ranked[0] as NodeOccupancy;
    remove.push(chosen);
    perAz.set(chosen.az, (perAz.get(chosen.az) ?? 0) - 1);
    candidates = candidates.filter((node) => node !== chosen);
  }
  return { remove, kept };
}
