import type { FlavorPolicy } from './policy';
import type { FlavorDepth } from './types';
import { countOf } from './wording';

export interface DemandRecommendation {
  /** Pending plus running units (0 when unknown). */
  demandUnits: number;
  /** Nodes the demand asks for, never below `runningNodes`; `minCount` fallback is left to the bounds. */
  nodes: number;
  /** Nodes the running jobs occupy: scale-down never goes below them. */
  runningNodes: number;
  /** Depth missing or stale: keep at least the current count. */
  hold: boolean;
  reasons: string[];
}

/** Counters below zero or not numbers at all (a bug upstream) count as no demand. */
function units(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}

function formatUnits(units: number): string {
  return Number.isInteger(units) ? String(units) : units.toFixed(2);
}

/** Turns the demand of one flavor into the nodes it needs (ARCHITECTURE.md 3.1). */
export function recommendNodes(
  flavor: FlavorPolicy,
  depth: FlavorDepth | undefined,
  now: number,
  staleAfterSeconds: number,
): DemandRecommendation {
  if (depth === undefined) {
    return {
      demandUnits: 0,
      nodes: 0,
      runningNodes: 0,
      hold: true,
      reasons: ['no depth reported for this flavor: holding, no scale-down'],
    };
  }
  const pending = units(depth.pendingUnits);
  const running = units(depth.runningUnits);
  const demandUnits = pending + running;
  const runningNodes = Math.ceil(running / flavor.unitsPerNode);
  const reasons: string[] = [];
  // An unreadable timestamp is as untrustworthy as an old one.
  const ageSeconds = Number.isFinite(depth.updatedAt)
    ? Math.max(0, (now - depth.updatedAt) / 1000)
    : Infinity;
  const hold = ageSeconds > staleAfterSeconds;
  if (hold) {
    reasons.push(
      `${Number.isFinite(ageSeconds) ? `depth is ${Math.round(ageSeconds)} s old` : 'depth has no readable time'} (staleAfterSeconds ${staleAfterSeconds}): holding, no scale-down`,
    );
  }

  let nodes: number;
  if (demandUnits < flavor.activationUnits) {
    nodes = 0;
    reasons.push(
      `idle: demand ${formatUnits(demandUnits)} units below activationUnits ${formatUnits(flavor.activationUnits)} → fall back to minCount`,
    );
  } else {
    const perNode = flavor.unitsPerNode * flavor.targetUtilization;
    nodes = Math.ceil(demandUnits / perNode - 1e-9);
    const divisor =
      flavor.targetUtilization === 1
        ? `${formatUnits(flavor.unitsPerNode)} per node`
        : `(${formatUnits(flavor.unitsPerNode)} per node × ${flavor.targetUtilization} utilization)`;
    reasons.push(
      `demand ${formatUnits(demandUnits)} units (${formatUnits(pending)} pending + ${formatUnits(running)} running) / ${divisor} → ${countOf(nodes, 'node')}`,
    );
  }
  if (runningNodes > nodes) {
    nodes = runningNodes;
    reasons.push(`running jobs need ${countOf(runningNodes, 'node')} → ${countOf(runningNodes, 'node')}`);
  }
  return { demandUnits, nodes, runningNodes, hold, reasons };
}
