/**
 * Zod schemas for the ModelArts resource-pool API (v2), written from the seed documents
 * (`docs/api/seeds/update-pool-api.rst` for PATCH and the response model, `docs/api/seeds/create-pool-api.txt` for POST);
 * nodes, workloads and statistics follow the models of Huawei's official SDK (ModelArts `v1` module), whose
 * JSON names are those of the public API reference.
 *
 * Objects are loose: fields we do not model are kept verbatim on parse. A PATCH carrying `spec.resources`
 * replaces the array whole, so every flavor entry must travel back exactly as read; dropping an unknown
 * field there would change the pool.
 */
import { z } from 'zod';

// ---------------------------------------------------------------- enumerations (PATCH document)

export const PoolPhaseSchema = z.enum([
  'Creating',
  'Running',
  'Abnormal',
  'Deleting',
  'Error',
  'CreationFailed',
  'ScalingFailed',
  'Waiting',
]);
/** `Dedicate` is a physical pool (maxCount = count); `Logical` is a sub-pool (maxCount >= count). */
export const PoolTypeSchema = z.enum(['Dedicate', 'Logical']);
export const JobScopeSchema = z.enum(['Train', 'Infer', 'Notebook']);
export const PoolSharingSchema = z.enum(['unshared', 'shared']);
export const CreatingStepTypeSchema = z.enum(['rack', 'hyperinstance']);
/**
 * The documented disk types. The schemas below accept any string for `volumeType` because the cloud's
 * disk catalogue is wider than the document (ESSD, GPSSD2, ...): a pool using one must stay readable.
 */
export const VolumeTypeSchema = z.enum(['SSD', 'GPSSD', 'SAS']);
export const LvmWriteModeSchema = z.enum(['linear', 'striped']);
export const StorageTypeSchema = z.enum(['volume', 'local']);
export const DriverUpdateStrategySchema = z.enum(['force', 'idle']);
export const ContainerNetworkModeSchema = z.enum(['overlay_l2', 'vpc-router', 'eni']);
export const ScopeStateSchema = z.enum(['Enabling', 'Enabled', 'EnableFailed', 'Disabling', 'Disabled']);
export const PluginPhaseSchema = z.enum(['Pending', 'Running', 'Updating', 'Abnormal', 'Deleting']);
export const DriverStateSchema = z.enum(['Creating', 'Upgrading', 'Running', 'Abnormal']);

/** `vgpaas`, `default`, `vguser{num}`, `vg-everest-localvolume-persistent|ephemeral`. */
export const VolumeGroupNameSchema = z
  .string()
  .regex(
    /^(vgpaas|default|vguser\d+|vg-everest-localvolume-persistent|vg-everest-localvolume-ephemeral)$/,
    'must be vgpaas, default, vguser{num}, vg-everest-localvolume-persistent or vg-everest-localvolume-ephemeral',
  );

const nodeCount = z.int().min(0);

// ---------------------------------------------------------------- pool resources (spec.resources[])

export const PoolNodeAzSchema = z.looseObject({
  az: z.string().min(1),
  count: nodeCount,
});

export const UserTagSchema = z.looseObject({
  key: z
    .string()
    .min(1)
    .refine((key) => !key.startsWith('CCE-') && !key.startsWith('__type_baremetal'), {
      message: 'tag key may not start with CCE- or __type_baremetal',
    }),
  value: z.string(),
});

export const PoolResourceExtendParamsSchema = z.looseObject({
  dockerBaseSize: z.string().optional(),
  /** Base64-encoded script. */
  postInstall: z.string().optional(),
});

export const CreatingStepSchema = z.looseObject({
  step: z.int().min(1).optional(),
  type: CreatingStepTypeSchema.optional(),
});

export const RootVolumeSchema = z.looseObject({
  volumeType: z.string().min(1),
  /** GiB, a string in the API. */
  size: z.string().min(1),
});

export const VolumeExtendParamsSchema = z.looseObject({
  volumeGroup: VolumeGroupNameSchema,
});

export const DataVolumeItemSchema = z.looseObject({
  volumeType: z.string().min(1),
  size: z.string().min(1),
  count: z.int().min(1).optional(),
  extendParams: VolumeExtendParamsSchema,
});

