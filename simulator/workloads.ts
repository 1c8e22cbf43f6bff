import { z } from 'zod';
import {
  WorkloadStatusSchema,
  WorkloadTypeSchema,
  type Workload,
  type WorkloadList,
  type WorkloadStatistics,
  type WorkloadStatus,
  type WorkloadType,
} from '../functions/shared/modelarts/schemas';
import { placeQueue } from '../functions/shared/engine/placement';
import { PoolValidationError } from './errors';
import { quantities, shareOf, unitsPerNode, type FlavorResources } from './flavor-resources';
import { parseRequest } from './validation';

/*
 * The workloads a simulated pool holds: its own job queue. A workload waits in `Queue` until placed on
 * Available nodes of its flavor (first fit in queue order, see functions/shared/engine/placement.ts), runs
 * (`Running`), and ends `Completed`, `Failed` or `Terminated`. The simulator never shows `Pending`,
 * `Creating`, `Abnormal` or `Terminating`.
 */

export type SimWorkloadStatus = Extract<
  WorkloadStatus,
  'Queue' | 'Running' | 'Completed' | 'Failed' | 'Terminated'
>;
export type EndedStatus = Extract<SimWorkloadStatus, 'Completed' | 'Failed' | 'Terminated'>;

export interface SimPlacement {
  node: string;
  units: number;
}

export interface SimWorkload {
  uid: string;
  name: string;
  jobName: string;
  jobUUID: string;
  namespace: string;
  type: WorkloadType;
  flavor: string;
  priority: string;
  /** Placement units: accelerators, or whole nodes for a flavor without accelerators. */
  units: number;
  /** Running time after which the workload completes by itself; absent: until told to end. */
  durationMs?: number;
  /** Queue order within the pool. */
  seq: number;
  submittedAt: number;
  status: SimWorkloadStatus;
  startedAt?: number;
  endedAt?: number;
  /** Where it runs (kept after it ends, for the record). */
  placements: SimPlacement[];
  reason?: string;
  /** Failed because a node under it was removed. */
  killed: boolean;
}

/** Body of a submission through the control API (in process or over HTTP). */
export const WorkloadSubmissionSchema = z
  .strictObject({
    flavor: z.string().min(1, 'must not be empty'),
    type: WorkloadTypeSchema.default('train'),
    /** Accelerators in total. */
    accelerators: z.int().min(1, 'must be at least 1').optional(),
    /** Nodes the workload runs on; with `acceleratorsPerNode` (default: a whole node's). */
    nodeCount: z.int().min(1, 'must be at least 1').optional(),
    acceleratorsPerNode: z.int().min(1, 'must be at least 1').optional(),
    jobName: z.string().min(1).max(128).optional(),
    name: z.string().min(1).max(128).optional(),
    uid: z.string().min(1).max(64).optional(),
    jobUUID: z.string().min(1).max(64).optional(),
    /** Running time after which it completes by itself, on the simulation clock. */
    durationSeconds: z.number().min(0).optional(),
    priority: z.string().min(1).optional(),
    namespace: z.string().min(1).optional(),
  })
  .refine(
    (body) => body.accelerators === undefined || (body.nodeCount ?? body.acceleratorsPerNode) === undefined,
    {
      message: 'give either accelerators or nodeCount/acceleratorsPerNode, not both',
      path: ['accelerators'],
    },
  );
export type WorkloadSubmission = z.input<typeof WorkloadSubmissionSchema>;
export type ParsedSubmission = z.output<typeof WorkloadSubmissionSchema>;

export function parseSubmission(body: unknown): ParsedSubmission {
  return parseRequest(WorkloadSubmissionSchema, body, { unknownField: 'is not a submission field' });
}

/**
 * Placement units of a submission on its flavor. A multi-node workload takes whole nodes, so with more
 * than one node `acceleratorsPerNode` must be a node's full count; without any size it needs 1 accelerator
 * (one whole node on a flavor without accelerators).
 */
