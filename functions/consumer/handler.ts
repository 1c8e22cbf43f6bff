import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { consumeBatch } from '../shared/pipeline/consume-batch';
import { type HandlerDependencies, dependenciesFromEnv } from '../shared/pipeline/dependencies';

/** SQS consumer: job events, depth snapshots and `pool.evaluate`, with partial batch failures. */
export function createConsumerHandler(deps: HandlerDependencies) {
  return middy<SQSEvent, SQSBatchResponse, Error, Context>()
    .use(injectLambdaContext(deps.logger))
    .use(logMetrics(deps.metrics, { captureColdStartMetric: true }))
    .use(
      sqsPartialBatchFailure({
        logger: (_reason: unknown, record: { messageId?: string }) =>
          deps.logger.warn('message reported as failed', { messageId: record.messageId }),
      }),
    )
    .handler(async (event, context) => {
      const summary = await consumeBatch(deps, event.Records, {
        remainingTimeMs: () => context.getRemainingTimeInMillis(),
      });
      // The partial-batch middleware turns these settled results into `batchItemFailures`.
      return summary.results as unknown as SQSBatchResponse;
    });
}

let production: ReturnType<typeof createConsumerHandler> | undefined;

export const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  (production ??= createConsumerHandler(dependenciesFromEnv()))(event, context);
