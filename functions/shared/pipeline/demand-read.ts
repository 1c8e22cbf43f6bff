/**
 * Where an evaluation's demand comes from (policy `demand`), as one step between GET pool and the decision:
 * the depth job events keep (`events`), the pool's own workloads read now and recorded as a snapshot
 * (`workloads`), or the depth, reconciled against the workloads every `reconcileSeconds` (`events+workloads`).
 * A read costs one listing per status (`Queue`, `Pending`, `Running`), plus the nodes when a queued workload
 * without accelerators needs a node's size.
 */
import type { Decision, PendingJob, Policy } from '../engine';
import type { ModelArtsClient, Node, Workload } from '../modelarts';
import { DepthRepository, type PoolDepth } from '../store/depth-repository';
import { type ScalerRecord, ScalerStateRepository } from '../store/scaler-state-repository';
import { errorFacts } from './activity-records';
import { RequestBudgetExhaustedError } from './request-budget';
import type { PipelineDependencies } from './types';
import {
  QUEUED_STATUSES,
  RUNNING_STATUS,
  type WorkloadDemand,
  type WorkloadListings,
  demandFromWorkloads,
  driftUnits,
  listingNeedsNodes,
  reconciliationReason,
  workloadDemandReason,
} from './workload-demand';

/** The pool's workloads as this evaluation read them, for the occupancy read that may follow. */
export interface WorkloadsRead {
  /** Queued workloads' shapes per flavor, admitted first, then in queue order. */
  pending: Record<string, PendingJob[]>;
  /** Every running workload, whatever its type: the nodes they run on are busy. */
  running: readonly Workload[];
  /** The nodes, when the shapes needed them. */
  nodes?: readonly Node[];
}

/** What the evaluation decides from. */
export interface PoolDemand {
  /** Depth per flavor: the stored one, or the workloads just read. */
  depth: PoolDepth;
  /** Reasons for the whole pool: a read that failed, shapes that had to be guessed. */
  reasons: string[];
  /** Reasons per flavor: what the workloads showed, how far a reconciliation found the counters off. */
  flavorReasons: Record<string, string[]>;
  /** Present when this evaluation read the workloads. */
  workloads?: WorkloadsRead;
  /**
   * Where the queued jobs' shapes come from when the workloads were not read: the markers job events keep, or
   * nowhere (the read of a pool whose demand is its workloads failed: scale-up counts units only).
   */
  queuedShapes: 'workloads' | 'markers' | 'unknown';
}

export interface DemandReadInput {
  pool: string;
  /** Lease owner: the reconciliation time is saved only while the evaluation holds the pool. */
  owner: string;
  correlationId: string;
  policy: Policy;
  depth: PoolDepth;
  record: ScalerRecord;
  client: ModelArtsClient;
  /** Aborts the listings before the lease runs out. */
  signal: AbortSignal;
}

export type DemandReadDeps = Pick<PipelineDependencies, 'store' | 'settings' | 'clock' | 'logger'>;

/** What this evaluation reads: nothing (the stored depth), the workloads, or the workloads to reconcile. */
export type DemandRead = 'depth' | 'workloads' | 'reconcile';

export function demandReadDue(
  policy: Pick<Policy, 'demand' | 'reconcileSeconds'>,
  lastReconciledAt: number | undefined,
  now: number,
): DemandRead {
  if (policy.demand === 'workloads') return 'workloads';
  if (policy.demand === 'events') return 'depth';
  const due = lastReconciledAt === undefined || now - lastReconciledAt >= policy.reconcileSeconds * 1000;
  return due ? 'reconcile' : 'depth';
}

