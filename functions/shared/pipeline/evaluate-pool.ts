import {
  type Decision,
  type Policy,
  PolicyValidationError,
  decide,
  parsePolicy,
  parseScalerState,
} from '../engine';
import {
  type AttemptInfo,
  ModelArtsApiError,
  type ModelArtsClient,
  type Pool,
  type UpdatePoolRequest,
} from '../modelarts';
import type { Activity, ActivityStatus } from '../store/activity-repository';
import type { PoolDepth } from '../store/depth-repository';
import { type EvaluationInputs, readEvaluationInputs } from '../store/evaluation-read';
import { EvaluationOutcomeRepository } from '../store/evaluation-outcome';
import type { StoredPolicy } from '../store/policy-repository';
import {
  type ScalerRecord,
  ScalerStateRepository,
  type ScalerStateUpdate,
} from '../store/scaler-state-repository';
import {
  type EvaluationContext,
  type PatchOutcome,
  decisionActivities,
  poolActivity,
} from './activity-records';
import { failureBackoffUntil } from './failure-backoff';
import type { EvaluationStatus } from './metric-names';
import { RequestBudgetExhaustedError, tokenBeforeEachAttempt } from './request-budget';
import type { ModelArtsTarget, PipelineDependencies } from './types';

export interface EvaluationRequest {
  pool: string;
  /** Why the pool is evaluated: `schedule`, `job events`, an operator's reason. */
  trigger: string;
  correlationId?: string;
  /** Decide and record without sending a PATCH, whatever the policy says. */
  dryRun?: boolean;
}

export interface EvaluationResult {
  pool: string;
  status: EvaluationStatus;
  correlationId: string;
  decision?: Decision;
  activities: Activity[];
  /** HTTP attempts made to ModelArts during this evaluation. */
  modelArtsRequests: number;
  /** The lease expired before the outcome was saved: the activities were still recorded. */
  leaseLost?: boolean;
}

/** Time kept between the end of the last ModelArts call and the lease's expiry. */
const LEASE_SAFETY_MARGIN_MS = 10_000;

/** Shortest back-off after a throttled evaluation when the bucket gives no better hint. */
const THROTTLE_BACKOFF_MS = 1_000;

/**
 * One pool's evaluation: lease → policy and depth → GET pool → engine → (PATCH → confirm) → record
 * activities and the new state in one transaction that also releases the lease. Every ModelArts attempt first
 * takes a token from the shared bucket (the client's `beforeAttempt`).
 */
export class PoolEvaluator {
  private readonly states: ScalerStateRepository;
  /** @internal Saves state, activities and the lease release together (the store's transaction). */
  readonly outcomes: EvaluationOutcomeRepository;

  constructor(private readonly deps: PipelineDependencies) {
    this.states = new ScalerStateRepository(deps.store);
    this.outcomes = new EvaluationOutcomeRepository(deps.store, {
      retentionDays: deps.settings.activityRetentionDays,
      sleep: deps.sleep,
    });
  }

  async evaluate(request: EvaluationRequest): Promise<EvaluationResult> {
    const { deps } = this;
    const started = deps.clock();
    const owner = deps.newId();
    const correlationId = request.correlationId ?? deps.newId();
    // Policy and depth are written only by operators and job events, never by evaluators: reading them before
    // the lease is safe, and a pool without a policy then costs one request and leaves no state behind.
    const inputs = await readEvaluationInputs(deps.store, request.pool, deps.sleep);
    const { policy } = inputs;
    if (!policy) {
      deps.logger.warn('no policy for pool', { pool: request.pool, correlationId });
      deps.telemetry.evaluation('NoPolicy', deps.clock() - started);
      return { pool: request.pool, status: 'NoPolicy', correlationId, activities: [], modelArtsRequests: 0 };
    }
    const lease = await this.states.acquireLease(request.pool, owner, started, deps.settings.leaseMs);
    if (!lease.acquired) {
      deps.logger.info('pool is being evaluated elsewhere', {
        pool: request.pool,
        correlationId,
        holder: lease.holder,
        leaseExpiresAt: lease.expiresAt,
      });
      deps.telemetry.evaluation('LeaseHeld', deps.clock() - started);
      return { pool: request.pool, status: 'LeaseHeld', correlationId, activities: [], modelArtsRequests: 0 };
    }
    const run = new Evaluation(
      this,
      deps,
      request,
      { ...inputs, policy },
      lease.record,
      owner,
      correlationId,
      started,
    );
    try {
      return await run.execute();
    } finally {
      if (!run.saved) await this.states.releaseLease(request.pool, owner);
    }
  }
}

