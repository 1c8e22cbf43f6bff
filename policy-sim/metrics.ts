import type { JobOutcome, TimelineRow, WaitStats } from './types';

/** Rounds to milliseconds so that summaries print the same digits on every platform. */
export function roundFigure(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Nearest-rank percentile of ascending values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function waitStats(waits: readonly number[]): WaitStats {
  const sorted = [...waits].sort((a, b) => a - b);
  const mean = sorted.length === 0 ? 0 : sorted.reduce((sum, wait) => sum + wait, 0) / sorted.length;
  return {
    mean: roundFigure(mean),
    p50: roundFigure(percentile(sorted, 50)),
    p95: roundFigure(percentile(sorted, 95)),
    p99: roundFigure(percentile(sorted, 99)),
    max: roundFigure(sorted[sorted.length - 1] ?? 0),
  };
}

/**
 * Seconds each job waited from submit to its first start. A job that never started counts as waiting until the
 * horizon: a lower bound, so a strategy that starves jobs cannot look better than one that runs them late.
 */
export function jobWaits(outcomes: readonly JobOutcome[], horizonS: number): number[] {
  return outcomes.map((outcome) => (outcome.startS ?? horizonS) - outcome.job.submitS);
}

export function unfinishedJobs(outcomes: readonly JobOutcome[]): number {
  return outcomes.filter((outcome) => outcome.finishS === undefined).length;
}

/**
 * Counts reversals of one flavor (ARCHITECTURE 3.4): a scale-down followed by a scale-up, or the reverse,
 * within the window (the policy's scale-down stabilization).
 */
export class ReversalCounter {
  private last: { tS: number; direction: 1 | -1 } | undefined;
  count = 0;

  constructor(private readonly windowS: number) {}

  record(tS: number, before: number, after: number): void {
    if (after === before) return;
    const direction = after > before ? 1 : -1;
    if (this.last !== undefined && this.last.direction !== direction && tS - this.last.tS <= this.windowS) {
      this.count++;
    }
    this.last = { tS, direction };
  }
}

/** Instants [from, to) during which a flavor had at least `maxCount` nodes (creating ones included). */
export function periodsAtMaxCount(
  rows: readonly TimelineRow[],
  maxCount: number,
): Array<{ from: number; to: number }> {
  const periods: Array<{ from: number; to: number }> = [];
  let since: number | undefined;
  for (const row of rows) {
    if (row.count >= maxCount) since ??= row.tS;
    else if (since !== undefined) {
      if (row.tS > since) periods.push({ from: since, to: row.tS });
      since = undefined;
    }
  }
  if (since !== undefined) periods.push({ from: since, to: Infinity });
  return periods;
}

/**
 * Jobs that waited longer than `boundS` while their flavor stayed below maxCount for the whole wait: a node they
 * needed was not asked for in time (the promise "never let a job starve for lack of a node it should have asked
 * for"). A job that never started waits until the horizon. `atMax` comes from `periodsAtMaxCount`.
 */
export function starvedJobs(
  outcomes: readonly JobOutcome[],
  atMax: ReadonlyArray<{ from: number; to: number }>,
  boundS: number,
  horizonS: number,
): number {
  return outcomes.filter((outcome) => {
    const from = outcome.job.submitS;
    const until = outcome.startS ?? horizonS;
    if (until - from <= boundS + 1e-9) return false;
    // The first period still running at the submit time is the only one that can overlap the wait.
    let low = 0;
    let high = atMax.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (atMax[mid]!.to <= from) low = mid + 1;
      else high = mid;
    }
    const period = atMax[low];
    return period === undefined || period.from > until;
  }).length;
}
