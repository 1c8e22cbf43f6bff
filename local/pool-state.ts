import {
  emptyFlavorStatus,
  flavorEntries,
  flavorStatuses,
  type FlavorStatus,
  type NodeCounts,
} from '../functions/shared/engine/pool-view';
import type { ModelArtsClient, Pool, PoolResource } from '../functions/shared/modelarts';
import type { ModelArtsSimulator } from '../simulator';

/** Nodes of one flavor in one AZ (or `*` for the flavor's total). */
export interface AzState {
  az: string;
  /** What the pool spec asks for: the autoscaler's latest target. */
  target: number;
  creating: number;
  available: number;
  deleting: number;
  abnormal: number;
}

export interface FlavorState extends AzState {
  flavor: string;
  azs: AzState[];
}

/**
 * Per flavor and AZ: spec target and the nodes the status reports, for the flavors of the policy, read with the
 * engine's own reading of the pool (`flavorStatuses`), so the view shows what the autoscaler decided on.
 */
export function flavorStates(
  pool: Pool | undefined,
  flavors: readonly string[],
  azOrder: readonly string[],
): FlavorState[] {
  const statuses = pool ? flavorStatuses(pool) : new Map<string, FlavorStatus>();
  const entries = pool ? flavorEntries(pool) : new Map<string, PoolResource[]>();
  return flavors.map((flavor) => {
    const status = statuses.get(flavor) ?? emptyFlavorStatus();
    const specs = entries.get(flavor) ?? [];
    const targets = new Map<string, number>();
    for (const spec of specs)
      for (const az of spec.azs ?? []) targets.set(az.az, (targets.get(az.az) ?? 0) + az.count);
    const names = new Set<string>([
      ...azOrder,
      ...targets.keys(),
      ...Object.keys(status.creating.byAz),
      ...Object.keys(status.available.byAz),
    ]);
    const inAz = (counts: NodeCounts, az: string): number => counts.byAz[az] ?? 0;
    return {
      flavor,
      az: '*',
      target: specs.reduce((sum, spec) => sum + spec.count, 0),
      creating: status.creating.total,
      available: status.available.total,
      deleting: status.deleting.total,
      abnormal: status.abnormal.total,
      azs: [...names].map((az) => ({
        az,
        target: targets.get(az) ?? 0,
        creating: inAz(status.creating, az),
        available: inAz(status.available, az),
        deleting: inAz(status.deleting, az),
        abnormal: inAz(status.abnormal, az),
      })),
    };
  });
}

/** Where the runner reads the pool it replays jobs on. */
export interface PoolSource {
  read(): Promise<Pool | undefined>;
}

/** The simulator's pool, read in process (no HTTP, so it never competes with the autoscaler's request budget). */
export function simulatorPoolSource(simulator: ModelArtsSimulator, pool: string): PoolSource {
  return { read: async () => simulator.pool(pool) };
}

/** A real pool, read at most once per `minIntervalMs` of real time; between reads the last answer is kept. */
export function endpointPoolSource(client: ModelArtsClient, pool: string, minIntervalMs: number): PoolSource {
  let last: Pool | undefined;
  let readAt = -Infinity;
  return {
    read: async () => {
      if (performance.now() - readAt < minIntervalMs) return last;
      readAt = performance.now();
      last = await client.showPool(pool);
      return last;
    },
  };
}
