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
  ParsePolicyOptions,
} from './policy';
export { ScalerStateSchema, initialScalerState, parseScalerState, withScaleOf } from './state';
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
  FlavorNodeChoice,
} from './types';
export {
  UNKNOWN_OCCUPANCY,
  checkShapes,
  chooseNodesToRemove,
  freeUnits,
  isIdle,
  isLive,
  keptBecause,
  placementUnits,
} from './occupancy';
export type {
  KeptBecause,
  NodeOccupancy,
  NodePhase,
  PendingJob,
  PoolOccupancy,
  RemovalChoice,
  ShapeCheck,
} from './occupancy';
export { placeJob, placeQueue, fits, freeCapacity } from './placement';
export type { FreeCapacity, Placement, PlacementNode } from './placement';
