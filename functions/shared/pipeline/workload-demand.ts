/**
 * The demand a pool's own workloads make, in the policy's capacity units: plain functions over the listings
 * (`GET .../workloads` per status, and the nodes when a shape needs a node's size). The evaluation reads them
 * when the policy's `demand` says so (demand-read.ts).
 */
import type { FlavorDepth, PendingJob, Policy } from '../engine';
import { type Node, type Workload, acceleratorsOf, resourceAmounts } from '../modelarts';

/** The statuses whose workloads wait for capacity: queued in the pool, or admitted and waiting to start. */
export const QUEUED_STATUSES = ['Queue', 'Pending'] as const;
export const RUNNING_STATUS = 'Running';

/** The listings one read of a pool's demand makes. */
export interface WorkloadListings {
  /** `Queue` and `Pending` workloads of the counted types (the service may ignore the type filter). */
  queued: readonly Workload[];
  /** Every `Running` workload, whatever its type: the nodes they occupy are busy for the scale-in too. */
  running: readonly Workload[];
  /** The pool's nodes, when a workload's shape needed a node's size (a flavor without accelerators). */
  nodes?: readonly Node[];
}

/** One node of a flavor, for the workloads that ask for CPU and memory rather than accelerators. */
export interface NodeSize {
  cpuCores: number;
  memoryBytes: number;
}

/** A workload's shape on its flavor: capacity units, and the nodes it spans when more than one. */
export interface WorkloadShape extends PendingJob {
  /** Why the shape is a guess, when it is. */
  note?: string;
}

/** What the workloads of one flavor ask for. */
export interface FlavorWorkloadDemand {
  pendingUnits: number;
  runningUnits: number;
  queuedWorkloads: number;
  runningWorkloads: number;
  /** The queued workloads' shapes, those admitted first, then in queue order. */
  pending: PendingJob[];
}

export interface WorkloadDemand {
  /** Per flavor of the policy, including those without any workload. */
  flavors: Record<string, FlavorWorkloadDemand>;
  /** Shapes that had to be guessed, one line each. */
  notes: string[];
}

function isCounted(workload: Workload, policy: Policy): boolean {
  const type = workload.type ?? '';
  return (
    workload.flavor !== undefined &&
    policy.flavors[workload.flavor] !== undefined &&
    (policy.workloadTypes as readonly string[]).includes(type)
  );
}

function label(workload: Workload): string {
  return `workload ${workload.name ?? workload.uid ?? workload.jobName ?? '(unnamed)'}`;
}

/** Accelerators a workload asks for: its `resourceRequirement`, else the sum over the nodes it runs on. */
function acceleratorsAskedFor(workload: Workload): number {
  const total = acceleratorsOf(workload.resourceRequirement);
  if (total > 0) return total;
  return (workload.nodes ?? []).reduce((sum, node) => sum + acceleratorsOf(node.resourceRequirement), 0);
}

/** Whole nodes a workload without accelerators needs: its CPU and memory over one node's, at least one. */
function wholeNodes(workload: Workload, size: NodeSize | undefined): number {
  const placed = workload.nodes?.length ?? 0;
  if (placed > 0) return placed;
  if (size === undefined) return 1;
  const asked = resourceAmounts(workload.resourceRequirement);
  const byCpu = asked.cpuCores !== undefined && size.cpuCores > 0 ? asked.cpuCores / size.cpuCores : 0;
  const byMemory =
    asked.memoryBytes !== undefined && size.memoryBytes > 0 ? asked.memoryBytes / size.memoryBytes : 0;
  // A little slack: a share computed from rounded quantities must not round up to one node more.
  return Math.max(1, Math.ceil(Math.max(byCpu, byMemory) - 1e-6));
}

/**
 * A workload's shape in the flavor's capacity units. With accelerators, its units are its accelerators (so the
 * policy's `unitsPerNode` is the accelerators of one node) and it spans the nodes it runs on, or, still queued,
 * as many whole nodes as its accelerators fill when they are more than one node holds (the service places
 * multi-node workloads on whole nodes). Without accelerators it takes whole nodes: those it runs on, or its CPU
 * and memory over one node's. A workload whose resources cannot be read counts as one whole node.
 */
export function workloadShape(
  workload: Workload,
  unitsPerNode: number,
  size: NodeSize | undefined,
): WorkloadShape {
  let accelerators: number;
  try {
    accelerators = acceleratorsAskedFor(workload);
  } catch (error) {
    return {
      units: unitsPerNode,
      note: `${label(workload)}: resources could not be read (${(error as Error).message}): counted as one whole node`,
    };
  }
  if (accelerators > 0) {
    const placed = workload.nodes?.length ?? 0;
    const nodes =
      placed > 0 ? placed : accelerators > unitsPerNode ? Math.ceil(accelerators / unitsPerNode) : 1;
    return { units: accelerators, ...(nodes > 1 ? { nodes } : {}) };
  }
  let nodes: number;
  try {
    nodes = wholeNodes(workload, size);
  } catch (error) {
    return {
      units: unitsPerNode,
      note: `${label(workload)}: resources could not be read (${(error as Error).message}): counted as one whole node`,
    };
  }
  const guessed =
    size === undefined && (workload.nodes?.length ?? 0) === 0
      ? { note: `${label(workload)}: no node of its flavor to size it by: counted as one whole node` }
      : {};
  return { units: nodes * unitsPerNode, ...(nodes > 1 ? { nodes } : {}), ...guessed };
}

