import {
  type Decision,
  type Policy,
  type PoolOccupancy,
  type ScalerState,
  PolicyValidationError,
  UNKNOWN_OCCUPANCY,
  decide,
  parsePolicy,
  parseScalerState,
} from '../engine';
import { flavorStatuses } from '../engine/pool-view';
import type { AttemptInfo, ModelArtsClient, Pool, UpdatePoolRequest } from '../modelarts';
import type { Activity } from '../store/activity-repository';
import { DepthRepository, type PoolDepth } from '../store/depth-repository';
import { readEvaluationInputs } from '../store/evaluation-read';
import { EvaluationOutcomeRepository } from '../store/evaluation-outcome';
import type { StoredPolicy } from '../store/policy-repository';
import {
  type LeaseResult,
  type ScaleIntent,
  type ScalerRecord,
  ScalerStateRepository,
} from '../store/scaler-state-repository';
import { type EvaluationContext, errorFacts } from './activity-records';
import type { EvaluationStatus } from './metric-names';
import {
  intentOf,
  outcomeUnknown,
  reconcileIntent,
  reconciledActivities,
  stateWithReconciled,
} from './intents';
import { type PoolDemand, readPoolDemand, withDemandReasons } from './demand-read';
import { occupancyFromListings } from './occupancy-read';
import { type ActionOutcome, type EvaluationOutcome, deferredWaitMs, recordOutcome } from './outcome-rules';
import { tokenBeforeEachAttempt } from './request-budget';
import { resolveTarget } from './target';
import type { ModelArtsTarget, PipelineDependencies } from './types';

export interface EvaluationRequest {
  pool: string;
  /** Why the pool is evaluated: `schedule`, `job events`, an operator's reason. */
  trigger: string;
  correlationId?: string;
  /** Decide and record without sending a PATCH, whatever the policy says. */
  dryRun?: boolean;
  /**
   * Milliseconds the invocation has left (Lambda's `getRemainingTimeInMillis`): no change is started unless it
   * covers the request and the recording of its outcome. Unbounded when absent.
   */
  remainingTimeMs?: () => number;
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

/** Time kept, after a change is answered, to record its outcome before the invocation ends. */
const RECORD_MARGIN_MS = 5_000;

/** One evaluation's facts, passed from step to step. */
interface EvaluationRun {
  request: EvaluationRequest;
  /** Lease owner: this evaluation and no other. */
  owner: string;
  correlationId: string;
  started: number;
  context: EvaluationContext;
  /** Every HTTP attempt to ModelArts so far, retries included. */
  attempts: AttemptInfo[];
  /** A change recorded before it was sent whose outcome is not known yet: left open when the run is saved. */
  openIntent?: ScaleIntent;
  /** Records of an earlier change found open and reconciled in this run. */
  reconciled: Activity[];
}

/** A ModelArts call's result with the attempts it took. */
type CallResult<T> = { latencyMs: number; attempts: AttemptInfo[] } & (
  { ok: true; value: T } | { ok: false; error: unknown }
);

/**
 * One pool's evaluation, in order: read policy and depth → take the lease → guards (invalid policy, disabled,
 * failure back-off, no endpoint) → GET pool → decide → (when the decision asks for them: read the nodes, the
 * running workloads and the queued jobs, and decide again) → act (PATCH, batch-delete, dry run or nothing) →
 * save the outcome. The
 * steps under the lease end in an `EvaluationOutcome`; outcome-rules.ts turns it into the status, activities
 * and state, which the store saves together with the lease release.
 */
export class PoolEvaluator {
  private readonly states: ScalerStateRepository;
  private readonly outcomes: EvaluationOutcomeRepository;

  constructor(private readonly deps: PipelineDependencies) {
    this.states = new ScalerStateRepository(deps.store);
    this.outcomes = new EvaluationOutcomeRepository(deps.store, {
      retentionDays: deps.settings.activityRetentionDays,
      sleep: deps.sleep,
    });
  }

  async evaluate(request: EvaluationRequest): Promise<EvaluationResult> {
    const run = this.start(request);
    // Policy and depth are written only by operators and job events, never by evaluators: reading them before
    // the lease is safe, and a pool without a policy then costs one request and leaves no state behind.
    const { policy, depth } = await readEvaluationInputs(this.deps.store, request.pool, this.deps.sleep);
    if (!policy) return this.noPolicy(run);
    const { leaseMs } = this.deps.settings;
    const lease = await this.states.acquireLease(request.pool, run.owner, run.started, leaseMs);
    if (!lease.acquired) return this.leaseHeld(run, lease);
    try {
      const outcome = await this.underLease(run, policy, depth, lease.record);
      return await this.save(run, lease.record, outcome);
    } catch (error) {
      // Nothing was saved: give the pool back instead of leaving it locked until the lease expires.
      await this.states.releaseLease(request.pool, run.owner);
      throw error;
    }
  }

