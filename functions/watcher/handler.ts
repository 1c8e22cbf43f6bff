import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { type HandlerDependencies, dependenciesFromEnv } from '../shared/pipeline/dependencies';
import { type WatcherSettings, watcherSettingsFromEnv } from './settings';
import { type WatchSummary, watchRounds } from './watch-pools';

/** Scheduled workload watch: polls the statistics of every pool whose demand is its workloads, evaluates the changed. */
export function createWatcherHandler(deps: HandlerDependencies, settings: WatcherSettings) {
  return middy<ScheduledEvent, WatchSummary, Error, Context>()
    .use(injectLambdaContext(deps.logger))
    .use(logMetrics(deps.metrics, { captureColdStartMetric: true }))
    .handler(async (event, context) => {
      if (deps.queueUrl === undefined) throw new Error('QUEUE_URL is required to queue pool evaluations');
      const correlationId = event.id ?? context.awsRequestId;
      const summary = await watchRounds(deps, {
        sqs: deps.sqs,
        queueUrl: deps.queueUrl,
        correlationId,
        ...settings,
        remainingMs: () => context.getRemainingTimeInMillis(),
      });
      deps.logger.info('workload watch done', { correlationId, ...summary });
      return summary;
    });
}

let production: ReturnType<typeof createWatcherHandler> | undefined;

export const handler = (event: ScheduledEvent, context: Context): Promise<WatchSummary> =>
  (production ??= createWatcherHandler(dependenciesFromEnv(), watcherSettingsFromEnv()))(event, context);
