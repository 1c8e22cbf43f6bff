import type { SQSClient } from '@aws-sdk/client-sqs';
import { PolicyRepository } from '../store/policy-repository';
import { mapWithConcurrency } from './concurrency';
import { type EvaluationResult, PoolEvaluator } from './evaluate-pool';
import { sendPoolEvaluations } from './fan-out';
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
  const { sent, failed } = await sendPoolEvaluations(options.sqs, options.queueUrl, pools, {
    reason: 'schedule',
    correlationId: options.correlationId,
  });
  if (failed.length > 0) throw new SweepFanOutError(failed);
  return { pools, sent, evaluations: [] };
}
