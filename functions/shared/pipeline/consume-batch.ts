import {
  type DepthSnapshotEvent,
  type EventTimeWindow,
  InvalidEventError,
  type JobEvent,
  MAX_EVENT_AHEAD_SECONDS,
  type PipelineEvent,
  type PoolEvaluateEvent,
  checkEventTime,
  isJobEvent,
  parseEvent,
} from '../events';
import { DepthRepository, DepthStorageFullError } from '../store/depth-repository';
import { policyFlavors } from '../store/policy-flavors';
import { mapWithConcurrency } from './concurrency';
import { type EvaluationResult, PoolEvaluator } from './evaluate-pool';
import type { PipelineDependencies } from './types';

/** The part of an SQS record the consumer reads. */
export interface QueueMessage {
  messageId: string;
  body: string;
}

/** A message that can never succeed; retries are pointless, so it is left to reach the DLQ. */
export class PoisonMessageError extends Error {
  override readonly name = 'PoisonMessageError';
  constructor(
    readonly messageId: string,
    readonly invalidEvent: InvalidEventError,
  ) {
    super(`message ${messageId} is invalid: ${invalidEvent.message}`);
  }
}

export interface BatchSummary {
  /** One entry per message, in order: rejected ones are reported as batch item failures. */
  results: PromiseSettledResult<void>[];
  applied: number;
  ignored: number;
  invalid: number;
  evaluations: EvaluationResult[];
}

const EVENT_CONCURRENCY = 16;
const EVALUATION_CONCURRENCY = 4;
/** Flavor names quoted in a rejection, at most. */
const NAMES_IN_REASON = 10;

type DepthEvent = JobEvent | DepthSnapshotEvent;

/**
 * Rejects a job event or snapshot for a pool without a policy, or for a flavor its policy does not name: the
 * depth keeps only what some policy can use, so producers cannot make it grow without bound.
 */
export function checkNamedByPolicy(event: DepthEvent, flavorsByPool: Map<string, ReadonlySet<string>>): void {
  const named = flavorsByPool.get(event.pool);
  if (named === undefined) {
    throw new InvalidEventError(
      'pool',
      `pool ${event.pool} has no policy, so its events are not counted: write its policy first, then redrive the dead-letter queue`,
    );
  }
  if (!named.has(event.flavor)) {
    const names = [...named].slice(0, NAMES_IN_REASON).join(', ');
    throw new InvalidEventError(
      'flavor',
      `flavor ${event.flavor} is not in the policy of pool ${event.pool} (it names ${names || 'no flavor'})`,
    );
  }
}

type Parsed = { index: number; event: PipelineEvent };
type DepthItem = { index: number; event: DepthEvent };
type EvaluateItem = { index: number; event: PoolEvaluateEvent };

/**
 * What a batch did to each message and to the depth: one result per message (rejected ones become batch item
 * failures) and the counts of applied, ignored and invalid events.
 */
class BatchOutcome {
  readonly results: PromiseSettledResult<void>[];
  applied = 0;
  ignored = 0;
  invalid = 0;
  readonly changedPools = new Set<string>();

  constructor(
    private readonly deps: PipelineDependencies,
    private readonly messages: readonly QueueMessage[],
  ) {
    this.results = messages.map(() => ({ status: 'fulfilled', value: undefined }));
  }

  /** A message that can never succeed: logged with the field at fault and left for the dead-letter queue. */
  reject(index: number, error: InvalidEventError, facts: Record<string, unknown> = {}): void {
    this.invalid += 1;
    this.deps.logger.error('invalid message: left for the dead-letter queue', {
      messageId: this.messages[index]?.messageId,
      ...facts,
      field: error.field,
      reason: error.reason,
    });
    this.results[index] = {
      status: 'rejected',
      reason: new PoisonMessageError(this.messages[index]?.messageId ?? '', error),
    };
  }

  /** A message that failed for now (the store, a conflict): SQS delivers it again. */
  retry(index: number, reason: unknown): void {
    this.results[index] = { status: 'rejected', reason };
  }

  messageId(index: number): string | undefined {
    return this.messages[index]?.messageId;
  }
}

/**
 * Handles one SQS batch, in order: parse every message → group the depth events by job and the evaluation
 * requests by pool → apply the depth events (events of one job in arrival order, jobs in parallel) → evaluate
 * each affected pool once. A bad message fails alone.
 */
export async function consumeBatch(
  deps: PipelineDependencies,
  messages: QueueMessage[],
  invocation: { remainingTimeMs?: () => number } = {},
): Promise<BatchSummary> {
  const outcome = new BatchOutcome(deps, messages);
  const parsed = parseMessages(deps, messages, outcome);
  const { chains, evaluateRequests } = groupEvents(parsed);
  await applyDepthEvents(deps, chains, outcome);
  deps.telemetry.events({ applied: outcome.applied, ignored: outcome.ignored, invalid: outcome.invalid });
  const evaluations = await evaluatePools(deps, evaluateRequests, outcome, invocation);
  const { results, applied, ignored, invalid } = outcome;
  return { results, applied, ignored, invalid, evaluations };
}

/** Every message as an event, its time inside the accepted window; what does not parse is rejected. */
function parseMessages(
  deps: PipelineDependencies,
  messages: QueueMessage[],
  outcome: BatchOutcome,
): Parsed[] {
  const window: EventTimeWindow = {
    maxAgeSeconds: deps.settings.jobRetentionDays * 86_400,
    maxAheadSeconds: MAX_EVENT_AHEAD_SECONDS,
  };
  const receivedAt = deps.clock();
  const parsed: Parsed[] = [];
  messages.forEach((message, index) => {
    try {
      const event = parseEvent(message.body);
      if (event.type !== 'pool.evaluate') checkEventTime(event, receivedAt, window);
      parsed.push({ index, event });
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      outcome.reject(index, error);
    }
  });
  return parsed;
}

