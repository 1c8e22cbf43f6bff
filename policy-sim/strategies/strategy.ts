import type { FlavorSnapshot } from '../virtual-pool';
import type { AzCounts, FlavorSetup, StrategyName } from '../types';
import { splitOverAzs } from './az-split';

/** What a strategy may look at: the flavors it scales and the pool as it is now. */
export interface PoolView {
  readonly flavors: readonly FlavorSetup[];
  snapshot(flavor: string): FlavorSnapshot;
}

/** The outcome of one evaluation. */
export interface StrategyStep {
  /** New node counts per AZ, for the flavors that change. */
  resize: Record<string, AzCounts>;
  /** Nodes each flavor's demand asks for before the strategy's limits: the timeline's `target`. */
  desired: Record<string, number>;
  /** Whether the evaluation sent a PATCH. */
  patched: boolean;
}

export type ScaleInMode = 'patch' | 'idle-nodes';

/** An autoscaler driven by the replay: it wakes at times it chooses and when job events arrive. */
export interface ScalingStrategy {
  readonly name: StrategyName;
  /** How scale-in picks nodes: `patch` lowers the count and the service may take busy nodes; `idle-nodes` deletes only idle ones. */
  readonly scaleIn?: ScaleInMode;
  /** Nodes per flavor and AZ the pool has, available, when the trace starts. */
  readonly initialNodes: Record<string, AzCounts>;
  /** The next virtual second at which the strategy wants to evaluate; Infinity when it never will. */
  nextWakeAt(): number;
  /** Jobs were submitted, started, finished or killed at `t`. */
  onJobEvents(t: number): void;
  evaluate(t: number, view: PoolView): StrategyStep;
}

/** minCount nodes per flavor, spread over the AZs by weight: the pool as the operator created it. */
export function minimumNodes(flavors: readonly FlavorSetup[]): Record<string, AzCounts> {
  return Object.fromEntries(
    flavors.map((setup) => [setup.flavor, splitOverAzs(setup.minCount, setup.azWeights, {})]),
  );
}
