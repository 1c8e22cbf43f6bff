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
  const counts = new Map<string, number>();
  for (const az of [...Object.keys(input.current), ...Object.keys(input.weights)].sort(byName)) {
    counts.set(az, Math.max(0, Math.floor(input.current[az] ?? 0)));
  }
  let moved = 0;
  for (const [az, cap] of Object.entries(input.caps ?? {})) {
    const count = counts.get(az) ?? 0;
    if (count > cap) {
      moved += count - cap;
      counts.set(az, cap);
    }
  }

  const eligible = [...counts.keys()].filter((az) => (input.weights[az] ?? 0) > 0 && !backedOff.has(az));
  const backoffIgnored = eligible.length === 0;
  const receivers = backoffIgnored
    ? [...counts.keys()].filter((az) => (input.weights[az] ?? 0) > 0)
    : eligible;
  const shareWeights = new Map<string, number>();
  for (const az of receivers) shareWeights.set(az, input.weights[az] ?? 0);
  const totalWeight = [...shareWeights.values()].reduce((sum, weight) => sum + weight, 0);
  const share = (az: string): number =>
    totalWeight === 0 ? 0 : (input.target * (shareWeights.get(az) ?? 0)) / totalWeight;

  let total = [...counts.values()].reduce((sum, count) => sum + count, 0);
  const pool = receivers.length > 0 ? receivers : [...counts.keys()];
  while (total < input.target && pool.length > 0) {
    let best = pool[0] as string;
    for (const az of pool) {
      const gap = share(az) - (counts.get(az) ?? 0);
      const bestGap = share(best) - (counts.get(best) ?? 0);
      if (gap > bestGap + 1e-9) best = az;
    }
    counts.set(best, (counts.get(best) ?? 0) + 1);
    total += 1;
  }
  while (total > input.target) {
    let best: string | undefined;
    for (const [az, count] of counts) {
      if (count === 0) continue;
      if (best === undefined) {
        best = az;
        continue;
      }
      const excess = count - share(az);
      const bestExcess = (counts.get(best) ?? 0) - share(best);
      if (excess > bestExcess + 1e-9) best = az;
    }
    if (best === undefined) break;
    counts.set(best, (counts.get(best) ?? 0) - 1);
    total -= 1;
  }

  const azs = [...counts.entries()]
    .filter(([, count]) => count > 0)
    .sort(([a], [b]) => byName(a, b))
    .map(([az, count]) => ({ az, count }));
  return { azs, moved, backoffIgnored };
}
