/**
 * Where a job goes on a flavor's nodes, the way the service places workloads: a job needing at most one
 * node's capacity units shares the first node with room; a larger job takes the first whole free nodes it
 * needs. One rule for the policy simulator, the ModelArts simulator and the engine placing pending demand.
 */

/** A node as placement sees it: capacity units (accelerators, or 1 for a whole node) not yet in use. */
export interface PlacementNode {
  freeUnits: number;
}

export interface Placement<N> {
  node: N;
  units: number;
}

export interface FreeCapacity {
  total: number;
  largestOnOneNode: number;
  wholeFreeNodes: number;
}

export function freeCapacity(nodes: readonly PlacementNode[], unitsPerNode: number): FreeCapacity {
  let total = 0;
  let largestOnOneNode = 0;
  let wholeFreeNodes = 0;
  for (const node of nodes) {
    total += node.freeUnits;
    largestOnOneNode = Math.max(largestOnOneNode, node.freeUnits);
    if (node.freeUnits === unitsPerNode) wholeFreeNodes++;
  }
  return { total, largestOnOneNode, wholeFreeNodes };
}

/** Whether a job of `units` can start on nodes with this free capacity (what `placeJob` would find). */
export function fits(units: number, unitsPerNode: number, capacity: FreeCapacity): boolean {
  if (units <= unitsPerNode) return units <= capacity.largestOnOneNode;
  return Math.ceil(units / unitsPerNode) <= capacity.wholeFreeNodes;
}

/**
 * First fit: a job within one node's units shares the first node with room; a larger one takes the first
 * whole free nodes it needs. Undefined when it does not fit now.
 */
export function placeJob<N extends PlacementNode>(
  nodes: readonly N[],
  units: number,
  unitsPerNode: number,
): Array<Placement<N>> | undefined {
  if (units <= unitsPerNode) {
    const node = nodes.find((candidate) => candidate.freeUnits >= units);
    return node === undefined ? undefined : [{ node, units }];
  }
  const placements: Array<Placement<N>> = [];
  let left = units;
  for (const node of nodes) {
    if (left === 0) break;
    if (node.freeUnits !== unitsPerNode) continue;
    const taken = Math.min(left, unitsPerNode);
    placements.push({ node, units: taken });
    left -= taken;
  }
  return left === 0 ? placements : undefined;
}

/**
 * Places jobs in queue order with `placeJob`, each on what the ones before it left free; a job that does
 * not fit is skipped and later, smaller ones may still start. The nodes are not modified. Returns, per job
 * in the given order, its placements or undefined when it stays queued.
 */
export function placeQueue<N extends PlacementNode>(
  nodes: readonly N[],
  jobUnits: readonly number[],
  unitsPerNode: number,
): Array<Array<Placement<N>> | undefined> {
  const free = nodes.map((node) => ({ node, freeUnits: node.freeUnits }));
  let capacity = freeCapacity(free, unitsPerNode);
  return jobUnits.map((units) => {
    if (capacity.total === 0 || !fits(units, unitsPerNode, capacity)) return undefined;
    const placements = placeJob(free, units, unitsPerNode);
    if (placements === undefined) return undefined;
    for (const placement of placements) placement.node.freeUnits -= placement.units;
    capacity = freeCapacity(free, unitsPerNode);
    return placements.map((placement) => ({ node: placement.node.node, units: placement.units }));
  });
}