/** Where a policy's pool is reached: the deployment's override, else the policy's own endpoint. */
export function resolveTarget(
  policy: Policy,
  overrides: { endpointOverride?: string; projectIdOverride?: string },
): ModelArtsTarget | undefined {
  const endpoint = overrides.endpointOverride ?? policy.endpoint;
  const projectId = overrides.projectIdOverride ?? policy.projectId;
  return endpoint !== undefined && projectId !== undefined ? { endpoint, projectId } : undefined;
}

/** Whether the pool the PATCH returned carries the sizes the decision asked for. */
export function confirmsDecision(response: Pool, decision: Decision): string | undefined {
  const resources = response.spec?.resources ?? [];
  for (const flavor of decision.flavors) {
    if (flavor.outcome !== 'scale') continue;
    const entries = resources.filter((entry) => entry.flavor === flavor.flavor);
    if (entries.length === 0) return `flavor ${flavor.flavor} is missing from the response`;
    const matches = entries.some(
      (entry) =>
        entry.count === flavor.after.count &&
        (flavor.after.maxCount === undefined ||
          entry.maxCount === undefined ||
          entry.maxCount === flavor.after.maxCount),
    );
    if (!matches) {
      return `flavor ${flavor.flavor}: response shows count ${entries.map((entry) => entry.count).join(', ')}, expected ${flavor.after.count}`;
    }
  }
  return undefined;
}

/** Nodes of one flavor in a status list (`available`, `creating`); a flavor may span several entries. */
function statusNodes(
  entries: ReadonlyArray<{ flavor: string; count: number }> | undefined,
  flavor: string,
): number {
  return (entries ?? []).reduce((sum, entry) => (entry.flavor === flavor ? sum + entry.count : sum), 0);
}

/** Seconds since the newest depth update of any flavor; undefined when the pool has no depth yet. */
export function depthAgeSeconds(depth: PoolDepth, now: number): number | undefined {
  const newest = Math.max(0, ...Object.values(depth).map((flavor) => flavor.updatedAt));
  return newest > 0 ? Math.max(0, (now - newest) / 1000) : undefined;
}

function describeAttempt(info: AttemptInfo): string {
  return info.status !== undefined ? `HTTP ${info.status}` : (info.error ?? 'network error');
}

/** One evaluation's working state. */
class Evaluation {
  saved = false;
  private readonly attempts: AttemptInfo[] = [];
  private readonly context: EvaluationContext;

  constructor(
    private readonly evaluator: PoolEvaluator,
    private readonly deps: PipelineDependencies,
    private readonly request: EvaluationRequest,
    private readonly inputs: EvaluationInputs & { policy: StoredPolicy },
    private readonly record: ScalerRecord,
    private readonly owner: string,
    private readonly correlationId: string,
    private readonly started: number,
  ) {
    this.context = {
      pool: request.pool,
      at: new Date(started).toISOString(),
      correlationId,
      trigger: request.trigger,
      newId: deps.newId,
    };
  }