export const LvmConfigSchema = z.looseObject({
  lvType: LvmWriteModeSchema,
  path: z.string().optional(),
});

export const VolumeGroupConfigSchema = z.looseObject({
  volumeGroup: z.string().min(1),
  dockerThinPool: z.int().optional(),
  lvmConfig: LvmConfigSchema.optional(),
  types: z.array(StorageTypeSchema).optional(),
});

/**
 * One flavor entry of `spec.resources`. `count` is the floor (the target in a physical pool); `maxCount`
 * equals `count` in a physical pool and is the elastic ceiling in a logical one.
 */
export const PoolResourceSchema = z.looseObject({
  flavor: z.string().min(1),
  count: nodeCount,
  maxCount: nodeCount.optional(),
  azs: z.array(PoolNodeAzSchema).optional(),
  nodePool: z.string().optional(),
  tags: z.array(UserTagSchema).optional(),
  extendParams: PoolResourceExtendParamsSchema.optional(),
  creatingStep: CreatingStepSchema.optional(),
  rootVolume: RootVolumeSchema.optional(),
  dataVolumes: z.array(DataVolumeItemSchema).optional(),
  volumeGroupConfigs: z.array(VolumeGroupConfigSchema).optional(),
});

// ---------------------------------------------------------------- spec

export const PoolNetworkSchema = z.looseObject({ name: z.string().optional() });
export const PoolContainerNetworkSchema = z.looseObject({
  mode: ContainerNetworkModeSchema.optional(),
  cidr: z.string().optional(),
});
export const PoolClusterMasterSchema = z.looseObject({ az: z.string().optional() });
export const PoolDriverSchema = z.looseObject({
  gpuVersion: z.string().optional(),
  npuVersion: z.string().optional(),
  updateStrategy: DriverUpdateStrategySchema.optional(),
});

export const PoolSpecSchema = z.looseObject({
  type: PoolTypeSchema,
  scope: z.array(JobScopeSchema).optional(),
  resources: z.array(PoolResourceSchema),
  parent: z.string().optional(),
  network: PoolNetworkSchema.optional(),
  containerNetwork: PoolContainerNetworkSchema.optional(),
  kubernetesSvcIpRange: z.string().optional(),
  masters: z.array(PoolClusterMasterSchema).optional(),
  clusterFlavor: z.string().optional(),
  driver: PoolDriverSchema.optional(),
  ipv6enable: z.boolean().optional(),
});

// ---------------------------------------------------------------- status

/** What exists per flavor (and per AZ) in one node state. */
export const PoolResourceFlavorCountSchema = z.looseObject({
  flavor: z.string().min(1),
  count: nodeCount,
  maxCount: nodeCount.optional(),
  azs: z.array(PoolNodeAzSchema).optional(),
  nodePool: z.string().optional(),
  creatingStep: CreatingStepSchema.optional(),
});

/** Empty states are omitted by the service; `{}` means no nodes (and is all a logical pool reports). */
export const PoolResourceStatusSchema = z.looseObject({
  creating: z.array(PoolResourceFlavorCountSchema).optional(),
  available: z.array(PoolResourceFlavorCountSchema).optional(),
  abnormal: z.array(PoolResourceFlavorCountSchema).optional(),
  deleting: z.array(PoolResourceFlavorCountSchema).optional(),
});

export const PoolScopePluginPhaseSchema = z.looseObject({
  name: z.string().optional(),
  phase: PluginPhaseSchema.optional(),
});

export const PoolScopeStatusSchema = z.looseObject({
  scopeType: JobScopeSchema,
  state: ScopeStateSchema,
  plugins: z.array(PoolScopePluginPhaseSchema).optional(),
  message: z.string().optional(),
});

export const PoolDriverStatusSchema = z.looseObject({
  version: z.string().optional(),
  state: DriverStateSchema.optional(),
});

export const PoolDriverListStatusSchema = z.looseObject({
  gpu: PoolDriverStatusSchema.optional(),
  npu: PoolDriverStatusSchema.optional(),
});

/** `phase` may be absent right after creation (the create example returns `"status": {"resources": {}}`). */
export const PoolStatusSchema = z.looseObject({
  phase: PoolPhaseSchema.optional(),
  message: z.string().optional(),
  resources: PoolResourceStatusSchema.optional(),
  scope: z.array(PoolScopeStatusSchema).optional(),
  driver: PoolDriverListStatusSchema.optional(),
  parent: z.string().optional(),
  root: z.string().optional(),
});