/** Depth events in chains (one per job, in arrival order; a snapshot alone), evaluation requests per pool. */
function groupEvents(parsed: readonly Parsed[]): {
  chains: DepthItem[][];
  evaluateRequests: Map<string, EvaluateItem[]>;
} {
  const chains = new Map<string, DepthItem[]>();
  const evaluateRequests = new Map<string, EvaluateItem[]>();
  for (const { index, event } of parsed) {
    if (event.type === 'pool.evaluate') {
      evaluateRequests.set(event.pool, [...(evaluateRequests.get(event.pool) ?? []), { index, event }]);
      continue;
    }
    const key = isJobEvent(event) ? `job\u0000${event.pool}\u0000${event.jobId}` : `snapshot\u0000${index}`;
    chains.set(key, [...(chains.get(key) ?? []), { index, event }]);
  }
  return { chains: [...chains.values()], evaluateRequests };
}

/** Applies the depth events, a chain at a time; the pools whose counters moved are noted for evaluation. */
async function applyDepthEvents(
  deps: PipelineDependencies,
  chains: readonly DepthItem[][],
  outcome: BatchOutcome,
): Promise<void> {
  const depth = new DepthRepository(deps.store, { jobRetentionDays: deps.settings.jobRetentionDays });
  const pools = chains.flatMap((chain) => chain.map(({ event }) => event.pool));
  const flavorsByPool = await policyFlavors(deps.store, pools, deps.sleep);
  await mapWithConcurrency([...chains], EVENT_CONCURRENCY, async (chain) => {
    for (const { index, event } of chain) {
      const facts = { pool: event.pool, flavor: event.flavor, type: event.type };
      try {
        checkNamedByPolicy(event, flavorsByPool);
        if (await applyDepthEvent(deps, depth, event, outcome)) outcome.changedPools.add(event.pool);
      } catch (error) {
        if (error instanceof InvalidEventError) {
          outcome.reject(index, error, isJobEvent(event) ? { ...facts, jobId: event.jobId } : facts);
        } else if (error instanceof DepthStorageFullError) {
          outcome.reject(index, new InvalidEventError('pool', error.message), facts);
        } else {
          deps.logger.warn('event not applied, will be retried', {
            ...facts,
            messageId: outcome.messageId(index),
            error: (error as Error).message,
          });
          outcome.retry(index, error);
        }
      }
    }
  });
}

/** One job event or snapshot against the depth; whether the counters changed. */
async function applyDepthEvent(
  deps: PipelineDependencies,
  depth: DepthRepository,
  event: DepthEvent,
  outcome: BatchOutcome,
): Promise<boolean> {
  const now = deps.clock();
  const facts = { pool: event.pool, flavor: event.flavor, type: event.type };
  if (isJobEvent(event)) {
    const applied = await depth.applyJobEvent(event, now);
    if (applied.applied && applied.clampedUnits > 0) {
      deps.logger.warn('counters lacked units for a job event: kept at 0', {
        ...facts,
        jobId: event.jobId,
        clampedUnits: applied.clampedUnits,
      });
    }
    if (applied.applied) outcome.applied += 1;
    else outcome.ignored += 1;
    // A job event a snapshot already counts moves the job's state, not the counters.
    return applied.applied && applied.counted;
  }
  const changed = await depth.applySnapshot(event, now);
  if (changed) outcome.applied += 1;
  else {
    outcome.ignored += 1;
    deps.logger.info("snapshot older than the flavor's newest snapshot or counted job event: not applied", {
      ...facts,
      at: event.at,
    });
  }
  return changed;
}

/**
 * Evaluates each pool whose counters moved or that was asked for, once. Only explicit evaluation requests are
 * retried when their evaluation fails: job events were applied, and the sweep comes back anyway.
 */
async function evaluatePools(
  deps: PipelineDependencies,
  evaluateRequests: Map<string, EvaluateItem[]>,
  outcome: BatchOutcome,
  invocation: { remainingTimeMs?: () => number },
): Promise<EvaluationResult[]> {
  const pools = [...new Set([...outcome.changedPools, ...evaluateRequests.keys()])];
  const evaluator = new PoolEvaluator(deps);
  const settled = await mapWithConcurrency(pools, EVALUATION_CONCURRENCY, async (pool) => {
    const requests = evaluateRequests.get(pool) ?? [];
    const first = requests[0];
    return evaluator.evaluate({
      pool,
      ...(invocation.remainingTimeMs !== undefined ? { remainingTimeMs: invocation.remainingTimeMs } : {}),
      trigger: first ? first.event.reason : 'job events',
      ...(first?.event.correlationId !== undefined
        ? { correlationId: first.event.correlationId }
        : first
          ? { correlationId: outcome.messageId(first.index) ?? pool }
          : {}),
      ...(requests.some((request) => request.event.dryRun === true) ? { dryRun: true } : {}),
    });
  });
  const evaluations: EvaluationResult[] = [];
  pools.forEach((pool, i) => {
    const result = settled[i];
    if (result?.status === 'fulfilled') {
      evaluations.push(result.value);
      return;
    }
    deps.logger.error('evaluation failed', { pool, error: (result?.reason as Error | undefined)?.message });
    for (const request of evaluateRequests.get(pool) ?? []) outcome.retry(request.index, result?.reason);
  });
  return evaluations;
}
