import {
  InvalidEventError,
  type PipelineEvent,
  type PoolEvaluateEvent,
  isJobEvent,
  parseEvent,
} from '../events';
import { DepthRepository } from '../store/depth-repository';
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

/**
 * Handles one SQS batch: validates every message, applies job events and snapshots (events of one job in
 * arrival order, jobs in parallel), then evaluates each affected pool once. A bad message fails alone.
 */
export async function consumeBatch(
  deps: PipelineDependencies,
  messages: QueueMessage[],
): Promise<BatchSummary> {
  const depth = new DepthRepository(deps.store, { jobRetentionDays: deps.settings.jobRetentionDays });
  const results: PromiseSettledResult<void>[] = messages.map(() => ({
    status: 'fulfilled',
    value: undefined,
  }));
  const parsed: Array<{ index: number; event: PipelineEvent }> = [];
  let invalid = 0;
  messages.forEach((message, index) => {
    try {
      parsed.push({ index, event: parseEvent(message.body) });
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      invalid += 1;
      deps.logger.error('invalid message: left for the dead-letter queue', {
        messageId: message.messageId,
        field: error.field,
        reason: error.reason,
      });
      results[index] = { status: 'rejected', reason: new PoisonMessageError(message.messageId, error) };
    }
  });

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
      try {
        const now = deps.clock();
        const changed = isJobEvent(event)
          ? (await depth.applyJobEvent(event, now)).applied
          : event.type === 'depth.snapshot' && (await depth.applySnapshot(event, now));
        if (changed) {
          applied += 1;
          changedPools.add(event.pool);
        } else {
          ignored += 1;
        }
      } catch (error) {
        deps.logger.warn('event not applied, will be retried', {
          pool: event.pool,
          messageId: messages[index]?.messageId,
          error: (error as Error).message,
        });
        results[index] = { status: 'rejected', reason: error };
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
