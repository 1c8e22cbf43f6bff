import type { WorkloadStatistics } from '../shared/modelarts';

/** The statuses whose counts the watcher compares: the ones the demand reads (queued, admitted, running). */
export const WATCHED_STATUSES = ['Queue', 'Pending', 'Running'] as const;

/**
 * The counts of a pool's workload statistics that the demand depends on, as one comparable string:
 * `train:Queue=2,Pending=0,Running=3`, one entry per counted type in name order. A type the statistics leave
 * out has no workload; a count left out is 0.
 */
export function queueFingerprint(statistics: WorkloadStatistics, types: readonly string[]): string {
  return [...types]
    .sort()
    .map((type) => {
      const counts = statistics.statistics.items.find((item) => item.type === type)?.status ?? {};
      return `${type}:${WATCHED_STATUSES.map((status) => `${status}=${counts[status] ?? 0}`).join(',')}`;
    })
    .join(';');
}
