export { SimulationInputError, TraceParseError } from './errors';
export { parseTrace, formatTrace, TRACE_COLUMNS, type TraceJob } from './trace';
export { VirtualPool, type VirtualPoolOptions, type FlavorSnapshot } from './virtual-pool';
export { flavorSetupsFromPolicy, checkTraceAgainstFlavors } from './flavor-setup';
export { percentile, waitStats, ReversalCounter } from './metrics';
export { replay, type ReplayOptions, type ReplayResult } from './replay';
export {
  simulate,
  simulatePolicies,
  type PoliciesSimulation,
  DEFAULT_PROVISION_DELAY_S,
  DEFAULT_SWEEP_SECONDS,
  type SimulationOptions,
} from './simulate';
export { simulateSweep } from './sweep';
export { parseSweepSpec, resolveSweepPaths, policyAtValue, type SweepSpec } from './sweep-field';
export { sweepFrontier, markPareto, dominates, type Frontier, type FrontierPoint } from './frontier';
export { simulationResult, type SimulationResult, type SimulationSettings } from './results';
export { HpaController, HPA_DEFAULT_SCALE_DOWN, HPA_DEFAULT_SCALE_UP } from './strategies/hpa-controller';
export { oracleFlavor } from './strategies/oracle';
export type { ScaleInMode } from './strategies/strategy';
export { seededRandom, deriveSeed, type Random } from './rng';
export { summaryJson, type SummaryContext } from './outputs/summary-json';
export { timelineCsv, TIMELINE_HEADER } from './outputs/timeline-csv';
export { reportHtml } from './outputs/report-html';
export { writeSimulationOutputs, OUTPUT_FILES } from './outputs/write-outputs';
export { loadPolicyFile, loadTraceFile } from './input-files';
export {
  BASELINES,
  type BaselineName,
  type FlavorSetup,
  type StrategyName,
  type StrategyResult,
  type TimelineRow,
  type WaitStats,
} from './types';
