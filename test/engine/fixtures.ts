import type {
  Pool,
  PoolNodeAz,
  PoolResource,
  PoolResourceFlavorCount,
} from '../../functions/shared/modelarts/schemas';
import { parsePolicy, type FlavorDepth, type Policy } from '../../functions/shared/engine';
import { anchoredNow } from '../clock-anchor';

export const GPU = 'modelarts.vm.gpu.8v100';
export const CPU = 'modelarts.vm.cpu.8u';

const DAY_MS = 86_400_000;

/**
 * The engine tests' clock: 12:00 UTC on the Monday of the anchored week (the real date's, see clock-anchor.ts),
 * so that weekday schedules see a working day and nothing depends on the calendar.
 */
function mondayNoon(now: number): number {
  const noon = Math.floor(now / DAY_MS) * DAY_MS + 12 * 3_600_000;
  const sinceMonday = (new Date(noon).getUTCDay() + 6) % 7;
  const monday = noon - sinceMonday * DAY_MS;
  return monday > now ? monday - 7 * DAY_MS : monday;
}

export const T0 = mondayNoon(anchoredNow());

type FlavorPolicyInput = Record<string, unknown>;

/**
 * A parsed policy with one GPU flavor (1..16 nodes of 8 units) unless flavors are given. The count rules are
 * tested with the count-lowering scale-in (`scaleIn: patch`), which needs no node occupancy; scale-in by name,
 * the default, has its own tests over nodes (scale-in.test.ts).
 */
export function policy(overrides: Record<string, unknown> = {}, flavor: FlavorPolicyInput = {}): Policy {
  return parsePolicy({
    pool: 'pool-a',
    cooldownSeconds: 0,
    scaleIn: 'patch',
    flavors: { [GPU]: { minCount: 1, maxCount: 16, unitsPerNode: 8, ...flavor } },
    ...overrides,
  });
}

export interface PoolOptions {
  type?: 'Dedicate' | 'Logical';
  phase?: Pool['status']['phase'] | null;
  resources?: PoolResource[];
  creating?: PoolResourceFlavorCount[];
  available?: PoolResourceFlavorCount[];
  abnormal?: PoolResourceFlavorCount[];
  deleting?: PoolResourceFlavorCount[];
}

/** A Running physical pool; `available` defaults to the spec counts (and AZs) of every entry. */
export function pool(options: PoolOptions = {}): Pool {
  const resources = options.resources ?? [{ flavor: GPU, count: 2, maxCount: 2 }];
  const available =
    options.available ??
    resources.map((resource) => ({
      flavor: resource.flavor,
      count: resource.count,
      ...(resource.azs === undefined ? {} : { azs: resource.azs }),
    }));
  const statusResources: Record<string, PoolResourceFlavorCount[]> = {};
  if (available.length > 0) statusResources.available = available;
  if (options.creating) statusResources.creating = options.creating;
  if (options.abnormal) statusResources.abnormal = options.abnormal;
  if (options.deleting) statusResources.deleting = options.deleting;
  return {
    apiVersion: 'v2',
    kind: 'Pool',
    metadata: { name: 'pool-a', labels: { 'os.modelarts/name': 'pool-a' } },
    spec: { type: options.type ?? 'Dedicate', scope: ['Train'], resources },
    status: {
      ...(options.phase === null ? {} : { phase: options.phase ?? 'Running' }),
      resources: statusResources,
    },
  };
}

export function depth(pendingUnits: number, runningUnits = 0, updatedAt = T0): Record<string, FlavorDepth> {
  return { [GPU]: { pendingUnits, runningUnits, updatedAt } };
}

/** AZ placement from nodes per AZ, in the order given: `azs({ a: 2, b: 2 })`. */
export function azs(counts: Record<string, number>): PoolNodeAz[] {
  return Object.entries(counts).map(([az, count]) => ({ az, count }));
}

/** The GPU entry of 4 nodes over AZs a and b: 2 available in a, 2 creating in b (the AZ that backs off). */
export function stuckInB(): Required<Pick<PoolOptions, 'resources' | 'available' | 'creating'>> {
  return {
    resources: [{ flavor: GPU, count: 4, maxCount: 4, azs: azs({ a: 2, b: 2 }) }],
    available: [{ flavor: GPU, count: 2, azs: azs({ a: 2 }) }],
    creating: [{ flavor: GPU, count: 2, azs: azs({ b: 2 }) }],
  };
}
