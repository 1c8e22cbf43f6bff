import type { Logger } from '@aws-lambda-powertools/logger';
import { DEFAULT_ENDPOINT_ALLOWLIST, type EndpointAllowlist } from '../endpoint-allowlist';
import type { AttemptInfo, ModelArtsClient, ModelArtsClientOptions } from '../modelarts';
import type { StoreContext } from '../store/document-client';
import type { PipelineTelemetry } from './telemetry';

/** Where one pool's API lives. */
export interface ModelArtsTarget {
  endpoint: string;
  projectId: string;
}

/** What the evaluation hooks into every client it asks for. */
export interface ModelArtsClientHooks {
  /** Sees every HTTP attempt of the evaluation, so retries and their statuses end up in its activity. */
  onAttempt: (info: AttemptInfo) => void;
  /**
   * Takes a token from the shared bucket before every attempt, retries included; throws
   * `RequestBudgetExhaustedError` when none comes in time.
   */
  beforeAttempt: NonNullable<ModelArtsClientOptions['beforeAttempt']>;
}

/**
 * Builds a client for one evaluation. Pass both hooks to the client as they are (`{ ...hooks }` among its
 * options): a client without `beforeAttempt` calls ModelArts outside the shared request rate.
 */
export type ModelArtsClientFactory = (
  target: ModelArtsTarget,
  hooks: ModelArtsClientHooks,
) => Promise<ModelArtsClient>;

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
  /** Where a policy's endpoint may point; a policy outside it is recorded `Invalid`. */
  endpointAllowlist: EndpointAllowlist;
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
  endpointAllowlist: DEFAULT_ENDPOINT_ALLOWLIST,
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
