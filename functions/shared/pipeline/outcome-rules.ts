/**
 * What an evaluation records, from what happened in it: the status, the activities and the pool's new state.
 * Plain functions over plain data: the orchestrator (evaluate-pool.ts) gathers the outcome, the store saves
 * what these rules make of it (store/evaluation-outcome.ts).
 */
import type { Decision, PolicyValidationError } from '../engine';
import { type AttemptInfo, ModelArtsApiError } from '../modelarts';
import type { Activity, ActivityStatus } from '../store/activity-repository';
import type { ScaleIntent, ScalerRecord, ScalerStateUpdate } from '../store/scaler-state-repository';
import {
  type EvaluationContext,
  type ChangeOutcome,
  type PoolActivityDetails,
  decisionActivities,
  describeAttempt,
  errorFacts,
  poolActivity,
} from './activity-records';
import { RequestBudgetExhaustedError } from './request-budget';
import type { EvaluationSettings } from './types';

/** How one leased evaluation ended, as the orchestrator found it. */
export type EvaluationOutcome =
  /** The policy document does not parse: nothing is scaled. */
  | { kind: 'invalid-policy'; error: PolicyValidationError }
  /** `enabled: false`. */
  | { kind: 'disabled' }
  /** Earlier evaluations failed and their back-off has not run out. */
  | { kind: 'backing-off' }
  /** Neither the policy nor the deployment says where the pool's API is. */
  | { kind: 'no-endpoint' }
  /** GET pool did not answer; `attempts` are its HTTP attempts (none when no token came). */
  | { kind: 'get-failed'; error: unknown; attempts: readonly AttemptInfo[] }
  /** The engine could not decide for this pool (an entry it cannot identify, an impossible target). */
  | { kind: 'decision-failed'; error: unknown }
  | { kind: 'decided'; decision: Decision; action: ActionOutcome };

/** What became of a decision. */
export type ActionOutcome =
  /** Nothing to send: no change, or the engine skipped the pool. */
  | { kind: 'none' }
  /** A dry run: the PATCH (or, with `batchDelete`, the batch-delete) that would have been sent. */
  | { kind: 'dry-run'; batchDelete?: boolean }
  /** The PATCH answered; `mismatch` says how the returned pool differs from the decision, if it does. */
  | { kind: 'patched'; latencyMs: number; attempts: readonly AttemptInfo[]; mismatch?: string }
  /**
   * The PATCH did not answer; `attempts` are its HTTP attempts (none when no token came). `unknown`: it may still
   * have taken effect (its intent stays open for the next evaluation to reconcile).
   */
  | {
      kind: 'patch-failed';
      error: unknown;
      latencyMs: number;
      attempts: readonly AttemptInfo[];
      unknown?: boolean;
    }
  /** The batch-delete of the chosen nodes was accepted. */
  | { kind: 'deleted'; latencyMs: number; attempts: readonly AttemptInfo[] }
  /** The batch-delete did not answer, or its answer was lost (then `unknown`: it is not sent again). */
  | {
      kind: 'delete-failed';
      error: unknown;
      latencyMs: number;
      attempts: readonly AttemptInfo[];
      unknown?: boolean;
    }
  /** Too little Lambda time left to send a change and record its outcome: nothing sent. */
  | { kind: 'out-of-time'; remainingMs: number; neededMs: number }
  /** The change could not be recorded before it was sent (write-ahead intent): nothing sent. */
  | { kind: 'not-recorded'; error: unknown };

/** Shortest wait after a deferred evaluation when the bucket gives no better hint. */
export const THROTTLE_BACKOFF_MS = 1_000;

export type FailureBackoffSettings = Pick<EvaluationSettings, 'failureBackoffBaseMs' | 'failureBackoffMaxMs'>;