/** Whether a workload's shape depends on the size of its flavor's nodes (queued, and no accelerators). */
export function needsNodeSize(workload: Workload): boolean {
  if ((workload.nodes?.length ?? 0) > 0) return false;
  try {
    return acceleratorsAskedFor(workload) === 0;
  } catch {
    return false;
  }
}

/** Whether the counted workloads include one whose shape needs the nodes listing. */
export function listingNeedsNodes(workloads: readonly Workload[], policy: Policy): boolean {
  return workloads.some((workload) => isCounted(workload, policy) && needsNodeSize(workload));
}

/** The largest node of each flavor, as its `status.resources` say; nodes whose resources do not parse are left out. */
export function nodeSizes(nodes: readonly Node[]): Map<string, NodeSize> {
  const sizes = new Map<string, NodeSize>();
  for (const node of nodes) {
    const flavor = node.spec.flavor;
    if (flavor === undefined) continue;
    let amounts;
    try {
      amounts = resourceAmounts(node.status.resources);
    } catch {
      continue;
    }
    const known = sizes.get(flavor) ?? { cpuCores: 0, memoryBytes: 0 };
    sizes.set(flavor, {
      cpuCores: Math.max(known.cpuCores, amounts.cpuCores ?? 0),
      memoryBytes: Math.max(known.memoryBytes, amounts.memoryBytes ?? 0),
    });
  }
  return sizes;
}

/** Admitted (`Pending`) first, then the queue in its order: position, then submission time, then name. */
function queueOrder(a: Workload, b: Workload): number {
  const admitted = (workload: Workload) => (workload.status === 'Pending' ? 0 : 1);
  const position = (workload: Workload) => workload.pendingPosition ?? Number.MAX_SAFE_INTEGER;
  const created = (workload: Workload) => workload.createTime ?? Number.MAX_SAFE_INTEGER;
  const name = (workload: Workload) => workload.name ?? workload.uid ?? '';
  return (
    admitted(a) - admitted(b) ||
    position(a) - position(b) ||
    created(a) - created(b) ||
    (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0)
  );
}

/**
 * Units queued and running per flavor of the policy, and the queued shapes oldest first. Only the policy's
 * flavors and `workloadTypes` count; a workload listed twice (it changed status between two listings) counts
 * once, as running.
 */
export function demandFromWorkloads(listings: WorkloadListings, policy: Policy): WorkloadDemand {
  const sizes = nodeSizes(listings.nodes ?? []);
  const flavors: Record<string, FlavorWorkloadDemand> = {};
  for (const flavor of Object.keys(policy.flavors)) {
    flavors[flavor] = {
      pendingUnits: 0,
      runningUnits: 0,
      queuedWorkloads: 0,
      runningWorkloads: 0,
      pending: [],
    };
  }
  const notes: string[] = [];
  const shapeOf = (workload: Workload): WorkloadShape => {
    const flavor = workload.flavor as string;
    const shape = workloadShape(workload, policy.flavors[flavor]!.unitsPerNode, sizes.get(flavor));
    if (shape.note !== undefined) notes.push(shape.note);
    return shape;
  };
  const runningIds = new Set<string>();
  for (const workload of listings.running) {
    if (!isCounted(workload, policy)) continue;
    const id = workload.uid ?? workload.name;
    if (id !== undefined) runningIds.add(id);
    const entry = flavors[workload.flavor as string]!;
    entry.runningUnits += shapeOf(workload).units;
    entry.runningWorkloads += 1;
  }
  const queued = listings.queued
    .filter((workload) => isCounted(workload, policy))
    .filter((workload) => !runningIds.has(workload.uid ?? workload.name ?? '\u0000'))
    .sort(queueOrder);
  for (const workload of queued) {
    const entry = flavors[workload.flavor as string]!;
    const { note: _note, ...job } = shapeOf(workload);
    entry.pendingUnits += job.units;
    entry.queuedWorkloads += 1;
    entry.pending.push(job);
  }
  return { flavors, notes };
}

function units(value: number): string {
  return `${Number.isInteger(value) ? value : value.toFixed(2)} units`;
}

/** How one flavor's workloads read, for the reason trail of a pool whose demand is its workloads. */
export function workloadDemandReason(demand: FlavorWorkloadDemand): string {
  return `demand from the pool's workloads: ${demand.queuedWorkloads} queued (${units(demand.pendingUnits)}), ${demand.runningWorkloads} running (${units(demand.runningUnits)})`;
}

/** Every reconciliation reason starts so: the local run and operators find them by it. */
export const RECONCILED_REASON = 'reconciled with the pool\u2019s workloads';

/** Units the counters were off by, pending and running together. */
export function driftUnits(before: FlavorDepth | undefined, after: FlavorWorkloadDemand): number {
  return (
    Math.abs((before?.pendingUnits ?? 0) - after.pendingUnits) +
    Math.abs((before?.runningUnits ?? 0) - after.runningUnits)
  );
}

/** What a reconciliation found for one flavor: the counters before and after, or that they were right. */
export function reconciliationReason(before: FlavorDepth | undefined, after: FlavorWorkloadDemand): string {
  if (driftUnits(before, after) === 0) {
    return `${RECONCILED_REASON}: no drift (${units(after.pendingUnits)} pending, ${units(after.runningUnits)} running)`;
  }
  const pending = before?.pendingUnits ?? 0;
  const running = before?.runningUnits ?? 0;
  return `${RECONCILED_REASON}: pending ${pending} → ${after.pendingUnits} units, running ${running} → ${after.runningUnits} units (off by ${units(driftUnits(before, after))})`;
}