  async execute(): Promise<EvaluationResult> {
    const { deps, request, record, inputs } = this;

    let policy: Policy;
    try {
      policy = parsePolicy(inputs.policy.document);
    } catch (error) {
      if (!(error instanceof PolicyValidationError)) throw error;
      deps.logger.error('invalid policy: nothing is scaled', {
        pool: request.pool,
        correlationId: this.correlationId,
        field: error.field,
        error: error.message,
      });
      return this.finish('Invalid', [
        poolActivity(this.context, 'Invalid', {
          errorCode: 'PolicyValidationError',
          errorMessage: error.message,
          reasons: error.issues.map((issue) => `${issue.field}: ${issue.message}`),
          latencyMs: this.elapsed(),
        }),
      ]);
    }
    if (request.dryRun) policy = { ...policy, dryRun: true };

    if (!policy.enabled) {
      return this.finish('Skipped', [
        poolActivity(this.context, 'Skipped', {
          reasons: ['policy disabled (enabled: false): nothing is changed'],
          latencyMs: this.elapsed(),
        }),
      ]);
    }
    // Stale depth matters only where a policy scales: measured before any ModelArts call can fail.
    const depthAge = depthAgeSeconds(inputs.depth, this.started);
    if (depthAge !== undefined) deps.telemetry.depthAge?.(request.pool, depthAge);
    if (record.backoffUntil > this.started) {
      return this.finish(
        'Skipped',
        [
          poolActivity(this.context, 'Skipped', {
            reasons: [
              `backing off after ${record.failures} failed evaluation(s) until ${new Date(record.backoffUntil).toISOString()}`,
            ],
            latencyMs: this.elapsed(),
          }),
        ],
        {
          failures: record.failures,
          backoffUntil: record.backoffUntil,
          nextEvaluationAt: record.backoffUntil,
        },
      );
    }
    const target = resolveTarget(policy, deps.settings);
    if (!target) {
      return this.finish('Invalid', [
        poolActivity(this.context, 'Invalid', {
          errorCode: 'NoEndpoint',
          errorMessage: 'the policy sets no endpoint and projectId, and the deployment sets no override',
          reasons: ['policy.endpoint and policy.projectId are required without MODELARTS_ENDPOINT'],
          latencyMs: this.elapsed(),
        }),
      ]);
    }

    // Every attempt, retries included, first takes a token from the shared bucket.
    const client = await deps.modelArts(target, {
      onAttempt: (info) => this.attempts.push(info),
      beforeAttempt: tokenBeforeEachAttempt(deps, target),
    });

    let pool: Pool;
    try {
      pool = await client.showPool(request.pool, { signal: this.leaseDeadline() });
    } catch (error) {
      // No token for the first attempt: nothing was sent.
      if (error instanceof RequestBudgetExhaustedError && this.attempts.length === 0) {
        return this.throttledBeforeDecision(error.waitMs);
      }
      return this.failedBeforeDecision(error);
    }

    const state = parseScalerState(record.engineState);
    const decisionStarted = performance.now();
    let decision: Decision;
    try {
      decision = decide({ policy, pool, depth: inputs.depth, state, now: deps.clock() });
    } catch (error) {
      // A pool the engine cannot handle (an entry it cannot identify, an impossible target) is recorded, not lost.
      const facts = errorFacts(error);
      deps.logger.error('decision failed', {
        pool: request.pool,
        correlationId: this.correlationId,
        ...facts,
      });
      return this.finish(
        'Failed',
        [
          poolActivity(this.context, 'Failed', {
            ...facts,
            reasons: ['decision failed'],
            latencyMs: this.elapsed(),
          }),
        ],
        this.failureUpdate(),
      );
    }
    deps.telemetry.decisionLatency(performance.now() - decisionStarted);
    for (const flavor of decision.flavors) {
      deps.telemetry.flavor(request.pool, flavor.flavor, {
        demandUnits: flavor.demandUnits,
        targetNodes: flavor.after.count,
        availableNodes: statusNodes(pool.status.resources?.available, flavor.flavor),
        creatingNodes: statusNodes(pool.status.resources?.creating, flavor.flavor),
      });
    }

    if (decision.action === 'dry-run' && decision.patch) {
      const outcome: PatchOutcome = { status: 'DryRun', latencyMs: 0, reasons: ['dry run: PATCH not sent'] };
      return this.finishDecision('DryRun', decision, decision.stateIfNotApplied, outcome);
    }
    if (decision.action !== 'scale' || !decision.patch) {
      const status: ActivityStatus =
        decision.action === 'skip' || decision.action === 'disabled' ? 'Skipped' : 'NoChange';
      return this.finishDecision(status, decision, decision.state, undefined);
    }
    return this.patch(client, decision, decision.patch);
  }