// ---------------------------------------------------------------- metadata and the pool

/** Label and annotation values are strings; keys the service adds later are kept. */
export const PoolMetadataSchema = z.looseObject({
  name: z.string().min(1),
  creationTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

export const PoolSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.literal('Pool'),
  metadata: PoolMetadataSchema,
  spec: PoolSpecSchema,
  status: PoolStatusSchema.default({}),
});

/** `metadata.continue` appeared in older pages of the list API; it is kept when present. */
export const PoolListSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.literal('PoolList').optional(),
  metadata: z.looseObject({ continue: z.string().optional() }).optional(),
  items: z.array(PoolSchema),
});

export const ListPoolsQuerySchema = z.strictObject({
  workspaceId: z.string().min(1).optional(),
  labelSelector: z.string().min(1).optional(),
  status: z.enum(['created', 'failed', 'creating']).optional(),
  parent: z.string().min(1).optional(),
});

// ---------------------------------------------------------------- requests

/** User label of a pool: 4 to 25 lowercase letters, digits and hyphens. */
export const PoolLabelNameSchema = z
  .string()
  .regex(/^[a-z0-9-]{4,25}$/, 'must be 4 to 25 characters of lowercase letters, digits and hyphens');

const FORBIDDEN_DESCRIPTION_CHARS = /[!<>=&"']/;
export const PoolDescriptionSchema = z.string().refine((text) => !FORBIDDEN_DESCRIPTION_CHARS.test(text), {
  message: 'may not contain any of !<>=&"\'',
});

/** The seed's logical-pool example sends a number for `os.modelarts/billing.mode`, so scalars are accepted. */
const annotationValue = z.union([z.string(), z.number(), z.boolean()]);

/** `metadata.labels` of a create (POST): the pool's name is required; other labels are strings. */
export const CreatePoolLabelsSchema = z
  .object({
    'os.modelarts/name': PoolLabelNameSchema,
    'os.modelarts/workspace.id': z.string().optional(),
    'os.modelarts/sharing': PoolSharingSchema.optional(),
    'os.modelarts/node.prefix': z.string().optional(),
  })
  .catchall(z.string());

export const CreatePoolRequestSchema = z.looseObject({
  /** The seed examples use both `v2` and `v1`. */
  apiVersion: z.enum(['v2', 'v1']),
  kind: z.literal('Pool'),
  metadata: z.looseObject({
    labels: CreatePoolLabelsSchema,
    annotations: z
      .object({
        'os.modelarts/description': PoolDescriptionSchema.optional(),
        'os.modelarts/billing.mode': z.union([z.string(), z.number()]).optional(),
        'os.modelarts/order.id': z.string().optional(),
        'os.modelarts/scheduler.extension': z.string().optional(),
      })
      .catchall(annotationValue)
      .optional(),
  }),
  spec: PoolSpecSchema,
});

/** `metadata.annotations` of a PATCH: `null` removes an annotation; other annotations pass as strings. */
export const PoolAnnotationsPatchSchema = z
  .object({
    'os.modelarts/description': PoolDescriptionSchema.nullable().optional(),
    'os.modelarts/scheduler.extension': z.string().nullable().optional(),
  })
  .catchall(z.string().nullable());

/**
 * JSON merge patch (RFC 7396) for `PATCH /v2/{project_id}/pools/{pool_name}`. `null` removes a label or
 * annotation. `spec.resources`, when present, replaces the whole array: it must list every flavor entry.
 */
export const UpdatePoolRequestSchema = z.looseObject({
  metadata: z
    .looseObject({
      labels: z
        .object({
          'os.modelarts/workspace.id': z.string().nullable().optional(),
          'os.modelarts/sharing': PoolSharingSchema.nullable().optional(),
        })
        .catchall(z.string().nullable())
        .optional(),
      annotations: PoolAnnotationsPatchSchema.optional(),
    })
    .optional(),
  spec: z
    .looseObject({
      scope: z.array(JobScopeSchema).optional(),
      resources: z.array(PoolResourceSchema).optional(),
      driver: PoolDriverSchema.optional(),
    })
    .optional(),
});

// ---------------------------------------------------------------- nodes (GET .../pools/{pool_name}/nodes)

/**
 * Node phases of the reference (`NodeStatus.phase`). Node and workload schemas take the phase or status as
 * any string, so one value the service adds later does not make a whole listing unreadable; callers treat a
 * value outside these enums as "not usable".
 */
export const NodePhaseSchema = z.enum(['Available', 'Creating', 'Checking', 'Deleting', 'Abnormal']);

/** Node labels the autoscaler reads; every label is a string. */
export const NodeLabelKeys = {
  nodePool: 'os.modelarts.node/nodepool',
  nodePoolName: 'os.modelarts.node/nodepoolname',
  /** `"0"` normal, `"1"` frozen, `"2"` terminated. */
  billingStatus: 'os.modelarts/billing.status',
  resourceId: 'os.modelarts/resource.id',
} as const;

/** Node annotations the autoscaler reads. */
export const NodeAnnotationKeys = {
  /** `"1"` yearly/monthly (prepaid); absent or `"0"` pay-per-use. */
  billingMode: 'os.modelarts/billing.mode',
  /** Non-empty: the node is locked. */
  lockAction: 'os.modelarts.node/lock.action',
  drain: 'os.modelarts.node/drain',
} as const;

/**
 * Resource quantities of a node (`NodeResource`) or a workload (`WorkloadResourceRequirement`), all strings
 * such as `"3920m"`, `"6270Mi"`, `"8"`; `quantities.ts` reads them as numbers.
 */
export const ResourceQuantitiesSchema = z.looseObject({
  cpu: z.string().optional(),
  memory: z.string().optional(),
  'nvidia.com/gpu': z.string().optional(),
  'huawei.com/ascend-snt3': z.string().optional(),
  'huawei.com/ascend-snt9': z.string().optional(),
  'huawei.com/ascend-310': z.string().optional(),
  'huawei.com/ascend-1980': z.string().optional(),
});

export const NodeMetadataSchema = z.looseObject({
  name: z.string().min(1),
  creationTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

export const NodeNetworkSchema = z.looseObject({
  vpc: z.string().optional(),
  subnet: z.string().optional(),
  securityGroups: z.array(z.string()).optional(),
});

export const NodeSpecSchema = z.looseObject({
  flavor: z.string().optional(),
  os: z.looseObject({}).optional(),
  hostNetwork: NodeNetworkSchema.optional(),
  rootVolume: z.looseObject({}).optional(),
  dataVolumes: z.array(z.looseObject({})).optional(),
  extendParams: z.looseObject({}).optional(),
});

export const NodeTaintSchema = z.looseObject({
  key: z.string().optional(),
  value: z.string().optional(),
  effect: z.string().optional(),
  timeAdded: z.string().optional(),
});

export const NodeStatusSchema = z.looseObject({
  phase: z.string().optional(),
  az: z.string().optional(),
  privateIp: z.string().optional(),
  resources: ResourceQuantitiesSchema.optional(),
  availableResources: ResourceQuantitiesSchema.optional(),
  taints: z.array(NodeTaintSchema).optional(),
  driver: z.looseObject({ phase: z.string().optional(), version: z.string().optional() }).optional(),
});

export const NodeSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: NodeMetadataSchema,
  spec: NodeSpecSchema.default({}),
  status: NodeStatusSchema.default({}),
});

/** `metadata.continue` is the token of the next page; absent (or empty) on the last or only page. */
export const NodeListSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.literal('NodeList').optional(),
  metadata: z
    .looseObject({ continue: z.string().optional(), remainingItemCount: z.int().min(0).optional() })
    .optional(),
  items: z.array(NodeSchema),
});

