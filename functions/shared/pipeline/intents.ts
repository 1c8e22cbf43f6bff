/**
 * Write-ahead scale intents: a PATCH or batch-delete is recorded before it is sent and concluded with its
 * outcome; one whose outcome was never recorded (the store or the Lambda failed mid-request, or the answer was
 * lost) is reconciled by the next evaluation against the pool it reads. Plain functions over plain data.
 */
import { type Decision, type ScalerState, withScaleOf } from '../engine';
import { ModelArtsApiError, ModelArtsOutcomeUnknownError, type Pool } from '../modelarts';
import type { Activity } from '../store/activity-repository';
import type { IntentFlavor, ScaleIntent } from '../store/scaler-state-repository';
import type { EvaluationContext } from './activity-records';
import { RequestBudgetExhaustedError } from './request-budget';

/** The intent of a decision that changes the pool: its kind, and per changed flavor the sizes and nodes. */
export function intentOf(
  decision: Decision,
  context: Pick<EvaluationContext, 'correlationId' | 'trigger'>,
  openedAt: number,
): ScaleIntent {
  const kind = decision.patch !== null ? 'patch' : 'batch-delete';
  const flavors: IntentFlavor[] = decision.flavors
    .filter((flavor) => flavor.outcome === 'scale')
    .map((flavor) => ({
      flavor: flavor.flavor,
      before: sizeOf(flavor.before),
      after: sizeOf(flavor.after),
      ...(kind === 'batch-delete' && flavor.nodes !== undefined ? { nodes: [...flavor.nodes.remove] } : {}),
    }));
  return { id: context.correlationId, kind, openedAt, trigger: context.trigger, flavors };
}

function sizeOf(size: { count: number; maxCount?: number }): IntentFlavor['before'] {
  return size.maxCount === undefined ? { count: size.count } : { count: size.count, maxCount: size.maxCount };
}

/**
 * Whether a failed change may still have taken effect: its request was sent and no answer said it was refused
 * (a timeout, a dropped connection, a server error, a batch-delete whose answer was lost). A refusal (4xx, 429)
 * or a call abandoned before its first attempt changed nothing.
 */
export function outcomeUnknown(error: unknown, attempts: number): boolean {
  if (error instanceof RequestBudgetExhaustedError && attempts === 0) return false;
  if (error instanceof ModelArtsOutcomeUnknownError) return true;
  // Throttling (429, or a gateway .0308 whatever the status) is the gateway refusing before the service.
  if (error instanceof ModelArtsApiError) return error.status >= 500 && !error.throttled;
  return attempts > 0 || !(error instanceof RequestBudgetExhaustedError);
}

export type IntentVerdict = 'applied' | 'partly applied' | 'not applied';

export interface ReconciledFlavor {
  flavor: string;
  verdict: IntentVerdict;
  before: number;
  /** The count the pool shows now. */
  found: number;
  wanted: number;
}

/** What the pool shows of each flavor of an open intent. */
export function reconcileIntent(intent: ScaleIntent, pool: Pool): ReconciledFlavor[] {
  return intent.flavors.map((flavor) => {
    const entries = (pool.spec?.resources ?? []).filter((entry) => entry.flavor === flavor.flavor);
    const found = entries.reduce((sum, entry) => sum + entry.count, 0);
    const before = flavor.before.count;
    const wanted = flavor.after.count;
    const toward = Math.sign(wanted - before);
    let verdict: IntentVerdict = 'not applied';
    if (found === wanted) verdict = 'applied';
    else if (toward !== 0 && Math.sign(found - before) === toward && Math.sign(wanted - found) === toward) {
      verdict = 'partly applied';
    }
    return { flavor: flavor.flavor, verdict, before, found, wanted };
  });
}

/**
 * One record per flavor of a reconciled intent that took effect (in full or in part), under the correlation id
 * of the evaluation that sent it: the change is recorded here, once, as the change it was. A flavor the change
 * never reached gets no record (its failure is on record already); the log says so.
 */
export function reconciledActivities(
  intent: ScaleIntent,
  reconciled: readonly ReconciledFlavor[],
  context: EvaluationContext,
  latencyMs: number,
): Activity[] {
  const request = intent.kind === 'patch' ? 'PATCH' : 'batch-delete';
  const sent = new Date(intent.openedAt).toISOString();
  return reconciled
    .filter((flavor) => flavor.verdict !== 'not applied')
    .map((flavor) => {
      const nodes = intent.flavors.find((entry) => entry.flavor === flavor.flavor)?.nodes;
      const effect = flavor.verdict === 'applied' ? 'took effect' : `took effect in part: ${flavor.found}`;
      return {
        pool: context.pool,
        id: context.newId(),
        at: context.at,
        flavor: flavor.flavor,
        status: 'Successful',
        action: 'scale',
        trigger: intent.trigger,
        before: { count: flavor.before },
        after: { count: flavor.found },
        reasons: [
          `reconciled: the ${request} sent at ${sent} (${flavor.before} → ${flavor.wanted}) ${effect}; its outcome had not been recorded (found by evaluation ${context.correlationId})`,
        ],
        ...(nodes !== undefined ? { nodes } : {}),
        latencyMs,
        correlationId: intent.id,
      } satisfies Activity;
    });
}

/** The engine state with every change a reconciled intent made counted, at the time it was sent. */
export function stateWithReconciled(
  state: ScalerState,
  intent: ScaleIntent,
  reconciled: readonly ReconciledFlavor[],
): ScalerState {
  return reconciled.reduce(
    (next, flavor) =>
      flavor.verdict === 'not applied'
        ? next
        : withScaleOf(next, flavor.flavor, flavor.before, flavor.found, intent.openedAt),
    state,
  );
}