/** What the rules read besides the outcome. */
export interface OutcomeFacts {
  /** The pool's state as taking the lease returned it. */
  record: Pick<ScalerRecord, 'engineState' | 'failures' | 'backoffUntil'>;
  /** Epoch ms of the save. */
  now: number;
  /** Since the evaluation started. */
  latencyMs: number;
  settings: FailureBackoffSettings;
  /** A change whose outcome is still unknown after this evaluation: it stays open in the state. */
  openIntent?: ScaleIntent;
  /**
   * The evaluation was asked to be a dry run (an operator's `evaluate --dry-run`, a `pool.evaluate` with
   * `dryRun`): what it found is recorded, but a failure of it does not put the shared pool into back-off.
   */
  requestedDryRun?: boolean;
}

export interface RecordedOutcome {
  status: ActivityStatus;
  activities: Activity[];
  update: ScalerStateUpdate;
}

/** Status, activities and state update of an outcome, in one value for the store to save. */
export function recordOutcome(
  outcome: EvaluationOutcome,
  context: EvaluationContext,
  facts: OutcomeFacts,
): RecordedOutcome {
  const status = evaluationStatus(outcome);
  return {
    status,
    activities: outcomeActivities(outcome, status, context, facts),
    update: stateUpdate(outcome, status, facts),
  };
}

/**
 * Throttled by the API (429, or a gateway `.0308` code whatever the status: what the client retries as
 * throttling) or by the shared request budget.
 */
export function isThrottled(error: unknown): boolean {
  return (
    error instanceof RequestBudgetExhaustedError || (error instanceof ModelArtsApiError && error.throttled)
  );
}

/**
 * The wait the bucket asked for when a call was abandoned before its first attempt: nothing reached ModelArts,
 * so nothing failed and the pool is simply evaluated again later. Undefined for a call that was sent.
 */
export function deferredWaitMs(error: unknown, attempts: readonly AttemptInfo[]): number | undefined {
  return error instanceof RequestBudgetExhaustedError && attempts.length === 0 ? error.waitMs : undefined;
}

export function evaluationStatus(outcome: EvaluationOutcome): ActivityStatus {
  switch (outcome.kind) {
    case 'invalid-policy':
    case 'no-endpoint':
      return 'Invalid';
    case 'disabled':
    case 'backing-off':
      return 'Skipped';
    case 'get-failed':
      return failedCallStatus(outcome.error);
    case 'decision-failed':
      return 'Failed';
    case 'decided':
      return actionStatus(outcome.decision, outcome.action);
  }
}

function actionStatus(decision: Decision, action: ActionOutcome): ActivityStatus {
  switch (action.kind) {
    case 'none':
      return decision.action === 'skip' || decision.action === 'disabled' ? 'Skipped' : 'NoChange';
    case 'dry-run':
      return 'DryRun';
    case 'patched':
      return action.mismatch === undefined ? 'Successful' : 'Failed';
    case 'deleted':
      return 'Successful';
    case 'patch-failed':
    case 'delete-failed':
      return failedCallStatus(action.error);
    case 'out-of-time':
      return 'Skipped';
    case 'not-recorded':
      return 'Failed';
  }
}

function failedCallStatus(error: unknown): ActivityStatus {
  return isThrottled(error) ? 'Throttled' : 'Failed';
}

/** The pool's state after the outcome: what the lease returned, changed by the decision and the back-off. */
export function stateUpdate(
  outcome: EvaluationOutcome,
  status: ActivityStatus,
  facts: OutcomeFacts,
): ScalerStateUpdate {
  const { record } = facts;
  return {
    engineState: record.engineState ?? {},
    failures: record.failures,
    backoffUntil: record.backoffUntil,
    lastStatus: status,
    ...(outcome.kind === 'decided' ? decisionState(outcome.decision, outcome.action) : {}),
    ...backoffUpdate(outcome, facts),
    ...(facts.openIntent !== undefined ? { intent: facts.openIntent } : {}),
  };
}

