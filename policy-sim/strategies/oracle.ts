import type { TraceJob } from '../trace';
import type { FlavorSetup, TimelineRow } from '../types';

/** The oracle's node count of one flavor from `tS` on, and the running units behind it. */
export interface OracleStep {
  tS: number;
  runningUnits: number;
  nodes: number;
}

export interface OracleFlavor {
  steps: OracleStep[];
  nodeSeconds: number;
  peakNodes: number;
}

/**
 * The zero-wait lower bound (ARCHITECTURE 3.4): every job starts at its submit time on nodes that appear and
 * vanish instantly, so a flavor holds max(minCount, ceil(running units / unitsPerNode)) nodes at every instant.
 * Integrated over [0, horizonS].
 */
export function oracleFlavor(jobs: readonly TraceJob[], setup: FlavorSetup, horizonS: number): OracleFlavor {
  const changes = new Map<number, number>();
  for (const job of jobs) {
    if (job.flavor !== setup.flavor) continue;
    changes.set(job.submitS, (changes.get(job.submitS) ?? 0) + job.units);
    const endS = job.submitS + job.durationS;
    changes.set(endS, (changes.get(endS) ?? 0) - job.units);
  }
  const nodesFor = (units: number): number => Math.max(setup.minCount, Math.ceil(units / setup.unitsPerNode));
  const steps: OracleStep[] = [{ tS: 0, runningUnits: 0, nodes: nodesFor(0) }];
  let running = 0;
  for (const tS of [...changes.keys()].sort((a, b) => a - b)) {
    if (tS > horizonS) break;
    running += changes.get(tS) ?? 0;
    const nodes = nodesFor(running);
    const last = steps[steps.length - 1]!;
    if (last.tS === tS) steps[steps.length - 1] = { tS, runningUnits: running, nodes };
    else if (last.runningUnits !== running) steps.push({ tS, runningUnits: running, nodes });
  }
  let nodeSeconds = 0;
  let peakNodes = 0;
  steps.forEach((step, index) => {
    const until = steps[index + 1]?.tS ?? horizonS;
    nodeSeconds += step.nodes * (until - step.tS);
    peakNodes = Math.max(peakNodes, step.nodes);
  });
  return { steps, nodeSeconds, peakNodes };
}

/** When the last job would end if none ever waited. */
export function traceEndS(jobs: readonly TraceJob[]): number {
  return jobs.reduce((end, job) => Math.max(end, job.submitS + job.durationS), 0);
}

/** The oracle's node counts as timeline rows, one per step of each flavor, across all AZs (`*`). */
export function oracleTimeline(oracle: Map<string, OracleFlavor>): TimelineRow[] {
  const rows: TimelineRow[] = [];
  for (const [flavor, result] of oracle) {
    for (const step of result.steps) {
      rows.push({
        tS: step.tS,
        strategy: 'oracle',
        flavor,
        az: '*',
        demandUnits: step.runningUnits,
        target: step.nodes,
        count: step.nodes,
        available: step.nodes,
        creating: 0,
      });
    }
  }
  return rows;
}
