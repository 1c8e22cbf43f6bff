import type { Decision, FlavorDecision, FlavorSize } from '../engine';
import { type AttemptInfo, ModelArtsApiError } from '../modelarts';
import type { Activity, ActivitySize, ActivityStatus } from '../store/activity-repository';

/** Facts shared by every record of one evaluation. */
export interface EvaluationContext {
  pool: string;
  at: string;
  correlationId: string;
  trigger: string;
  newId: () => string;
}

/** What happened to the PATCH or batch-delete (or why none was sent), for the records of the scaled flavors. */
export interface ChangeOutcome {
  status: ActivityStatus;
  latencyMs: number;
  httpStatus?: number;
  errorCode?: string;
  errorMessage?: string;
  attempts?: number;
  /** `HTTP 429`, `HTTP 500`, `ModelArtsTimeoutError`: why earlier attempts were retried. */
  retries?: string[];
  reasons?: string[];
}

function size(value: FlavorSize): ActivitySize {
  return {
    count: value.count,
    ...(value.maxCount !== undefined ? { maxCount: value.maxCount } : {}),
    ...(value.azs !== undefined ? { azs: value.azs.map((az) => ({ az: az.az, count: az.count })) } : {}),
  };
}

/** What a pool-level record says beyond the facts every record of the evaluation shares. */
export type PoolActivityDetails = Omit<
  Activity,
  'pool' | 'id' | 'at' | 'flavor' | 'status' | 'correlationId' | 'trigger'
>;

/** A pool-level record (flavor `*`): invalid policy, no endpoint, throttled or failed GET, back-off. */
export function poolActivity(
  context: EvaluationContext,
  status: ActivityStatus,
  details: PoolActivityDetails,
): Activity {
  return {
    pool: context.pool,
    id: context.newId(),
    at: context.at,
    flavor: '*',
    status,
    trigger: context.trigger,
    correlationId: context.correlationId,
    ...details,
  };
}

function statusWithoutPatch(decision: Decision, flavor: FlavorDecision): ActivityStatus {
  if (decision.action === 'skip' || decision.action === 'disabled') return 'Skipped';
  if (flavor.outcome === 'skipped' || flavor.outcome === 'absent') return 'Skipped';
  return 'NoChange';
}

/**
 * One record per flavor of a decision. Scaled flavors get the PATCH outcome; the others say why they were
 * left alone. The pool-level reasons lead every reason trail.
 */
export function decisionActivities(
  context: EvaluationContext,
  decision: Decision,
  latencyMs: number,
  patch: ChangeOutcome | undefined,
): Activity[] {
  return decision.flavors.map((flavor) => {
    const scaled = flavor.outcome === 'scale' && patch !== undefined;
    const status = scaled ? patch.status : statusWithoutPatch(decision, flavor);
    const record: Activity = {
      pool: context.pool,
      id: context.newId(),
      at: context.at,
      flavor: flavor.flavor,
      status,
      action: decision.action,
      trigger: context.trigger,
      before: size(flavor.before),
      after: size(
        scaled && patch.status !== 'Successful' && patch.status !== 'DryRun' ? flavor.before : flavor.after,
      ),
      desired: flavor.desired,
      demandUnits: flavor.demandUnits,
      reasons: [...decision.reasons, ...flavor.reasons, ...(scaled ? (patch.reasons ?? []) : [])],
      latencyMs: scaled ? patch.latencyMs : latencyMs,
      correlationId: context.correlationId,
      ...(flavor.nodes !== undefined && flavor.nodes.remove.length > 0 ? { nodes: flavor.nodes.remove } : {}),
    };
    if (scaled) {
      if (patch.httpStatus !== undefined) record.httpStatus = patch.httpStatus;
      if (patch.errorCode !== undefined) record.errorCode = patch.errorCode;
      if (patch.errorMessage !== undefined) record.errorMessage = patch.errorMessage;
      if (patch.attempts !== undefined) record.attempts = patch.attempts;
      if (patch.retries !== undefined && patch.retries.length > 0) record.retries = patch.retries;
      if ((patch.status === 'DryRun' || patch.status === 'Failed') && decision.patch !== null) {
        record.patch = decision.patch;
      }
    }
    return record;
  });
}

/** Status, error code and message of a failed call, for the activity. Never includes credentials. */
export function errorFacts(error: unknown): {
  httpStatus?: number;
  errorCode?: string;
  errorMessage: string;
} {
  if (error instanceof ModelArtsApiError) {
    return {
      httpStatus: error.status,
      ...(error.errorCode !== undefined ? { errorCode: error.errorCode } : {}),
      errorMessage: error.errorMsg ?? error.message,
    };
  }
  if (error instanceof Error) return { errorCode: error.name, errorMessage: error.message };
  return { errorCode: 'Error', errorMessage: String(error) };
}

/** Why an attempt was retried, as the activity's `retries` lists it: `HTTP 429`, `ModelArtsTimeoutError`. */
export function describeAttempt(info: AttemptInfo): string {
  return info.status !== undefined ? `HTTP ${info.status}` : (info.error ?? 'network error');
}
