import type { JobEvent, JobEventType } from '../functions/shared/events';
import type { SimWorkloadStatus, WorkloadTransition } from '../simulator';

/** The job event each workload status change stands for: what a cluster's job controller would emit. */
const EVENT_TYPES: Record<SimWorkloadStatus, JobEventType> = {
  Queue: 'job.submitted',
  Running: 'job.started',
  Completed: 'job.finished',
  Failed: 'job.failed',
  Terminated: 'job.cancelled',
};

/**
 * The job event of one workload transition, timed when the simulator made the change. The local run and the
 * chaos suite both derive their events this way, so the queue only ever says what the simulator did.
 */
export function jobEventOf(
  transition: WorkloadTransition,
  names: { pool?: string; jobId?: string } = {},
): JobEvent {
  return {
    type: EVENT_TYPES[transition.to],
    pool: names.pool ?? transition.pool,
    flavor: transition.flavor,
    jobId: names.jobId ?? transition.uid,
    units: transition.units,
    at: new Date(transition.at).toISOString(),
  };
}
