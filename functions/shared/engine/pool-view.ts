import type { Pool, PoolResource, PoolResourceFlavorCount } from '../modelarts/schemas';

/** Node counts of one flavor in one state, in total and per AZ. */
export interface NodeCounts {
  total: number;
  byAz: Record<string, number>;
}

/** What the pool's status reports for one flavor. */
export interface FlavorStatus {
  creating: NodeCounts;
  available: NodeCounts;
  abnormal: NodeCounts;
  deleting: NodeCounts;
}

const NODE_STATES = ['creating', 'available', 'abnormal', 'deleting'] as const;

function emptyCounts(): NodeCounts {
  return { total: 0, byAz: {} };
}

function addCounts(into: NodeCounts, item: PoolResourceFlavorCount): void {
  into.total += item.count;
  for (const az of item.azs ?? []) into.byAz[az.az] = (into.byAz[az.az] ?? 0) + az.count;
}

/**
 * Status counts per flavor (summed over node pools): logical pools report none. The one reading of a pool's
 * status, for the engine, the pipeline's telemetry and the local run's view.
 */
export function flavorStatuses(pool: Pool): Map<string, FlavorStatus> {
  const statuses = new Map<string, FlavorStatus>();
  const resources = pool.status?.resources;
  for (const state of NODE_STATES) {
    for (const item of resources?.[state] ?? []) {
      let status = statuses.get(item.flavor);
      if (status === undefined) {
        status = emptyFlavorStatus();
        statuses.set(item.flavor, status);
      }
      addCounts(status[state], item);
    }
  }
  return statuses;
}

export function emptyFlavorStatus(): FlavorStatus {
  return {
    creating: emptyCounts(),
    available: emptyCounts(),
    abnormal: emptyCounts(),
    deleting: emptyCounts(),
  };
}

/** The spec entries of each flavor; several entries share a flavor when their node pools differ. */
export function flavorEntries(pool: Pool): Map<string, PoolResource[]> {
  const entries = new Map<string, PoolResource[]>();
  for (const resource of pool.spec.resources) {
    const list = entries.get(resource.flavor);
    if (list === undefined) entries.set(resource.flavor, [resource]);
    else list.push(resource);
  }
  return entries;
}

/** Nodes per AZ that exist or are on their way (creating + available + abnormal). */
export function liveNodesByAz(status: FlavorStatus): Record<string, number> {
  const live: Record<string, number> = {};
  for (const counts of [status.creating, status.available, status.abnormal]) {
    for (const [az, count] of Object.entries(counts.byAz)) live[az] = (live[az] ?? 0) + count;
  }
  return live;
}

/** `creatingStep.step` of an entry, 1 when none is set. */
export function entryStep(resource: PoolResource): number {
  const step = resource.creatingStep?.step;
  return step !== undefined && step > 1 ? step : 1;
}
