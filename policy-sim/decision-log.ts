import type { DecisionMark, StrategyName } from './types';

/** A reason with its figures blanked: `stabilized: ... is 12 → 12` and `... is 9 → 9` are the same kind. */
export function reasonKind(reason: string): string {
  return reason.replace(/\d+(?:\.\d+)?/g, '#');
}

/** A decision as the strategy that took it logs it; the mark adds the strategy. */
export type DecisionEntry = Omit<DecisionMark, 'strategy'>;

/**
 * The decision marks of one strategy, in time order: every request is kept; a decision that sent nothing only
 * when its reason's kind differs from the flavor's previous decision.
 */
export class DecisionLog {
  readonly marks: DecisionMark[] = [];
  private readonly lastKind = new Map<string, string>();

  constructor(private readonly strategy: StrategyName) {}

  record(entry: DecisionEntry): void {
    const kind = reasonKind(entry.reason);
    const previous = this.lastKind.get(entry.flavor);
    this.lastKind.set(entry.flavor, kind);
    if (entry.request === 'none' && previous === kind) return;
    this.marks.push({ strategy: this.strategy, ...entry });
  }
}
