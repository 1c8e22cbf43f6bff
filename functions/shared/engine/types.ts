import type { Pool, PoolNodeAz, UpdatePoolRequest } from '../modelarts/schemas';
import type { KeptBecause, PoolOccupancy } from './occupancy';
import type { Policy } from './policy';
import type { ScalerState } from './state';

/** Demand of one flavor in capacity units, as the pipeline counts it from job events. */
export interface FlavorDepth {
  pendingUnits: number;
  runningUnits: number;
  /** When the counters were last updated, epoch ms. */
  updatedAt: number;
}

export interface DecisionInput {
  policy: Policy;
  /** The pool as just read with GET (spec and status). */
  pool: Pool;
  /** Depth per flavor; a flavor without an entry is treated as unknown demand (hold). */
  depth: Record<string, FlavorDepth>;
  state: ScalerState;
  /** Epoch ms: the engine reads no clock of its own. */
  now: number;
  /**
   * The pool's nodes and queued jobs, when the evaluation read them. Without it the engine decides from counts
   * and says in `needsOccupancy` when a rule (a scale-in by name, placing queued jobs by shape) wants it.
   */
  occupancy?: PoolOccupancy;
}

export type DecisionAction = 'scale' | 'none' | 'skip' | 'dry-run' | 'disabled';

/** The sizing fields of one flavor entry: the only fields the autoscaler ever changes. */
export interface FlavorSize {
  count: number;
  maxCount?: number;
  azs?: PoolNodeAz[];
}

/** What the engine wants one flavor entry to become. */
export interface FlavorTarget extends FlavorSize {
  flavor: string;
  /** Identifies the entry when several share a flavor. */
  nodePool?: string;
}

export type FlavorOutcome =
  /** The entry changes. */
  | 'scale'
  /** The rules leave the entry as it is. */
  | 'unchanged'
  /** The policy names a flavor the pool does not have: reported, never created. */
  | 'absent'
  /** The flavor cannot be handled (ambiguous entries, no legal count). */
  | 'skipped';

export interface FlavorDecision {
  flavor: string;
  outcome: FlavorOutcome;
  before: FlavorSize;
  after: FlavorSize;
  /** Nodes the demand asks for, before stabilization, rate limits and cooldown. */
  desired: number;
  /** Pending plus running units. */
  demandUnits: number;
  /** Which rule bound the result, in order. */
  reasons: string[];
  /** A scale-in by name: the nodes removed, and how many of the flavor's nodes were kept and why. */
  nodes?: FlavorNodeChoice;
}

export interface FlavorNodeChoice {
  remove: string[];
  kept: Partial<Record<KeptBecause, number>>;
}

export interface Decision {
  pool: string;
  action: DecisionAction;
  flavors: FlavorDecision[];
  /** Merge-patch body to send (or that would be sent, for `dry-run`); null when nothing changes. */
  patch: UpdatePoolRequest | null;
  /**
   * Nodes to remove with `nodes/batch-delete` (or that would be, for `dry-run`); absent when none. Never
   * together with a PATCH: one change at a time per pool.
   */
  deleteNodes?: string[];
  /**
   * Why the decision wants the pool's nodes and queued jobs it was not given (`occupancy`): decide again with
   * them. Undefined when it has what it needs.
   */
  needsOccupancy?: string;
  reasons: string[];
  /** Next scaler state once `patch` is applied (or when there is none): store it after a successful PATCH. */
  state: ScalerState;
  /** Next scaler state when the PATCH is not applied (failed, or dry run): recommendations kept, no scale recorded. */
  stateIfNotApplied: ScalerState;
  /** Epoch ms when a time-based rule (cooldown, window, schedule, back-off) next changes the outcome. */
  nextEvaluationAt?: number;
}
