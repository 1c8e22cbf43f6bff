import type { AzCapacity } from './types';

/**
 * Nodes a flavor may hold in an AZ across all pools: a number limits all flavors of the AZ together, a map
 * limits each listed flavor on its own. `undefined` means unlimited.
 */
export interface CapacityLimit {
  limit: number;
  /** True when the limit covers only this flavor, false when it is shared by every flavor of the AZ. */
  perFlavor: boolean;
}

export function capacityLimit(
  capacity: AzCapacity | undefined,
  az: string,
  flavor: string,
): CapacityLimit | undefined {
  const forAz = capacity?.[az];
  if (forAz === undefined) return undefined;
  if (typeof forAz === 'number') return { limit: forAz, perFlavor: false };
  const forFlavor = forAz[flavor];
  return forFlavor === undefined ? undefined : { limit: forFlavor, perFlavor: true };
}