export const ListPoolNodesQuerySchema = z.strictObject({
  /** Nodes per page, 1 to 500. */
  limit: z.int().min(1).max(500).optional(),
});

/** `POST .../nodes/batch-delete`: at least one node name, none repeated. */
export const BatchDeletePoolNodesRequestSchema = z.looseObject({
  deleteNodeNames: z
    .array(z.string().min(1, 'must not be empty'))
    .min(1, 'must name at least one node')
    .refine((names) => new Set(names).size === names.length, 'must not repeat a node'),
});

// ---------------------------------------------------------------- workloads (GET .../pools/{pool_name}/workloads)

export const WorkloadTypeSchema = z.enum(['train', 'infer', 'notebook', 'x-infer']);
export const WorkloadStatusSchema = z.enum([
  'Queue',
  'Pending',
  'Abnormal',
  'Terminating',
  'Creating',
  'Running',
  'Completed',
  'Terminated',
  'Failed',
]);

export const WorkloadNodeSchema = z.looseObject({
  hostIp: z.string().optional(),
  /** Cards in use, one bit per card, card 1 rightmost: `0000000001000001`. */
  npuTopologyPlacement: z.string().optional(),
  resourceRequirement: ResourceQuantitiesSchema.optional(),
});

/**
 * One workload of the pool's job queue. Every field is optional in the reference; `type` and `status` are
 * kept as any string (see `NodePhaseSchema`). Durations are seconds, `createTime` epoch milliseconds.
 */
