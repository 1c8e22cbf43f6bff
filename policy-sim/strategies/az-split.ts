import type { AzCounts } from '../types';

/**
 * Spreads `total` nodes over weighted AZs with the least movement from `current`: nodes are added where an AZ is
 * furthest below its share and removed where it is furthest above. Ties go to the AZ listed first.
 */
export function splitOverAzs(total: number, weights: Record<string, number>, current: AzCounts): AzCounts {
  const azs = Object.keys(weights);
  const weightSum = azs.reduce((sum, az) => sum + (weights[az] ?? 0), 0);
  const result: AzCounts = {};
  for (const az of azs) result[az] = current[az] ?? 0;
  let placed = azs.reduce((sum, az) => sum + (result[az] ?? 0), 0);
  const gap = (az: string): number => ((weights[az] ?? 0) / weightSum) * total - (result[az] ?? 0);
  while (placed < total) {
    const az = pick(azs, (a, b) => gap(a) > gap(b));
    result[az] = (result[az] ?? 0) + 1;
    placed++;
  }
  while (placed > total) {
    const az = pick(
      azs.filter((candidate) => (result[candidate] ?? 0) > 0),
      (a, b) => gap(a) < gap(b),
    );
    result[az] = (result[az] ?? 0) - 1;
    placed--;
  }
  return result;
}

function pick(azs: readonly string[], better: (a: string, b: string) => boolean): string {
  let best = azs[0]!;
  for (const az of azs.slice(1)) if (better(az, best)) best = az;
  return best;
}