/** The demand to decide with, in order: what to read → list → record the snapshot → assemble. */
export async function readPoolDemand(deps: DemandReadDeps, input: DemandReadInput): Promise<PoolDemand> {
  const read = demandReadDue(input.policy, input.record.lastReconciledAt, deps.clock());
  if (read === 'depth') return storedDemand(input.depth, 'markers', []);
  // A snapshot dated at the start of the listings counts every job event dated before them.
  const at = deps.clock();
  let listings: WorkloadListings;
  try {
    listings = await listDemandWorkloads(input.client, input.pool, input.policy, input.signal);
  } catch (error) {
    return failedRead(deps, input, read, error);
  }
  const demand = demandFromWorkloads(listings, input.policy);
  const applied = await recordSnapshots(deps, input.pool, demand, at);
  if (read === 'reconcile') {
    await new ScalerStateRepository(deps.store).markReconciled(input.pool, input.owner, at);
    logDrift(deps, input, demand);
  }
  const assembled =
    read === 'workloads' ? workloadsDemand(demand, at) : reconciledDemand(input.depth, demand, applied, at);
  return {
    ...assembled,
    reasons: [...assembled.reasons, ...demand.notes],
    workloads: { pending: pendingShapes(demand), running: listings.running, ...nodesOf(listings) },
    queuedShapes: 'workloads',
  };
}

/**
 * The workloads demand counts: one listing per queued status (of the one counted type, when there is one) and
 * one of every running workload (all types: the scale-in needs their nodes), then the nodes when a queued
 * workload needs a node's size.
 */
export async function listDemandWorkloads(
  client: ModelArtsClient,
  pool: string,
  policy: Policy,
  signal: AbortSignal,
): Promise<WorkloadListings> {
  const type = policy.workloadTypes.length === 1 ? { type: policy.workloadTypes[0] } : {};
  // Settled together, so that no listing is still running once the read has failed.
  const settled = await Promise.allSettled([
    ...QUEUED_STATUSES.map((status) => client.listPoolWorkloads(pool, { status, ...type }, { signal })),
    client.listPoolWorkloads(pool, { status: RUNNING_STATUS }, { signal }),
  ]);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  const [queue, pending, running] = settled.map((result) =>
    result.status === 'fulfilled' ? result.value.items : [],
  );
  const queued = [...(queue ?? []), ...(pending ?? [])];
  const listings: WorkloadListings = { queued, running: running ?? [] };
  if (!listingNeedsNodes([...queued, ...listings.running], policy)) return listings;
  const nodes = await client.listPoolNodes(pool, {}, { signal });
  return { ...listings, nodes: nodes.items };
}

/**
 * Replaces each flavor's counters with what the workloads show, as a `depth.snapshot` dated `at` would: a
 * flavor whose counters a newer job event already moved keeps them. Returns the flavors applied.
 */
async function recordSnapshots(
  deps: DemandReadDeps,
  pool: string,
  demand: WorkloadDemand,
  at: number,
): Promise<Set<string>> {
  const depth = new DepthRepository(deps.store, deps.settings);
  const now = deps.clock();
  const flavors = Object.entries(demand.flavors);
  const applied = await Promise.all(
    flavors.map(([flavor, read]) =>
      depth.applySnapshot(
        {
          type: 'depth.snapshot',
          pool,
          flavor,
          pendingUnits: read.pendingUnits,
          runningUnits: read.runningUnits,
          at: new Date(at).toISOString(),
        },
        now,
      ),
    ),
  );
  return new Set(flavors.filter((_, index) => applied[index]).map(([flavor]) => flavor));
}

/** `workloads`: the read is the demand, whatever the store kept. */
function workloadsDemand(demand: WorkloadDemand, at: number): Omit<PoolDemand, 'queuedShapes'> {
  const depth: PoolDepth = {};
  const flavorReasons: Record<string, string[]> = {};
  for (const [flavor, read] of Object.entries(demand.flavors)) {
    depth[flavor] = { pendingUnits: read.pendingUnits, runningUnits: read.runningUnits, updatedAt: at };
    flavorReasons[flavor] = [workloadDemandReason(read)];
  }
  return { depth, reasons: [], flavorReasons };
}

/**
 * `events+workloads`: a flavor whose snapshot applied decides from the read, and its trail says how far the
 * counters were off; one whose counters a newer job event moved keeps the stored depth until the next time.
 */