export function submissionUnits(submission: ParsedSubmission, resources: FlavorResources): number {
  const perNode = unitsPerNode(resources);
  if (resources.accelerators === 0) {
    if (submission.accelerators !== undefined || submission.acceleratorsPerNode !== undefined) {
      const field = submission.accelerators !== undefined ? 'accelerators' : 'acceleratorsPerNode';
      throw new PoolValidationError(field, `flavor ${submission.flavor} has no accelerators; give nodeCount`);
    }
    return submission.nodeCount ?? 1;
  }
  if (submission.accelerators !== undefined) return submission.accelerators;
  const nodes = submission.nodeCount ?? 1;
  const each = submission.acceleratorsPerNode ?? (nodes > 1 ? perNode : 1);
  if (each > perNode) {
    throw new PoolValidationError(
      'acceleratorsPerNode',
      `a node of ${submission.flavor} has ${perNode} accelerators, not ${each}`,
    );
  }
  if (nodes > 1 && each !== perNode) {
    throw new PoolValidationError(
      'acceleratorsPerNode',
      `a workload on ${nodes} nodes takes whole nodes: must be ${perNode} for ${submission.flavor}`,
    );
  }
  return nodes * each;
}

/** Units on each node the workload occupies or will occupy, as `placeJob` splits them. */
export function unitsPerPlacement(units: number, perNode: number): number[] {
  if (units <= perNode) return [units];
  const split: number[] = [];
  for (let left = units; left > 0; left -= perNode) split.push(Math.min(left, perNode));
  return split;
}

const GVK: Record<WorkloadType, string> = {
  train: 'batch.volcano.sh/v1alpha1, Kind=Job',
  infer: 'apps/v1, Kind=Deployment',
  notebook: 'apps/v1, Kind=StatefulSet',
  'x-infer': 'apps/v1, Kind=Deployment',
};

export interface RenderContext {
  now: number;
  /** 1-based place in the pool's queue, for a queued workload. */
  pendingPosition?: number;
  resources: FlavorResources;
  hostIp: (node: string) => string | undefined;
}

function requirement(resources: FlavorResources, units: number): Record<string, string> {
  return quantities(
    resources,
    { ...shareOf(resources, units), accelerators: units },
    resources.workloadAcceleratorKey,
  );
}

/** The workload as `GET .../workloads` shows it; only a running workload names its nodes. */
export function renderWorkload(workload: SimWorkload, context: RenderContext): Workload {
  const { now, resources } = context;
  const perNode = unitsPerNode(resources);
  const shares = unitsPerPlacement(workload.units, perNode).map((units) => shareOf(resources, units));
  const total = shares.reduce(
    (sum, share) => ({
      cpuMillicores: sum.cpuMillicores + share.cpuMillicores,
      memoryMi: sum.memoryMi + share.memoryMi,
    }),
    { cpuMillicores: 0, memoryMi: 0 },
  );
  const startedOrNow = workload.startedAt ?? workload.endedAt ?? now;
  const runningUntil = workload.endedAt ?? now;
  const rendered: Workload = {
    apiVersion: 'v1',
    kind: 'Workload',
    type: workload.type,
    namespace: workload.namespace,
    name: workload.name,
    jobName: workload.jobName,
    uid: workload.uid,
    jobUUID: workload.jobUUID,
    flavor: workload.flavor,
    status: workload.status,
    resourceRequirement: quantities(
      resources,
      { ...total, accelerators: workload.units },
      resources.workloadAcceleratorKey,
    ),
    priority: workload.priority,
    runningDuration:
      workload.startedAt === undefined
        ? 0
        : Math.floor(Math.max(0, runningUntil - workload.startedAt) / 1000),
    pendingDuration: Math.floor(Math.max(0, startedOrNow - workload.submittedAt) / 1000),
    createTime: workload.submittedAt,
    gvk: GVK[workload.type],
  };
  if (workload.status === 'Queue' && context.pendingPosition !== undefined)
    rendered.pendingPosition = context.pendingPosition;
  if (workload.status === 'Running') {
    const ips = workload.placements.map((placement) => context.hostIp(placement.node) ?? '');
    rendered.hostIps = ips.join(',');
    rendered.nodes = workload.placements.map((placement, index) => ({
      hostIp: ips[index],
      resourceRequirement: requirement(resources, placement.units),
    }));
  }
  return rendered;
}

