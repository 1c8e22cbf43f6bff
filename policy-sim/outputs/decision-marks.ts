import type { DecisionMark } from '../types';
import { formatDuration } from './number-format';
import type { ChartBand, ChartMark } from './svg-charts';

/** The rows of the marks lane above a demand chart, top first. */
export const MARK_ROWS = ['PATCH', 'delete', 'held'] as const;

export const MARK_COLORS = {
  up: '#2ca02c',
  down: '#d95f02',
  batchDelete: '#6a3d9a',
  held: '#555555',
} as const;

function requestWord(mark: DecisionMark): string {
  if (mark.request === 'patch') return mark.requests > 1 ? `${mark.requests} PATCHes` : 'PATCH';
  if (mark.request === 'batch-delete') return 'batch-delete';
  return 'nothing sent';
}

/** `1 h 5 min: PATCH 4 → 6 nodes: clamped to maxCount 16`. */
export function markTitle(mark: DecisionMark): string {
  const nodes =
    mark.request === 'none'
      ? `at ${mark.nodesBefore} nodes`
      : `${mark.nodesBefore} → ${mark.nodesAfter} nodes`;
  return `${formatDuration(mark.tS)}: ${requestWord(mark)} ${nodes}: ${mark.reason}`;
}

/** The strategy's decisions for one flavor as glyphs: PATCHes up or down, batch-deletes, and holds. */
export function chartMarks(marks: readonly DecisionMark[]): ChartMark[] {
  return marks.map((mark) => {
    const base = { x: mark.tS, title: markTitle(mark) };
    if (mark.request === 'patch') {
      const down = mark.nodesAfter < mark.nodesBefore;
      return {
        ...base,
        row: 0,
        glyph: down ? 'down' : 'up',
        color: down ? MARK_COLORS.down : MARK_COLORS.up,
        kind: 'patch',
      };
    }
    if (mark.request === 'batch-delete') {
      return { ...base, row: 1, glyph: 'cross', color: MARK_COLORS.batchDelete, kind: 'batch-delete' };
    }
    return { ...base, row: 2, glyph: 'dot', color: MARK_COLORS.held, kind: 'decision' };
  });
}

/** A run of scale-downs one after the other, and what the decisions said drew it out. */
export interface Staircase {
  startS: number;
  endS: number;
  fromNodes: number;
  toNodes: number;
  steps: number;
  explanation: string;
}

/** At least this many scale-downs in a row make a staircase worth explaining. */
export const STAIRCASE_MIN_STEPS = 3;
/** Scale-downs further apart than this belong to different staircases. */
const STAIRCASE_MAX_GAP_S = 1800;

const WINDOW = /stabilized: highest recommendation in last (\d+) s/;
const RATE = /scale-down limited by policy (.+?) →/;
const DISABLED = /scale-down disabled by policy/;
const HPA_BEHAVIOR = /default behavior/;

function explain(reasons: readonly string[]): string | undefined {
  const window = reasons.map((reason) => WINDOW.exec(reason)?.[1]).find((seconds) => seconds !== undefined);
  const rate = reasons.map((reason) => RATE.exec(reason)?.[1]).find((rule) => rule !== undefined);
  const parts: string[] = [];
  if (window !== undefined) {
    parts.push(
      `the scale-down stabilization window (${window} s) kept the count at the highest recommendation of its last ${window} s, so each drop in demand reached the pool only once it had left the window`,
    );
  }
  if (rate !== undefined) parts.push(`the rate policy ${rate} removed at most that much per period`);
  if (reasons.some((reason) => DISABLED.test(reason)))
    parts.push('scale-down was disabled by the policy for part of it');
  if (parts.length === 0 && reasons.some((reason) => HPA_BEHAVIOR.test(reason))) {
    parts.push(`the HPA's default scale-down behavior (a 300 s stabilization window) released each step`);
  }
  return parts.length === 0 ? undefined : parts.join('; ');
}

/**
 * Runs of at least three scale-downs with no scale-up between them, each within 30 min of the last, whose
 * reasons name the stabilization window or a rate policy (what draws a drop in demand out into steps). A run
 * starts at the hold that preceded its first step, when the decision before it held the count for that reason.
 */
export function staircases(marks: readonly DecisionMark[]): Staircase[] {
  const found: Staircase[] = [];
  let run: DecisionMark[] = [];
  let lead: DecisionMark | undefined;
  let previous: DecisionMark | undefined;
  const close = (): void => {
    if (run.length >= STAIRCASE_MIN_STEPS) {
      const reasons = [...(lead === undefined ? [] : [lead.reason]), ...run.map((mark) => mark.reason)];
      const explanation = explain(reasons);
      if (explanation !== undefined) {
        found.push({
          startS: lead?.tS ?? run[0]!.tS,
          endS: run[run.length - 1]!.tS,
          fromNodes: run[0]!.nodesBefore,
          toNodes: run[run.length - 1]!.nodesAfter,
          steps: run.length,
          explanation,
        });
      }
    }
    run = [];
    lead = undefined;
  };
  for (const mark of marks) {
    const down = mark.request !== 'none' && mark.nodesAfter < mark.nodesBefore;
    const up = mark.request !== 'none' && mark.nodesAfter > mark.nodesBefore;
    if (down) {
      const last = run[run.length - 1];
      if (last !== undefined && mark.tS - last.tS > STAIRCASE_MAX_GAP_S) close();
      if (run.length === 0 && previous?.request === 'none' && explain([previous.reason]) !== undefined)
        lead = previous;
      run.push(mark);
    } else if (up) close();
    previous = mark;
  }
  close();
  return found;
}

/** `12 → 2 nodes in 10 steps from 1 h 5 min to 1 h 40 min: ...`. */
export function staircaseText(staircase: Staircase): string {
  return `${staircase.fromNodes} → ${staircase.toNodes} nodes in ${staircase.steps} steps from ${formatDuration(staircase.startS)} to ${formatDuration(staircase.endS)}: ${staircase.explanation}.`;
}

export function staircaseBands(found: readonly Staircase[]): ChartBand[] {
  return found.map((staircase, index) => ({
    x0: staircase.startS,
    x1: staircase.endS,
    label: String(index + 1),
    title: `staircase ${index + 1}: ${staircaseText(staircase)}`,
  }));
}
