import type { PoolOccupancy } from '../../functions/shared/engine';
import type { Policy } from '../../functions/shared/engine/policy';
import type { FlavorSnapshot } from '../virtual-pool';
import type { AzCounts, FlavorSetup, StrategyName } from '../types';
import { splitOverAzs } from './az-split';

/** What a strategy may look at: the flavors it scales and the pool as it is now. */
export interface PoolView {
  readonly flavors: readonly FlavorSetup[];
  snapshot(flavor: string): FlavorSnapshot;
  /** The pool's nodes and queued jobs as the engine reads them (what the nodes and workloads listings show). */
  occupancy(): PoolOccupancy;
}

/** The outcome of one evaluation. */
export interface StrategyStep {
  /** New node counts per AZ, for the flavors whose count a PATCH changes (the service picks any victims). */
  resize: Record<string, AzCounts>;
  /** Nodes removed by name (`nodes/batch-delete`). */
  removeNodes: string[];
  /** Nodes each flavor's demand asks for before the strategy's limits: the timeline's `target`. */
  desired: Record<string, number>;
  /** Count-changing requests sent (PATCHes). */
  patches: number;
  /** Batch-delete requests sent. */
  batchDeletes: number;
  /**
   * Why, per flavor: for each flavor the step changed, and for the policy also those it left alone (what held
   * them). The replay turns these into the report's decision marks.
   */
  decisions: Record<string, FlavorStepDecision>;
}

export interface FlavorStepDecision {
  /** The one line that decided the flavor's count. */
  reason: string;
  /** Requests the step sent that changed the flavor (a PATCH that changes two flavors counts for each). */
  requests: number;
}

/** How the policy's scale-in reaches the pool: the policy field `scaleIn`. */
export type ScaleInMode = Policy['scaleIn'];

/** An autoscaler driven by the replay: it wakes at times it chooses and when job events arrive. */
export interface ScalingStrategy {
  readonly name: StrategyName;
  /** Nodes per flavor and AZ the pool has, available, when the trace starts. */
  readonly initialNodes: Record<string, AzCounts>;
  /** The next virtual second at which the strategy wants to evaluate; Infinity when it never will. */
  nextWakeAt(): number;
  /** Jobs were submitted, started, finished or killed at `t`. */
  onJobEvents(t: number): void;
  evaluate(t: number, view: PoolView): StrategyStep;
}

/** An evaluation that sends nothing. */
export function emptyStep(): StrategyStep {
  return { resize: {}, removeNodes: [], desired: {}, patches: 0, batchDeletes: 0, decisions: {} };
}

/** minCount nodes per flavor, spread over the AZs by weight: the pool as the operator created it. */
export function minimumNodes(flavors: readonly FlavorSetup[]): Record<string, AzCounts> {
  return Object.fromEntries(
    flavors.map((setup) => [setup.flavor, splitOverAzs(setup.minCount, setup.azWeights, {})]),
  );
}
