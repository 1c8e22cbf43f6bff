import { waitBoundS, type SimulationResult } from '../results';
import type {
  DecisionMark,
  FlavorSetup,
  StrategyName,
  StrategyResult,
  TimelineRow,
  WaitStats,
} from '../types';
import {
  chartMarks,
  MARK_COLORS,
  MARK_ROWS,
  staircaseBands,
  staircases,
  staircaseText,
} from './decision-marks';
import { frontierSection } from './frontier-chart';
import { formatDuration, formatNumber, formatSeconds } from './number-format';
import { escapeHtml, stepChart, type StepSeries } from './svg-charts';
import type { LocalRunSettings, SummaryContext } from './summary-json';

export const STRATEGY_COLORS: Record<StrategyName, string> = {
  policy: '#1f77b4',
  static: '#7f7f7f',
  keda: '#ff7f0e',
  hpa: '#2ca02c',
  'cluster-autoscaler': '#8c564b',
  'idle-0': '#bcbd22',
  'idle-300': '#17becf',
  'idle-900': '#e377c2',
  oracle: '#9467bd',
};

const AZ_COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948'];

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; padding: 0 16px; max-width: 960px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; }
.table-wrap { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; margin: 12px 0; font-size: 13px; }
th, td { padding: 3px 6px; border-bottom: 1px solid #eee; text-align: right; }
th { background: #f6f6f6; font-weight: 600; vertical-align: bottom; }
th:first-child, td:first-child { text-align: left; white-space: nowrap; }
.meta { color: #555; } svg { display: block; margin: 8px 0; max-width: 100%; height: auto; }
svg .title { font-size: 13px; font-weight: 600; } svg .tick, svg .legend { font-size: 11px; fill: #444; }
svg .axis { font-size: 11px; fill: #333; } svg .grid { stroke: #eee; } svg .axisline { stroke: #999; }
.legend-marks svg { display: inline; vertical-align: middle; margin: 0 2px; }
.staircases { color: #444; font-size: 13px; }
`;

interface Column<Row> {
  header: string;
  cell: (row: Row) => string;
}

interface TableRow {
  strategy: StrategyName;
  /** Strategies whose figures are the same, shown on this one line. */
  label: string;
  nodeSeconds: number;
  oracleRatio: number;
  wait: WaitStats;
  patches: number;
  /** The pool's scale operations, or this flavor's batch-deletes. */
  requests: number;
  reversals: number;
  preempted: number;
  unfinished: number;
  starved: number;
}

function table<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const header = `<tr>${columns.map((column) => `<th>${column.header}</th>`).join('')}</tr>`;
  const body = rows.map(
    (row) => `<tr>${columns.map((column) => `<td>${column.cell(row)}</td>`).join('')}</tr>`,
  );
  return `<div class="table-wrap"><table>${header}${body.join('')}</table></div>`;
}

function resultColumns(requestsHeader: string): Column<TableRow>[] {
  return [
    {
      header: 'strategy',
      cell: (row) =>
        `<span style="color:${STRATEGY_COLORS[row.strategy]}">&#9632;</span> ${escapeHtml(row.label)}`,
    },
    { header: 'node-hours', cell: (row) => formatNumber(Math.round((row.nodeSeconds / 3600) * 100) / 100) },
    { header: 'ratio to oracle', cell: (row) => row.oracleRatio.toFixed(2) },
    { header: 'wait mean (s)', cell: (row) => formatSeconds(row.wait.mean) },
    { header: 'p50', cell: (row) => formatSeconds(row.wait.p50) },
    { header: 'p95', cell: (row) => formatSeconds(row.wait.p95) },
    { header: 'p99', cell: (row) => formatSeconds(row.wait.p99) },
    { header: 'max', cell: (row) => formatSeconds(row.wait.max) },
    { header: 'PATCHes', cell: (row) => String(row.patches) },
    { header: requestsHeader, cell: (row) => String(row.requests) },
    { header: 'reversals', cell: (row) => String(row.reversals) },
    { header: 'preempted jobs', cell: (row) => String(row.preempted) },
    { header: 'unfinished jobs', cell: (row) => String(row.unfinished) },
    { header: 'starved jobs', cell: (row) => String(row.starved) },
  ];
}

function overallRows(results: readonly StrategyResult[]): TableRow[] {
  return results.map((result) => ({
    strategy: result.strategy,
    label: result.strategy,
    nodeSeconds: result.node_seconds,
    oracleRatio: result.oracle_ratio,
    wait: result.wait_s,
    patches: result.patches,
    requests: result.scale_operations,
    reversals: result.reversals,
    preempted: result.preempted_jobs,
    unfinished: result.unfinished_jobs,
    starved: result.starved_jobs,
  }));
}

/** Requests of one kind that changed the flavor, from the strategy's decision marks. */
function flavorRequests(marks: readonly DecisionMark[], request: DecisionMark['request']): number {
  return marks.filter((mark) => mark.request === request).reduce((sum, mark) => sum + mark.requests, 0);
}

function flavorRows(result: SimulationResult, flavor: string): TableRow[] {
  const oracleSeconds =
    result.results.find((entry) => entry.strategy === 'oracle')?.flavors[flavor]?.node_seconds ?? 0;
  return result.results.flatMap((entry) => {
    const figures = entry.flavors[flavor];
    if (figures === undefined) return [];
    const marks = result.decisions.filter(
      (mark) => mark.strategy === entry.strategy && mark.flavor === flavor,
    );
    return [
      {
        strategy: entry.strategy,
        label: entry.strategy,
        nodeSeconds: figures.node_seconds,
        oracleRatio: oracleSeconds > 0 ? figures.node_seconds / oracleSeconds : 0,
        wait: figures.wait_s,
        patches: flavorRequests(marks, 'patch'),
        requests: flavorRequests(marks, 'batch-delete'),
        reversals: figures.reversals,
        preempted: figures.preempted_jobs,
        unfinished: figures.unfinished_jobs,
        starved: figures.starved_jobs,
      },
    ];
  });
}

/** The glyphs of the marks lane, drawn inline where the page explains them. */
function glyphSvg(path: string, paint: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="12" height="12" viewBox="0 0 12 12" aria-hidden="true"><path d="${path}" ${paint}/></svg>`;
}

function marksLegend(): string {
  const up = glyphSvg('M2 10L10 10L6 2Z', `fill="${MARK_COLORS.up}"`);
  const down = glyphSvg('M2 2L10 2L6 10Z', `fill="${MARK_COLORS.down}"`);
  const cross = glyphSvg(
    'M2 2L10 10M2 10L10 2',
    `fill="none" stroke="${MARK_COLORS.batchDelete}" stroke-width="1.5"`,
  );
  const dot = glyphSvg(
    'M3 6a3 3 0 1 0 6 0a3 3 0 1 0 -6 0',
    `fill="#fff" stroke="${MARK_COLORS.held}" stroke-width="1.5"`,
  );
  return `<p class="legend-marks">Marks above each chart, with the reason that decided as their hover title: ${up}${down} a PATCH up or down (row PATCH), ${cross} a batch-delete of chosen nodes (row delete), ${dot} a decision that sent nothing, shown when its reason changes (a hold starting, a clamp ending; row held). Marks within 4 px are one glyph that lists them. A shaded, numbered span is a staircase down, explained under its chart and in its hover title. The thick line is the nodes the strategy has (creating and available), the dashed line the available ones.</p>`;
}

/** Demand (in nodes' worth of units), node counts and decisions over time, one panel per strategy. */
function demandCharts(
  result: SimulationResult,
  setup: FlavorSetup,
  strategies: readonly StrategyName[],
): string {
  const rows = result.timeline.filter((row) => row.flavor === setup.flavor && row.az === '*');
  const panels = strategies.map((strategy) => {
    const own = rows.filter((row) => row.strategy === strategy);
    const marks = result.decisions.filter(
      (mark) => mark.strategy === strategy && mark.flavor === setup.flavor,
    );
    const demand = own.map((row) => [row.tS, (row.demandUnits ?? 0) / setup.unitsPerNode] as const);
    const nodes = own.map((row) => [row.tS, row.count] as const);
    const available = own.map((row) => [row.tS, row.available] as const);
    const yMax = Math.max(1, ...demand.map(([, v]) => v), ...nodes.map(([, v]) => v)) * 1.05;
    const series: StepSeries[] = [
      { label: 'demand (nodes of units)', color: '#d62728', points: demand, area: true },
      { label: 'nodes', color: STRATEGY_COLORS[strategy], points: nodes, width: 3.5 },
      { label: 'available', color: '#222222', points: available, dashed: true, width: 1.25 },
    ];
    const found = staircases(marks);
    const chart = stepChart({
      title: `${strategy}: demand vs nodes`,
      xLabel: 'time since trace start',
      xTime: true,
      yLabel: 'nodes',
      xMax: result.settings.horizon_s,
      yMax,
      series,
      height: 200,
      ...(marks.length > 0 ? { marks: chartMarks(marks), markRows: MARK_ROWS } : {}),
      bands: staircaseBands(found),
    });
    return found.length === 0 ? chart : `${chart}\n${staircaseList(strategy, found)}`;
  });
  return panels.join('\n');
}

const STAIRCASES_LISTED = 5;

function staircaseList(strategy: StrategyName, found: ReturnType<typeof staircases>): string {
  const items = found
    .slice(0, STAIRCASES_LISTED)
    .map((staircase, index) => `<li>staircase ${index + 1}: ${escapeHtml(staircaseText(staircase))}</li>`);
  const more =
    found.length > STAIRCASES_LISTED
      ? `<li>and ${found.length - STAIRCASES_LISTED} more, shaded on the chart with the same explanation as their hover title</li>`
      : '';
  return `<ul class="staircases" data-strategy="${strategy}">${items.join('')}${more}</ul>`;
}

/** Each AZ's node count (creating and available) integrated over [0, horizon]. */
function azNodeSeconds(rows: readonly TimelineRow[], horizonS: number): number {
  let sum = 0;
  rows.forEach((row, index) => {
    const next = rows[index + 1]?.tS ?? horizonS;
    sum += row.count * Math.max(0, Math.min(next, horizonS) - row.tS);
  });
  return sum;
}

/** The policy's nodes of one flavor per AZ, stacked, with each AZ's share of the node-time. */
function azChart(result: SimulationResult, setup: FlavorSetup): string {
  const rows = result.timeline.filter(
    (row) => row.strategy === 'policy' && row.flavor === setup.flavor && row.az !== '*',
  );
  const azs = setup.azs.filter((az) => rows.some((row) => row.az === az));
  for (const row of rows) if (!azs.includes(row.az)) azs.push(row.az);
  if (azs.length === 0) return '';
  const horizonS = result.settings.horizon_s;
  const perAz = azs.map((az) => rows.filter((row) => row.az === az));
  const seconds = perAz.map((own) => azNodeSeconds(own, horizonS));
  const total = seconds.reduce((sum, value) => sum + value, 0);
  // Stacked: each AZ's area reaches the sum of the AZs up to it, drawn from the top one down, opaque.
  const times = [...new Set(rows.map((row) => row.tS))].sort((a, b) => a - b);
  const counts = perAz.map(() => 0);
  const cursors = perAz.map(() => 0);
  const stacks: Array<Array<readonly [number, number]>> = perAz.map(() => []);
  let yMax = 1;
  for (const t of times) {
    perAz.forEach((own, index) => {
      while (cursors[index]! < own.length && own[cursors[index]!]!.tS <= t)
        counts[index] = own[cursors[index]!++]!.count;
    });
    let running = 0;
    counts.forEach((count, index) => {
      running += count;
      stacks[index]!.push([t, running]);
    });
    yMax = Math.max(yMax, running);
  }
  const series: StepSeries[] = azs
    .map((az, index) => ({
      label: `${az} (${total > 0 ? Math.round((seconds[index]! / total) * 100) : 0} % of node-time)`,
      color: AZ_COLORS[index % AZ_COLORS.length]!,
      points: stacks[index]!,
      area: true,
      opacity: 1,
    }))
    .reverse();
  return stepChart({
    title: 'policy: nodes per AZ',
    xLabel: 'time since trace start',
    xTime: true,
    yLabel: 'nodes',
    xMax: horizonS,
    yMax: yMax * 1.05,
    series,
    height: 170,
  });
}

/** Cumulative distribution of job waits, one line per strategy; strategies with the same waits share a line. */
function waitChart(
  waits: SimulationResult['waits'],
  flavor: string,
  strategies: readonly StrategyName[],
): string {
  const maxWait = Math.max(1, ...strategies.flatMap((strategy) => waits[strategy]?.[flavor] ?? []));
  const groups = new Map<string, { strategies: StrategyName[]; sorted: number[] }>();
  for (const strategy of strategies) {
    const sorted = [...(waits[strategy]?.[flavor] ?? [])].sort((a, b) => a - b);
    const key = sorted.join(',');
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { strategies: [strategy], sorted });
    else group.strategies.push(strategy);
  }
  const series: StepSeries[] = [...groups.values()].map(({ strategies: same, sorted }) => {
    const points: Array<readonly [number, number]> = [[0, 0]];
    sorted.forEach((wait, index) => {
      const next = sorted[index + 1];
      if (next !== wait) points.push([wait, (index + 1) / sorted.length]);
    });
    return { label: same.join(' = '), color: STRATEGY_COLORS[same[0]!], points, width: 2 };
  });
  return stepChart({
    title: 'wait-time distribution (share of jobs started within x)',
    xLabel: 'wait',
    xTime: true,
    yLabel: 'share of jobs',
    xMax: maxWait,
    yMax: 1,
    series,
    height: 240,
  });
}

function simulateMeta(result: SimulationResult, context: SummaryContext): string[] {
  const s = result.settings;
  return [
    `trace ${escapeHtml(context.traceName ?? '(in memory)')}: ${result.jobs} jobs${result.skippedJobs > 0 ? ` (${result.skippedJobs} of other pools skipped)` : ''}`,
    `policy ${escapeHtml(context.policyName ?? '(in memory)')}`,
    `provisioning delay ${formatDuration(s.provision_delay_s)}${s.provision_jitter_s > 0 ? ` &plusmn; ${formatDuration(s.provision_jitter_s)}` : ''}`,
    `sweep every ${formatDuration(s.sweep_seconds)}, events evaluated after ${formatDuration(s.event_latency_s)}`,
    s.horizon_capped
      ? `horizon ${formatDuration(s.horizon_s)}: the cap, reached with jobs still waiting or running (counted unfinished)`
      : `horizon ${formatDuration(s.horizon_s)} (last job ended at ${formatDuration(s.last_job_end_s)}, + ${formatDuration(s.tail_s)})`,
    `seed ${s.seed}`,
  ];
}

const STOPS: Record<string, string> = {
  finished: 'the trace was done and the pool at rest',
  duration: 'it reached --duration',
  signal: 'it was interrupted',
};

function localRunMeta(result: SimulationResult, context: SummaryContext, run: LocalRunSettings): string[] {
  const s = result.settings;
  const dropped = run.dropEvents > 0 ? `, ${Math.round(run.dropEvents * 100)} % of job events dropped` : '';
  return [
    `trace ${escapeHtml(context.traceName ?? '(in memory)')}: ${result.jobs} jobs, policy ${escapeHtml(context.policyName ?? '(in memory)')}`,
    `pool on ${escapeHtml(run.pool)}${run.dryRun ? ' (dry run: no PATCH or batch-delete was sent; the marks show what would have been)' : ''}`,
    `the real consumer and evaluator at ${run.speed}x (1 s = ${run.speed} s of trace), evaluator every ${formatDuration(run.sweepSeconds)}${run.provisionDelaySeconds !== undefined ? `, the simulator's provisioning delay ${formatDuration(run.provisionDelaySeconds)}` : ''}`,
    `demand: ${escapeHtml(run.demand)}${dropped}${run.azCapacity !== undefined ? `; AZ capacity ${escapeHtml(run.azCapacity)}` : ''}`,
    `ran ${formatDuration(run.realSeconds)} of real time (limit ${formatDuration(run.durationLimitSeconds)}), ${formatDuration(s.horizon_s)} of trace; it stopped because ${STOPS[run.stopReason] ?? escapeHtml(run.stopReason)}${s.horizon_capped ? ', with jobs still waiting or running (counted unfinished)' : ''}`,
    `started ${escapeHtml(s.start)}`,
  ];
}

/** `report.html`: one self-contained page with inline SVG charts; it loads nothing. */
export function reportHtml(result: SimulationResult, context: SummaryContext = {}): string {
  const strategies = result.results.map((entry) => entry.strategy);
  const s = result.settings;
  const local = context.localRun;
  const heading = `${local === undefined ? 'Policy simulation' : 'Local run'}: ${escapeHtml(result.pool)}`;
  const meta = local === undefined ? simulateMeta(result, context) : localRunMeta(result, context, local);
  const sections = result.flavors.map((setup) =>
    [
      `<h2>${escapeHtml(setup.flavor)}</h2>`,
      `<p class="meta">${setup.unitsPerNode} units per node, ${setup.minCount} to ${setup.maxCount} nodes, AZs ${escapeHtml(setup.azs.join(', '))}</p>`,
      table(resultColumns('batch-deletes'), flavorRows(result, setup.flavor)),
      demandCharts(result, setup, strategies),
      azChart(result, setup),
      waitChart(
        result.waits,
        setup.flavor,
        strategies.filter((strategy) => strategy !== 'oracle'),
      ),
    ].join('\n'),
  );
  const measured =
    local === undefined
      ? 'The oracle starts every job at its submit time on nodes that appear instantly: no strategy can use fewer node-hours without making jobs wait.'
      : 'The policy row is what the real handlers did to the pool; the oracle starts every job at its submit time on nodes that appear instantly: no autoscaler can use fewer node-hours without making jobs wait.';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${heading}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${heading}</h1>
<p class="meta">${meta.join('<br>')}</p>
<p>Node-hours count every node from its request until it is gone, creating time included. ${measured} Waits of jobs that never started count until the horizon. The pool's table counts its PATCHes and scale operations (PATCHes and batch-deletes); the tables per flavor count the PATCHes and batch-deletes that changed that flavor (one PATCH may change several). Preempted jobs were killed by a node removed under them; starved jobs waited longer than the provisioning delay plus one sweep (${formatDuration(waitBoundS(s))}) while their flavor was below maxCount for the whole wait.</p>
${table(resultColumns('scale operations'), overallRows(result.results))}
${result.frontier === undefined ? '' : frontierSection(result.frontier, { oracleNodeHours: result.results.find((entry) => entry.strategy === 'oracle')?.node_hours ?? 0, colors: STRATEGY_COLORS })}
${marksLegend()}
${sections.join('\n')}
</body>
</html>
`;
}
