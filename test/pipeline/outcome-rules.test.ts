import { describe, expect, it } from 'vitest';
import {
  type Decision,
  type FlavorDecision,
  PolicyValidationError,
  type ScalerState,
} from '../../functions/shared/engine';
import {
  type AttemptInfo,
  ModelArtsApiError,
  ModelArtsNetworkError,
  ModelArtsTimeoutError,
} from '../../functions/shared/modelarts';
import type { EvaluationContext } from '../../functions/shared/pipeline/activity-records';
import {
  type ActionOutcome,
  type EvaluationOutcome,
  type OutcomeFacts,
  evaluationStatus,
  failureBackoffUntil,
  isThrottled,
  outcomeActivities,
  recordOutcome,
  stateUpdate,
} from '../../functions/shared/pipeline/outcome-rules';
import { RequestBudgetExhaustedError } from '../../functions/shared/pipeline/request-budget';

const NOW = Math.floor(Date.now() / 3_600_000) * 3_600_000;
const GPU = 'modelarts.vm.gpu.8v100';
const NPU = 'modelarts.vm.npu.910b';
const PATH = '/v2/p1/pools/pool-a';

/** Three engine states, told apart by a marker flavor: what the lease returned, the decided one, the fallback. */
const stateMarked = (marker: string): ScalerState =>
  ({ version: 1, flavors: { [marker]: {} } }) as ScalerState;
const KEPT = stateMarked('kept');
const APPLIED = stateMarked('applied');
const NOT_APPLIED = stateMarked('not-applied');

const SETTINGS = { failureBackoffBaseMs: 15_000, failureBackoffMaxMs: 900_000 };
/** Two failures so far, backing off until 5 s from now. */
const FACTS: OutcomeFacts = {
  record: { engineState: KEPT, failures: 2, backoffUntil: NOW + 5_000 },
  now: NOW,
  latencyMs: 42,
  settings: SETTINGS,
};
/** The third failure: 15 s × 2². */
const THIRD_FAILURE = { failures: 3, backoffUntil: NOW + 60_000, nextEvaluationAt: NOW + 60_000 };

const CONTEXT: EvaluationContext = {
  pool: 'pool-a',
  at: new Date(NOW).toISOString(),
  correlationId: 'c-1',
  trigger: 'test',
  newId: () => 'id',
};

function flavor(
  name: string,
  outcome: FlavorDecision['outcome'],
  before: number,
  after: number,
): FlavorDecision {
  return {
    flavor: name,
    outcome,
    before: { count: before },
    after: { count: after },
    desired: after,
    demandUnits: after * 8,
    reasons: [`${name}: ${outcome}`],
  };
}

function decision(action: Decision['action'], scaled: boolean): Decision {
  return {
    pool: 'pool-a',
    action,
    flavors: [flavor(GPU, scaled ? 'scale' : 'unchanged', 2, scaled ? 3 : 2), flavor(NPU, 'unchanged', 1, 1)],
    patch: scaled ? { spec: { resources: [] } } : null,
    reasons: ['demand 24 units'],
    state: APPLIED,
    stateIfNotApplied: NOT_APPLIED,
    nextEvaluationAt: NOW + 30_000,
  };
}

const SCALE = decision('scale', true);
const STEADY = decision('none', false);

function attempt(status: number | undefined, outcome: AttemptInfo['outcome'], error?: string): AttemptInfo {
  return {
    method: 'PATCH',
    path: PATH,
    attempt: 1,
    status,
    latencyMs: 5,
    outcome,
    ...(error ? { error } : {}),
  };
}

const apiError = (status: number, errorCode?: string) =>
  new ModelArtsApiError({ method: 'PATCH', path: PATH, status, ...(errorCode ? { errorCode } : {}) });
const THROTTLED_429 = apiError(429, 'APIGW.0308');
const SERVER_500 = apiError(500, 'ModelArts.50005000');
const GATEWAY_0308_503 = apiError(503, 'APIGW.0308');
const NO_TOKEN = new RequestBudgetExhaustedError(400);
const TIMEOUT = new ModelArtsTimeoutError({ method: 'GET', path: PATH, timeoutMs: 10_000 });
const INVALID = new PolicyValidationError([{ field: `flavors.${GPU}.minCount`, message: 'above maxCount' }]);

