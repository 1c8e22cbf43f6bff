import type { AzCounts, FlavorSetup } from '../types';
import { splitOverAzs } from './az-split';
import { emptyStep, type ScalingStrategy, type StrategyStep } from './strategy';

/** A pool sized once for the peak (the oracle's peak node count per flavor) and never resized. */
export class StaticStrategy implements ScalingStrategy {
  readonly name = 'static' as const;
  readonly initialNodes: Record<string, AzCounts>;

  constructor(flavors: readonly FlavorSetup[], peakNodes: Record<string, number>) {
    this.initialNodes = Object.fromEntries(
      flavors.map((setup) => [
        setup.flavor,
        splitOverAzs(Math.max(setup.minCount, peakNodes[setup.flavor] ?? 0), setup.azWeights, {}),
      ]),
    );
  }

  nextWakeAt(): number {
    return Infinity;
  }

  onJobEvents(): void {}

  evaluate(): StrategyStep {
    return emptyStep();
  }
}
