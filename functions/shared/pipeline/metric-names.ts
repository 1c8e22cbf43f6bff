import { ACTIVITY_STATUSES } from '../store/activity-repository';

/** How an evaluation ends: the activity statuses plus the two outcomes that record nothing. */
export const EVALUATION_STATUSES = [...ACTIVITY_STATUSES, 'LeaseHeld', 'NoPolicy'] as const;

export type EvaluationStatus = (typeof EVALUATION_STATUSES)[number];

/**
 * The embedded metrics the functions emit through Powertools (telemetry.ts), and that the dashboard and
 * alarms (lib/autoscaler-monitoring.ts) read. Powertools adds the `service` dimension to every metric;
 * per-flavor figures also carry `pool` and `flavor`, per-pool figures `pool`.
 */
export const PIPELINE_METRICS = {
  dimensions: { service: 'service', pool: 'pool', flavor: 'flavor' },
  /** Dimension set of the per-flavor figures. */
  flavorDimensions: ['service', 'pool', 'flavor'],
  /** Dimension set of the per-pool figures. */
  poolDimensions: ['service', 'pool'],
  demandUnits: 'DemandUnits',
  targetNodes: 'TargetNodes',
  /** Nodes the pool status showed at decision time, per pool and flavor. */
  availableNodes: 'AvailableNodes',
  creatingNodes: 'CreatingNodes',
  /** Age of a pool's newest depth update, per pool and once more with only `service` (for the alarm). */
  depthAgeSeconds: 'DepthAgeSeconds',
  /** Failed PATCH outcomes per pool (errors and 200s that do not show the change); absent while none fail. */
  patchFailures: 'PatchFailures',
  evaluations: 'Evaluations',
  evaluationLatency: 'EvaluationLatency',
  decisionLatency: 'DecisionLatency',
  patchesSuccessful: 'PatchesSuccessful',
  /** Failed PATCH outcomes of the whole fleet (`service` only): also emitted without per-pool series. */
  patchesFailed: 'PatchesFailed',
  throttles: 'Throttles',
  eventsApplied: 'EventsApplied',
  eventsIgnored: 'EventsIgnored',
  invalidMessages: 'InvalidMessages',
  /** `Evaluations<status>`: one count per evaluation outcome. */
  evaluationStatuses: EVALUATION_STATUSES,
} as const;
