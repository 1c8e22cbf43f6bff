import { formatNumber } from './number-format';

/** A series drawn as a step function: each point holds its value until the next point's x. */
export interface StepSeries {
  label: string;
  color: string;
  points: ReadonlyArray<readonly [number, number]>;
  /** Fill the area under the steps instead of drawing a line. */
  area?: boolean;
  /** Fill opacity of an area (default 0.25); stacked areas are drawn opaque. */
  opacity?: number;
  dashed?: boolean;
  /** Line width in px (default 1.5). */
  width?: number;
}

/** A decision drawn as a glyph in the lane above the plot, with its reason as the hover title. */
export interface ChartMark {
  x: number;
  /** Index into `markRows`: marks of one kind share a row. */
  row: number;
  glyph: 'up' | 'down' | 'cross' | 'dot';
  color: string;
  title: string;
  /** What the mark is (`patch`, `batch-delete`, `decision`): written as `data-kind`. */
  kind: string;
}

/** A shaded span of the plot with a label and a hover title: the report's explained staircases. */
export interface ChartBand {
  x0: number;
  x1: number;
  label: string;
  title: string;
}

export interface StepChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  xMax: number;
  yMax: number;
  series: readonly StepSeries[];
  /** x values are seconds: ticks at round times in the unit that fits the span, named in the x label. */
  xTime?: boolean;
  marks?: readonly ChartMark[];
  /** Row labels of the marks lane, top first. */
  markRows?: readonly string[];
  bands?: readonly ChartBand[];
  width?: number;
  height?: number;
}

const MARGIN = { left: 56, right: 12, top: 24, bottom: 40 };
const MARK_ROW_PX = 11;
/** Marks closer than this many pixels merge into one glyph whose title lists them. */
const MARK_BUCKET_PX = 4;
const TITLES_PER_GLYPH = 6;

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Round tick values: 1, 2 or 5 times a power of ten, about five per axis. */
export function niceTicks(max: number): number[] {
  if (!(max > 0)) return [0];
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough) ?? rough;
  const ticks: number[] = [];
  for (let tick = 0; tick <= max + step * 1e-9; tick += step) ticks.push(Math.round(tick * 1e6) / 1e6);
  return ticks;
}

export interface TimeAxis {
  /** The unit tick labels are written in. */
  unit: 's' | 'min' | 'h' | 'days';
  unitSeconds: number;
  /** Tick positions in seconds, from 0. */
  ticks: number[];
}

/** Units by the span they suit, each with the tick steps (seconds) that land on round values of it. */
const TIME_UNITS = [
  { unit: 's', unitSeconds: 1, upToS: 300, steps: [1, 2, 5, 10, 15, 30, 60] },
  { unit: 'min', unitSeconds: 60, upToS: 5 * 3600, steps: [60, 120, 300, 600, 900, 1800, 3600] },
  { unit: 'h', unitSeconds: 3600, upToS: 4 * 86_400, steps: [3600, 7200, 10_800, 21_600, 43_200, 86_400] },
  {
    unit: 'days',
    unitSeconds: 86_400,
    upToS: Infinity,
    steps: [86_400, 172_800, 604_800, 1_209_600, 2_592_000, 7_776_000],
  },
] as const;
const MAX_TIME_TICKS = 12;

/** Ticks at round times for a span of seconds: 7 to 13 of them where the unit's steps allow. */
export function timeAxis(spanS: number): TimeAxis {
  const span = spanS > 0 ? spanS : 1;
  const choice = TIME_UNITS.find((candidate) => span < candidate.upToS) ?? TIME_UNITS[TIME_UNITS.length - 1]!;
  const step =
    choice.steps.find((candidate) => span / candidate <= MAX_TIME_TICKS) ??
    choice.steps[choice.steps.length - 1]!;
  const ticks: number[] = [];
  for (let tick = 0; tick <= span + 1e-9; tick += step) ticks.push(tick);
  return { unit: choice.unit, unitSeconds: choice.unitSeconds, ticks };
}

const px = (value: number): string => (Math.round(value * 10) / 10).toFixed(1);

/**
 * A step path in pixel space, with every pixel column reduced to its lowest, highest and last value, so that a
 * day of second-by-second changes still draws in a few thousand segments.
 */