  /** The steps that need the lease; each either ends the evaluation with an outcome or hands on to the next. */
  private async underLease(
    run: EvaluationRun,
    stored: StoredPolicy,
    depth: PoolDepth,
    record: ScalerRecord,
  ): Promise<EvaluationOutcome> {
    run.openIntent = record.intent;
    const policy = this.parsePolicy(run, stored);
    if (policy instanceof PolicyValidationError) return { kind: 'invalid-policy', error: policy };
    if (!policy.enabled) return { kind: 'disabled' };
    this.reportDepthAge(run, depth);
    if (record.backoffUntil > run.started) return { kind: 'backing-off' };
    const target = resolveTarget(policy, this.deps.settings);
    if (!target) return { kind: 'no-endpoint' };

    const client = await this.client(run, target);
    const fetched = await this.call(run, (signal) => client.showPool(run.request.pool, { signal }));
    if (!fetched.ok) {
      this.logFailedCall(run, 'GET pool failed', fetched);
      return { kind: 'get-failed', error: fetched.error, attempts: fetched.attempts };
    }

    const state = this.reconcile(run, fetched.value, parseScalerState(record.engineState));
    const demand = await this.readDemand(run, client, policy, depth, record);
    let decided = this.decide(run, policy, fetched.value, demand.depth, state);
    if (decided.ok && decided.value.needsOccupancy !== undefined) {
      const occupancy = await this.readOccupancy(run, client, demand);
      decided = this.decide(run, policy, fetched.value, demand.depth, state, occupancy);
    }
    if (!decided.ok) return { kind: 'decision-failed', error: decided.error };
    const decision = withDemandReasons(decided.value, demand);
    this.reportFlavors(run, decision, fetched.value);
    return { kind: 'decided', decision, action: await this.act(run, client, decision) };
  }

  /**
   * Where the demand comes from (policy `demand`): the stored depth, or the pool's workloads read now and
   * recorded as a snapshot (demand-read.ts).
   */
  private readDemand(
    run: EvaluationRun,
    client: ModelArtsClient,
    policy: Policy,
    depth: PoolDepth,
    record: ScalerRecord,
  ): Promise<PoolDemand> {
    const { pool } = run.request;
    const { owner, correlationId } = run;
    const signal = this.leaseDeadline(run);
    return readPoolDemand(this.deps, { pool, owner, correlationId, policy, depth, record, client, signal });
  }

  /**
   * The pool's nodes, the hosts its running workloads use and its queued jobs, for the rules that need them (a
   * scale-in by name, placing queued jobs by shape): one listing each, except what the demand read already
   * listed. Nodes that cannot be listed are unknown, so none is removed; without the running workloads every
   * node counts as busy.
   */
  private async readOccupancy(
    run: EvaluationRun,
    client: ModelArtsClient,
    demand: PoolDemand,
  ): Promise<PoolOccupancy> {
    const { pool } = run.request;
    const read = demand.workloads;
    const nodes = read?.nodes
      ? { ok: true as const, value: { items: read.nodes } }
      : await this.call(run, (signal) => client.listPoolNodes(pool, {}, { signal }));
    if (!nodes.ok) {
      this.logFailedCall(run, 'listing nodes failed: no node is removed', nodes);
      return UNKNOWN_OCCUPANCY;
    }
    const running = read
      ? { ok: true as const, value: { items: read.running } }
      : await this.call(run, (signal) => client.listPoolWorkloads(pool, { status: 'Running' }, { signal }));
    if (!running.ok) this.logFailedCall(run, 'listing workloads failed: every node counts as busy', running);
    const pending =
      demand.queuedShapes !== 'markers'
        ? read?.pending
        : await new DepthRepository(this.deps.store, this.deps.settings)
            .pendingJobs(pool)
            .catch((error: unknown) => {
              this.deps.logger.warn('reading queued jobs failed: scale-up counts units only', {
                pool,
                correlationId: run.correlationId,
                ...errorFacts(error),
              });
              return undefined;
            });
    return occupancyFromListings(nodes.value.items, running.ok ? running.value.items : undefined, pending);
  }

