import { TokenBucketRepository, tokenBucketKey } from '../store/token-bucket-repository';
import type { ModelArtsTarget, PipelineDependencies } from './types';

/** No token came within the evaluation's wait: the call is abandoned and the evaluation recorded Throttled. */
export class RequestBudgetExhaustedError extends Error {
  override readonly name = 'RequestBudgetExhaustedError';
  constructor(readonly waitMs: number) {
    super(`ModelArts request budget exhausted: next token in ${waitMs} ms`);
  }
}

/**
 * The client's `beforeAttempt` hook for one endpoint and project: every attempt, retries included, takes a
 * token from the bucket all Lambdas share, so the API never sees more than the configured rate. A token that
 * does not come within `maxTokenWaitMs` ends the call with `RequestBudgetExhaustedError`.
 */
export function tokenBeforeEachAttempt(
  deps: Pick<PipelineDependencies, 'store' | 'settings' | 'clock' | 'sleep'>,
  target: ModelArtsTarget,
): () => Promise<void> {
  const { settings } = deps;
  const bucket = new TokenBucketRepository(deps.store, {
    ratePerSecond: settings.requestsPerSecond,
    burst: settings.burst,
  });
  const key = tokenBucketKey(target.endpoint, target.projectId);
  return async () => {
    let grant = await bucket.take(key, deps.clock());
    if (!grant.granted && grant.waitMs <= settings.maxTokenWaitMs) {
      await deps.sleep(grant.waitMs);
      grant = await bucket.take(key, deps.clock());
    }
    if (!grant.granted) throw new RequestBudgetExhaustedError(grant.waitMs);
  };
}
