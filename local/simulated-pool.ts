import type { Policy } from '../functions/shared/engine';
import type { CreatePoolRequest } from '../functions/shared/modelarts';
import { DEMO_FLAVORS, DEMO_POOL_LABEL, demoPool, physicalPoolRequest } from '../simulator';

/** Nodes per AZ a flavor starts with: one per AZ, within the policy's bounds. */
function initialAzCounts(
  minCount: number,
  maxCount: number,
  azs: readonly string[],
): Array<{ az: string; count: number }> {
  const total = Math.min(maxCount, Math.max(minCount, azs.length));
  return azs.map((az, index) => ({
    az,
    count: Math.floor(total / azs.length) + (index < total % azs.length ? 1 : 0),
  }));
}

/**
 * The pool the simulator starts with: the demo pool (two flavors over two AZs, with the tags, disks and
 * extendParams an autoscaler must send back untouched) when the policy scales exactly its flavors, otherwise a
 * physical pool with one entry per flavor of the policy.
 */
export function simulatedPoolRequest(policy: Policy, azs: readonly string[]): CreatePoolRequest {
  const flavors = Object.keys(policy.flavors).sort();
  const demoFlavors = Object.values(DEMO_FLAVORS).sort();
  const [first, second] = azs;
  if (
    first !== undefined &&
    second !== undefined &&
    flavors.length === demoFlavors.length &&
    flavors.every((flavor, index) => flavor === demoFlavors[index])
  ) {
    return demoPool([first, second]);
  }
  return physicalPoolRequest({
    label: DEMO_POOL_LABEL,
    description: 'local run pool',
    network: 'network-local-6f5da086876d4cd084d36f8bd3346036',
    resources: Object.entries(policy.flavors).map(([flavor, rules]) => {
      const flavorAzs =
        Object.keys(rules.azs ?? {}).length > 0 ? Object.keys(rules.azs ?? {}) : azs.slice(0, 1);
      const counts = initialAzCounts(rules.minCount, rules.maxCount, flavorAzs).filter(
        (entry) => entry.count > 0,
      );
      const count = counts.reduce((sum, entry) => sum + entry.count, 0);
      return { flavor, count, maxCount: count, azs: counts };
    }),
  });
}
