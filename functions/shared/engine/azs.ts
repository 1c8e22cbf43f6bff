/**
 * Splitting a flavor's node count over AZs by weight with the least movement: only the difference between the
 * current placement and the target is placed, each added node going to the AZ furthest below its share and
 * each removed node coming from the AZ furthest above it. AZs that are backed off get no new nodes, have share
 * 0 (so they lose nodes first) and may be capped to their healthy nodes.
 */

export interface AzSplitInput {
  target: number;
  /** Nodes per AZ now (spec `azs`, or what the status shows when the spec has none). */
  current: Readonly<Record<string, number>>;
  /** AZ weights; AZs absent here have share 0. */
  weights: Readonly<Record<string, number>>;
  /** AZs new nodes must avoid. */
  backedOff?: ReadonlySet<string>;
  /** Upper limit per AZ, applied before anything else (healthy nodes of a backed-off AZ). */
  caps?: Readonly<Record<string, number>>;
}

export interface AzSplit {
  /** Nodes per AZ with at least one node, summing to `target` (when any AZ is known), sorted by AZ name. */
  azs: { az: string; count: number }[];
  /** Nodes moved away from capped AZs. */
  moved: number;
  /** True when every weighted AZ was backed off and new nodes went to them anyway. */
  backoffIgnored: boolean;
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function splitAcrossAzs(input: AzSplitInput): AzSplit {
  const backedOff = input.backedOff ?? new Set<string>();
  const zones = [...new Set([...Object.keys(input.current), ...Object.keys(input.weights)])].sort(byName);
  const counts = zones.map((az) => Math.max(0, Math.floor(input.current[az] ?? 0)));
  const weights = zones.map((az) => input.weights[az] ?? 0);
  let moved = 0;
  zones.forEach((az, index) => {
    const cap = input.caps?.[az];
    const count = counts[index] as number;
    if (cap !== undefined && count > cap) {
      moved += count - cap;
      counts[index] = cap;
    }
  });

  const weighted = zones.map((_, index) => index).filter((index) => (weights[index] as number) > 0);
  const eligible = weighted.filter((index) => !backedOff.has(zones[index] as string));
  const backoffIgnored = eligible.length === 0;
  const receivers = backoffIgnored ? weighted : eligible;
  const totalWeight = receivers.reduce((sum, index) => sum + (weights[index] as number), 0);
  const shares = zones.map(() => 0);
  for (const index of receivers) shares[index] = (input.target * (weights[index] as number)) / totalWeight;

  let total = counts.reduce((sum, count) => sum + count, 0);
  const adders = receivers.length > 0 ? receivers : zones.map((_, index) => index);
  while (total < input.target && adders.length > 0) {
    let best = adders[0] as number;
    let bestGap = (shares[best] as number) - (counts[best] as number);
    for (const index of adders) {
      const gap = (shares[index] as number) - (counts[index] as number);
      if (gap > bestGap + 1e-9) {
        best = index;
        bestGap = gap;
      }
    }
    counts[best] = (counts[best] as number) + 1;
    total += 1;
  }
  while (total > input.target) {
    let best = -1;
    let bestExcess = -Infinity;
    counts.forEach((count, index) => {
      if (count === 0) return;
      const excess = count - (shares[index] as number);
      if (best === -1 || excess > bestExcess + 1e-9) {
        best = index;
        bestExcess = excess;
      }
    });
    if (best === -1) break;
    counts[best] = (counts[best] as number) - 1;
    total -= 1;
  }

  const azs: { az: string; count: number }[] = [];
  zones.forEach((az, index) => {
    const count = counts[index] as number;
    if (count > 0) azs.push({ az, count });
  });
  return { azs, moved, backoffIgnored };
}