  private async patch(
    client: ModelArtsClient,
    decision: Decision,
    body: UpdatePoolRequest,
  ): Promise<EvaluationResult> {
    const { deps, request } = this;
    const firstAttempt = this.attempts.length;
    const patchStarted = deps.clock();
    const retriesOf = () => this.attempts.slice(firstAttempt, -1).map(describeAttempt);
    try {
      const response = await client.updatePool(request.pool, body, { signal: this.leaseDeadline() });
      const latencyMs = deps.clock() - patchStarted;
      const attempts = this.attempts.length - firstAttempt;
      const mismatch = confirmsDecision(response, decision);
      if (mismatch !== undefined) {
        deps.telemetry.patch('Failed', request.pool);
        const outcome: PatchOutcome = {
          status: 'Failed',
          latencyMs,
          httpStatus: 200,
          errorCode: 'NotConfirmed',
          errorMessage: mismatch,
          attempts,
          retries: retriesOf(),
        };
        return this.finishDecision(
          'Failed',
          decision,
          decision.stateIfNotApplied,
          outcome,
          this.failureUpdate(),
        );
      }
      deps.telemetry.patch('Successful', request.pool);
      deps.logger.info('pool scaled', {
        pool: request.pool,
        correlationId: this.correlationId,
        flavors: decision.flavors
          .filter((flavor) => flavor.outcome === 'scale')
          .map((flavor) => ({
            flavor: flavor.flavor,
            before: flavor.before.count,
            after: flavor.after.count,
          })),
      });
      const outcome: PatchOutcome = {
        status: 'Successful',
        latencyMs,
        httpStatus: 200,
        attempts,
        retries: retriesOf(),
      };
      return this.finishDecision('Successful', decision, decision.state, outcome, {
        failures: 0,
        backoffUntil: 0,
      });
    } catch (error) {
      // No token for the first attempt: nothing was sent.
      if (error instanceof RequestBudgetExhaustedError && this.attempts.length === firstAttempt) {
        deps.telemetry.throttled();
        const outcome: PatchOutcome = {
          status: 'Throttled',
          latencyMs: 0,
          reasons: [`request budget exhausted: PATCH deferred by ${error.waitMs} ms`],
        };
        return this.finishDecision('Throttled', decision, decision.stateIfNotApplied, outcome, {
          nextEvaluationAt: deps.clock() + Math.max(THROTTLE_BACKOFF_MS, error.waitMs),
        });
      }
      const latencyMs = deps.clock() - patchStarted;
      const facts = errorFacts(error);
      const throttled = facts.httpStatus === 429 || error instanceof RequestBudgetExhaustedError;
      if (throttled) deps.telemetry.throttled();
      deps.telemetry.patch('Failed', request.pool);
      deps.logger.error('PATCH failed', { pool: request.pool, correlationId: this.correlationId, ...facts });
      const outcome: PatchOutcome = {
        status: throttled ? 'Throttled' : 'Failed',
        latencyMs,
        ...facts,
        attempts: this.attempts.length - firstAttempt,
        retries: this.attempts.slice(firstAttempt, -1).map(describeAttempt),
      };
      return this.finishDecision(
        outcome.status === 'Throttled' ? 'Throttled' : 'Failed',
        decision,
        decision.stateIfNotApplied,
        outcome,
        this.failureUpdate(),
      );
    }
  }

  private async throttledBeforeDecision(waitMs: number): Promise<EvaluationResult> {
    this.deps.telemetry.throttled();
    return this.finish(
      'Throttled',
      [
        poolActivity(this.context, 'Throttled', {
          reasons: [`request budget exhausted: evaluation deferred by ${waitMs} ms`],
          latencyMs: this.elapsed(),
        }),
      ],
      { nextEvaluationAt: this.deps.clock() + Math.max(THROTTLE_BACKOFF_MS, waitMs) },
    );
  }

