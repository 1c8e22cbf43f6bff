import type { ModelArtsClient, Pool, PoolResourceFlavorCount } from '../functions/shared/modelarts';
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

function statusCounts(
  entries: readonly PoolResourceFlavorCount[] | undefined,
  flavor: string,
): Map<string, number> {
  const byAz = new Map<string, number>();
  for (const entry of entries ?? []) {
    if (entry.flavor !== flavor) continue;
    if (entry.azs && entry.azs.length > 0) {
      for (const az of entry.azs) byAz.set(az.az, (byAz.get(az.az) ?? 0) + az.count);
    } else {
      byAz.set('*', (byAz.get('*') ?? 0) + entry.count);
    }
  }
  return byAz;
}

/** Per flavor and AZ: spec target and the nodes the status reports, for the flavors of the policy. */
export function flavorStates(
  pool: Pool | undefined,
  flavors: readonly string[],
  azOrder: readonly string[],
): FlavorState[] {
  return flavors.map((flavor) => {
    const spec = pool?.spec.resources.find((entry) => entry.flavor === flavor);
    const targets = new Map<string, number>((spec?.azs ?? []).map((az) => [az.az, az.count]));
    const resources = pool?.status.resources;
    const creating = statusCounts(resources?.creating, flavor);
    const available = statusCounts(resources?.available, flavor);
    const deleting = statusCounts(resources?.deleting, flavor);
    const abnormal = statusCounts(resources?.abnormal, flavor);
    const names = new Set<string>([...azOrder, ...targets.keys(), ...creating.keys(), ...available.keys()]);
    names.delete('*');
    const azs: AzState[] = [...names].map((az) => ({
      az,
      target: targets.get(az) ?? 0,
      creating: creating.get(az) ?? 0,
      available: available.get(az) ?? 0,
      deleting: deleting.get(az) ?? 0,
      abnormal: abnormal.get(az) ?? 0,
    }));
    const total = (counts: Map<string, number>): number =>
      [...counts.values()].reduce((sum, n) => sum + n, 0);
    return {
      flavor,
      az: '*',
      target: spec?.count ?? 0,
      creating: total(creating),
      available: total(available),
      deleting: total(deleting),
      abnormal: total(abnormal),
      azs,
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