/** Three attempts: throttled, then a server error, retried, then the last one failed. */
const RETRIED = [attempt(429, 'retry', 'ModelArtsApiError'), attempt(500, 'retry'), attempt(500, 'failure')];
const decided = (action: ActionOutcome, made: Decision = SCALE): EvaluationOutcome => ({
  kind: 'decided',
  decision: made,
  action,
});
const getFailed = (error: unknown, attempts: AttemptInfo[]): EvaluationOutcome => ({
  kind: 'get-failed',
  error,
  attempts,
});
const patchFailed = (error: unknown, attempts: AttemptInfo[]): EvaluationOutcome =>
  decided({ kind: 'patch-failed', error, latencyMs: 12, attempts });
const patched = (mismatch?: string): EvaluationOutcome =>
  decided({
    kind: 'patched',
    latencyMs: 12,
    attempts: [attempt(429, 'retry'), attempt(200, 'success')],
    ...(mismatch !== undefined ? { mismatch } : {}),
  });

describe('isThrottled', () => {
  it.each([
    { name: 'HTTP 429 with the gateway code', error: THROTTLED_429, throttled: true },
    { name: 'HTTP 429 without a code', error: apiError(429), throttled: true },
    { name: 'no token from the shared bucket', error: NO_TOKEN, throttled: true },
    { name: 'gateway 0308 with HTTP 503', error: GATEWAY_0308_503, throttled: true },
    { name: 'gateway 0308 with HTTP 403', error: apiError(403, 'APIG.0308'), throttled: true },
    { name: 'HTTP 500', error: SERVER_500, throttled: false },
    {
      name: 'HTTP 503 from the gateway (not throttling)',
      error: apiError(503, 'APIGW.0201'),
      throttled: false,
    },
    { name: 'a timeout', error: TIMEOUT, throttled: false },
    {
      name: 'a dropped connection',
      error: new ModelArtsNetworkError({ method: 'GET', path: PATH, detail: 'ECONNRESET' }),
      throttled: false,
    },
    { name: 'any other error', error: new Error('boom'), throttled: false },
  ])('$name: $throttled', ({ error, throttled }) => {
    expect(isThrottled(error)).toBe(throttled);
  });
});

describe('evaluationStatus', () => {
  it.each<{ name: string; outcome: EvaluationOutcome; status: string }>([
    { name: 'invalid policy', outcome: { kind: 'invalid-policy', error: INVALID }, status: 'Invalid' },
    { name: 'policy disabled', outcome: { kind: 'disabled' }, status: 'Skipped' },
    { name: 'backing off', outcome: { kind: 'backing-off' }, status: 'Skipped' },
    { name: 'no endpoint', outcome: { kind: 'no-endpoint' }, status: 'Invalid' },
    {
      name: 'GET without a token',
      outcome: getFailed(NO_TOKEN, []),
      status: 'Throttled',
    },
    {
      name: 'GET still throttled after its retries',
      outcome: getFailed(THROTTLED_429, RETRIED),
      status: 'Throttled',
    },
    {
      name: 'GET throttled by the gateway with HTTP 503',
      outcome: getFailed(GATEWAY_0308_503, RETRIED),
      status: 'Throttled',
    },
    {
      name: 'GET failed',
      outcome: getFailed(SERVER_500, RETRIED),
      status: 'Failed',
    },
    {
      name: 'GET timed out',
      outcome: getFailed(TIMEOUT, RETRIED),
      status: 'Failed',
    },
    {
      name: 'decision failed',
      outcome: { kind: 'decision-failed', error: new Error('no entry') },
      status: 'Failed',
    },
    { name: 'nothing to change', outcome: decided({ kind: 'none' }, STEADY), status: 'NoChange' },
    {
      name: 'engine skipped the pool',
      outcome: decided({ kind: 'none' }, decision('skip', false)),
      status: 'Skipped',
    },
    {
      name: 'engine saw the policy disabled',
      outcome: decided({ kind: 'none' }, decision('disabled', false)),
      status: 'Skipped',
    },
    { name: 'dry run', outcome: decided({ kind: 'dry-run' }, decision('dry-run', true)), status: 'DryRun' },
    { name: 'PATCH confirmed', outcome: patched(), status: 'Successful' },
    { name: 'PATCH answered without the change', outcome: patched('count 2, expected 3'), status: 'Failed' },
    { name: 'PATCH without a token', outcome: patchFailed(NO_TOKEN, []), status: 'Throttled' },
    {
      name: 'PATCH retry without a token',
      outcome: patchFailed(NO_TOKEN, [attempt(500, 'retry')]),
      status: 'Throttled',
    },
    {
      name: 'PATCH still throttled after its retries',
      outcome: patchFailed(THROTTLED_429, RETRIED),
      status: 'Throttled',
    },
    {
      name: 'PATCH throttled by the gateway with HTTP 503',
      outcome: patchFailed(GATEWAY_0308_503, RETRIED),
      status: 'Throttled',
    },
    { name: 'PATCH failed', outcome: patchFailed(SERVER_500, RETRIED), status: 'Failed' },
  ])('$name: $status', ({ outcome, status }) => {
    expect(evaluationStatus(outcome)).toBe(status);
  });
});