/** The engine's next state: the decision's when it took effect (or changed nothing), else as if not applied. */
function decisionState(
  decision: Decision,
  action: ActionOutcome,
): Pick<ScalerStateUpdate, 'engineState' | 'nextEvaluationAt'> {
  const applied =
    action.kind === 'none' ||
    action.kind === 'deleted' ||
    (action.kind === 'patched' && action.mismatch === undefined);
  return {
    engineState: applied ? decision.state : decision.stateIfNotApplied,
    ...(decision.nextEvaluationAt !== undefined ? { nextEvaluationAt: decision.nextEvaluationAt } : {}),
  };
}

/** What an outcome means for the pool's failure back-off. */
type BackoffEffect =
  | { kind: 'unchanged' }
  | { kind: 'still-backing-off' }
  | { kind: 'deferred'; waitMs: number }
  | { kind: 'failed' }
  | { kind: 'succeeded' };

function backoffEffect(outcome: EvaluationOutcome): BackoffEffect {
  switch (outcome.kind) {
    case 'backing-off':
      return { kind: 'still-backing-off' };
    case 'get-failed':
      return failedCallEffect(outcome.error, outcome.attempts);
    case 'decision-failed':
      return { kind: 'failed' };
    case 'decided':
      if (outcome.action.kind === 'patched') {
        return outcome.action.mismatch === undefined ? { kind: 'succeeded' } : { kind: 'failed' };
      }
      if (outcome.action.kind === 'deleted') return { kind: 'succeeded' };
      if (outcome.action.kind === 'not-recorded') return { kind: 'failed' };
      if (outcome.action.kind === 'out-of-time') return { kind: 'unchanged' };
      if (outcome.action.kind === 'patch-failed' || outcome.action.kind === 'delete-failed') {
        return failedCallEffect(outcome.action.error, outcome.action.attempts);
      }
      return { kind: 'unchanged' };
    default:
      return { kind: 'unchanged' };
  }
}

function failedCallEffect(error: unknown, attempts: readonly AttemptInfo[]): BackoffEffect {
  const waitMs = deferredWaitMs(error, attempts);
  return waitMs !== undefined ? { kind: 'deferred', waitMs } : { kind: 'failed' };
}

/**
 * Failures, back-off and next evaluation: a failure (throttled calls that were sent included) extends the
 * back-off, a confirmed PATCH clears it, a deferred call only asks to come back once the bucket has refilled.
 */
export function backoffUpdate(outcome: EvaluationOutcome, facts: OutcomeFacts): Partial<ScalerStateUpdate> {
  const { record, now } = facts;
  const effect = backoffEffect(outcome);
  switch (effect.kind) {
    case 'unchanged':
      return {};
    case 'still-backing-off':
      return {
        failures: record.failures,
        backoffUntil: record.backoffUntil,
        nextEvaluationAt: record.backoffUntil,
      };
    case 'deferred':
      return { nextEvaluationAt: now + Math.max(THROTTLE_BACKOFF_MS, effect.waitMs) };
    case 'failed': {
      if (facts.requestedDryRun) return {};
      const failures = record.failures + 1;
      const backoffUntil = failureBackoffUntil(now, failures, facts.settings);
      return { failures, backoffUntil, nextEvaluationAt: backoffUntil };
    }
    case 'succeeded':
      return { failures: 0, backoffUntil: 0 };
  }
}

/** Exponential back-off per pool after consecutive failed evaluations: base, 2×base, 4×base, ... capped. */
export function failureBackoffUntil(now: number, failures: number, settings: FailureBackoffSettings): number {
  if (failures <= 0) return 0;
  const delay = Math.min(settings.failureBackoffMaxMs, settings.failureBackoffBaseMs * 2 ** (failures - 1));
  return now + delay;
}

/**
 * The records an outcome leaves: one per flavor once the engine has decided, else one for the whole pool
 * (flavor `*`) saying why nothing was decided.
 */
