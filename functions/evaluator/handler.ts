import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { type HandlerDependencies, dependenciesFromEnv } from '../shared/pipeline/dependencies';
import { sweepPools } from '../shared/pipeline/sweep';

export interface SweepSummary {
  pools: number;
  sent: number;
  evaluated: Record<string, string>;
}

/** Scheduled sweep: one `pool.evaluate` per enabled pool, or every evaluation in process when configured. */
export function createEvaluatorHandler(deps: HandlerDependencies) {
  return middy<ScheduledEvent, SweepSummary, Error, Context>()
    .use(injectLambdaContext(deps.logger))
    .use(logMetrics(deps.metrics, { captureColdStartMetric: true }))
    .handler(async (event, context) => {
      const correlationId = event.id ?? context.awsRequestId;
      const result = await sweepPools(deps, {
        correlationId,
        inProcess: deps.evaluateInProcess,
        remainingTimeMs: () => context.getRemainingTimeInMillis(),
        sqs: deps.sqs,
        ...(deps.queueUrl !== undefined ? { queueUrl: deps.queueUrl } : {}),
      });
      deps.logger.info('sweep done', { correlationId, pools: result.pools.length, sent: result.sent });
      return {
        pools: result.pools.length,
        sent: result.sent,
        evaluated: Object.fromEntries(
          result.evaluations.map((evaluation) => [evaluation.pool, evaluation.status]),
        ),
      };
    });
}

let production: ReturnType<typeof createEvaluatorHandler> | undefined;

export const handler = (event: ScheduledEvent, context: Context): Promise<SweepSummary> =>
  (production ??= createEvaluatorHandler(dependenciesFromEnv()))(event, context);
