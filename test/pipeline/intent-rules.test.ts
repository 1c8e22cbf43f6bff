import { describe, expect, it } from 'vitest';
import {
  ModelArtsApiError,
  ModelArtsNetworkError,
  ModelArtsOutcomeUnknownError,
  ModelArtsTimeoutError,
  type Pool,
} from '../../functions/shared/modelarts';
import {
  outcomeUnknown,
  reconcileIntent,
  stateWithReconciled,
} from '../../functions/shared/pipeline/intents';
import { RequestBudgetExhaustedError } from '../../functions/shared/pipeline/request-budget';
import type { ScaleIntent } from '../../functions/shared/store/scaler-state-repository';
import { initialScalerState } from '../../functions/shared/engine';

const facts = { method: 'PATCH', path: '/v2/p/pools/x' };

describe('outcomeUnknown: whether a failed change may still have taken effect', () => {
  it.each<[string, unknown, number, boolean]>([
    ['no token came: never sent', new RequestBudgetExhaustedError(500), 0, false],
    ['refused with 400', new ModelArtsApiError({ ...facts, status: 400 }), 1, false],
    ['throttled with 429', new ModelArtsApiError({ ...facts, status: 429 }), 1, false],
    [
      'throttled by the gateway with 503 .0308',
      new ModelArtsApiError({ ...facts, status: 503, errorCode: 'APIGW.0308' }),
      1,
      false,
    ],
    ['a server error', new ModelArtsApiError({ ...facts, status: 500 }), 1, true],
    ['a timeout', new ModelArtsTimeoutError({ ...facts, timeoutMs: 10_000 }), 1, true],
    [
      'a dropped connection',
      new ModelArtsNetworkError({ ...facts, code: 'ECONNRESET', detail: 'reset' }),
      1,
      true,
    ],
    [
      'a batch-delete whose answer was lost',
      new ModelArtsOutcomeUnknownError(facts, new ModelArtsTimeoutError({ ...facts, timeoutMs: 1 })),
      1,
      true,
    ],
    ['the budget ran out between retries', new RequestBudgetExhaustedError(500), 2, true],
  ])('%s', (_name, error, attempts, expected) => {
    expect(outcomeUnknown(error, attempts)).toBe(expected);
  });
});

function poolWith(count: number): Pool {
  return {
    apiVersion: 'v2',
    kind: 'Pool',
    metadata: { name: 'p' },
    spec: { type: 'Dedicate', resources: [{ flavor: 'gpu', count, maxCount: count }] },
    status: { phase: 'Running' },
  } as Pool;
}

const intent = (before: number, after: number): ScaleIntent => ({
  id: 'corr-1',
  kind: 'patch',
  openedAt: 1_000,
  trigger: 'test',
  flavors: [{ flavor: 'gpu', before: { count: before }, after: { count: after } }],
});

describe('reconcileIntent: what the pool shows of an open change', () => {
  it.each<[string, ScaleIntent, number, string]>([
    ['the wanted count: applied', intent(2, 6), 6, 'applied'],
    ['still the old count: not applied', intent(2, 6), 2, 'not applied'],
    ['between the two: partly applied', intent(2, 6), 4, 'partly applied'],
    ['a scale-in that went through', intent(6, 3), 3, 'applied'],
    ['past the wanted count (another change since): not this one', intent(2, 6), 8, 'not applied'],
  ])('%s', (_name, open, count, verdict) => {
    expect(reconcileIntent(open, poolWith(count))[0]?.verdict).toBe(verdict);
  });

  it('counts what took effect in the scaling history at the time it was sent', () => {
    const open = intent(2, 6);
    const state = stateWithReconciled(initialScalerState(), open, reconcileIntent(open, poolWith(6)));
    expect(state.flavors.gpu).toMatchObject({
      lastScaleAt: 1_000,
      scaleUpEvents: [{ at: 1_000, change: 4 }],
    });
    const untouched = stateWithReconciled(initialScalerState(), open, reconcileIntent(open, poolWith(2)));
    expect(untouched.flavors.gpu).toBeUndefined();
  });
});