  private async failedBeforeDecision(error: unknown): Promise<EvaluationResult> {
    const facts = errorFacts(error);
    const throttled = facts.httpStatus === 429 || error instanceof RequestBudgetExhaustedError;
    if (throttled) this.deps.telemetry.throttled();
    this.deps.logger.error('GET pool failed', {
      pool: this.request.pool,
      correlationId: this.correlationId,
      ...facts,
    });
    const status: ActivityStatus = throttled ? 'Throttled' : 'Failed';
    return this.finish(
      status,
      [
        poolActivity(this.context, status, {
          ...facts,
          attempts: this.attempts.length,
          retries: this.attempts.slice(0, -1).map(describeAttempt),
          reasons: ['GET pool failed: nothing decided'],
          latencyMs: this.elapsed(),
        }),
      ],
      this.failureUpdate(),
    );
  }

  /**
   * Aborts a call (retries included) before the lease runs out, so no other evaluator can take the pool while
   * this one may still be sending a PATCH. Whole milliseconds: `AbortSignal.timeout` refuses fractions, which an
   * injected clock may return.
   */
  private leaseDeadline(): AbortSignal {
    const remaining = this.deps.settings.leaseMs - this.elapsed() - LEASE_SAFETY_MARGIN_MS;
    return AbortSignal.timeout(Math.max(1_000, Math.floor(remaining)));
  }

  private failureUpdate(): Partial<ScalerStateUpdate> {
    const failures = this.record.failures + 1;
    const backoffUntil = failureBackoffUntil(this.deps.clock(), failures, this.deps.settings);
    return { failures, backoffUntil, nextEvaluationAt: backoffUntil };
  }

  private finishDecision(
    status: ActivityStatus,
    decision: Decision,
    engineState: unknown,
    outcome: PatchOutcome | undefined,
    update: Partial<ScalerStateUpdate> = {},
  ): Promise<EvaluationResult> {
    const activities = decisionActivities(this.context, decision, this.elapsed(), outcome);
    return this.finish(
      status,
      activities,
      {
        engineState,
        ...(decision.nextEvaluationAt !== undefined ? { nextEvaluationAt: decision.nextEvaluationAt } : {}),
        ...update,
      },
      decision,
    );
  }

  private async finish(
    status: ActivityStatus,
    activities: Activity[],
    update: Partial<ScalerStateUpdate> = {},
    decision?: Decision,
  ): Promise<EvaluationResult> {
    const { record } = this;
    const now = this.deps.clock();
    const full: ScalerStateUpdate = {
      engineState: record.engineState ?? {},
      failures: record.failures,
      backoffUntil: record.backoffUntil,
      lastStatus: status,
      ...update,
    };
    const { leaseLost } = await this.evaluator.outcomes.save({
      pool: this.request.pool,
      owner: this.owner,
      update: full,
      activities,
      now,
    });
    this.saved = true;
    if (leaseLost) {
      this.deps.logger.warn('lease expired before the outcome was saved', {
        pool: this.request.pool,
        correlationId: this.correlationId,
      });
    }
    return this.result(status, activities, decision, leaseLost);
  }

  private result(
    status: EvaluationStatus,
    activities: Activity[],
    decision?: Decision,
    leaseLost = false,
  ): EvaluationResult {
    this.deps.telemetry.evaluation(status, this.elapsed());
    return {
      pool: this.request.pool,
      status,
      correlationId: this.correlationId,
      ...(decision ? { decision } : {}),
      activities,
      modelArtsRequests: this.attempts.length,
      ...(leaseLost ? { leaseLost } : {}),
    };
  }

  private elapsed(): number {
    return this.deps.clock() - this.started;
  }
}

/** Status, error code and message of a failed call, for the activity. Never includes credentials. */
function errorFacts(error: unknown): { httpStatus?: number; errorCode?: string; errorMessage: string } {
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
