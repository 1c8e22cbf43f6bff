import { decide, initialScalerState, type Policy, type ScalerState } from '../../functions/shared/engine';
import type { AzCounts, FlavorSetup } from '../types';
import { splitOverAzs } from './az-split';
import { poolDocument } from './pool-document';
import {
  minimumNodes,
  type PoolView,
  type ScaleInMode,
  type ScalingStrategy,
  type StrategyStep,
} from './strategy';

export interface PolicyStrategyOptions {
  policy: Policy;
  flavors: readonly FlavorSetup[];
  /** The evaluator's schedule. */
  sweepSeconds: number;
  /** From a job event to the evaluation it triggers (queue, consumer, fan-out): must be above 0. */
  eventLatencySeconds: number;
  /** Epoch ms of the trace's second 0, so that schedules in the policy see a real date. */
  startEpochMs: number;
  /** `idle-nodes`: replay scale-in as deletions of chosen idle nodes (what-if; default `patch`). */
  scaleIn?: ScaleInMode;
}

/**
 * The real engine, called the way the Lambdas call it: the evaluator's sweep every `sweepSeconds`, and one
 * re-evaluation shortly after job events (events arriving before it are folded into it, as one `pool.evaluate`
 * message covers a batch). Each call gets the pool as GET would return it, fresh depth (the pipeline keeps it
 * current), and the state the previous call returned; its PATCH is applied to the simulated pool.
 */
export class PolicyStrategy implements ScalingStrategy {
  readonly name = 'policy' as const;
  readonly initialNodes: Record<string, AzCounts>;
  readonly scaleIn: ScaleInMode;
  private state: ScalerState = initialScalerState();
  private nextSweep = 0;
  private eventEvaluationAt: number | undefined;

  constructor(private readonly options: PolicyStrategyOptions) {
    if (!(options.eventLatencySeconds > 0)) throw new RangeError('eventLatencySeconds must be above 0');
    if (!(options.sweepSeconds > 0)) throw new RangeError('sweepSeconds must be above 0');
    this.initialNodes = minimumNodes(options.flavors);
    this.scaleIn = options.scaleIn ?? 'patch';
  }

  nextWakeAt(): number {
    return Math.min(this.nextSweep, this.eventEvaluationAt ?? Infinity);
  }

  onJobEvents(t: number): void {
    this.eventEvaluationAt ??= t + this.options.eventLatencySeconds;
  }

  evaluate(t: number, view: PoolView): StrategyStep {
    while (this.nextSweep <= t) this.nextSweep += this.options.sweepSeconds;
    if (this.eventEvaluationAt !== undefined && this.eventEvaluationAt <= t)
      this.eventEvaluationAt = undefined;

    const { policy, flavors, startEpochMs } = this.options;
    const now = startEpochMs + Math.round(t * 1000);
    const pool = poolDocument(policy.pool, flavors, view);
    const depth = Object.fromEntries(
      flavors.map((setup) => {
        const snapshot = view.snapshot(setup.flavor);
        return [
          setup.flavor,
          { pendingUnits: snapshot.pendingUnits, runningUnits: snapshot.runningUnits, updatedAt: now },
        ];
      }),
    );
    const decision = decide({ policy, pool, depth, state: this.state, now });
    const applied = decision.action === 'scale' && decision.patch !== null;
    // As the evaluator stores it: `state` after a PATCH or when there is none, the other when a PATCH is not sent.
    this.state = applied || decision.patch === null ? decision.state : decision.stateIfNotApplied;

    const step: StrategyStep = { resize: {}, desired: {}, patched: applied };
    for (const flavorDecision of decision.flavors)
      step.desired[flavorDecision.flavor] = flavorDecision.desired;
    if (!applied) return step;
    for (const resource of decision.patch?.spec?.resources ?? []) {
      const setup = flavors.find((candidate) => candidate.flavor === resource.flavor);
      if (setup === undefined) continue;
      const current = view.snapshot(setup.flavor).nodes;
      const target: AzCounts =
        resource.azs !== undefined && resource.azs.length > 0
          ? Object.fromEntries(resource.azs.map((az) => [az.az, az.count]))
          : splitOverAzs(resource.count, setup.azWeights, current);
      // AZs the patch leaves out of `azs` lose their nodes.
      for (const az of Object.keys(current)) target[az] ??= 0;
      step.resize[setup.flavor] = target;
    }
    return step;
  }
}
