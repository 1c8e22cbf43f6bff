/**
 * The embedded metrics the functions emit through Powertools (`functions/shared/pipeline/telemetry.ts`), as the
 * dashboard and alarms read them. Powertools adds the `service` dimension to every metric; per-flavor figures
 * also carry `pool` and `flavor`.
 */
export const PIPELINE_METRICS = {
  dimensions: { service: 'service', pool: 'pool', flavor: 'flavor' },
  /** Dimension set of the per-flavor figures. */
  flavorDimensions: ['service', 'pool', 'flavor'],
  demandUnits: 'DemandUnits',
  targetNodes: 'TargetNodes',
  evaluations: 'Evaluations',
  evaluationLatency: 'EvaluationLatency',
  decisionLatency: 'DecisionLatency',
  patchesSuccessful: 'PatchesSuccessful',
  patchesFailed: 'PatchesFailed',
  throttles: 'Throttles',
  eventsApplied: 'EventsApplied',
  eventsIgnored: 'EventsIgnored',
  invalidMessages: 'InvalidMessages',
  /** `Evaluations<status>`: one count per evaluation outcome. */
  evaluationStatuses: [
    'Successful',
    'Failed',
    'Throttled',
    'Skipped',
    'DryRun',
    'NoChange',
    'Invalid',
    'LeaseHeld',
    'NoPolicy',
  ],
} as const;

/**
 * Per-pool PATCH failures, derived from the functions' JSON logs by a metric filter: the `PATCH failed` error
 * record carries the pool, so each pool gets its own series without the functions emitting one per pool.
 */
export const PATCH_FAILURE_LOG = {
  message: 'PATCH failed',
  metricName: 'PatchFailuresByPool',
} as const;