  /**
   * A change an earlier evaluation recorded and never concluded (it crashed, the store or the Lambda failed
   * mid-request, or the answer was lost) is judged against the pool as read now: what took effect is recorded
   * once, and counted in the scaling history at the time it was sent.
   */
  private reconcile(run: EvaluationRun, pool: Pool, state: ScalerState): ScalerState {
    const intent = run.openIntent;
    if (intent === undefined) return state;
    const verdicts = reconcileIntent(intent, pool);
    run.reconciled = reconciledActivities(intent, verdicts, run.context, this.deps.clock() - run.started);
    run.openIntent = undefined;
    this.deps.logger.warn('reconciled a change whose outcome had not been recorded', {
      pool: run.request.pool,
      correlationId: run.correlationId,
      intent: intent.id,
      verdicts: verdicts.map((verdict) => `${verdict.flavor}: ${verdict.verdict}`),
    });
    return stateWithReconciled(state, intent, verdicts);
  }

  private async act(run: EvaluationRun, client: ModelArtsClient, decision: Decision): Promise<ActionOutcome> {
    if (decision.action === 'dry-run' && decision.patch !== null) return { kind: 'dry-run' };
    if (decision.action === 'dry-run' && decision.deleteNodes) return { kind: 'dry-run', batchDelete: true };
    if (decision.action !== 'scale') return { kind: 'none' };
    if (decision.patch === null && decision.deleteNodes === undefined) return { kind: 'none' };
    const refused = await this.prepareChange(run, decision);
    if (refused !== undefined) return refused;
    if (decision.patch) return this.patch(run, client, decision, decision.patch);
    return this.deleteNodes(run, client, decision.deleteNodes ?? []);
  }

  /**
   * Before a change is sent: enough invocation time left to send it and record its outcome, and its intent
   * recorded (write-ahead). Returns why nothing may be sent, or undefined.
   */
  private async prepareChange(run: EvaluationRun, decision: Decision): Promise<ActionOutcome | undefined> {
    const remainingMs = run.request.remainingTimeMs?.();
    const neededMs = this.deps.settings.requestTimeoutMs + RECORD_MARGIN_MS;
    if (remainingMs !== undefined && remainingMs < neededMs) {
      return { kind: 'out-of-time', remainingMs: Math.max(0, Math.floor(remainingMs)), neededMs };
    }
    const intent = intentOf(decision, run.context, this.deps.clock());
    try {
      await this.states.openIntent(run.request.pool, run.owner, intent);
    } catch (error) {
      this.deps.logger.error('the change could not be recorded before it was sent: nothing sent', {
        pool: run.request.pool,
        correlationId: run.correlationId,
        ...errorFacts(error),
      });
      return { kind: 'not-recorded', error };
    }
    run.openIntent = intent;
    return undefined;
  }

  /**
   * Removes the chosen nodes by name. A batch-delete whose answer was lost is not sent again (its outcome is
   * unknown): the next evaluation lists the nodes and decides afresh.
   */
  private async deleteNodes(
    run: EvaluationRun,
    client: ModelArtsClient,
    names: readonly string[],
  ): Promise<ActionOutcome> {
    const { pool } = run.request;
    const sent = await this.call(run, (signal) => client.batchDeletePoolNodes(pool, names, { signal }));
    if (!sent.ok) {
      if (deferredWaitMs(sent.error, sent.attempts) === undefined) this.deps.telemetry.patch('Failed', pool);
      this.logFailedCall(run, 'batch-delete failed', sent);
      const unknown = this.concludeFailedChange(run, sent.error, sent.attempts.length);
      return {
        kind: 'delete-failed',
        error: sent.error,
        latencyMs: sent.latencyMs,
        attempts: sent.attempts,
        unknown,
      };
    }
    run.openIntent = undefined;
    this.deps.telemetry.patch('Successful', pool);
    this.deps.logger.info('nodes removed', { pool, correlationId: run.correlationId, nodes: names });
    return { kind: 'deleted', latencyMs: sent.latencyMs, attempts: sent.attempts };
  }

  private async patch(
    run: EvaluationRun,
    client: ModelArtsClient,
    decision: Decision,
    body: UpdatePoolRequest,
  ): Promise<ActionOutcome> {
    const { pool } = run.request;
    const sent = await this.call(run, (signal) => client.updatePool(pool, body, { signal }));
    if (!sent.ok) {
      if (deferredWaitMs(sent.error, sent.attempts) === undefined) this.deps.telemetry.patch('Failed', pool);
      this.logFailedCall(run, 'PATCH failed', sent);
      const unknown = this.concludeFailedChange(run, sent.error, sent.attempts.length);
      return {
        kind: 'patch-failed',
        error: sent.error,
        latencyMs: sent.latencyMs,
        attempts: sent.attempts,
        unknown,
      };
    }
    run.openIntent = undefined;
    const mismatch = confirmsDecision(sent.value, decision);
    this.deps.telemetry.patch(mismatch === undefined ? 'Successful' : 'Failed', pool);
    if (mismatch === undefined) this.logScaled(run, decision);
    return {
      kind: 'patched',
      latencyMs: sent.latencyMs,
      attempts: sent.attempts,
      ...(mismatch !== undefined ? { mismatch } : {}),
    };
  }

