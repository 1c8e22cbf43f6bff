import type { StrategyName, TimelineRow } from './types';

/** Collects timeline rows, keeping a row only when one of its values changed since the last row of its key. */
export class TimelineRecorder {
  readonly rows: TimelineRow[] = [];
  private readonly last = new Map<string, Map<string, TimelineRow>>();

  constructor(private readonly strategy: StrategyName) {}

  record(row: Omit<TimelineRow, 'strategy'>): void {
    let byAz = this.last.get(row.flavor);
    if (byAz === undefined) {
      byAz = new Map();
      this.last.set(row.flavor, byAz);
    }
    const previous = byAz.get(row.az);
    if (
      previous !== undefined &&
      previous.demandUnits === row.demandUnits &&
      previous.target === row.target &&
      previous.count === row.count &&
      previous.available === row.available &&
      previous.creating === row.creating
    ) {
      return;
    }
    const full: TimelineRow = { strategy: this.strategy, ...row };
    byAz.set(row.az, full);
    this.rows.push(full);
  }
}