describe('stateUpdate', () => {
  const kept = { engineState: KEPT, failures: 2, backoffUntil: NOW + 5_000 };
  it.each<{ name: string; outcome: EvaluationOutcome; update: Record<string, unknown> }>([
    {
      name: 'invalid policy keeps everything',
      outcome: { kind: 'invalid-policy', error: INVALID },
      update: kept,
    },
    { name: 'policy disabled keeps everything', outcome: { kind: 'disabled' }, update: kept },
    {
      name: 'backing off comes back when the back-off ends',
      outcome: { kind: 'backing-off' },
      update: { ...kept, nextEvaluationAt: NOW + 5_000 },
    },
    { name: 'no endpoint keeps everything', outcome: { kind: 'no-endpoint' }, update: kept },
    {
      name: 'GET without a token comes back after at least a second',
      outcome: getFailed(NO_TOKEN, []),
      update: { ...kept, nextEvaluationAt: NOW + 1_000 },
    },
    {
      name: 'GET without a token comes back when the bucket says',
      outcome: getFailed(new RequestBudgetExhaustedError(2_500), []),
      update: { ...kept, nextEvaluationAt: NOW + 2_500 },
    },
    {
      name: 'GET failed extends the back-off',
      outcome: getFailed(SERVER_500, RETRIED),
      update: { ...kept, ...THIRD_FAILURE },
    },
    {
      name: 'GET throttled after its retries extends the back-off',
      outcome: getFailed(THROTTLED_429, RETRIED),
      update: { ...kept, ...THIRD_FAILURE },
    },
    {
      name: 'decision failed extends the back-off',
      outcome: { kind: 'decision-failed', error: new Error('no entry') },
      update: { ...kept, ...THIRD_FAILURE },
    },
    {
      name: 'nothing to change keeps the decided state',
      outcome: decided({ kind: 'none' }, STEADY),
      update: { ...kept, engineState: APPLIED, nextEvaluationAt: NOW + 30_000 },
    },
    {
      name: 'dry run keeps the state as if not applied',
      outcome: decided({ kind: 'dry-run' }, decision('dry-run', true)),
      update: { ...kept, engineState: NOT_APPLIED, nextEvaluationAt: NOW + 30_000 },
    },
    {
      name: 'PATCH confirmed keeps the decided state and clears the back-off',
      outcome: patched(),
      update: { engineState: APPLIED, failures: 0, backoffUntil: 0, nextEvaluationAt: NOW + 30_000 },
    },
    {
      name: 'PATCH answered without the change extends the back-off',
      outcome: patched('count 2, expected 3'),
      update: { ...kept, engineState: NOT_APPLIED, ...THIRD_FAILURE },
    },
    {
      name: 'PATCH without a token comes back after at least a second',
      outcome: patchFailed(NO_TOKEN, []),
      update: { ...kept, engineState: NOT_APPLIED, nextEvaluationAt: NOW + 1_000 },
    },
    {
      name: 'PATCH retry without a token extends the back-off',
      outcome: patchFailed(NO_TOKEN, [attempt(500, 'retry')]),
      update: { ...kept, engineState: NOT_APPLIED, ...THIRD_FAILURE },
    },
    {
      name: 'PATCH failed extends the back-off',
      outcome: patchFailed(SERVER_500, RETRIED),
      update: { ...kept, engineState: NOT_APPLIED, ...THIRD_FAILURE },
    },
  ])('$name', ({ outcome, update }) => {
    const status = evaluationStatus(outcome);
    expect(stateUpdate(outcome, status, FACTS)).toEqual({ ...update, lastStatus: status });
  });

  it('sets no next evaluation where neither the decision nor the back-off asks for one', () => {
    const outcome = decided({ kind: 'none' }, { ...STEADY, nextEvaluationAt: undefined });
    expect(stateUpdate(outcome, 'NoChange', FACTS)).not.toHaveProperty('nextEvaluationAt');
  });

  it('starts a state that was never saved from an empty one', () => {
    const update = stateUpdate({ kind: 'disabled' }, 'Skipped', {
      ...FACTS,
      record: { failures: 0, backoffUntil: 0 },
    });
    expect(update.engineState).toEqual({});
  });
});