export function outcomeActivities(
  outcome: EvaluationOutcome,
  status: ActivityStatus,
  context: EvaluationContext,
  facts: Pick<OutcomeFacts, 'record' | 'latencyMs'>,
): Activity[] {
  const { latencyMs, record } = facts;
  const forPool = (details: Omit<PoolActivityDetails, 'latencyMs'>): Activity[] => [
    poolActivity(context, status, { ...details, latencyMs }),
  ];
  switch (outcome.kind) {
    case 'invalid-policy':
      return forPool({
        errorCode: 'PolicyValidationError',
        errorMessage: outcome.error.message,
        reasons: outcome.error.issues.map((issue) => `${issue.field}: ${issue.message}`),
      });
    case 'disabled':
      return forPool({ reasons: ['policy disabled (enabled: false): nothing is changed'] });
    case 'backing-off':
      return forPool({
        reasons: [
          `backing off after ${record.failures} failed evaluation(s) until ${new Date(record.backoffUntil).toISOString()}`,
        ],
      });
    case 'no-endpoint':
      return forPool({
        errorCode: 'NoEndpoint',
        errorMessage: 'the policy sets no endpoint and projectId, and the deployment sets no override',
        reasons: ['policy.endpoint and policy.projectId are required without MODELARTS_ENDPOINT'],
      });
    case 'get-failed': {
      const waitMs = deferredWaitMs(outcome.error, outcome.attempts);
      if (waitMs !== undefined) {
        return forPool({ reasons: [`request budget exhausted: evaluation deferred by ${waitMs} ms`] });
      }
      return forPool({
        ...errorFacts(outcome.error),
        ...attemptFacts(outcome.attempts),
        reasons: ['GET pool failed: nothing decided'],
      });
    }
    case 'decision-failed':
      return forPool({ ...errorFacts(outcome.error), reasons: ['decision failed'] });
    case 'decided':
      return decisionActivities(context, outcome.decision, latencyMs, changeOutcome(outcome.action, status));
  }
}

/** What the scaled flavors' records say about the PATCH or batch-delete; undefined when none was due. */
export function changeOutcome(action: ActionOutcome, status: ActivityStatus): ChangeOutcome | undefined {
  switch (action.kind) {
    case 'none':
      return undefined;
    case 'dry-run':
      return {
        status,
        latencyMs: 0,
        reasons: [`dry run: ${action.batchDelete === true ? 'batch-delete' : 'PATCH'} not sent`],
      };
    case 'deleted':
      return { status, latencyMs: action.latencyMs, httpStatus: 200, ...attemptFacts(action.attempts) };
    case 'patched':
      return {
        status,
        latencyMs: action.latencyMs,
        httpStatus: 200,
        ...(action.mismatch !== undefined
          ? { errorCode: 'NotConfirmed', errorMessage: action.mismatch }
          : {}),
        ...attemptFacts(action.attempts),
      };
    case 'patch-failed':
    case 'delete-failed': {
      const waitMs = deferredWaitMs(action.error, action.attempts);
      const request = action.kind === 'patch-failed' ? 'PATCH' : 'batch-delete';
      if (waitMs !== undefined) {
        return {
          status,
          latencyMs: 0,
          reasons: [`request budget exhausted: ${request} deferred by ${waitMs} ms`],
        };
      }
      return {
        status,
        latencyMs: action.latencyMs,
        ...errorFacts(action.error),
        ...attemptFacts(action.attempts),
        ...(action.unknown
          ? {
              reasons: [
                `outcome unknown: the ${request} may have taken effect; the next evaluation reconciles it against the pool`,
              ],
            }
          : {}),
      };
    }
    case 'out-of-time':
      return {
        status,
        latencyMs: 0,
        reasons: [
          `the Lambda has ${action.remainingMs} ms left, less than the ${action.neededMs} ms a change needs to be sent and recorded: left to the next evaluation`,
        ],
      };
    case 'not-recorded':
      return {
        status,
        latencyMs: 0,
        ...errorFacts(action.error),
        reasons: ['the change could not be recorded before it was sent: nothing sent'],
      };
  }
}

/** Attempts of one request and why the earlier ones were retried. */
function attemptFacts(attempts: readonly AttemptInfo[]): { attempts: number; retries: string[] } {
  return { attempts: attempts.length, retries: attempts.slice(0, -1).map(describeAttempt) };
}