/** Units each node lends to running workloads, with the CPU and memory that go with them. */
export function nodeUsage(
  workloads: readonly SimWorkload[],
  resourcesOf: (flavor: string) => FlavorResources,
): Map<string, { units: number; cpuMillicores: number; memoryMi: number }> {
  const usage = new Map<string, { units: number; cpuMillicores: number; memoryMi: number }>();
  for (const workload of workloads) {
    if (workload.status !== 'Running') continue;
    const resources = resourcesOf(workload.flavor);
    for (const placement of workload.placements) {
      const share = shareOf(resources, placement.units);
      const used = usage.get(placement.node) ?? { units: 0, cpuMillicores: 0, memoryMi: 0 };
      usage.set(placement.node, {
        units: used.units + placement.units,
        cpuMillicores: used.cpuMillicores + share.cpuMillicores,
        memoryMi: used.memoryMi + share.memoryMi,
      });
    }
  }
  return usage;
}

// ---------------------------------------------------------------- time passing

/** Running workloads whose duration has run out by `at`, with the moment each ends. */
export function dueToComplete(
  workloads: readonly SimWorkload[],
  at: number,
): Array<{ workload: SimWorkload; endsAt: number }> {
  return workloads.flatMap((workload) => {
    if (
      workload.status !== 'Running' ||
      workload.durationMs === undefined ||
      workload.startedAt === undefined
    )
      return [];
    const endsAt = workload.startedAt + workload.durationMs;
    return endsAt <= at ? [{ workload, endsAt }] : [];
  });
}

/**
 * The queued workloads that start now: per flavor, in queue order, first fit (`placeQueue`, the rule shared
 * with the policy simulator and the engine) on what the running workloads leave free of the flavor's
 * Available nodes, taken in the order `availableNodes` gives them. Nodes with nothing free are left out
 * (a multi-node workload needs whole free nodes, a smaller one a node with room: a full node serves neither).
 */
export function placeQueued(
  queue: readonly SimWorkload[],
  running: readonly SimWorkload[],
  availableNodes: (flavor: string) => string[],
  resourcesOf: (flavor: string) => FlavorResources,
): Array<{ workload: SimWorkload; placements: SimPlacement[] }> {
  if (queue.length === 0) return [];
  const usage = nodeUsage(running, resourcesOf);
  const flavors = new Map<string, SimWorkload[]>();
  for (const workload of queue) {
    const waiting = flavors.get(workload.flavor);
    if (waiting) waiting.push(workload);
    else flavors.set(workload.flavor, [workload]);
  }
  return [...flavors].flatMap(([flavor, waiting]) => {
    const perNode = unitsPerNode(resourcesOf(flavor));
    const nodes = availableNodes(flavor)
      .map((name) => ({ name, freeUnits: perNode - (usage.get(name)?.units ?? 0) }))
      .filter((node) => node.freeUnits > 0);
    // Full: nothing of this flavor can start, however long its queue.
    if (nodes.length === 0) return [];
    const placed = placeQueue(
      nodes,
      waiting.map((workload) => workload.units),
      perNode,
    );
    return waiting.flatMap((workload, index) => {
      const placements = placed[index];
      return placements === undefined
        ? []
        : [{ workload, placements: placements.map((p) => ({ node: p.node.name, units: p.units })) }];
    });
  });
}

// ---------------------------------------------------------------- listing

const WorkloadQuerySchema = z.object({
  type: WorkloadTypeSchema.optional(),
  status: WorkloadStatusSchema.optional(),
  sort: z.literal('create_time', { error: 'must be create_time' }).optional(),
  ascend: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  offset: z
    .string()
    .regex(/^\d{1,10}$/, 'must be an integer from 0')
    .transform(Number)
    .refine((n) => n <= 2_147_483_647, 'must be at most 2147483647')
    .optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be an integer from 0 to 500')
    .transform(Number)
    .refine((n) => n <= 500, 'must be an integer from 0 to 500')
    .optional(),
});

