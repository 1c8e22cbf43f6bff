import type { WorkloadType } from '../functions/shared/modelarts/schemas';
import type { SimWorkloadStatus } from './workloads';

/**
 * Every change of a workload's status, in simulation-time order: what the local run and the chaos suite
 * turn into job events (submitted: `to: 'Queue'`; started: `to: 'Running'`; ended: Completed, Failed,
 * Terminated). Read it from a cursor, or listen to it.
 */
export interface WorkloadTransition {
  /** 1 for the first transition; cursors count these. */
  seq: number;
  /** Simulation time of the change (epoch ms); a start is timed when the node freed up, not when it was read. */
  at: number;
  projectId: string;
  pool: string;
  uid: string;
  name: string;
  jobName: string;
  jobUUID: string;
  type: WorkloadType;
  flavor: string;
  /** Accelerators (whole nodes on a flavor without accelerators). */
  units: number;
  /** Absent for the submission. */
  from?: SimWorkloadStatus;
  to: SimWorkloadStatus;
  reason?: string;
  /** Failed because a node under it was removed. */
  killed?: boolean;
  /** Names of the nodes it runs on (a start) or ran on (an end after running). */
  nodes?: string[];
}

export interface TransitionPage {
  transitions: WorkloadTransition[];
  /** Pass it back to read what came after. */
  cursor: number;
  /** Transitions after the given cursor that the bounded log dropped before they were read. */
  missed: number;
}

export type TransitionListener = (transition: WorkloadTransition) => void;

export class TransitionLog {
  private readonly entries: WorkloadTransition[] = [];
  private readonly listeners = new Set<TransitionListener>();
  private last = 0;

  /** Keeps the newest `limit` transitions. */
  constructor(private readonly limit: number) {}

  append(transition: Omit<WorkloadTransition, 'seq'>): void {
    const entry: WorkloadTransition = { seq: ++this.last, ...transition };
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
    for (const listener of this.listeners) {
      try {
        listener(entry);
      } catch (error) {
        // The store is mid-update: a failing listener must not leave it half done, but must not go unseen.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  since(cursor = 0): TransitionPage {
    const first = this.entries[0]?.seq ?? this.last + 1;
    // Sequence numbers are contiguous, so the position of the cursor is arithmetic.
    const transitions = this.entries.slice(Math.max(0, cursor - first + 1));
    return {
      transitions,
      cursor: Math.max(cursor, this.last),
      missed: Math.max(0, first - 1 - Math.max(0, cursor)),
    };
  }

  subscribe(listener: TransitionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
