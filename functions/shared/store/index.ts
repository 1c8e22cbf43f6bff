// The store's public surface: the repositories, their records and errors, and the table definitions. Helpers the
// repositories share (condition-failure parsing, item conversions, transaction items) stay inside.
// Code the Lambda handlers reach imports the store's modules one by one instead, so that a handler's bundle and
// the permissions checked against its code (test/cdk/least-privilege.test.ts) cover only what it uses.
export { ACTIVITY_STATUSES, ActivityRepository } from './activity-repository';
export type {
  Activity,
  ActivityQuery,
  ActivityRepositoryOptions,
  ActivitySize,
  ActivityStatus,
  StoredActivity,
} from './activity-repository';
export { createTables } from './create-tables';
export { DepthRepository, DepthStorageFullError, DepthUpdateConflictError } from './depth-repository';
export { policyFlavors } from './policy-flavors';
export type { FlavorDepth, JobEventOutcome, JobRecord, PoolDepth } from './depth-repository';
export { createDocumentClient } from './document-client';
export type { StoreContext } from './document-client';
export { EvaluationOutcomeRepository } from './evaluation-outcome';
export type { EvaluationOutcomeWrite } from './evaluation-outcome';
export { readEvaluationInputs } from './evaluation-read';
export type { EvaluationInputs } from './evaluation-read';
export { jobTransition } from './job-transitions';
export type { JobState, JobTransition } from './job-transitions';
export {
  POLICY_BOOKKEEPING_ATTRIBUTES,
  PolicyNotFoundError,
  PolicyRepository,
  PolicyVersionConflictError,
} from './policy-repository';
export type { PutPolicyOptions, StoredPolicy } from './policy-repository';
export { ScalerStateRepository } from './scaler-state-repository';
export type { LeaseResult, ScalerRecord, ScalerStateUpdate } from './scaler-state-repository';
export { TABLES, TABLE_KEYS, tableNamesWithPrefix } from './tables';
export type { KeyAttribute, TableDefinition, TableKey, TableNames } from './tables';
export { TokenBucketRepository, tokenBucketKey } from './token-bucket-repository';
export type { TokenBucketOptions, TokenGrant } from './token-bucket-repository';
