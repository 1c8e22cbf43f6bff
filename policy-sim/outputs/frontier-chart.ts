import type { Frontier, FrontierPoint } from '../frontier';
import { formatNumber } from './number-format';
import { escapeHtml, niceTicks } from './svg-charts';

export interface FrontierChartOptions {
  /** The oracle's node-hours: no point can cost less without making jobs wait. */
  oracleNodeHours: number;
  /** Colour of each baseline (and of `policy`, the sweep's points). */
  colors: Readonly<Record<string, string>>;
  width?: number;
  height?: number;
}

const MARGIN = { left: 64, right: 150, top: 28, bottom: 44 };

/**
 * Node-hours shown above this multiple of the cheapest point are drawn on the top edge with their figure, so a
 * `static` pool at five times the cost does not squash the points an operator chooses between.
 */
const CLIP_MULTIPLE = 2;

const px = (value: number): string => (Math.round(value * 10) / 10).toFixed(1);

const oneDecimal = (value: number): string => formatNumber(Math.round(value * 10) / 10);

/** A sweep point by the field's last name and its value (the full field is in the title), a baseline by name. */
function shortLabel(point: FrontierPoint, field: string): string {
  if (point.value === undefined) return point.label;
  return `${field.split('.').at(-1) ?? field}=${point.value}`;
}

function pointText(point: FrontierPoint, field: string, clipped: boolean): string {
  const figures = `${oneDecimal(point.node_hours)} node-h, p95 ${formatNumber(point.wait_p95_s)} s`;
  return clipped ? `${shortLabel(point, field)} (${figures}) ↑` : shortLabel(point, field);
}

/**
 * The cost/wait frontier as an inline SVG scatter: p95 wait across, node-hours up, one labelled point per value
 * of the swept field and per baseline; the points no other beats on both (Pareto) filled and joined, the others
 * hollow; the oracle's node-hours as a dashed line.
 */
