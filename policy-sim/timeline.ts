import type { StrategyName, TimelineRow } from './types';

/** Collects timeline rows, keeping a row only when one of its values changed since the last row of its key. */
export class TimelineRecorder {
  readonly rows: TimelineRow[] = [];
  private readonly last = new Map<string, string>();

  constructor(private readonly strategy: StrategyName) {}

  record(row: Omit<TimelineRow, 'strategy'>): void {
    const key = `${row.flavor}\u0000${row.az}`;
    const values = `${row.demandUnits ?? ''},${row.target},${row.count},${row.available},${row.creating}`;
    if (this.last.get(key) === values) return;
    this.last.set(key, values);
    this.rows.push({ strategy: this.strategy, ...row });
  }
}