function stepPath(
  points: ReadonlyArray<readonly [number, number]>,
  x: (v: number) => number,
  y: (v: number) => number,
  xEnd: number,
): string {
  if (points.length === 0) return '';
  const commands: string[] = [];
  let column = Math.round(x(points[0]![0]));
  let last = y(points[0]![1]);
  let low = last;
  let high = last;
  commands.push(`M${px(x(points[0]![0]))} ${px(last)}`);
  const flush = (): void => {
    if (low !== last || high !== last) commands.push(`V${px(low)}V${px(high)}`);
    commands.push(`V${px(last)}`);
  };
  for (const [xValue, yValue] of points.slice(1)) {
    const nextColumn = Math.round(x(xValue));
    const yPixel = y(yValue);
    if (nextColumn !== column) {
      flush();
      commands.push(`H${px(x(xValue))}`);
      column = nextColumn;
      low = yPixel;
      high = yPixel;
    } else {
      low = Math.min(low, yPixel);
      high = Math.max(high, yPixel);
    }
    last = yPixel;
  }
  flush();
  commands.push(`H${px(x(xEnd))}`);
  return commands.join('');
}

function glyphPath(glyph: ChartMark['glyph'], cx: number, cy: number): string {
  const r = 4;
  if (glyph === 'up')
    return `M${px(cx - r)} ${px(cy + r)}L${px(cx + r)} ${px(cy + r)}L${px(cx)} ${px(cy - r)}Z`;
  if (glyph === 'down')
    return `M${px(cx - r)} ${px(cy - r)}L${px(cx + r)} ${px(cy - r)}L${px(cx)} ${px(cy + r)}Z`;
  if (glyph === 'cross')
    return `M${px(cx - r)} ${px(cy - r)}L${px(cx + r)} ${px(cy + r)}M${px(cx - r)} ${px(cy + r)}L${px(cx + r)} ${px(cy - r)}`;
  return `M${px(cx - 3)} ${px(cy)}a3 3 0 1 0 6 0a3 3 0 1 0 -6 0`;
}

/**
 * The marks as glyphs, those of one row and glyph within a few pixels merged into one: its `data-count` says how
 * many it stands for, its title lists the first of them.
 */