export function frontierChart(frontier: Frontier, options: FrontierChartOptions): string {
  const width = options.width ?? 900;
  const height = options.height ?? 360;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const points = frontier.points;
  const cheapest = Math.min(options.oracleNodeHours, ...points.map((p) => p.node_hours));
  const yTop = Math.max(
    cheapest * 1.05,
    ...points.map((p) => p.node_hours).filter((hours) => hours <= cheapest * CLIP_MULTIPLE),
  );
  const low = cheapest * 0.95;
  const step = niceTicks(yTop - low)[1] ?? 1;
  // Ticks on round figures: the axis starts at a multiple of the tick step.
  const yMin = Math.floor(low / step) * step;
  const yMax = yTop + (yTop - yMin) * 0.05;
  const xMax = Math.max(60, ...points.map((p) => p.wait_p95_s)) * 1.08;
  const x = (value: number): number => MARGIN.left + (value / xMax) * plotWidth;
  const y = (value: number): number =>
    MARGIN.top + plotHeight - ((Math.min(value, yMax) - yMin) / (yMax - yMin)) * plotHeight;
  const title = `cost/wait frontier: ${frontier.field} and the baselines`;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}">`,
    `<text x="${MARGIN.left}" y="16" class="title">${escapeHtml(title)}</text>`,
  ];
  for (let value = yMin; value <= yMax + step * 1e-9; value += step) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${px(y(value))}" y2="${px(y(value))}" class="grid"/>`,
      `<text x="${MARGIN.left - 6}" y="${px(y(value) + 4)}" class="tick" text-anchor="end">${formatNumber(value)}</text>`,
    );
  }
  for (const tick of niceTicks(xMax)) {
    parts.push(
      `<text x="${px(x(tick))}" y="${height - MARGIN.bottom + 16}" class="tick" text-anchor="middle">${formatNumber(tick)}</text>`,
    );
  }
  parts.push(
    `<text x="${MARGIN.left + plotWidth / 2}" y="${height - 6}" class="axis" text-anchor="middle">p95 wait (s)</text>`,
    `<text x="14" y="${MARGIN.top + plotHeight / 2}" class="axis" text-anchor="middle" transform="rotate(-90 14 ${MARGIN.top + plotHeight / 2})">node-hours</text>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${px(y(options.oracleNodeHours))}" y2="${px(y(options.oracleNodeHours))}" stroke="#9467bd" stroke-dasharray="4 3"/>`,
    `<text x="${MARGIN.left + plotWidth + 4}" y="${px(y(options.oracleNodeHours) + 4)}" class="legend">oracle ${oneDecimal(options.oracleNodeHours)}</text>`,
  );
  const pareto = points.filter((p) => p.pareto).sort((a, b) => a.wait_p95_s - b.wait_p95_s);
  if (pareto.length > 1) {
    const line = pareto.map((p) => `${px(x(p.wait_p95_s))},${px(y(p.node_hours))}`).join(' ');
    parts.push(`<polyline points="${line}" fill="none" stroke="#bbb" stroke-width="1"/>`);
  }
  // Labels of nearby points are moved down until they no longer overlap (12 px a line), top to bottom.
  const placed: Array<{ x: number; y: number }> = [];
  const labelY = (cx: number, cy: number): number => {
    let at = cy + 4;
    for (const label of [...placed].sort((a, b) => a.y - b.y))
      if (Math.abs(label.x - cx) < 140 && Math.abs(label.y - at) < 12) at = label.y + 12;
    placed.push({ x: cx, y: at });
    return at;
  };
  const ordered = [...points].sort((a, b) => b.node_hours - a.node_hours);
  for (const point of ordered) {
    const color = options.colors[point.strategy] ?? '#333';
    const clipped = point.node_hours > yMax;
    const cx = x(point.wait_p95_s);
    const cy = y(point.node_hours);
    const fill = point.pareto ? color : 'white';
    parts.push(
      `<circle cx="${px(cx)}" cy="${px(cy)}" r="4.5" fill="${fill}" stroke="${color}" stroke-width="1.5"><title>${escapeHtml(`${point.label}: ${formatNumber(point.node_hours)} node-hours (${formatNumber(point.oracle_ratio)} × oracle), p95 wait ${formatNumber(point.wait_p95_s)} s, ${point.scale_operations} scale operations, ${point.preempted_jobs} preempted`)}</title></circle>`,
      `<text x="${px(cx + 7)}" y="${px(labelY(cx, cy))}" class="legend" fill="${color}">${escapeHtml(pointText(point, frontier.field, clipped))}</text>`,
    );
  }
  parts.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" class="axisline"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight}" class="axisline"/>`,
    '</svg>',
  );
  return parts.join('\n');
}

/** The frontier as a table under the chart: every point's figures, Pareto points marked. */
export function frontierTable(frontier: Frontier): string {
  const header =
    '<tr><th>point</th><th>node-hours</th><th>× oracle</th><th>p50 wait (s)</th><th>p95</th><th>max</th><th>scale operations</th><th>preempted</th><th>unfinished</th><th>Pareto</th></tr>';
  const rows = frontier.points.map((point) => {
    const cells = [
      formatNumber(point.node_hours),
      point.oracle_ratio.toFixed(3),
      formatNumber(point.wait_p50_s),
      formatNumber(point.wait_p95_s),
      formatNumber(point.wait_max_s),
      String(point.scale_operations),
      String(point.preempted_jobs),
      String(point.unfinished_jobs),
      point.pareto ? 'yes' : '',
    ];
    return `<tr><td>${escapeHtml(point.label)}</td>${cells.map((cell) => `<td>${cell}</td>`).join('')}</tr>`;
  });
  return `<table>${header}${rows.join('')}</table>`;
}

/** The report's frontier section: the chart, the table, and what they show. */
export function frontierSection(frontier: Frontier, options: FrontierChartOptions): string {
  return [
    '<h2>Cost/wait frontier</h2>',
    `<p>The policy replayed at each value of <code>${escapeHtml(frontier.field)}</code> and every baseline, measured to one horizon. Filled points are Pareto-optimal: no other point has fewer node-hours and a shorter p95 wait together. The tables and charts below are those of the first value.</p>`,
    frontierChart(frontier, options),
    frontierTable(frontier),
  ].join('\n');
}