  /**
   * A failed change: refused outright, its intent is concluded; possibly applied (no answer said otherwise), it
   * stays open for the next evaluation to reconcile. Returns whether the outcome is unknown.
   */
  private concludeFailedChange(run: EvaluationRun, error: unknown, attempts: number): boolean {
    const unknown = outcomeUnknown(error, attempts);
    if (!unknown) run.openIntent = undefined;
    return unknown;
  }

  /** Status, activities and state of the outcome, saved with the lease release in one transaction. */
  private async save(
    run: EvaluationRun,
    record: ScalerRecord,
    outcome: EvaluationOutcome,
  ): Promise<EvaluationResult> {
    const now = this.deps.clock();
    const recorded = recordOutcome(outcome, run.context, {
      record,
      now,
      latencyMs: now - run.started,
      settings: this.deps.settings,
      ...(run.openIntent !== undefined ? { openIntent: run.openIntent } : {}),
      requestedDryRun: run.request.dryRun === true,
    });
    const { status, update } = recorded;
    const activities = [...run.reconciled, ...recorded.activities];
    if (status === 'Throttled') this.deps.telemetry.throttled();
    const { pool } = run.request;
    const { leaseLost } = await this.outcomes.save({ pool, owner: run.owner, update, activities, now });
    if (leaseLost) {
      this.deps.logger.warn('lease expired before the outcome was saved', {
        pool,
        correlationId: run.correlationId,
      });
    }
    return this.result(run, status, activities, {
      ...(outcome.kind === 'decided' ? { decision: outcome.decision } : {}),
      ...(leaseLost ? { leaseLost } : {}),
    });
  }

  private start(request: EvaluationRequest): EvaluationRun {
    const started = this.deps.clock();
    const owner = this.deps.newId();
    const correlationId = request.correlationId ?? this.deps.newId();
    const context: EvaluationContext = {
      pool: request.pool,
      at: new Date(started).toISOString(),
      correlationId,
      trigger: request.trigger,
      newId: this.deps.newId,
    };
    return { request, owner, correlationId, started, context, attempts: [], reconciled: [] };
  }

  private noPolicy(run: EvaluationRun): EvaluationResult {
    this.deps.logger.warn('no policy for pool', { pool: run.request.pool, correlationId: run.correlationId });
    return this.result(run, 'NoPolicy', []);
  }

  private leaseHeld(run: EvaluationRun, lease: Extract<LeaseResult, { acquired: false }>): EvaluationResult {
    this.deps.logger.info('pool is being evaluated elsewhere', {
      pool: run.request.pool,
      correlationId: run.correlationId,
      holder: lease.holder,
      leaseExpiresAt: lease.expiresAt,
    });
    return this.result(run, 'LeaseHeld', []);
  }

  /** The operator's document, validated; a request's dry run overrides the policy's. */
  private parsePolicy(run: EvaluationRun, stored: StoredPolicy): Policy | PolicyValidationError {
    try {
      const policy = parsePolicy(stored.document, {
        endpointAllowlist: this.deps.settings.endpointAllowlist,
      });
      return run.request.dryRun ? { ...policy, dryRun: true } : policy;
    } catch (error) {
      if (!(error instanceof PolicyValidationError)) throw error;
      this.deps.logger.error('invalid policy: nothing is scaled', {
        pool: run.request.pool,
        correlationId: run.correlationId,
        field: error.field,
        error: error.message,
      });
      return error;
    }
  }

  /** Stale depth matters only where a policy scales: measured before any ModelArts call can fail. */
  private reportDepthAge(run: EvaluationRun, depth: PoolDepth): void {
    const age = depthAgeSeconds(depth, run.started);
    if (age !== undefined) this.deps.telemetry.depthAge?.(run.request.pool, age);
  }

  /** A client whose every attempt is recorded in the run and first takes a token from the shared bucket. */
  private client(run: EvaluationRun, target: ModelArtsTarget): Promise<ModelArtsClient> {
    return this.deps.modelArts(target, {
      onAttempt: (info) => run.attempts.push(info),
      beforeAttempt: tokenBeforeEachAttempt(this.deps, target),
    });
  }

