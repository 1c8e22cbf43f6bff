// The pipeline's public surface: what the command line, the local run, the benchmarks and the tests build and
// call. The evaluation's steps, outcome rules and record shapes stay inside. The Lambda handlers import the
// modules they use one by one: the consumer must not reach the sweep's SendMessageBatch, nor any other code it
// does not run, for its permissions to be checked against its code (test/cdk/least-privilege.test.ts).
export { consumeBatch, PoisonMessageError } from './consume-batch';
export type { BatchSummary, QueueMessage } from './consume-batch';
export { CredentialsSecretError, credentialsSource, dependenciesFromEnv } from './dependencies';
export type { HandlerDependencies } from './dependencies';
export { PoolEvaluator } from './evaluate-pool';
export type { EvaluationRequest, EvaluationResult } from './evaluate-pool';
export { EVALUATION_STATUSES, PIPELINE_METRICS } from './metric-names';
export type { EvaluationStatus } from './metric-names';
export { RequestBudgetExhaustedError } from './request-budget';
export { SweepFanOutError, sweepPools } from './sweep';
export type { SweepOptions, SweepResult } from './sweep';
export { PowertoolsTelemetry, RecordingTelemetry } from './telemetry';
export type { FlavorFigures, PipelineTelemetry, PowertoolsTelemetryOptions } from './telemetry';
export { DEFAULT_EVALUATION_SETTINGS } from './types';
export type {
  EvaluationSettings,
  ModelArtsClientFactory,
  ModelArtsClientHooks,
  ModelArtsTarget,
  PipelineDependencies,
} from './types';
