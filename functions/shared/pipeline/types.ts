import type { Logger } from '@aws-lambda-powertools/logger';
import type { AttemptInfo, ModelArtsClient } from '../modelarts';
import type { StoreContext } from '../store/document-client';
import type { PipelineTelemetry } from './telemetry';

/** Where one pool's API lives. */
export interface ModelArtsTarget {
  endpoint: string;
  projectId: string;
}

/**
 * Builds a client for one evaluation; `onAttempt` sees every HTTP attempt of that evaluation, so retries and
 * their statuses end up in its activity. `beforeRetry` takes a token from the shared bucket (it throws
 * `RequestBudgetExhaustedError` when none comes in time): call it after the retry delay, so retries count
 * against the request rate too.
 */
export type ModelArtsClientFactory = (
  target: ModelArtsTarget,
  onAttempt: (info: AttemptInfo) => void,
  beforeRetry?: () => Promise<void>,
) => Promise<ModelArtsClient>;

/** No token came within the evaluation's wait: the call is abandoned and the evaluation recorded Throttled. */
export class RequestBudgetExhaustedError extends Error {
  override readonly name = 'RequestBudgetExhaustedError';
  constructor(readonly waitMs: number) {
    super(`ModelArts request budget exhausted: next token in ${waitMs} ms`);
  }
}

export interface EvaluationSettings {
  /** How long an evaluator holds a pool. */
  leaseMs: number;
  /** Token bucket shared by all Lambdas per endpoint and project. */
  requestsPerSecond: number;
  burst: number;
  /** Longest wait for a token inside one evaluation; beyond it the pool is recorded Throttled. */
  maxTokenWaitMs: number;
  /** Failure back-off: first delay, doubled per consecutive failure, capped. */
  failureBackoffBaseMs: number;
  failureBackoffMaxMs: number;
  activityRetentionDays: number;
  /**
   * Days an ended job's record is kept to recognise late duplicates (jobs that have not ended are kept while
   * they live); also how old an event may be when it is received. The stack derives it from the queues.
   */
  jobRetentionDays: number;
  /** When set, used instead of the policies' endpoint / project id. */
  endpointOverride?: string;
  projectIdOverride?: string;
}

export const DEFAULT_EVALUATION_SETTINGS: EvaluationSettings = {
  leaseMs: 60_000,
  requestsPerSecond: 5,
  burst: 10,
  maxTokenWaitMs: 2_000,
  failureBackoffBaseMs: 15_000,
  failureBackoffMaxMs: 15 * 60_000,
  activityRetentionDays: 30,
  jobRetentionDays: 16,
};

/** Everything the pipeline touches, injected: the handlers build it from the environment, tests by hand. */
export interface PipelineDependencies {
  store: StoreContext;
  modelArts: ModelArtsClientFactory;
  /** Epoch ms. */
  clock: () => number;
  newId: () => string;
  sleep: (ms: number) => Promise<void>;
  logger: Logger;
  telemetry: PipelineTelemetry;
  settings: EvaluationSettings;
}