  /** One ModelArts call, bounded by the lease; failures are returned, not thrown, to become outcomes. */
  private async call<T>(
    run: EvaluationRun,
    request: (signal: AbortSignal) => Promise<T>,
  ): Promise<CallResult<T>> {
    const first = run.attempts.length;
    const started = this.deps.clock();
    const settled = await request(this.leaseDeadline(run)).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    return { ...settled, latencyMs: this.deps.clock() - started, attempts: run.attempts.slice(first) };
  }

  /**
   * Aborts a call (retries included) before the lease runs out, so no other evaluator can take the pool while
   * this one may still be sending a PATCH. Whole milliseconds: `AbortSignal.timeout` refuses fractions, which an
   * injected clock may return.
   */
  private leaseDeadline(run: EvaluationRun): AbortSignal {
    const elapsed = this.deps.clock() - run.started;
    const lease = this.deps.settings.leaseMs - elapsed - LEASE_SAFETY_MARGIN_MS;
    const invocation = (run.request.remainingTimeMs?.() ?? Infinity) - RECORD_MARGIN_MS;
    return AbortSignal.timeout(Math.max(1_000, Math.floor(Math.min(lease, invocation))));
  }

  private decide(
    run: EvaluationRun,
    policy: Policy,
    pool: Pool,
    depth: PoolDepth,
    state: ScalerState,
    occupancy?: PoolOccupancy,
  ): { ok: true; value: Decision } | { ok: false; error: unknown } {
    const started = performance.now();
    let decision: Decision;
    try {
      const now = this.deps.clock();
      decision = decide({
        policy,
        pool,
        depth,
        state,
        now,
        ...(occupancy !== undefined ? { occupancy } : {}),
      });
    } catch (error) {
      // A pool the engine cannot handle (an entry it cannot identify, an impossible target) is recorded, not lost.
      this.deps.logger.error('decision failed', {
        pool: run.request.pool,
        correlationId: run.correlationId,
        ...errorFacts(error),
      });
      return { ok: false, error };
    }
    this.deps.telemetry.decisionLatency(performance.now() - started);
    return { ok: true, value: decision };
  }

  /** Each flavor's demand and target beside the nodes the pool status showed when it was decided. */
  private reportFlavors(run: EvaluationRun, decision: Decision, pool: Pool): void {
    const statuses = flavorStatuses(pool);
    for (const flavor of decision.flavors) {
      const status = statuses.get(flavor.flavor);
      this.deps.telemetry.flavor(run.request.pool, flavor.flavor, {
        demandUnits: flavor.demandUnits,
        targetNodes: flavor.after.count,
        availableNodes: status?.available.total ?? 0,
        creatingNodes: status?.creating.total ?? 0,
      });
    }
  }

  /** A call that was sent and failed is logged; one deferred for want of a token is not a failure. */
  private logFailedCall(
    run: EvaluationRun,
    message: string,
    call: { error: unknown; attempts: AttemptInfo[] },
  ) {
    if (deferredWaitMs(call.error, call.attempts) !== undefined) return;
    this.deps.logger.error(message, {
      pool: run.request.pool,
      correlationId: run.correlationId,
      ...errorFacts(call.error),
    });
  }

  private logScaled(run: EvaluationRun, decision: Decision): void {
    this.deps.logger.info('pool scaled', {
      pool: run.request.pool,
      correlationId: run.correlationId,
      flavors: decision.flavors
        .filter((flavor) => flavor.outcome === 'scale')
        .map((flavor) => ({ flavor: flavor.flavor, before: flavor.before.count, after: flavor.after.count })),
    });
  }

  private result(
    run: EvaluationRun,
    status: EvaluationStatus,
    activities: Activity[],
    extra: Pick<EvaluationResult, 'decision' | 'leaseLost'> = {},
  ): EvaluationResult {
    this.deps.telemetry.evaluation(status, this.deps.clock() - run.started);
    const { decision, leaseLost } = extra;
    return {
      pool: run.request.pool,
      status,
      correlationId: run.correlationId,
      ...(decision ? { decision } : {}),
      activities,
      modelArtsRequests: run.attempts.length,
      ...(leaseLost ? { leaseLost } : {}),
    };
  }
}

/** Whether the pool the PATCH returned carries the sizes the decision asked for. */
function confirmsDecision(response: Pool, decision: Decision): string | undefined {
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

/** Seconds since the newest depth update of any flavor; undefined when the pool has no depth yet. */
function depthAgeSeconds(depth: PoolDepth, now: number): number | undefined {
  const newest = Math.max(0, ...Object.values(depth).map((flavor) => flavor.updatedAt));
  return newest > 0 ? Math.max(0, (now - newest) / 1000) : undefined;
}