describe('failureBackoffUntil', () => {
  it.each([
    { failures: 0, until: 0 },
    { failures: 1, until: NOW + 15_000 },
    { failures: 2, until: NOW + 30_000 },
    { failures: 3, until: NOW + 60_000 },
    { failures: 10, until: NOW + 900_000 },
  ])('after $failures failure(s)', ({ failures, until }) => {
    expect(failureBackoffUntil(NOW, failures, SETTINGS)).toBe(until);
  });
});

describe('outcomeActivities', () => {
  const GPU_REASONS = ['demand 24 units', `${GPU}: scale`];
  it.each<{ name: string; outcome: EvaluationOutcome; activities: Array<Record<string, unknown>> }>([
    {
      name: 'invalid policy: one pool record naming the field',
      outcome: { kind: 'invalid-policy', error: INVALID },
      activities: [
        {
          flavor: '*',
          status: 'Invalid',
          errorCode: 'PolicyValidationError',
          reasons: [`flavors.${GPU}.minCount: above maxCount`],
          latencyMs: 42,
        },
      ],
    },
    {
      name: 'policy disabled',
      outcome: { kind: 'disabled' },
      activities: [
        { flavor: '*', status: 'Skipped', reasons: ['policy disabled (enabled: false): nothing is changed'] },
      ],
    },
    {
      name: 'backing off: how many failures and until when',
      outcome: { kind: 'backing-off' },
      activities: [
        {
          flavor: '*',
          status: 'Skipped',
          reasons: [`backing off after 2 failed evaluation(s) until ${new Date(NOW + 5_000).toISOString()}`],
        },
      ],
    },
    {
      name: 'no endpoint',
      outcome: { kind: 'no-endpoint' },
      activities: [{ flavor: '*', status: 'Invalid', errorCode: 'NoEndpoint' }],
    },
    {
      name: 'GET without a token: the wait, no error',
      outcome: getFailed(NO_TOKEN, []),
      activities: [
        {
          flavor: '*',
          status: 'Throttled',
          reasons: ['request budget exhausted: evaluation deferred by 400 ms'],
        },
      ],
    },
    {
      name: 'GET failed: the error and every retry',
      outcome: getFailed(SERVER_500, RETRIED),
      activities: [
        {
          flavor: '*',
          status: 'Failed',
          httpStatus: 500,
          errorCode: 'ModelArts.50005000',
          attempts: 3,
          retries: ['HTTP 429', 'HTTP 500'],
          reasons: ['GET pool failed: nothing decided'],
        },
      ],
    },
    {
      name: 'decision failed',
      outcome: { kind: 'decision-failed', error: new Error('no entry') },
      activities: [{ flavor: '*', status: 'Failed', errorCode: 'Error', errorMessage: 'no entry' }],
    },
    {
      name: 'nothing to change: one record per flavor',
      outcome: decided({ kind: 'none' }, STEADY),
      activities: [
        { flavor: GPU, status: 'NoChange', after: { count: 2 } },
        { flavor: NPU, status: 'NoChange', after: { count: 1 } },
      ],
    },
    {
      name: 'dry run: the scaled flavor shows what would be sent',
      outcome: decided({ kind: 'dry-run' }, decision('dry-run', true)),
      activities: [
        {
          flavor: GPU,
          status: 'DryRun',
          after: { count: 3 },
          reasons: ['demand 24 units', `${GPU}: scale`, 'dry run: PATCH not sent'],
          patch: { spec: { resources: [] } },
          latencyMs: 0,
        },
        { flavor: NPU, status: 'NoChange' },
      ],
    },
    {
      name: 'PATCH confirmed: the new size and the retries',
      outcome: patched(),
      activities: [
        {
          flavor: GPU,
          status: 'Successful',
          after: { count: 3 },
          httpStatus: 200,
          attempts: 2,
          retries: ['HTTP 429'],
          latencyMs: 12,
        },
        { flavor: NPU, status: 'NoChange' },
      ],
    },
    {
      name: 'PATCH answered without the change: the size stays, the mismatch is named',
      outcome: patched('count 2, expected 3'),
      activities: [
        {
          flavor: GPU,
          status: 'Failed',
          after: { count: 2 },
          httpStatus: 200,
          errorCode: 'NotConfirmed',
          errorMessage: 'count 2, expected 3',
        },
        { flavor: NPU, status: 'NoChange' },
      ],
    },
    {
      name: 'PATCH without a token: deferred, the size stays',
      outcome: patchFailed(NO_TOKEN, []),
      activities: [
        {
          flavor: GPU,
          status: 'Throttled',
          after: { count: 2 },
          reasons: [...GPU_REASONS, 'request budget exhausted: PATCH deferred by 400 ms'],
          latencyMs: 0,
        },
        { flavor: NPU, status: 'NoChange' },
      ],
    },
    {
      name: 'PATCH retry without a token: the budget error after the attempt made',
      outcome: patchFailed(NO_TOKEN, [attempt(500, 'retry')]),
      activities: [
        {
          flavor: GPU,
          status: 'Throttled',
          errorCode: 'RequestBudgetExhaustedError',
          attempts: 1,
          after: { count: 2 },
        },
        { flavor: NPU, status: 'NoChange' },
      ],
    },
    {
      name: 'PATCH failed: the error, the attempts, the body that was sent',
      outcome: patchFailed(SERVER_500, RETRIED),
      activities: [
        {
          flavor: GPU,
          status: 'Failed',
          httpStatus: 500,
          attempts: 3,
          retries: ['HTTP 429', 'HTTP 500'],
          after: { count: 2 },
          patch: { spec: { resources: [] } },
        },
        { flavor: NPU, status: 'NoChange' },
      ],
    },
  ])('$name', ({ outcome, activities }) => {
    const status = evaluationStatus(outcome);
    expect(outcomeActivities(outcome, status, CONTEXT, FACTS)).toMatchObject(activities);
  });

  it('leaves out the error fields of a deferred call: nothing was sent', () => {
    const [record] = outcomeActivities(getFailed(NO_TOKEN, []), 'Throttled', CONTEXT, FACTS);
    expect(record).not.toHaveProperty('errorCode');
    expect(record).not.toHaveProperty('attempts');
  });
});

describe('recordOutcome', () => {
  it('gives the status, the activities and the state update of one outcome together', () => {
    const recorded = recordOutcome(patched(), CONTEXT, FACTS);
    expect(recorded.status).toBe('Successful');
    expect(recorded.activities.map((activity) => activity.status)).toEqual(['Successful', 'NoChange']);
    expect(recorded.update).toMatchObject({ lastStatus: 'Successful', failures: 0, engineState: APPLIED });
  });
});
