import { flavorStatuses } from '../functions/shared/engine/pool-view';
import type { Pool } from '../functions/shared/modelarts';
import type { FlavorSetup } from '../policy-sim/types';
import {
  physicalPoolRequest,
  startModelArtsSimulator,
  type FlavorResourcesOverride,
  type ModelArtsSimulator,
  type PoolPhase,
} from '../simulator';

const MIRROR_AZ = 'local-mirror-1a';
/** The mirror follows the real pool whatever its phase. */
const ANY_PHASE: PoolPhase[] = [
  'Creating',
  'Running',
  'Abnormal',
  'CreationFailed',
  'ScalingFailed',
  'Waiting',
  'Error',
];

/**
 * With `--endpoint` the trace's jobs cannot run on the real pool, so they run as workloads in a pool of a local
 * ModelArts simulator whose Available nodes per flavor follow the real pool's: the same queue, placement and
 * release as without an endpoint, over the nodes the real pool shows. A node the real pool loses is removed from
 * the mirror as the service picks victims, failing the workloads on it.
 */
export interface PoolMirror {
  readonly simulator: ModelArtsSimulator;
  readonly pool: string;
  /** Makes the mirror's Available nodes of each flavor as many as the real pool's. */
  follow(real: Pool): void;
  close(): Promise<void>;
}

export async function startPoolMirror(options: {
  setups: readonly FlavorSetup[];
  flavors: Record<string, FlavorResourcesOverride>;
  now: () => number;
}): Promise<PoolMirror> {
  const { setups } = options;
  const capacity = (available: ReadonlyMap<string, number>) => ({
    [MIRROR_AZ]: Object.fromEntries(available),
  });
  let available = new Map(setups.map((setup) => [setup.flavor, 0]));
  // Nodes come up the moment capacity allows them (the real pool's Available count) and leave at once.
  const simulator = await startModelArtsSimulator({
    now: options.now,
    provisioningDelayMs: 0,
    checkingDelayMs: 0,
    deletionDelayMs: 0,
    availabilityZones: [MIRROR_AZ],
    azCapacity: capacity(available),
    flavors: options.flavors,
    patchPhases: ANY_PHASE,
    controlApi: false,
  });
  const pool = simulator.seedPool(
    physicalPoolRequest({
      label: 'local-mirror',
      description: 'where the jobs of a local run go beside a real pool',
      network: 'network-mirror-6f5da086876d4cd084d36f8bd3346036',
      resources: setups.map((setup) => ({ flavor: setup.flavor, count: 1, maxCount: 1 })),
    }),
  ).metadata.name;

  const follow = (real: Pool): void => {
    const statuses = flavorStatuses(real);
    const wanted = new Map(
      setups.map((setup) => [setup.flavor, statuses.get(setup.flavor)?.available.total ?? 0]),
    );
    if ([...wanted].every(([flavor, count]) => available.get(flavor) === count)) return;
    available = wanted;
    simulator.setCapacity(capacity(wanted));
    const nodes = simulator.nodes(pool);
    const availableNodes = (flavor: string): string[] =>
      nodes
        .filter((node) => node.spec.flavor === flavor && node.status.phase === 'Available')
        .map((node) => node.metadata.name);
    // An entry keeps at least one node: a flavor with none available keeps one waiting for capacity, and its
    // available nodes go by batch-delete once that one exists.
    const emptied = setups.flatMap((setup) =>
      wanted.get(setup.flavor) === 0 ? availableNodes(setup.flavor) : [],
    );
    const resources = setups.map((setup) => {
      const count = wanted.get(setup.flavor) ?? 0;
      const kept = count > 0 ? count : availableNodes(setup.flavor).length + 1;
      return { flavor: setup.flavor, count: kept, maxCount: kept };
    });
    simulator.updatePool(pool, { spec: { resources } });
    if (emptied.length > 0) simulator.deleteNodes(pool, emptied);
  };
  return { simulator, pool, follow, close: () => simulator.close() };
}
