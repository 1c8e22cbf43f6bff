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

/**
 * Handles one SQS batch: validates every message, applies job events and snapshots (events of one job in
 * arrival order, jobs in parallel), then evaluates each affected pool once. A bad message fails alone.
 */
export async function consumeBatch(
  deps: PipelineDependencies,
  messages: QueueMessage[],
  invocation: { remainingTimeMs?: () => number } = {},
): Promise<BatchSummary> {
  const depth = new DepthRepository(deps.store, { jobRetentionDays: deps.settings.jobRetentionDays });
  const window: EventTimeWindow = {
    maxAgeSeconds: deps.settings.jobRetentionDays * 86_400,
    maxAheadSeconds: MAX_EVENT_AHEAD_SECONDS,
  };
  const results: PromiseSettledResult<void>[] = messages.map(() => ({
    status: 'fulfilled',
    value: undefined,
  }));
  const parsed: Array<{ index: number; event: PipelineEvent }> = [];
  let invalid = 0;
  const reject = (index: number, error: InvalidEventError, facts: Record<string, unknown> = {}): void => {
    invalid += 1;
    deps.logger.error('invalid message: left for the dead-letter queue', {
      messageId: messages[index]?.messageId,
      ...facts,
      field: error.field,
      reason: error.reason,
    });
    results[index] = {
      status: 'rejected',
      reason: new PoisonMessageError(messages[index]?.messageId ?? '', error),
    };
  };
  const receivedAt = deps.clock();
  messages.forEach((message, index) => {
    try {
      const event = parseEvent(message.body);
      if (event.type !== 'pool.evaluate') checkEventTime(event, receivedAt, window);
      parsed.push({ index, event });
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      reject(index, error);
    }
  });
  const depthPools = parsed.flatMap(({ event }) => (event.type === 'pool.evaluate' ? [] : [event.pool]));
  const flavorsByPool = await policyFlavors(deps.store, depthPools, deps.sleep);

  // Events of one job stay in order (a chain per job); different jobs go in parallel.
  const chains = new Map<string, Array<{ index: number; event: PipelineEvent }>>();
  const evaluateRequests = new Map<string, Array<{ index: number; event: PoolEvaluateEvent }>>();
  for (const item of parsed) {
    const { event } = item;
    if (event.type === 'pool.evaluate') {
      const list = evaluateRequests.get(event.pool) ?? [];
      list.push({ index: item.index, event });
      evaluateRequests.set(event.pool, list);
      continue;
    }
    const key = isJobEvent(event)
      ? `job\u0000${event.pool}\u0000${event.jobId}`
      : `snapshot\u0000${item.index}`;
    const chain = chains.get(key) ?? [];
    chain.push(item);
    chains.set(key, chain);
  }

  let applied = 0;
  let ignored = 0;
  const changedPools = new Set<string>();
  await mapWithConcurrency([...chains.values()], EVENT_CONCURRENCY, async (chain) => {
    for (const { index, event } of chain) {
      if (event.type === 'pool.evaluate') continue;
      const facts = { pool: event.pool, flavor: event.flavor, type: event.type };
      try {
        checkNamedByPolicy(event, flavorsByPool);
        const now = deps.clock();
        let changed: boolean;
        if (isJobEvent(event)) {
          const outcome = await depth.applyJobEvent(event, now);
          // A job event a snapshot already counts moves the job's state, not the counters.
          changed = outcome.applied && outcome.counted;
          if (outcome.applied && outcome.clampedUnits > 0) {
            deps.logger.warn('counters lacked units for a job event: kept at 0', {
              ...facts,
              jobId: event.jobId,
              clampedUnits: outcome.clampedUnits,
            });
          }
          if (outcome.applied) applied += 1;
          else ignored += 1;
        } else {
          changed = await depth.applySnapshot(event, now);
          if (changed) applied += 1;
          else {
            ignored += 1;
            deps.logger.info(
              "snapshot older than the flavor's newest snapshot or counted job event: not applied",
              {
                ...facts,
                at: event.at,
              },
            );
          }
        }
        if (changed) changedPools.add(event.pool);
      } catch (error) {
        if (error instanceof InvalidEventError) {
          reject(index, error, isJobEvent(event) ? { ...facts, jobId: event.jobId } : facts);
        } else if (error instanceof DepthStorageFullError) {
          reject(index, new InvalidEventError('pool', error.message), facts);
        } else {
          deps.logger.warn('event not applied, will be retried', {
            ...facts,
            messageId: messages[index]?.messageId,
            error: (error as Error).message,
          });
          results[index] = { status: 'rejected', reason: error };
        }
      }
    }
  });
  deps.telemetry.events({ applied, ignored, invalid });

  const pools = new Set([...changedPools, ...evaluateRequests.keys()]);
  const evaluator = new PoolEvaluator(deps);
  const outcomes = await mapWithConcurrency([...pools], EVALUATION_CONCURRENCY, async (pool) => {
    const requests = evaluateRequests.get(pool) ?? [];
    const first = requests[0]?.event;
    return evaluator.evaluate({
      pool,
      ...(invocation.remainingTimeMs !== undefined ? { remainingTimeMs: invocation.remainingTimeMs } : {}),
      trigger: first ? first.reason : 'job events',
      ...(first?.correlationId !== undefined
        ? { correlationId: first.correlationId }
        : requests[0]
          ? { correlationId: messages[requests[0].index]?.messageId ?? pool }
          : {}),
      ...(requests.some((request) => request.event.dryRun === true) ? { dryRun: true } : {}),
    });
  });
  const evaluations: EvaluationResult[] = [];
  [...pools].forEach((pool, i) => {
    const outcome = outcomes[i];
    if (outcome?.status === 'fulfilled') {
      evaluations.push(outcome.value);
      return;
    }
    deps.logger.error('evaluation failed', { pool, error: (outcome?.reason as Error | undefined)?.message });
    // Only explicit evaluation requests are retried; job events were applied and the sweep comes back anyway.
    for (const request of evaluateRequests.get(pool) ?? []) {
      results[request.index] = { status: 'rejected', reason: outcome?.reason };
    }
  });
  return { results, applied, ignored, invalid, evaluations };
}
