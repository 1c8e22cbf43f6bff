import type { JobEventType } from '../events';

/** A job's recorded state; `none` means no event for the job has been seen yet. */
export type JobState = 'none' | 'submitted' | 'started' | 'finished' | 'failed' | 'cancelled';

export const TERMINAL_JOB_STATES: readonly JobState[] = ['finished', 'failed', 'cancelled'];

const RANK: Record<JobState, number> = {
  none: 0,
  submitted: 1,
  started: 2,
  finished: 3,
  failed: 3,
  cancelled: 3,
};

export function jobStateOf(type: JobEventType): JobState {
  return type.slice('job.'.length) as JobState;
}

export interface CounterDelta {
  pendingUnits: number;
  runningUnits: number;
}

export interface JobTransition {
  from: JobState;
  to: JobState;
  delta: CounterDelta;
}

function contribution(state: JobState, units: number): CounterDelta {
  if (state === 'submitted') return { pendingUnits: units, runningUnits: 0 };
  if (state === 'started') return { pendingUnits: 0, runningUnits: units };
  return { pendingUnits: 0, runningUnits: 0 };
}

/**
 * The transition an event causes, or null when it changes nothing. States only move forward
 * (submitted → started → finished|failed|cancelled, any earlier state → a terminal one), so the final state is
 * the furthest event seen, whatever order the events came in; duplicates and late events change nothing.
 * The counters then hold, per flavor, the units of jobs submitted-but-not-started and started-but-not-ended.
 */
export function jobTransition(from: JobState, to: JobState, units: number): JobTransition | null {
  if (RANK[to] <= RANK[from]) return null;
  const before = contribution(from, units);
  const after = contribution(to, units);
  return {
    from,
    to,
    delta: {
      pendingUnits: after.pendingUnits - before.pendingUnits,
      runningUnits: after.runningUnits - before.runningUnits,
    },
  };
}
