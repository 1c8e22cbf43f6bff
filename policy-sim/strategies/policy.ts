import {
  decide,
  initialScalerState,
  type Decision,
  type DecisionInput,
  type Policy,
  type ScalerState,
} from '../../functions/shared/engine';
import { decidingReason } from '../../bin/commands/deciding-reason';
import type { AzCounts, FlavorSetup } from '../types';
import { splitOverAzs } from './az-split';
import { poolDocument } from './pool-document';
import {
  emptyStep,
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
  /** Replaces the policy's `scaleIn` for a what-if; the policy's own field when left out. */
  scaleIn?: ScaleInMode;
}

/**
 * The real engine, called the way the Lambdas call it: the evaluator's sweep every `sweepSeconds`, and one
 * re-evaluation shortly after job events (events arriving before it are folded into it, as one `pool.evaluate`
 * message covers a batch). Each call gets the pool as GET would return it, fresh depth (the pipeline keeps it
 * current), and the state the previous call returned. When the decision asks for the nodes and queued jobs
 * (`needsOccupancy`: a scale-in by name, queued jobs to place by shape), the evaluation reads them and decides
 * again, as functions/shared/pipeline/evaluate-pool.ts does. Its PATCH or its batch-delete is applied to the
 * simulated pool.
 */
export class PolicyStrategy implements ScalingStrategy {
  readonly name = 'policy' as const;
  readonly initialNodes: Record<string, AzCounts>;
  private readonly policy: Policy;
  private state: ScalerState = initialScalerState();
  private nextSweep = 0;
  private eventEvaluationAt: number | undefined;

  constructor(private readonly options: PolicyStrategyOptions) {
    if (!(options.eventLatencySeconds > 0)) throw new RangeError('eventLatencySeconds must be above 0');
    if (!(options.sweepSeconds > 0)) throw new RangeError('sweepSeconds must be above 0');
    this.initialNodes = minimumNodes(options.flavors);
    this.policy =
      options.scaleIn === undefined ? options.policy : { ...options.policy, scaleIn: options.scaleIn };
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

    const decision = this.decide(t, view);
    // As the evaluator stores it: `state` once the change is sent, or when there is none to send.
    this.state = decision.state;

    const step = emptyStep();
    const scaling = decision.action === 'scale';
    for (const flavorDecision of decision.flavors) {
      step.desired[flavorDecision.flavor] = flavorDecision.desired;
      step.decisions[flavorDecision.flavor] = {
        reason: decidingReason([...decision.reasons, ...flavorDecision.reasons]),
        requests: scaling && flavorDecision.outcome === 'scale' ? 1 : 0,
      };
    }
    if (!scaling) return step;
    if (decision.patch !== null) {
      step.resize = this.resizes(decision, view);
      step.patches = 1;
    } else if (decision.deleteNodes !== undefined && decision.deleteNodes.length > 0) {
      step.removeNodes = [...decision.deleteNodes];
      step.batchDeletes = 1;
    }
    return step;
  }

  /** Decides from the pool's counts, and again with its nodes and queued jobs when the decision wants them. */
  private decide(t: number, view: PoolView): Decision {
    const { flavors, startEpochMs } = this.options;
    const now = startEpochMs + Math.round(t * 1000);
    const depth = Object.fromEntries(
      flavors.map((setup) => {
        const snapshot = view.snapshot(setup.flavor);
        return [
          setup.flavor,
          { pendingUnits: snapshot.pendingUnits, runningUnits: snapshot.runningUnits, updatedAt: now },
        ];
      }),
    );
    const input: DecisionInput = {
      policy: this.policy,
      pool: poolDocument(this.policy.pool, flavors, view),
      depth,
      state: this.state,
      now,
    };
    const first = decide(input);
    if (first.needsOccupancy === undefined) return first;
    return decide({ ...input, occupancy: view.occupancy() });
  }

  /** The PATCH's node counts per flavor and AZ; AZs the PATCH leaves out of `azs` lose their nodes. */
  private resizes(decision: Decision, view: PoolView): Record<string, AzCounts> {
    const resize: Record<string, AzCounts> = {};
    for (const resource of decision.patch?.spec?.resources ?? []) {
      const setup = this.options.flavors.find((candidate) => candidate.flavor === resource.flavor);
      if (setup === undefined) continue;
      const current = view.snapshot(setup.flavor).nodes;
      const target: AzCounts =
        resource.azs !== undefined && resource.azs.length > 0
          ? Object.fromEntries(resource.azs.map((az) => [az.az, az.count]))
          : splitOverAzs(resource.count, setup.azWeights, current);
      for (const az of Object.keys(current)) target[az] ??= 0;
      resize[setup.flavor] = target;
    }
    return resize;
  }
}
