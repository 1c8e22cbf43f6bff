/**
 * Names of the embedded metrics the functions emit (namespace from POWERTOOLS_METRICS_NAMESPACE), as the
 * dashboard and alarms read them.
 */
export const PIPELINE_METRICS = {
  dimensions: { service: 'service', pool: 'pool', flavor: 'flavor' },
  dimensionSets: {
    pool: ['service', 'pool'],
    flavor: ['service', 'pool', 'flavor'],
  },
  demandUnits: 'DemandUnits',
  targetNodes: 'TargetNodes',
  availableNodes: 'AvailableNodes',
  depthAgeSeconds: 'DepthAgeSeconds',
  patchSucceeded: 'PatchSucceeded',
  patchFailed: 'PatchFailed',
  modelArtsThrottled: 'ModelArtsThrottled',
  rateLimited: 'RateLimited',
  eventsFailed: 'EventsFailed',
} as const;
