import type { Pool, PoolResourceFlavorCount } from '../../functions/shared/modelarts/schemas';
import type { AzCounts, FlavorSetup } from '../types';
import type { PoolView } from './strategy';

const sum = (counts: AzCounts): number => Object.values(counts).reduce((total, n) => total + n, 0);

function flavorCount(flavor: string, counts: AzCounts): PoolResourceFlavorCount | undefined {
  const azs = Object.entries(counts)
    .filter(([, count]) => count > 0)
    .map(([az, count]) => ({ az, count }));
  return azs.length === 0 ? undefined : { flavor, count: sum(counts), azs };
}

/**
 * The pool as `GET /v2/{project_id}/pools/{pool_name}` would return it for the simulated state: a physical
 * (`Dedicate`) pool in phase `Running` whose spec matches the nodes asked for (resizes take effect at once) and
 * whose status splits them into `creating` and `available` per AZ. Empty states are left out, as the service does.
 */
export function poolDocument(poolName: string, flavors: readonly FlavorSetup[], view: PoolView): Pool {
  const resources = [];
  const creating: PoolResourceFlavorCount[] = [];
  const available: PoolResourceFlavorCount[] = [];
  for (const setup of flavors) {
    const snapshot = view.snapshot(setup.flavor);
    const count = sum(snapshot.nodes);
    const azs = Object.entries(snapshot.nodes)
      .filter(([, nodes]) => nodes > 0)
      .map(([az, nodes]) => ({ az, count: nodes }));
    resources.push(
      azs.length > 0
        ? { flavor: setup.flavor, count, maxCount: count, azs }
        : { flavor: setup.flavor, count, maxCount: count },
    );
    const creatingEntry = flavorCount(setup.flavor, snapshot.creating);
    if (creatingEntry !== undefined) creating.push(creatingEntry);
    const availableEntry = flavorCount(setup.flavor, snapshot.available);
    if (availableEntry !== undefined) available.push(availableEntry);
  }
  const statusResources: NonNullable<Pool['status']['resources']> = {};
  if (creating.length > 0) statusResources.creating = creating;
  if (available.length > 0) statusResources.available = available;
  return {
    apiVersion: 'v2',
    kind: 'Pool',
    metadata: { name: poolName, labels: { 'os.modelarts/name': poolName.slice(0, 25) } },
    spec: { type: 'Dedicate', scope: ['Train'], resources },
    status: { phase: 'Running', resources: statusResources },
  };
}
