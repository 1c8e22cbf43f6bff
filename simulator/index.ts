export {
  startModelArtsSimulator,
  DEFAULT_AVAILABILITY_ZONES,
  DEFAULT_PROJECT_ID,
  type ModelArtsSimulator,
  type SeedPoolOptions,
} from './server';
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
  seedCreateLogicalPoolRequest,
  seedCreatePhysicalPoolRequest,
  seedUpdatePoolRequest,
  seedUpdateTargetPoolRequest,
} from './fixtures';