export const WorkloadSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  type: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  jobName: z.string().optional(),
  uid: z.string().optional(),
  jobUUID: z.string().optional(),
  flavor: z.string().optional(),
  status: z.string().optional(),
  resourceRequirement: ResourceQuantitiesSchema.optional(),
  priority: z.string().optional(),
  runningDuration: z.number().optional(),
  pendingDuration: z.number().optional(),
  pendingPosition: z.number().optional(),
  createTime: z.number().optional(),
  gvk: z.string().optional(),
  /** Comma-separated IPs of the nodes the workload runs on. */
  hostIps: z.string().optional(),
  nodes: z.array(WorkloadNodeSchema).optional(),
});

export const WorkloadListSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.literal('WorkloadList').optional(),
  items: z.array(WorkloadSchema),
});

export const ListPoolWorkloadsQuerySchema = z.strictObject({
  type: WorkloadTypeSchema.optional(),
  status: WorkloadStatusSchema.optional(),
  /** Only workloads running on these node IPs; the service ignores paging then. */
  hostip: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  sort: z.literal('create_time').optional(),
  ascend: z.boolean().optional(),
  /** First workload to read, from 0. */
  offset: z.int().min(0).max(2_147_483_647).optional(),
  /** Workloads per page, 1 to 500. */
  limit: z.int().min(1).max(500).optional(),
});

// ---------------------------------------------------------------- statistics

/** Counts are integers in the SDK and the examples; the reference table types them as strings, so both are read. */
const statisticsCount = z.union([
  z.int().min(0),
  z
    .string()
    .regex(/^\d+$/, 'must be a count')
    .transform((text) => Number(text)),
]);

export const WorkloadStatusCountsSchema = z.looseObject({
  Queue: statisticsCount.optional(),
  Pending: statisticsCount.optional(),
  Abnormal: statisticsCount.optional(),
  Terminating: statisticsCount.optional(),
  Creating: statisticsCount.optional(),
  Running: statisticsCount.optional(),
  Completed: statisticsCount.optional(),
  Terminated: statisticsCount.optional(),
  Failed: statisticsCount.optional(),
});

export const WorkloadTypeStatisticsSchema = z.looseObject({
  type: z.string(),
  total: statisticsCount,
  status: WorkloadStatusCountsSchema.default({}),
});

/** `GET /v2/{project_id}/statistics/pools/{pool_name}/workloads`; the reference table calls the field `statics`. */
export const WorkloadStatisticsSchema = z.preprocess(
  (body) =>
    typeof body === 'object' && body !== null && !('statistics' in body) && 'statics' in body
      ? { ...body, statistics: (body as { statics: unknown }).statics }
      : body,
  z.looseObject({
    statistics: z.looseObject({
      total: statisticsCount,
      items: z.array(WorkloadTypeStatisticsSchema).default([]),
    }),
  }),
);

/** `GET /v2/{project_id}/statistics/pools`: pools per creation state. */
export const PoolStatisticsSchema = z.looseObject({
  statistics: z.looseObject({
    status: z.looseObject({
      created: statisticsCount.optional(),
      creating: statisticsCount.optional(),
      deleting: statisticsCount.optional(),
      failed: statisticsCount.optional(),
      pending: statisticsCount.optional(),
    }),
  }),
  operationTime: z.string().optional(),
});

