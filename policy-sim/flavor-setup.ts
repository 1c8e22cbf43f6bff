import type { Policy } from '../functions/shared/engine/policy';
import { SimulationInputError } from './errors';
import type { TraceJob } from './trace';
import type { FlavorSetup } from './types';

/**
 * Reversals count within the policy's scale-down stabilization window, but never a shorter one than the HPA's
 * default 300 s: a policy must not hide its flapping by shrinking its own window.
 */
export const MIN_REVERSAL_WINDOW_S = 300;

/**
 * Reads what the simulator needs per flavor from the policy. Without AZ weights the flavor lives in one AZ named
 * after the policy's region, as a freshly created pool would.
 */
export function flavorSetupsFromPolicy(policy: Policy): FlavorSetup[] {
  return Object.entries(policy.flavors).map(([flavor, rules]) => {
    if (!Number.isInteger(rules.unitsPerNode)) {
      throw new SimulationInputError(
        `flavors.${flavor}.unitsPerNode: the simulator places whole capacity units, got ${rules.unitsPerNode}`,
      );
    }
    const weighted = Object.entries(rules.azs ?? {}).filter(([, weight]) => weight > 0);
    const azWeights: Record<string, number> =
      weighted.length > 0 ? Object.fromEntries(weighted) : { [`${policy.region ?? 'az'}a`]: 1 };
    return {
      flavor,
      unitsPerNode: rules.unitsPerNode,
      targetUtilization: rules.targetUtilization,
      minCount: rules.minCount,
      maxCount: rules.maxCount,
      azs: Object.keys(azWeights),
      azWeights,
      reversalWindowS: Math.max(rules.scaleDown.stabilizationSeconds, MIN_REVERSAL_WINDOW_S),
    };
  });
}

/** Every job must name a flavor of the policy and fit in that flavor's largest allowed pool. */
export function checkTraceAgainstFlavors(jobs: readonly TraceJob[], setups: readonly FlavorSetup[]): void {
  const byFlavor = new Map(setups.map((setup) => [setup.flavor, setup]));
  for (const job of jobs) {
    const setup = byFlavor.get(job.flavor);
    if (setup === undefined) {
      throw new SimulationInputError(`job ${job.jobId}: flavor ${job.flavor} is not in the policy`);
    }
    if (job.units > setup.maxCount * setup.unitsPerNode) {
      throw new SimulationInputError(
        `job ${job.jobId}: ${job.units} units exceed flavor ${job.flavor}'s maxCount ${setup.maxCount} x ${setup.unitsPerNode} units per node`,
      );
    }
  }
}