function reconciledDemand(
  stored: PoolDepth,
  demand: WorkloadDemand,
  applied: ReadonlySet<string>,
  at: number,
): Omit<PoolDemand, 'queuedShapes'> {
  const depth: PoolDepth = { ...stored };
  const flavorReasons: Record<string, string[]> = {};
  for (const [flavor, read] of Object.entries(demand.flavors)) {
    if (!applied.has(flavor)) {
      flavorReasons[flavor] = [
        `reconciliation skipped: a job event dated after the workloads listing was already counted; tried again in reconcileSeconds`,
      ];
      continue;
    }
    flavorReasons[flavor] = [reconciliationReason(stored[flavor], read)];
    depth[flavor] = { pendingUnits: read.pendingUnits, runningUnits: read.runningUnits, updatedAt: at };
  }
  return { depth, reasons: [], flavorReasons };
}

function storedDemand(
  depth: PoolDepth,
  queuedShapes: PoolDemand['queuedShapes'],
  reasons: string[],
): PoolDemand {
  return { depth, reasons, flavorReasons: {}, queuedShapes };
}

/**
 * A read that failed decides from the stored depth: it ages, so once it is older than `staleAfterSeconds` the
 * flavor holds its count (no scale-down on demand nobody saw) and the stale-depth alarm fires.
 */
function failedRead(
  deps: DemandReadDeps,
  input: DemandReadInput,
  read: DemandRead,
  error: unknown,
): PoolDemand {
  const budget = error instanceof RequestBudgetExhaustedError;
  const why = budget ? 'request budget exhausted' : errorFacts(error).errorMessage;
  const workloads = read === 'workloads';
  if (!budget) {
    deps.logger.error('listing workloads for the demand failed', {
      pool: input.pool,
      correlationId: input.correlationId,
      ...errorFacts(error),
    });
  }
  const reason = workloads
    ? `the pool's workloads could not be listed (${why}): deciding from the depth last read`
    : `reconciliation with the pool's workloads failed (${why}): deciding from the job events; tried again next evaluation`;
  return storedDemand(input.depth, workloads ? 'unknown' : 'markers', [reason]);
}

function logDrift(deps: DemandReadDeps, input: DemandReadInput, demand: WorkloadDemand): void {
  const drift = Object.entries(demand.flavors)
    .filter(([flavor, read]) => driftUnits(input.depth[flavor], read) > 0)
    .map(([flavor, read]) => ({
      flavor,
      before: {
        pendingUnits: input.depth[flavor]?.pendingUnits ?? 0,
        runningUnits: input.depth[flavor]?.runningUnits ?? 0,
      },
      after: { pendingUnits: read.pendingUnits, runningUnits: read.runningUnits },
    }));
  deps.logger.info('depth reconciled with the workloads', {
    pool: input.pool,
    correlationId: input.correlationId,
    drift,
  });
}

function pendingShapes(demand: WorkloadDemand): Record<string, PendingJob[]> {
  return Object.fromEntries(
    Object.entries(demand.flavors)
      .filter(([, read]) => read.pending.length > 0)
      .map(([flavor, read]) => [flavor, read.pending]),
  );
}

function nodesOf(listings: WorkloadListings): { nodes?: readonly Node[] } {
  return listings.nodes === undefined ? {} : { nodes: listings.nodes };
}

/** The decision with the demand's reasons leading its trail and each flavor's, for the activities. */
export function withDemandReasons(decision: Decision, demand: PoolDemand): Decision {
  if (demand.reasons.length === 0 && Object.keys(demand.flavorReasons).length === 0) return decision;
  return {
    ...decision,
    reasons: [...demand.reasons, ...decision.reasons],
    flavors: decision.flavors.map((flavor) => ({
      ...flavor,
      reasons: [...(demand.flavorReasons[flavor.flavor] ?? []), ...flavor.reasons],
    })),
  };
}
