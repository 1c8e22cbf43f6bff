import type { TimelineRow } from '../types';
import { formatNumber } from './number-format';

export const TIMELINE_HEADER = 't_s,strategy,flavor,az,demand_units,target,count,available,creating';

/**
 * `timeline.csv` (ARCHITECTURE 3.4). `az` = `*` rows carry the flavor's totals and its demand; AZ rows leave
 * `demand_units` empty because demand is not bound to an AZ. On AZ rows `target` is the AZ's node count in the
 * pool spec; on `*` rows it is the node count the strategy's demand rule asked for before its limits.
 */
export function timelineCsv(rows: readonly TimelineRow[]): string {
  const lines = rows.map((row) =>
    [
      formatNumber(row.tS),
      row.strategy,
      row.flavor,
      row.az,
      row.demandUnits === undefined ? '' : formatNumber(row.demandUnits),
      formatNumber(row.target),
      formatNumber(row.count),
      formatNumber(row.available),
      formatNumber(row.creating),
    ].join(','),
  );
  return `${[TIMELINE_HEADER, ...lines].join('\n')}\n`;
}