/** `hostip` repeated or comma-separated, as Huawei's SDK sends a list. */
export function hostIpFilter(params: URLSearchParams): Set<string> | undefined {
  const values = params.getAll('hostip').flatMap((value) => value.split(','));
  const ips = values.map((value) => value.trim()).filter((value) => value !== '');
  return ips.length === 0 ? undefined : new Set(ips);
}

/**
 * Filters, sorts and pages rendered workloads as `GET .../workloads` does: `type`, `status`, `hostip`
 * (running on one of these node IPs; paging is then ignored), `sort=create_time` with `ascend` (default
 * false: newest first; without `sort`, queue order), `offset` and `limit` (0 to 500, default 500).
 */
export function listWorkloads(items: readonly Workload[], params: URLSearchParams): WorkloadList {
  const single = Object.fromEntries(
    ['type', 'status', 'sort', 'ascend', 'offset', 'limit']
      .filter((key) => params.has(key))
      .map((key) => [key, params.get(key) ?? '']),
  );
  const query = parseRequest(WorkloadQuerySchema, single);
  const hostIps = hostIpFilter(params);
  let selected = items.filter(
    (item) =>
      (query.type === undefined || item.type === query.type) &&
      (query.status === undefined || item.status === query.status) &&
      (hostIps === undefined || (item.hostIps ?? '').split(',').some((ip) => hostIps.has(ip))),
  );
  if (query.sort === 'create_time') {
    const direction = query.ascend === 'true' ? 1 : -1;
    selected = [...selected].sort((a, b) => direction * ((a.createTime ?? 0) - (b.createTime ?? 0)));
  }
  if (hostIps === undefined) {
    const offset = query.offset ?? 0;
    selected = selected.slice(offset, offset + (query.limit ?? 500));
  }
  return { apiVersion: 'v1', kind: 'WorkloadList', items: selected };
}

// ---------------------------------------------------------------- statistics

const TYPE_ORDER = WorkloadTypeSchema.options;

/** Counts by type (types with at least one workload) and status, every status key present. */
export function workloadStatistics(items: readonly Workload[]): WorkloadStatistics {
  const byType = TYPE_ORDER.map((type) => {
    const ofType = items.filter((item) => item.type === type);
    const status = Object.fromEntries(
      WorkloadStatusSchema.options.map((state) => [
        state,
        ofType.filter((item) => item.status === state).length,
      ]),
    ) as Record<WorkloadStatus, number>;
    return { type, total: ofType.length, status };
  }).filter((entry) => entry.total > 0);
  return { statistics: { total: items.length, items: byType } };
}

// ---------------------------------------------------------------- control view

/** A workload as the control API shows it: what the ModelArts view has, plus why it ended. */
export interface WorkloadRecord {
  uid: string;
  projectId: string;
  pool: string;
  name: string;
  jobName: string;
  jobUUID: string;
  type: WorkloadType;
  flavor: string;
  /** Accelerators (whole nodes on a flavor without accelerators). */
  units: number;
  status: SimWorkloadStatus;
  submittedAt: number;
  startedAt?: number;
  endedAt?: number;
  durationMs?: number;
  /** Nodes it runs on, or ran on once it ended. */
  nodes: string[];
  hostIps: string[];
  reason?: string;
  /** Failed because a node under it was removed. */
  killed: boolean;
}

export function workloadRecord(
  workload: SimWorkload,
  projectId: string,
  pool: string,
  hostIp: (node: string) => string | undefined,
): WorkloadRecord {
  const record: WorkloadRecord = {
    uid: workload.uid,
    projectId,
    pool,
    name: workload.name,
    jobName: workload.jobName,
    jobUUID: workload.jobUUID,
    type: workload.type,
    flavor: workload.flavor,
    units: workload.units,
    status: workload.status,
    submittedAt: workload.submittedAt,
    nodes: workload.placements.map((placement) => placement.node),
    hostIps: workload.placements.flatMap((placement) => hostIp(placement.node) ?? []),
    killed: workload.killed,
  };
  if (workload.startedAt !== undefined) record.startedAt = workload.startedAt;
  if (workload.endedAt !== undefined) record.endedAt = workload.endedAt;
  if (workload.durationMs !== undefined) record.durationMs = workload.durationMs;
  if (workload.reason !== undefined) record.reason = workload.reason;
  return record;
}
