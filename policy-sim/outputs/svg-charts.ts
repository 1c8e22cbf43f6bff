import { formatNumber } from './number-format';

/** A series drawn as a step function: each point holds its value until the next point's x. */
export interface StepSeries {
  label: string;
  color: string;
  points: ReadonlyArray<readonly [number, number]>;
  /** Fill the area under the steps instead of drawing a line. */
  area?: boolean;
  dashed?: boolean;
}

export interface StepChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  xMax: number;
  yMax: number;
  series: readonly StepSeries[];
  width?: number;
  height?: number;
}

const MARGIN = { left: 56, right: 12, top: 24, bottom: 40 };

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

/** An inline SVG chart of step series with axes, ticks and a legend. */
export function stepChart(options: StepChartOptions): string {
  const width = options.width ?? 900;
  const height = options.height ?? 220;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const xMax = options.xMax > 0 ? options.xMax : 1;
  const yMax = options.yMax > 0 ? options.yMax : 1;
  const x = (value: number): number => MARGIN.left + (Math.min(value, xMax) / xMax) * plotWidth;
  const y = (value: number): number => MARGIN.top + plotHeight - (Math.min(value, yMax) / yMax) * plotHeight;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(options.title)}">`,
  );
  parts.push(`<text x="${MARGIN.left}" y="16" class="title">${escapeHtml(options.title)}</text>`);
  for (const tick of niceTicks(yMax)) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${px(y(tick))}" y2="${px(y(tick))}" class="grid"/>`,
      `<text x="${MARGIN.left - 6}" y="${px(y(tick) + 4)}" class="tick" text-anchor="end">${formatNumber(tick)}</text>`,
    );
  }
  for (const tick of niceTicks(xMax)) {
    parts.push(
      `<text x="${px(x(tick))}" y="${height - MARGIN.bottom + 16}" class="tick" text-anchor="middle">${formatNumber(tick)}</text>`,
    );
  }
  parts.push(
    `<text x="${MARGIN.left + plotWidth / 2}" y="${height - 6}" class="axis" text-anchor="middle">${escapeHtml(options.xLabel)}</text>`,
    `<text x="14" y="${MARGIN.top + plotHeight / 2}" class="axis" text-anchor="middle" transform="rotate(-90 14 ${MARGIN.top + plotHeight / 2})">${escapeHtml(options.yLabel)}</text>`,
  );
  for (const series of options.series) {
    const path = stepPath(series.points, x, y, xMax);
    if (path === '') continue;
    if (series.area === true) {
      parts.push(
        `<path d="${path}V${px(y(0))}H${px(x(series.points[0]![0]))}Z" fill="${series.color}" fill-opacity="0.25" stroke="none"/>`,
      );
    } else {
      const dash = series.dashed === true ? ' stroke-dasharray="4 3"' : '';
      parts.push(`<path d="${path}" fill="none" stroke="${series.color}" stroke-width="1.5"${dash}/>`);
    }
  }
  // The legend starts after the title (13 px bold, about 7.5 px a character) so the two never overlap.
  let legendX = MARGIN.left + Math.max(220, Math.ceil(options.title.length * 7.5) + 16);
  for (const series of options.series) {
    parts.push(
      `<rect x="${legendX}" y="7" width="12" height="10" fill="${series.color}"${series.area === true ? ' fill-opacity="0.35"' : ''}/>`,
      `<text x="${legendX + 16}" y="16" class="legend">${escapeHtml(series.label)}</text>`,
    );
    legendX += 24 + series.label.length * 7;
  }
  parts.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${px(y(0))}" class="axisline"/>`,
  );
  parts.push(
    `<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${px(y(0))}" y2="${px(y(0))}" class="axisline"/>`,
  );
  parts.push('</svg>');
  return parts.join('\n');
}
