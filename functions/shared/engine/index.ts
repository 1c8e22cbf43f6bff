export { decide } from './decide';
export { buildPatchBody, sizeChanged } from './patch-body';
export { splitAcrossAzs } from './azs';
export type { AzSplit, AzSplitInput } from './azs';
export { effectiveBounds } from './bounds';
export { scheduleWindow } from './schedules';
export {
  PolicySchema,
  FlavorPolicySchema,
  SchedulePolicySchema,
  ScalingRatePolicySchema,
  DEFAULT_SCALE_UP,
  DEFAULT_SCALE_DOWN,
  parsePolicy,
  policyJsonSchema,
  formatFieldPath,
  SCHEMA_KEY,
} from './policy';
export type {
  Policy,
  PolicyInput,
  FlavorPolicy,
  ScalingRules,
  ScalingRatePolicy,
  SelectPolicy,
  SchedulePolicy,
  AzBackoffPolicy,
} from './policy';
export { ScalerStateSchema, initialScalerState, parseScalerState } from './state';
export type { ScalerState, FlavorScalerState, TimedRecommendation, ScaleEvent, AzHealth } from './state';
export { PolicyValidationError, FlavorEntryNotFoundError, InvalidTargetError } from './errors';
export type { PolicyIssue } from './errors';
export type {
  Decision,
  DecisionAction,
  DecisionInput,
  FlavorDecision,
  FlavorDepth,
  FlavorOutcome,
  FlavorSize,
  FlavorTarget,
} from './types';
