import {
  freeUnits,
  isLive,
  placeJob,
  placeQueue,
  placementUnits,
  type NodeOccupancy,
  type PendingJob,
  type PlacementNode,
} from '../../functions/shared/engine';
import type { FlavorSetup } from '../types';

/** What one flavor's queued jobs need beyond the nodes it has. */
export interface UnschedulableJobs {
  /** New nodes for the jobs that fit on no live node, within the flavor's maximum. */
  newNodes: number;
  /** Jobs those new nodes take. */
  placedJobs: number;
  /** Live nodes the queued jobs are placed on (available or still creating): not to be removed. */
  claimedNodes: Set<string>;
}

/**
 * The new nodes one flavor's unschedulable jobs need: the queued jobs are first placed, in queue order, on the
 * free units of the live nodes (available, then still creating), as the scheduler would once those are up; the
 * rest are packed largest first onto new nodes, as long as the flavor's maximum allows.
 */
export function unschedulableJobs(
  setup: FlavorSetup,
  nodes: readonly NodeOccupancy[],
  pending: readonly PendingJob[],
  current: number,
): UnschedulableJobs {
  const { unitsPerNode } = setup;
  const live = nodes
    .filter(isLive)
    .map((node) => ({
      name: node.name,
      freeUnits: freeUnits(node, unitsPerNode),
      coming: node.phase !== 'Available',
    }))
    .sort((a, b) => Number(a.coming) - Number(b.coming));
  const units = pending.map((job) => placementUnits(job, unitsPerNode));
  const placed = placeQueue(live, units, unitsPerNode);
  const claimedNodes = new Set(
    placed.flatMap((placements) => (placements ?? []).map((placement) => placement.node.name)),
  );
  const unschedulable = units.filter((_, index) => placed[index] === undefined).sort((a, b) => b - a);
  const room = Math.max(0, setup.maxCount - current);
  const added: PlacementNode[] = [];
  let placedJobs = 0;
  for (const jobUnits of unschedulable) {
    let placements = placeJob(added, jobUnits, unitsPerNode);
    if (placements === undefined) {
      const needed = Math.ceil(jobUnits / unitsPerNode);
      if (added.length + needed > room) continue;
      const fresh = Array.from({ length: needed }, () => ({ freeUnits: unitsPerNode }));
      added.push(...fresh);
      placements = placeJob(fresh, jobUnits, unitsPerNode) ?? [];
    }
    for (const placement of placements) placement.node.freeUnits -= placement.units;
    placedJobs++;
  }
  return { newNodes: added.length, placedJobs, claimedNodes };
}