function markGlyphs(
  marks: readonly ChartMark[],
  x: (v: number) => number,
  rowY: (row: number) => number,
): string[] {
  const groups = new Map<string, ChartMark[]>();
  for (const mark of [...marks].sort((a, b) => a.x - b.x)) {
    const key = `${mark.row}|${mark.glyph}|${mark.kind}|${Math.floor(x(mark.x) / MARK_BUCKET_PX)}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [mark]);
    else group.push(mark);
  }
  const parts: string[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const cx = x(first.x);
    const titles = group.slice(0, TITLES_PER_GLYPH).map((mark) => mark.title);
    if (group.length > TITLES_PER_GLYPH) titles.push(`and ${group.length - TITLES_PER_GLYPH} more`);
    const stroke = first.glyph === 'cross' || first.glyph === 'dot';
    const paint = stroke
      ? `fill="${first.glyph === 'dot' ? '#fff' : 'none'}" stroke="${first.color}" stroke-width="1.5"`
      : `fill="${first.color}"`;
    parts.push(
      `<g class="mark" data-kind="${escapeHtml(first.kind)}" data-count="${group.length}" data-t="${formatNumber(first.x)}"><title>${escapeHtml(titles.join('\n'))}</title><path d="${glyphPath(first.glyph, cx, rowY(first.row))}" ${paint}/></g>`,
    );
  }
  return parts;
}

/** An inline SVG chart of step series with axes, ticks, a legend, and optional decision marks and bands. */
export function stepChart(options: StepChartOptions): string {
  const width = options.width ?? 900;
  const rows = options.markRows ?? [];
  const laneHeight = rows.length > 0 ? rows.length * MARK_ROW_PX + 6 : 0;
  const top = MARGIN.top + laneHeight;
  const height = (options.height ?? 220) + laneHeight;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - top - MARGIN.bottom;
  const xMax = options.xMax > 0 ? options.xMax : 1;
  const yMax = options.yMax > 0 ? options.yMax : 1;
  const x = (value: number): number => MARGIN.left + (Math.min(value, xMax) / xMax) * plotWidth;
  const y = (value: number): number => top + plotHeight - (Math.min(value, yMax) / yMax) * plotHeight;
  const axis = options.xTime === true ? timeAxis(xMax) : undefined;
  const xLabel = axis === undefined ? options.xLabel : `${options.xLabel} (${axis.unit})`;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(options.title)}">`,
  );
  parts.push(`<text x="${MARGIN.left}" y="16" class="title">${escapeHtml(options.title)}</text>`);
  // A band's label is left out where it would run into the previous one; its hover title still says it all.
  let labelsEnd = -Infinity;
  for (const band of options.bands ?? []) {
    const x0 = x(band.x0);
    const bandWidth = Math.max(2, x(band.x1) - x0);
    const labelled = x0 >= labelsEnd;
    if (labelled) labelsEnd = x0 + 3 + band.label.length * 6.5 + 4;
    const label = labelled
      ? `<text x="${px(x0 + 3)}" y="${top + 12}" class="tick">${escapeHtml(band.label)}</text>`
      : '';
    parts.push(
      `<g class="band"><title>${escapeHtml(band.title)}</title><rect x="${px(x0)}" y="${top}" width="${px(bandWidth)}" height="${px(plotHeight)}" fill="#f2c94c" fill-opacity="0.22"/>${label}</g>`,
    );
  }
  for (const tick of niceTicks(yMax)) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${px(y(tick))}" y2="${px(y(tick))}" class="grid"/>`,
      `<text x="${MARGIN.left - 6}" y="${px(y(tick) + 4)}" class="tick" text-anchor="end">${formatNumber(tick)}</text>`,
    );
  }
  const xTicks = axis === undefined ? niceTicks(xMax) : axis.ticks;
  for (const tick of xTicks) {
    const label =
      axis === undefined
        ? formatNumber(tick)
        : formatNumber(Math.round((tick / axis.unitSeconds) * 100) / 100);
    if (axis !== undefined)
      parts.push(`<line x1="${px(x(tick))}" x2="${px(x(tick))}" y1="${top}" y2="${px(y(0))}" class="grid"/>`);
    parts.push(
      `<text x="${px(x(tick))}" y="${height - MARGIN.bottom + 16}" class="tick xtick" text-anchor="middle">${label}</text>`,
    );
  }
  parts.push(
    `<text x="${MARGIN.left + plotWidth / 2}" y="${height - 6}" class="axis" text-anchor="middle">${escapeHtml(xLabel)}</text>`,
    `<text x="14" y="${top + plotHeight / 2}" class="axis" text-anchor="middle" transform="rotate(-90 14 ${top + plotHeight / 2})">${escapeHtml(options.yLabel)}</text>`,
  );
  for (const series of options.series) {
    const path = stepPath(series.points, x, y, xMax);
    if (path === '') continue;
    if (series.area === true) {
      parts.push(
        `<path d="${path}V${px(y(0))}H${px(x(series.points[0]![0]))}Z" fill="${series.color}" fill-opacity="${series.opacity ?? 0.25}" stroke="none" data-series="${escapeHtml(series.label)}"/>`,
      );
    } else {
      const dash = series.dashed === true ? ' stroke-dasharray="5 3"' : '';
      parts.push(
        `<path d="${path}" fill="none" stroke="${series.color}" stroke-width="${series.width ?? 1.5}"${dash} data-series="${escapeHtml(series.label)}"/>`,
      );
    }
  }
  const rowY = (row: number): number => MARGIN.top + 4 + row * MARK_ROW_PX;
  rows.forEach((label, row) => {
    parts.push(
      `<text x="${MARGIN.left - 6}" y="${px(rowY(row) + 3.5)}" class="tick" text-anchor="end">${escapeHtml(label)}</text>`,
    );
  });
  parts.push(...markGlyphs(options.marks ?? [], x, rowY));
  // The legend starts after the title (13 px bold, about 7.5 px a character) so the two never overlap.
  let legendX = MARGIN.left + Math.max(220, Math.ceil(options.title.length * 7.5) + 16);
  for (const series of options.series) {
    if (series.area === true) {
      parts.push(
        `<rect x="${legendX}" y="7" width="14" height="10" fill="${series.color}" fill-opacity="${Math.max(0.35, series.opacity ?? 0.25)}"/>`,
      );
    } else {
      const dash = series.dashed === true ? ' stroke-dasharray="5 3"' : '';
      parts.push(
        `<line x1="${legendX}" x2="${legendX + 14}" y1="12" y2="12" stroke="${series.color}" stroke-width="${series.width ?? 1.5}"${dash}/>`,
      );
    }
    parts.push(`<text x="${legendX + 18}" y="16" class="legend">${escapeHtml(series.label)}</text>`);
    legendX += 26 + series.label.length * 6.2;
  }
  parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${top}" y2="${px(y(0))}" class="axisline"/>`);
  parts.push(
    `<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${px(y(0))}" y2="${px(y(0))}" class="axisline"/>`,
  );
  parts.push('</svg>');
  return parts.join('\n');
}