// ---------------------------------------------------------------- errors

/** Service and gateway error body; gateways add `request_id`. */
export const ModelArtsErrorBodySchema = z.looseObject({
  error_code: z.string(),
  error_msg: z.string(),
  request_id: z.string().optional(),
});

/** Error codes the autoscaler reacts to. Gateway codes keep their numeric suffix across `APIG.`/`APIGW.`. */
export const ModelArtsErrorCodes = {
  badRequest: 'ModelArts.50004000',
  contentTypeNotSupported: 'ModelArts.50004100',
  poolAlreadyExists: 'ModelArts.50015000',
  poolNotFound: 'ModelArts.50015001',
  /** The simulator's answer for an unknown node name; the service's own code is not documented. */
  nodeNotFound: 'ModelArts.50015002',
  internalError: 'ModelArts.50005000',
  gatewayThrottledSuffix: '.0308',
  gatewayAuthFailedSuffix: '.0301',
} as const;

// ---------------------------------------------------------------- types

export type PoolPhase = z.infer<typeof PoolPhaseSchema>;
export type PoolType = z.infer<typeof PoolTypeSchema>;
export type JobScope = z.infer<typeof JobScopeSchema>;
export type PoolNodeAz = z.infer<typeof PoolNodeAzSchema>;
export type UserTag = z.infer<typeof UserTagSchema>;
export type CreatingStep = z.infer<typeof CreatingStepSchema>;
export type RootVolume = z.infer<typeof RootVolumeSchema>;
export type DataVolumeItem = z.infer<typeof DataVolumeItemSchema>;
export type VolumeGroupConfig = z.infer<typeof VolumeGroupConfigSchema>;
export type PoolResource = z.infer<typeof PoolResourceSchema>;
export type PoolDriver = z.infer<typeof PoolDriverSchema>;
export type PoolSpec = z.infer<typeof PoolSpecSchema>;
export type PoolResourceFlavorCount = z.infer<typeof PoolResourceFlavorCountSchema>;
export type PoolResourceStatus = z.infer<typeof PoolResourceStatusSchema>;
export type PoolStatus = z.infer<typeof PoolStatusSchema>;
export type PoolMetadata = z.infer<typeof PoolMetadataSchema>;
export type Pool = z.infer<typeof PoolSchema>;
export type PoolList = z.infer<typeof PoolListSchema>;
export type ListPoolsQuery = z.infer<typeof ListPoolsQuerySchema>;
export type CreatePoolRequest = z.input<typeof CreatePoolRequestSchema>;
export type UpdatePoolRequest = z.infer<typeof UpdatePoolRequestSchema>;
export type ModelArtsErrorBody = z.infer<typeof ModelArtsErrorBodySchema>;
export type NodePhase = z.infer<typeof NodePhaseSchema>;
export type ResourceQuantities = z.infer<typeof ResourceQuantitiesSchema>;
export type NodeMetadata = z.infer<typeof NodeMetadataSchema>;
export type NodeSpec = z.infer<typeof NodeSpecSchema>;
export type NodeStatus = z.infer<typeof NodeStatusSchema>;
export type Node = z.infer<typeof NodeSchema>;
export type NodeList = z.infer<typeof NodeListSchema>;
export type ListPoolNodesQuery = z.infer<typeof ListPoolNodesQuerySchema>;
export type BatchDeletePoolNodesRequest = z.infer<typeof BatchDeletePoolNodesRequestSchema>;
export type WorkloadType = z.infer<typeof WorkloadTypeSchema>;
export type WorkloadStatus = z.infer<typeof WorkloadStatusSchema>;
export type WorkloadNode = z.infer<typeof WorkloadNodeSchema>;
export type Workload = z.infer<typeof WorkloadSchema>;
export type WorkloadList = z.infer<typeof WorkloadListSchema>;
export type ListPoolWorkloadsQuery = z.infer<typeof ListPoolWorkloadsQuerySchema>;
export type WorkloadTypeStatistics = z.infer<typeof WorkloadTypeStatisticsSchema>;
export type WorkloadStatistics = z.infer<typeof WorkloadStatisticsSchema>;
export type PoolStatistics = z.infer<typeof PoolStatisticsSchema>;
