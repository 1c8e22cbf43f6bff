export {
  startModelArtsSimulator,
  DEFAULT_AVAILABILITY_ZONES,
  DEFAULT_PROJECT_ID,
  type EndWorkloadOptions,
  type ModelArtsSimulator,
  type ProjectOption,
  type SeedPoolOptions,
} from './server';
export { CONTROL_PREFIX } from './control-api';
export { ModelArtsHttpError } from './errors';
export {
  flavorResources,
  flavorResourcesByName,
  type FlavorResources,
  type FlavorResourcesOverride,
} from './flavor-resources';
export type { TransitionListener, TransitionPage, WorkloadTransition } from './transition-log';
export {
  WorkloadSubmissionSchema,
  type SimWorkloadStatus,
  type WorkloadRecord,
  type WorkloadSubmission,
} from './workloads';
export type { FaultAction, FaultRule } from './faults';
export type {
  AzCapacity,
  ModelArtsSimulatorOptions,
  PoolPhase,
  RequestLogEntry,
  SimulatorCredentials,
} from './types';
export { applyMergePatch } from './merge-patch';
export {
  DEMO_FLAVORS,
  DEMO_POOL_LABEL,
  demoPool,
  physicalPoolRequest,
  type PhysicalPoolOptions,
  seedCreateLogicalPoolRequest,
  seedCreatePhysicalPoolRequest,
  seedUpdatePoolRequest,
  seedUpdateTargetPoolRequest,
} from './fixtures';
