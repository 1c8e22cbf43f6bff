import { type SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { PoolEvaluateEvent } from '../events';
import { PolicyRepository } from '../store/policy-repository';
import { mapWithConcurrency } from './concurrency';
import { type EvaluationResult, PoolEvaluator } from './evaluate-pool';
import type { PipelineDependencies } from './types';

export interface SweepOptions {
  correlationId: string;
  /** Evaluate here instead of fanning out messages (small fleets, local runs). */
  inProcess: boolean;
  sqs?: SQSClient;
  queueUrl?: string;
  /** The invocation's remaining time, for evaluations made here. */
  remainingTimeMs?: () => number;
}

export interface SweepResult {
  pools: string[];
  /** Messages accepted by the queue (fan-out) ... */
  sent: number;
  /** ... or evaluations made here (in process). */
  evaluations: EvaluationResult[];
}

export class SweepFanOutError extends Error {
  override readonly name = 'SweepFanOutError';
  constructor(readonly pools: string[]) {
    super(`pool.evaluate could not be queued for ${pools.length} pool(s): ${pools.slice(0, 10).join(', ')}`);
  }
}

const SQS_BATCH = 10;
const IN_PROCESS_CONCURRENCY = 4;

/** The scheduled sweep: every enabled pool gets one evaluation, through the queue or right here. */
export async function sweepPools(deps: PipelineDependencies, options: SweepOptions): Promise<SweepResult> {
  const policies = await new PolicyRepository(deps.store).listEnabled();
  const pools = policies.map((policy) => policy.pool);
  if (options.inProcess) {
    const evaluator = new PoolEvaluator(deps);
    const settled = await mapWithConcurrency(pools, IN_PROCESS_CONCURRENCY, (pool) =>
      evaluator.evaluate({
        pool,
        trigger: 'schedule',
        correlationId: options.correlationId,
        ...(options.remainingTimeMs !== undefined ? { remainingTimeMs: options.remainingTimeMs } : {}),
      }),
    );
    const evaluations: EvaluationResult[] = [];
    settled.forEach((outcome, index) => {
      if (outcome.status === 'fulfilled') evaluations.push(outcome.value);
      else
        deps.logger.error('evaluation failed', {
          pool: pools[index],
          error: (outcome.reason as Error).message,
        });
    });
    return { pools, sent: 0, evaluations };
  }
  if (!options.sqs || !options.queueUrl) throw new Error('QUEUE_URL is required to fan out pool evaluations');
  const failed: string[] = [];
  let sent = 0;
  for (let start = 0; start < pools.length; start += SQS_BATCH) {
    let batch = pools.slice(start, start + SQS_BATCH);
    for (let attempt = 0; attempt < 3 && batch.length > 0; attempt += 1) {
      const result = await options.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: batch.map((pool, index) => {
            const message: PoolEvaluateEvent = {
              type: 'pool.evaluate',
              pool,
              reason: 'schedule',
              correlationId: options.correlationId,
            };
            return { Id: String(index), MessageBody: JSON.stringify(message) };
          }),
        }),
      );
      sent += result.Successful?.length ?? 0;
      batch = (result.Failed ?? [])
        .map((entry) => batch[Number(entry.Id)])
        .filter((pool) => pool !== undefined);
    }
    failed.push(...batch);
  }
  if (failed.length > 0) throw new SweepFanOutError(failed);
  return { pools, sent, evaluations: [] };
}
