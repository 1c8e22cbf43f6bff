import { waitBoundS, type SimulationResult } from '../results';
import type { StrategyName, StrategyResult, TimelineRow, WaitStats } from '../types';
import { frontierSection } from './frontier-chart';
import { formatNumber } from './number-format';
import { escapeHtml, stepChart, type StepSeries } from './svg-charts';
import type { SummaryContext } from './summary-json';

export const STRATEGY_COLORS: Record<StrategyName, string> = {
  policy: '#1f77b4',
  static: '#7f7f7f',
  keda: '#ff7f0e',
  hpa: '#2ca02c',
  'cluster-autoscaler': '#8c564b',
  oracle: '#9467bd',
};

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 960px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 12px 0; } th, td { padding: 4px 8px; border-bottom: 1px solid #eee; text-align: right; }
th:first-child, td:first-child { text-align: left; } th { background: #f6f6f6; }
.meta { color: #555; } svg { display: block; margin: 8px 0; }
svg .title { font-size: 13px; font-weight: 600; } svg .tick, svg .legend { font-size: 11px; fill: #444; }
svg .axis { font-size: 11px; fill: #333; } svg .grid { stroke: #eee; } svg .axisline { stroke: #999; }
`;

interface TableRow {
  strategy: StrategyName;
  nodeSeconds: number;
  oracleRatio: number;
  wait: WaitStats;
  patches: number;
  scaleOperations: number;
  reversals: number;
  preempted: number;
  unfinished: number;
  starved: number;
}

function resultsTable(rows: readonly TableRow[]): string {
  const header =
    '<tr><th>strategy</th><th>node-hours</th><th>ratio to oracle</th><th>wait mean (s)</th><th>p50</th><th>p95</th><th>p99</th><th>max</th><th>PATCHes</th><th>scale operations</th><th>reversals</th><th>preempted jobs</th><th>unfinished jobs</th><th>starved jobs</th></tr>';
  const body = rows.map((row) => {
    const cells = [
      formatNumber(Math.round((row.nodeSeconds / 3600) * 100) / 100),
      row.oracleRatio.toFixed(3),
      formatNumber(row.wait.mean),
      formatNumber(row.wait.p50),
      formatNumber(row.wait.p95),
      formatNumber(row.wait.p99),
      formatNumber(row.wait.max),
      String(row.patches),
      String(row.scaleOperations),
      String(row.reversals),
      String(row.preempted),
      String(row.unfinished),
      String(row.starved),
    ];
    const swatch = `<span style="color:${STRATEGY_COLORS[row.strategy]}">&#9632;</span> ${row.strategy}`;
    return `<tr><td>${swatch}</td>${cells.map((cell) => `<td>${cell}</td>`).join('')}</tr>`;
  });
  return `<table>${header}${body.join('')}</table>`;
}

function overallRows(results: readonly StrategyResult[]): TableRow[] {
  return results.map((result) => ({
    strategy: result.strategy,
    nodeSeconds: result.node_seconds,
    oracleRatio: result.oracle_ratio,
    wait: result.wait_s,
    patches: result.patches,
    scaleOperations: result.scale_operations,
    reversals: result.reversals,
    preempted: result.preempted_jobs,
    unfinished: result.unfinished_jobs,
    starved: result.starved_jobs,
  }));
}

function flavorRows(results: readonly StrategyResult[], flavor: string): TableRow[] {
  const oracleSeconds =
    results.find((result) => result.strategy === 'oracle')?.flavors[flavor]?.node_seconds ?? 0;
  return results.flatMap((result) => {
    const figures = result.flavors[flavor];
    if (figures === undefined) return [];
    return [
      {
        strategy: result.strategy,
        nodeSeconds: figures.node_seconds,
        oracleRatio: oracleSeconds > 0 ? figures.node_seconds / oracleSeconds : 0,
        wait: figures.wait_s,
        patches: result.patches,
        scaleOperations: result.scale_operations,
        reversals: figures.reversals,
        preempted: figures.preempted_jobs,
        unfinished: figures.unfinished_jobs,
        starved: figures.starved_jobs,
      },
    ];
  });
}

/** Demand (in nodes' worth of units) and node counts over time, one panel per strategy. */
function demandCharts(
  rows: readonly TimelineRow[],
  strategies: readonly StrategyName[],
  unitsPerNode: number,
  horizonS: number,
): string {
  const hours = horizonS / 3600;
  const panels = strategies.map((strategy) => {
    const own = rows.filter((row) => row.strategy === strategy);
    const demand = own.map((row) => [row.tS / 3600, (row.demandUnits ?? 0) / unitsPerNode] as const);
    const nodes = own.map((row) => [row.tS / 3600, row.count] as const);
    const available = own.map((row) => [row.tS / 3600, row.available] as const);
    const yMax = Math.max(1, ...demand.map(([, v]) => v), ...nodes.map(([, v]) => v)) * 1.05;
    const series: StepSeries[] = [
      { label: 'demand (nodes of units)', color: '#d62728', points: demand, area: true },
      { label: 'nodes', color: STRATEGY_COLORS[strategy], points: nodes },
      { label: 'available', color: '#333333', points: available, dashed: true },
    ];
    return stepChart({
      title: `${strategy}: demand vs nodes`,
      xLabel: 'hours since trace start',
      yLabel: 'nodes',
      xMax: hours,
      yMax,
      series,
      height: 200,
    });
  });
  return panels.join('\n');
}

/** Cumulative distribution of job waits, one line per strategy. */
function waitChart(
  waits: SimulationResult['waits'],
  flavor: string,
  strategies: readonly StrategyName[],
): string {
  const maxWait = Math.max(1, ...strategies.flatMap((strategy) => waits[strategy]?.[flavor] ?? []));
  const series: StepSeries[] = strategies.map((strategy) => {
    const sorted = [...(waits[strategy]?.[flavor] ?? [])].sort((a, b) => a - b);
    const points: Array<readonly [number, number]> = [[0, 0]];
    sorted.forEach((wait, index) => {
      const next = sorted[index + 1];
      if (next !== wait) points.push([wait, (index + 1) / sorted.length]);
    });
    return { label: strategy, color: STRATEGY_COLORS[strategy], points };
  });
  return stepChart({
    title: 'wait-time distribution (share of jobs started within x seconds)',
    xLabel: 'wait (s)',
    yLabel: 'share of jobs',
    xMax: maxWait,
    yMax: 1,
    series,
    height: 240,
  });
}

/** `report.html`: one self-contained page with inline SVG charts; it loads nothing. */
export function reportHtml(result: SimulationResult, context: SummaryContext = {}): string {
  const strategies = result.results.map((entry) => entry.strategy);
  const s = result.settings;
  const meta = [
    `trace ${escapeHtml(context.traceName ?? '(in memory)')}: ${result.jobs} jobs${result.skippedJobs > 0 ? ` (${result.skippedJobs} of other pools skipped)` : ''}`,
    `policy ${escapeHtml(context.policyName ?? '(in memory)')}`,
    `provisioning delay ${s.provision_delay_s} s${s.provision_jitter_s > 0 ? ` &plusmn; ${s.provision_jitter_s} s` : ''}`,
    `sweep every ${s.sweep_seconds} s, events evaluated after ${s.event_latency_s} s`,
    s.horizon_capped
      ? `horizon ${formatNumber(s.horizon_s)} s: the cap, reached with jobs still waiting or running (counted unfinished)`
      : `horizon ${formatNumber(s.horizon_s)} s (last job ended at ${formatNumber(s.last_job_end_s)} s, + ${s.tail_s} s)`,
    `seed ${s.seed}`,
  ];
  const sections = result.flavors.map((setup) => {
    const rows = result.timeline.filter((row) => row.flavor === setup.flavor && row.az === '*');
    return [
      `<h2>${escapeHtml(setup.flavor)}</h2>`,
      `<p class="meta">${setup.unitsPerNode} units per node, ${setup.minCount} to ${setup.maxCount} nodes, AZs ${escapeHtml(setup.azs.join(', '))}</p>`,
      resultsTable(flavorRows(result.results, setup.flavor)),
      demandCharts(rows, strategies, setup.unitsPerNode, s.horizon_s),
      waitChart(
        result.waits,
        setup.flavor,
        strategies.filter((strategy) => strategy !== 'oracle'),
      ),
    ].join('\n');
  });
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Policy simulation: ${escapeHtml(result.pool)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Policy simulation: ${escapeHtml(result.pool)}</h1>
<p class="meta">${meta.join('<br>')}</p>
<p>Node-hours count every node from its request until it is gone, creating time included. The oracle starts every job at its submit time on nodes that appear instantly: no strategy can use fewer node-hours without making jobs wait. Waits of jobs that never started count until the horizon. PATCHes and batch-deletes are the scale operations (PATCHes and scale operations count for the whole pool, also in the tables per flavor). Preempted jobs were killed by a node removed under them; starved jobs waited longer than the provisioning delay plus one sweep (${formatNumber(waitBoundS(s))} s) while their flavor was below maxCount for the whole wait.</p>
${resultsTable(overallRows(result.results))}
${result.frontier === undefined ? '' : frontierSection(result.frontier, { oracleNodeHours: result.results.find((entry) => entry.strategy === 'oracle')?.node_hours ?? 0, colors: STRATEGY_COLORS })}
${sections.join('\n')}
</body>
</html>
`;
}
