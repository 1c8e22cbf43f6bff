import {
  ListPoolsQuerySchema,
  type Node,
  type NodeList,
  type Pool,
  type PoolList,
  type PoolResourceFlavorCount,
  type PoolResourceStatus,
  type PoolSpec,
  type PoolStatistics,
  type PoolType,
  type WorkloadList,
  type WorkloadStatistics,
} from '../functions/shared/modelarts/schemas';
import { planBatchDelete, type DeletableNode } from './batch-delete';
import { capacityLimit } from './capacity';
import {
  badRequest,
  ModelArtsHttpError,
  nodeNotFound,
  PoolValidationError,
  poolAlreadyExists,
  poolNotFound,
} from './errors';
import { flavorResources, type FlavorResources, type FlavorResourcesOverride } from './flavor-resources';
import { matchesLabelSelector, parseLabelSelector } from './label-selector';
import { applyMergePatch, isJsonObject, type JsonObject } from './merge-patch';
import {
  holdsCapacity,
  isAbnormalAt,
  isLive,
  nodePhase,
  nodeState,
  readyAt,
  victimOrder,
  victimRank,
  type LifecycleTiming,
  type NodeState,
  type SimNode,
} from './node-lifecycle';
import { compareNodes, pageNodes, renderNode } from './node-view';
import { randomSuffix, type RandomSource } from './random';
import type { TransitionLog } from './transition-log';
import type { AzCapacity, PoolPhase } from './types';
import {
  parseRequest,
  resourceEntryKey,
  validateCreatePool,
  validateMergedResources,
  validateUpdatePool,
  type PoolResourceRequest,
} from './validation';
import {
  dueToComplete,
  listWorkloads,
  nodeUsage,
  placeQueued,
  parseSubmission,
  renderWorkload,
  submissionUnits,
  workloadRecord,
  workloadStatistics,
  type EndedStatus,
  type SimWorkload,
  type SimWorkloadStatus,
  type WorkloadRecord,
} from './workloads';

export interface PoolStoreConfig extends LifecycleTiming {
  availabilityZones: string[];
  azCapacity?: AzCapacity;
  flavorRemoval: 'delete' | 'reject';
  patchPhases: PoolPhase[];
  flavors: Readonly<Record<string, FlavorResourcesOverride>>;
  /** Answer every node in one page, as regions that ignore `limit` and `continue` do. */
  ignoreNodePaging: boolean;
  /** Ended workloads a pool keeps listing (oldest dropped first). */
  endedWorkloadLimit: number;
}

interface SimPool {
  projectId: string;
  name: string;
  type: PoolType;
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The spec exactly as created or last patched: unknown fields are echoed back. */
  spec: JsonObject;
  nodes: SimNode[];
  /** Queued workloads, in queue order. */
  queue: SimWorkload[];
  /** Running workloads: with the queue, all that time and placement look at. */
  running: SimWorkload[];
  /** Ended workloads, oldest end first, at most `endedWorkloadLimit`. */
  ended: SimWorkload[];
  nextWorkloadSeq: number;
  deletedAt?: number;
  /** A phase set from a test (for example `Error`), overriding the computed one. */
  forcedPhase?: PoolPhase;
}

/** Fixed tenant of the simulated account, as the seed example's `os.modelarts/tenant.domain.id`. */
const TENANT_DOMAIN_ID = '75fef1f8a9d64d0cb8de795599185b48';

const LIST_STATUS_PHASES: Record<'creating' | 'created' | 'failed', PoolPhase[]> = {
  creating: ['Creating', 'Waiting'],
  created: ['Running', 'Abnormal', 'ScalingFailed', 'Error', 'Deleting'],
  failed: ['CreationFailed'],
};

/**
 * Pools, their nodes and workloads, and the rules the service applies to them. Time moves in `settle`: it
 * replays, in order, every moment something changed between two calls (a node ready, a node gone, a
 * workload done), so a workload starts when a node freed up, however late the clock is read.
 */
export class PoolStore {
  private readonly pools = new Map<string, SimPool>();
  private readonly nodeNames = new Set<string>();
  /** Workloads failed because a node under them was removed, per pool; kept after the pool is gone. */
  private readonly killed = new Map<string, number>();
  private settledAt = Number.NEGATIVE_INFINITY;
  private readonly flavorCache = new Map<string, FlavorResources>();
  private nextIp = 0;

  constructor(
    private config: PoolStoreConfig,
    private readonly random: RandomSource,
    private readonly transitions: TransitionLog,
  ) {}

  setCapacity(azCapacity: AzCapacity | undefined, now: number): void {
    this.settle(now);
    this.config = { ...this.config, azCapacity };
    this.settle(now);
  }

  create(projectId: string, body: unknown, now: number): Pool {
    this.settle(now);
    const request = validateCreatePool(body, this.config.availabilityZones);
    const label = request.metadata.labels['os.modelarts/name'];
    const name = `${label}-${projectId}`;
    if (this.pools.has(poolKey(projectId, name))) throw poolAlreadyExists();

    const resources = request.spec.resources.map((entry) => ({
      ...entry,
      maxCount: entry.maxCount ?? entry.count,
    }));
    const flavorResourceIds = Object.fromEntries(
      resources.map((entry) => [
        entry.flavor,
        `maos.${entry.flavor.replace(/^modelarts\./, '')}.${this.digits(10)}`,
      ]),
    );
    const pool: SimPool = {
      projectId,
      name,
      type: request.spec.type,
      createdAt: now,
      labels: {
        'os.modelarts/workspace.id': '0',
        'os.modelarts/node.prefix': '',
        ...request.metadata.labels,
        'os.modelarts/resource.id': `maos-${label}-${randomSuffix(this.random, 5)}`,
        'os.modelarts/tenant.domain.id': TENANT_DOMAIN_ID,
        'os.modelarts/tenant.project.id': projectId,
        'os.modelarts.pool/biz': 'private',
        'os.modelarts/create-from': 'console',
      },
      annotations: {
        'os.modelarts/billing.mode': '0',
        ...(request.metadata.annotations ?? {}),
        'os.modelarts.pool/subpools.count': '0',
        'os.modelarts/flavor.resource.ids': JSON.stringify(flavorResourceIds),
      },
      spec: toJson({ ...request.spec, resources }),
      nodes: [],
      queue: [],
      running: [],
      ended: [],
      nextWorkloadSeq: 1,
    };
    this.pools.set(poolKey(projectId, name), pool);
    if (pool.type === 'Dedicate') {
      for (const entry of resources) this.reconcileEntry(pool, entry, now, true);
    }
    // The service answers before anything exists: the seed example's status is exactly `{"resources": {}}`.
    return { ...this.render(pool, now), status: { resources: {} } };
  }

  /** Makes the placed nodes of a pool available at once, as if they had been requested long ago. */
  settleNodes(projectId: string, name: string, now: number): void {
    const past = now - this.config.provisioningDelayMs;
    for (const node of this.find(projectId, name).nodes) {
      if (node.placedAt === undefined || node.deletingAt !== undefined) continue;
      node.placedAt = Math.min(node.placedAt, past);
      node.requestedAt = Math.min(node.requestedAt, past);
    }
  }

  show(projectId: string, name: string, now: number): Pool {
    this.settle(now);
    return this.render(this.find(projectId, name), now);
  }

  list(projectId: string, query: Record<string, string>, now: number): PoolList {
    this.settle(now);
    const known = Object.fromEntries(
      Object.entries(query).filter(([key]) =>
        ['workspaceId', 'labelSelector', 'status', 'parent'].includes(key),
      ),
    );
    const { workspaceId = '0', labelSelector, status, parent } = parseRequest(ListPoolsQuerySchema, known);
    const selector = labelSelector === undefined ? [] : parseLabelSelector(labelSelector);
    const phases =
      status === undefined
        ? [...LIST_STATUS_PHASES.creating, ...LIST_STATUS_PHASES.created]
        : LIST_STATUS_PHASES[status];
    const items = [...this.pools.values()]
      .filter((pool) => pool.projectId === projectId)
      .filter((pool) => pool.labels['os.modelarts/workspace.id'] === workspaceId)
      .filter((pool) => matchesLabelSelector(selector, pool.labels))
      .filter((pool) => parent === undefined || pool.spec.parent === parent)
      .filter((pool) => phases.includes(this.phaseOf(pool, now)))
      .sort((a, b) => a.createdAt - b.createdAt || (a.name < b.name ? -1 : 1))
      .map((pool) => this.render(pool, now));
    return { apiVersion: 'v2', kind: 'PoolList', items };
  }

  /** Applies a validated merge patch; `body` is the parsed JSON as sent. */
  update(projectId: string, name: string, body: unknown, now: number): Pool {
    this.settle(now);
    const pool = this.find(projectId, name);
    const request = validateUpdatePool(body);
    if (request.spec?.resources !== undefined) {
      const phase = this.phaseOf(pool, now);
      if (!this.config.patchPhases.includes(phase)) {
        throw badRequest(`pool ${name} is not running (phase ${phase}); only a Running pool can be resized`);
      }
    }
    const current: JsonObject = {
      metadata: { labels: pool.labels, annotations: pool.annotations },
      spec: pool.spec,
    };
    const merged = applyMergePatch(current, body);
    if (!isJsonObject(merged) || !isJsonObject(merged.spec) || !isJsonObject(merged.metadata)) {
      throw badRequest('body: must be a JSON object');
    }
    const entries = validateMergedResources(merged.spec.resources, {
      poolType: pool.type,
      availabilityZones: this.config.availabilityZones,
    });
    const newKeys = new Set(entries.map(resourceEntryKey));
    const removedKeys = [...new Set(pool.nodes.map((node) => node.entryKey))].filter(
      (key) => !newKeys.has(key),
    );
    const oldKeys = specEntries(pool.spec).map(resourceEntryKey);
    const removedEntries = oldKeys.filter((key) => !newKeys.has(key));
    if (this.config.flavorRemoval === 'reject' && removedEntries.length > 0) {
      throw new PoolValidationError('spec.resources', `flavor ${removedEntries[0]} cannot be removed`);
    }

    if (pool.type === 'Dedicate') this.refusePrepaidScaleIn(pool, entries, removedKeys, now);

    const metadata = merged.metadata;
    pool.labels = stringRecord(metadata.labels);
    pool.annotations = stringRecord(metadata.annotations);
    pool.spec = merged.spec;
    if (pool.type === 'Dedicate') {
      for (const entry of entries) this.reconcileEntry(pool, entry, now, false);
      for (const key of removedKeys) {
        for (const node of pool.nodes.filter((n) => n.entryKey === key && isLive(n, now, this.config))) {
          this.removeNode(pool, node, now, 'its flavor was removed from the pool');
        }
      }
    }
    this.stepAt(now);
    return this.render(pool, now);
  }

  /** Yearly/monthly capacity only grows: an entry holding such nodes may not shrink or go. */
  private refusePrepaidScaleIn(
    pool: SimPool,
    entries: PoolResourceRequest[],
    removedKeys: string[],
    now: number,
  ): void {
    const liveOf = (key: string): SimNode[] =>
      pool.nodes.filter((node) => node.entryKey === key && isLive(node, now, this.config));
    const prepaid = (nodes: SimNode[]): boolean => nodes.some((node) => node.billingMode === '1');
    entries.forEach((entry, index) => {
      const live = liveOf(resourceEntryKey(entry));
      if (entry.count < live.length && prepaid(live)) {
        throw new PoolValidationError(
          `spec.resources[${index}].count`,
          `flavor ${entry.flavor} has yearly/monthly nodes, which can only grow; delete pay-per-use nodes with nodes/batch-delete`,
        );
      }
    });
    const removed = removedKeys.find((key) => prepaid(liveOf(key)));
    if (removed !== undefined) {
      throw new PoolValidationError(
        'spec.resources',
        `flavor ${removed} has yearly/monthly nodes and cannot be removed`,
      );
    }
  }

  delete(projectId: string, name: string, now: number): Pool {
    this.settle(now);
    const pool = this.find(projectId, name);
    const before = this.render(pool, now);
    if (pool.deletedAt === undefined) {
      pool.deletedAt = now;
      for (const node of [...pool.nodes]) {
        if (node.deletingAt === undefined) this.removeNode(pool, node, now, 'the pool was deleted');
      }
      for (const workload of [...pool.queue])
        this.end(pool, workload, 'Terminated', now, 'the pool was deleted');
    }
    return before;
  }

  // ---------------------------------------------------------------- nodes API

  /** `GET .../nodes`: every node the pool status counts, Checking shown apart from Creating. */
  listNodes(projectId: string, name: string, params: URLSearchParams, now: number): NodeList {
    this.settle(now);
    return pageNodes(this.allNodes(projectId, name, now), params, this.config.ignoreNodePaging);
  }

  /** Every node, in listing order, without paging. */
  allNodes(projectId: string, name: string, now: number): Node[] {
    this.settle(now);
    return this.renderNodes(this.find(projectId, name), now).sort(compareNodes);
  }

  showNode(projectId: string, name: string, nodeName: string, now: number): Node {
    this.settle(now);
    const node = this.renderNodes(this.find(projectId, name), now).find((n) => n.metadata.name === nodeName);
    if (!node) throw nodeNotFound(nodeName);
    return node;
  }

  /**
   * `POST .../nodes/batch-delete`: the named nodes go Deleting and their entries' counts go down (see
   * `planBatchDelete`). A node running workloads may be deleted, as the service allows; its workloads fail
   * and are counted as killed.
   */
  batchDeleteNodes(projectId: string, name: string, body: unknown, now: number): Record<string, never> {
    this.settle(now);
    const pool = this.find(projectId, name);
    if (pool.deletedAt !== undefined) throw badRequest(`pool ${name} is being deleted`);
    const candidates: DeletableNode[] = pool.nodes.flatMap((node) => {
      const state = nodeState(node, now, this.config);
      return state === 'gone'
        ? []
        : [{ name: node.name, entryKey: node.entryKey, az: node.az, state, billingMode: node.billingMode }];
    });
    const resources = Array.isArray(pool.spec.resources) ? pool.spec.resources.filter(isJsonObject) : [];
    const plan = planBatchDelete(body, candidates, resources, pool.type);
    pool.spec = { ...pool.spec, resources: plan.resources };
    for (const victim of plan.victims) {
      const node = pool.nodes.find((n) => n.name === victim);
      if (node) this.removeNode(pool, node, now, 'it was deleted with nodes/batch-delete');
    }
    this.stepAt(now);
    return {};
  }

  private renderNodes(pool: SimPool, now: number): Node[] {
    const usage = nodeUsage(pool.running, (flavor) => this.resourcesOf(flavor));
    const flavorResourceIds = parseRecord(pool.annotations['os.modelarts/flavor.resource.ids']);
    const entries = Array.isArray(pool.spec.resources) ? pool.spec.resources.filter(isJsonObject) : [];
    const network =
      isJsonObject(pool.spec.network) && typeof pool.spec.network.name === 'string'
        ? pool.spec.network.name
        : pool.name;
    return pool.nodes.flatMap((node) => {
      const phase = nodePhase(node, now, this.config);
      if (phase === undefined) return [];
      const entry = entries.find(
        (candidate) =>
          resourceEntryKey({
            flavor: typeof candidate.flavor === 'string' ? candidate.flavor : '',
            nodePool: candidate.nodePool,
          }) === node.entryKey,
      );
      return [
        renderNode(
          node,
          phase,
          {
            projectId: pool.projectId,
            tenantDomainId: TENANT_DOMAIN_ID,
            poolResourceId: pool.labels['os.modelarts/resource.id'] ?? '',
            flavorResourceIds,
            networkName: network,
            entry,
            resources: this.resourcesOf(node.flavor),
            usage: usage.get(node.name) ?? { units: 0, cpuMillicores: 0, memoryMi: 0 },
          },
          rfc3339(node.requestedAt),
        ),
      ];
    });
  }

  // ---------------------------------------------------------------- workloads API

  listWorkloads(projectId: string, name: string, params: URLSearchParams, now: number): WorkloadList {
    this.settle(now);
    return listWorkloads(this.renderWorkloads(this.find(projectId, name), now), params);
  }

  workloadStatistics(projectId: string, name: string, now: number): WorkloadStatistics {
    this.settle(now);
    return workloadStatistics(this.renderWorkloads(this.find(projectId, name), now));
  }

  /** `GET /v2/{project_id}/statistics/pools`: the project's pools per creation state. */
  poolStatistics(projectId: string, now: number): PoolStatistics {
    this.settle(now);
    const status = { created: 0, creating: 0, deleting: 0, failed: 0, pending: 0 };
    for (const pool of this.pools.values()) {
      if (pool.projectId !== projectId) continue;
      const phase = this.phaseOf(pool, now);
      if (phase === 'Creating') status.creating += 1;
      else if (phase === 'Waiting') status.pending += 1;
      else if (phase === 'CreationFailed') status.failed += 1;
      else if (phase === 'Deleting') status.deleting += 1;
      else status.created += 1;
    }
    return { statistics: { status }, operationTime: operationTime(now) };
  }

  private renderWorkloads(pool: SimPool, now: number) {
    const ips = new Map(pool.nodes.map((node) => [node.name, node.privateIp]));
    let position = 0;
    return this.allWorkloads(pool).map((workload) =>
      renderWorkload(workload, {
        now,
        pendingPosition: workload.status === 'Queue' ? ++position : undefined,
        resources: this.resourcesOf(workload.flavor),
        hostIp: (node) => ips.get(node),
      }),
    );
  }

  // ---------------------------------------------------------------- control API

  /** Adds a workload to the pool's queue; it starts at once when a node has room. */
  submitWorkload(projectId: string, name: string, body: unknown, now: number): WorkloadRecord {
    this.settle(now);
    const pool = this.find(projectId, name);
    if (pool.deletedAt !== undefined) throw badRequest(`pool ${name} is being deleted`);
    const submission = parseSubmission(body);
    const flavors = specEntries(pool.spec).map((entry) => entry.flavor);
    if (!flavors.includes(submission.flavor)) {
      throw new PoolValidationError('flavor', `pool ${name} has no flavor ${submission.flavor}`);
    }
    const units = submissionUnits(submission, this.resourcesOf(submission.flavor));
    const uid = submission.uid ?? this.uuid();
    if (
      [pool.queue, pool.running, pool.ended].some((list) => list.some((workload) => workload.uid === uid))
    ) {
      throw new ModelArtsHttpError(
        409,
        'SIM.WorkloadExists',
        `workload ${uid} already exists in pool ${name}`,
      );
    }
    const jobName = submission.jobName ?? `job-${uid.slice(0, 8)}`;
    const workload: SimWorkload = {
      uid,
      name: submission.name ?? `${jobName}-worker-0`,
      jobName,
      jobUUID: submission.jobUUID ?? this.uuid(),
      namespace: submission.namespace ?? 'default',
      type: submission.type,
      flavor: submission.flavor,
      priority: submission.priority ?? '1',
      units,
      seq: pool.nextWorkloadSeq++,
      submittedAt: now,
      status: 'Queue',
      placements: [],
      killed: false,
    };
    if (submission.durationSeconds !== undefined)
      workload.durationMs = Math.round(submission.durationSeconds * 1000);
    pool.queue.push(workload);
    this.record(pool, workload, undefined, now);
    this.stepAt(now);
    return this.recordOf(pool, workload);
  }

  /**
   * Ends a workload: `Completed` (running ones only), `Failed` or `Terminated` (queued or running). Its
   * nodes free up and the queue moves on.
   */
  endWorkload(
    projectId: string,
    name: string,
    uid: string,
    status: EndedStatus,
    reason: string | undefined,
    now: number,
  ): WorkloadRecord {
    this.settle(now);
    const pool = this.find(projectId, name);
    const workload = this.findWorkload(pool, uid);
    if (workload.status !== 'Queue' && workload.status !== 'Running') {
      throw new ModelArtsHttpError(
        409,
        'SIM.WorkloadEnded',
        `workload ${uid} already ended (${workload.status})`,
      );
    }
    if (status === 'Completed' && workload.status !== 'Running') {
      throw new ModelArtsHttpError(
        409,
        'SIM.WorkloadNotRunning',
        `workload ${uid} is queued; only a running workload completes`,
      );
    }
    this.end(pool, workload, status, now, reason);
    this.stepAt(now);
    return this.recordOf(pool, workload);
  }

  workloadRecords(projectId: string, name: string, now: number): WorkloadRecord[] {
    this.settle(now);
    const pool = this.find(projectId, name);
    return this.allWorkloads(pool).map((workload) => this.recordOf(pool, workload));
  }

  workloadRecord(projectId: string, name: string, uid: string, now: number): WorkloadRecord {
    this.settle(now);
    const pool = this.find(projectId, name);
    return this.recordOf(pool, this.findWorkload(pool, uid));
  }

  /** Applies every change due by `now` (what a read of the transition feed must see first). */
  settleTo(now: number): void {
    this.settle(now);
  }

  /** Workloads failed because a node under them was removed (0 for a pool never seen). */
  killedWorkloads(projectId: string, name: string, now: number): number {
    this.settle(now);
    return this.killed.get(poolKey(projectId, name)) ?? 0;
  }

  private findWorkload(pool: SimPool, uid: string): SimWorkload {
    const workload =
      pool.queue.find((candidate) => candidate.uid === uid) ??
      pool.running.find((candidate) => candidate.uid === uid) ??
      pool.ended.find((candidate) => candidate.uid === uid);
    if (!workload)
      throw new ModelArtsHttpError(
        404,
        'SIM.WorkloadNotFound',
        `workload ${uid} not found in pool ${pool.name}`,
      );
    return workload;
  }

  private recordOf(pool: SimPool, workload: SimWorkload): WorkloadRecord {
    const ips = new Map(pool.nodes.map((node) => [node.name, node.privateIp]));
    return workloadRecord(workload, pool.projectId, pool.name, (node) => ips.get(node));
  }

  private end(pool: SimPool, workload: SimWorkload, status: EndedStatus, at: number, reason?: string): void {
    const from = workload.status;
    workload.status = status;
    workload.endedAt = at;
    if (reason !== undefined) workload.reason = reason;
    this.record(pool, workload, from, at);
    this.retire(pool, workload);
  }

  private record(
    pool: SimPool,
    workload: SimWorkload,
    from: SimWorkloadStatus | undefined,
    at: number,
  ): void {
    this.transitions.append({
      at,
      projectId: pool.projectId,
      pool: pool.name,
      uid: workload.uid,
      name: workload.name,
      jobName: workload.jobName,
      jobUUID: workload.jobUUID,
      type: workload.type,
      flavor: workload.flavor,
      units: workload.units,
      ...(from === undefined ? {} : { from }),
      to: workload.status,
      ...(workload.reason === undefined || workload.status === 'Queue' || workload.status === 'Running'
        ? {}
        : { reason: workload.reason }),
      ...(workload.killed ? { killed: true } : {}),
      ...(workload.placements.length > 0 ? { nodes: workload.placements.map((p) => p.node) } : {}),
    });
  }

  /** Moves an ended workload out of the active list; the oldest ended ones beyond the limit are forgotten. */
  private retire(pool: SimPool, workload: SimWorkload): void {
    for (const list of [pool.queue, pool.running]) {
      const index = list.indexOf(workload);
      if (index !== -1) list.splice(index, 1);
    }
    pool.ended.push(workload);
    const excess = pool.ended.length - this.config.endedWorkloadLimit;
    if (excess > 0) pool.ended.splice(0, excess);
  }

  /** Every workload the pool lists, in queue order. */
  private allWorkloads(pool: SimPool): SimWorkload[] {
    return [...pool.queue, ...pool.running, ...pool.ended].sort((a, b) => a.seq - b.seq);
  }

  private resourcesOf(flavor: string): FlavorResources {
    let resources = this.flavorCache.get(flavor);
    if (resources === undefined) {
      resources = flavorResources(flavor, this.config.flavors);
      this.flavorCache.set(flavor, resources);
    }
    return resources;
  }

  /** All pools of every project, as GET would show them. */
  all(now: number): Pool[] {
    this.settle(now);
    return [...this.pools.values()].map((pool) => this.render(pool, now));
  }

  setPhase(projectId: string, name: string, phase: PoolPhase | undefined): void {
    this.find(projectId, name).forcedPhase = phase;
  }

  hasPool(projectId: string, name: string, now: number): boolean {
    this.settle(now);
    return this.pools.has(poolKey(projectId, name));
  }

  /**
   * Brings the pools up to `now`, one moment of change after the other: at each, capacity freed by nodes
   * that finished deleting goes to the oldest nodes still waiting for it, workloads due end, and queued
   * workloads start on what is free. Then gone nodes and fully deleted pools are dropped.
   */
  private settle(now: number): void {
    const until = Math.max(now, this.settledAt);
    for (let at = this.nextChange(until); at !== undefined; at = this.nextChange(until)) {
      this.stepAt(at);
      this.settledAt = at;
    }
    this.stepAt(until);
    this.settledAt = until;
    for (const [key, pool] of this.pools) {
      pool.nodes = pool.nodes.filter((node) => nodeState(node, until, this.config) !== 'gone');
      if (pool.deletedAt !== undefined && until >= pool.deletedAt + this.config.deletionDelayMs)
        this.pools.delete(key);
    }
  }

  /** The first moment after the last settled one, up to `until`, at which a node or a workload changes. */
  private nextChange(until: number): number | undefined {
    let next: number | undefined;
    const consider = (at: number | undefined): void => {
      if (at !== undefined && at > this.settledAt && at <= until && (next === undefined || at < next))
        next = at;
    };
    for (const pool of this.pools.values()) {
      for (const node of pool.nodes) {
        if (node.deletingAt !== undefined) consider(node.deletingAt + this.config.deletionDelayMs);
        else consider(readyAt(node, this.config));
      }
      for (const workload of pool.running) {
        if (workload.durationMs !== undefined && workload.startedAt !== undefined)
          consider(workload.startedAt + workload.durationMs);
      }
    }
    return next;
  }

  /** Everything that happens at one moment, until nothing more does (a workload of no duration ends at once). */
  private stepAt(at: number): void {
    this.placeWaitingNodes(at);
    for (const pool of this.pools.values()) {
      if (pool.deletedAt !== undefined) continue;
      for (let changed = true; changed;) {
        const ended = this.completeDue(pool, at);
        const started = this.startQueued(pool, at);
        changed = ended || started;
      }
    }
  }

  private completeDue(pool: SimPool, at: number): boolean {
    const due = dueToComplete(pool.running, at);
    for (const { workload, endsAt } of due) this.end(pool, workload, 'Completed', endsAt);
    return due.length > 0;
  }

  private startQueued(pool: SimPool, at: number): boolean {
    if (pool.queue.length === 0) return false;
    const starts = placeQueued(
      pool.queue,
      pool.running,
      (flavor) =>
        pool.nodes
          .filter((node) => node.flavor === flavor && nodeState(node, at, this.config) === 'available')
          .map((node) => node.name),
      (flavor) => this.resourcesOf(flavor),
    );
    const started = new Set<SimWorkload>();
    for (const { workload, placements } of starts) {
      workload.status = 'Running';
      workload.startedAt = at;
      workload.placements = placements;
      started.add(workload);
      pool.running.push(workload);
      this.record(pool, workload, 'Queue', at);
    }
    if (started.size > 0) pool.queue = pool.queue.filter((workload) => !started.has(workload));
    return started.size > 0;
  }

  private placeWaitingNodes(at: number): void {
    const waiting = [...this.pools.values()]
      .filter((pool) => pool.deletedAt === undefined)
      .flatMap((pool) => pool.nodes)
      .filter(
        (node) =>
          node.placedAt === undefined &&
          node.deletingAt === undefined &&
          node.requestedAt <= at &&
          !isAbnormalAt(node, at, this.config),
      )
      .sort((a, b) => a.requestedAt - b.requestedAt || (a.name < b.name ? -1 : 1));
    for (const node of waiting) {
      if (this.hasCapacity(node.az, node.flavor, at)) node.placedAt = at;
    }
  }

  private hasCapacity(az: string, flavor: string, at: number): boolean {
    const limit = capacityLimit(this.config.azCapacity, az, flavor);
    if (limit === undefined) return true;
    let occupied = 0;
    for (const pool of this.pools.values()) {
      for (const node of pool.nodes) {
        if (node.az !== az || (limit.perFlavor && node.flavor !== flavor)) continue;
        if (holdsCapacity(node, at, this.config)) occupied += 1;
      }
    }
    return occupied < limit.limit;
  }

  /** Creates or removes nodes so the entry's live nodes match its count (per AZ when `azs` is given). */
  private reconcileEntry(pool: SimPool, entry: PoolResourceRequest, now: number, initial: boolean): void {
    const key = resourceEntryKey(entry);
    const live = (): SimNode[] => pool.nodes.filter((n) => n.entryKey === key && isLive(n, now, this.config));
    const liveIn = (az: string): SimNode[] => live().filter((n) => n.az === az);

    if (entry.azs) {
      const targets = new Map(entry.azs.map((az) => [az.az, az.count]));
      const zones = new Set([...targets.keys(), ...live().map((n) => n.az)]);
      for (const az of zones) {
        const diff = (targets.get(az) ?? 0) - liveIn(az).length;
        for (let i = 0; i < diff; i++) this.addNode(pool, entry, az, now, initial);
        if (diff < 0) {
          for (const node of victimOrder(liveIn(az), now, this.config).slice(0, -diff))
            this.removeNode(pool, node, now, 'the pool was scaled in');
        }
      }
      return;
    }

    let diff = entry.count - live().length;
    for (; diff > 0; diff--)
      this.addNode(pool, entry, this.spreadTarget(live(), entry.flavor, now), now, initial);
    for (; diff < 0; diff++) {
      const victim = this.nextVictim(live(), now);
      if (victim) this.removeNode(pool, victim, now, 'the pool was scaled in');
    }
  }

  /** Without `azs` the service spreads nodes itself: the AZ with the fewest of the entry's nodes and room left. */
  private spreadTarget(live: SimNode[], flavor: string, now: number): string {
    const zones = this.config.availabilityZones;
    const countIn = (az: string): number => live.filter((n) => n.az === az).length;
    const withRoom = zones.filter((az) => this.hasCapacity(az, flavor, now));
    const candidates = withRoom.length > 0 ? withRoom : zones;
    return candidates.reduce((best, az) => (countIn(az) < countIn(best) ? az : best));
  }

  /**
   * Without `azs`, scale-in keeps the spread even: it takes from the AZ with the most of the entry's nodes,
   * and among equally crowded AZs from the one whose best victim is furthest from serving (waiting, creating).
   */
  private nextVictim(live: SimNode[], now: number): SimNode | undefined {
    const zones = [...new Set([...this.config.availabilityZones, ...live.map((n) => n.az)])];
    const candidates = zones
      .map((az, order) => {
        const nodes = live.filter((n) => n.az === az);
        return { order, size: nodes.length, victim: victimOrder(nodes, now, this.config)[0] };
      })
      .filter((c): c is { order: number; size: number; victim: SimNode } => c.victim !== undefined);
    candidates.sort(
      (a, b) =>
        b.size - a.size ||
        victimRank(a.victim, now, this.config) - victimRank(b.victim, now, this.config) ||
        a.order - b.order,
    );
    return candidates[0]?.victim;
  }

  private addNode(
    pool: SimPool,
    entry: PoolResourceRequest,
    az: string,
    now: number,
    initial: boolean,
  ): void {
    const node: SimNode = {
      name: this.nodeName(pool),
      entryKey: resourceEntryKey(entry),
      flavor: entry.flavor,
      az,
      requestedAt: now,
      initial,
      privateIp: this.privateIp(),
      billingMode: billingModeOf(entry, pool.annotations),
    };
    if (typeof entry.nodePool === 'string') node.nodePool = entry.nodePool;
    if (this.hasCapacity(az, entry.flavor, now)) node.placedAt = now;
    pool.nodes.push(node);
  }

  /**
   * Nodes still waiting for capacity never existed and just vanish; the others go through `deleting`.
   * Workloads running on the node fail at once, with the reason recorded, and are counted as killed.
   */
  private removeNode(pool: SimPool, node: SimNode, now: number, cause: string): void {
    if (node.placedAt === undefined && !isAbnormalAt(node, now, this.config)) {
      pool.nodes = pool.nodes.filter((n) => n !== node);
    } else {
      node.deletingAt = now;
    }
    for (const workload of [...pool.running]) {
      if (!workload.placements.some((p) => p.node === node.name)) continue;
      workload.killed = true;
      this.killed.set(
        poolKey(pool.projectId, pool.name),
        (this.killed.get(poolKey(pool.projectId, pool.name)) ?? 0) + 1,
      );
      this.end(pool, workload, 'Failed', now, `node ${node.name} was removed: ${cause}`);
    }
  }

  private phaseOf(pool: SimPool, now: number): PoolPhase {
    if (pool.deletedAt !== undefined) return 'Deleting';
    if (pool.forcedPhase) return pool.forcedPhase;
    const states = pool.nodes.map((node) => ({ node, state: nodeState(node, now, this.config) }));
    if (states.some(({ node, state }) => node.initial && state === 'creating')) return 'Creating';
    if (states.some(({ node, state }) => node.initial && state === 'abnormal')) return 'CreationFailed';
    if (states.some(({ state }) => state === 'abnormal')) return 'Abnormal';
    return 'Running';
  }

  private render(pool: SimPool, now: number): Pool {
    const phase = this.phaseOf(pool, now);
    const scopes = Array.isArray(pool.spec.scope) ? pool.spec.scope.filter((s) => typeof s === 'string') : [];
    const scopeState =
      phase === 'Creating' ? 'Enabling' : phase === 'CreationFailed' ? 'EnableFailed' : 'Enabled';
    const status: Pool['status'] = {
      phase,
      root: pool.name,
      scope: scopes.map((scopeType) => ({
        scopeType: scopeType as 'Train' | 'Infer' | 'Notebook',
        state: scopeState,
      })),
      resources: this.resourceStatus(pool, now),
    };
    const message = this.phaseMessage(pool, phase, now);
    if (message !== undefined) status.message = message;
    if (pool.type === 'Logical' && typeof pool.spec.parent === 'string') status.parent = pool.spec.parent;
    return {
      kind: 'Pool',
      apiVersion: 'v2',
      metadata: {
        name: pool.name,
        creationTimestamp: rfc3339(pool.createdAt),
        labels: { ...pool.labels },
        annotations: { ...pool.annotations },
      },
      // The stored spec passed the create or merged-patch validation, so it has the PoolSpec shape.
      spec: structuredClone(pool.spec) as unknown as PoolSpec,
      status,
    };
  }

  /** Says why a pool is not Running, naming the flavor and AZ that found no capacity. */
  private phaseMessage(pool: SimPool, phase: PoolPhase, now: number): string | undefined {
    if (phase !== 'Abnormal' && phase !== 'CreationFailed') return undefined;
    const stuck = pool.nodes.find((node) => nodeState(node, now, this.config) === 'abnormal');
    return stuck ? `insufficient capacity of ${stuck.flavor} in ${stuck.az} (simulated)` : undefined;
  }

  /** Per state, per flavor entry (in spec order), per AZ (sorted); empty states are left out. */
  private resourceStatus(pool: SimPool, now: number): PoolResourceStatus {
    const order = specEntries(pool.spec).map(resourceEntryKey);
    const status: PoolResourceStatus = {};
    for (const state of ['creating', 'available', 'abnormal', 'deleting'] as const satisfies NodeState[]) {
      const groups = new Map<string, SimNode[]>();
      for (const node of pool.nodes) {
        if (nodeState(node, now, this.config) !== state) continue;
        groups.set(node.entryKey, [...(groups.get(node.entryKey) ?? []), node]);
      }
      if (groups.size === 0) continue;
      const rank = (key: string): number => (order.includes(key) ? order.indexOf(key) : order.length);
      status[state] = [...groups.entries()]
        .sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : 1))
        .map(([, nodes]) => flavorCount(nodes));
    }
    return status;
  }

  private find(projectId: string, name: string): SimPool {
    const pool = this.pools.get(poolKey(projectId, name));
    if (!pool) throw poolNotFound();
    return pool;
  }

  private nodeName(pool: SimPool): string {
    const prefix = pool.labels['os.modelarts/node.prefix'] || 'os-node-created';
    for (;;) {
      const name = `${prefix}-${randomSuffix(this.random, 5)}`;
      if (!this.nodeNames.has(name)) {
        this.nodeNames.add(name);
        return name;
      }
    }
  }

  /** `192.168.x.y`, unique across the simulator so that `hostip` filters name one node. */
  private privateIp(): string {
    const n = this.nextIp++;
    return `192.168.${Math.floor(n / 250) % 256}.${(n % 250) + 2}`;
  }

  /** An RFC 4122-shaped id from the seeded random source. */
  private uuid(): string {
    let hex = '';
    for (let i = 0; i < 32; i++) hex += Math.floor(this.random() * 16).toString(16);
    const variant = ((parseInt(hex[16] ?? '0', 16) & 3) | 8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20)}`;
  }

  private digits(length: number): string {
    let text = String(1 + Math.floor(this.random() * 9));
    while (text.length < length) text += String(Math.floor(this.random() * 10));
    return text;
  }
}

function flavorCount(nodes: SimNode[]): PoolResourceFlavorCount {
  const first = nodes[0];
  const perAz = new Map<string, number>();
  for (const node of nodes) perAz.set(node.az, (perAz.get(node.az) ?? 0) + 1);
  const count: PoolResourceFlavorCount = {
    flavor: first?.flavor ?? '',
    count: nodes.length,
    azs: [...perAz.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([az, n]) => ({ az, count: n })),
  };
  if (first?.nodePool !== undefined) count.nodePool = first.nodePool;
  return count;
}

function specEntries(spec: JsonObject): { flavor: string; nodePool?: unknown }[] {
  const resources = Array.isArray(spec.resources) ? spec.resources : [];
  return resources.filter(isJsonObject).map((entry) => ({
    flavor: typeof entry.flavor === 'string' ? entry.flavor : '',
    nodePool: entry.nodePool,
  }));
}

function stringRecord(value: unknown): Record<string, string> {
  if (!isJsonObject(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/**
 * A node's billing: its entry's `extendParams["os.modelarts/billing.mode"]` when set (a simulator
 * convention), else the pool's `os.modelarts/billing.mode` annotation when the node is created.
 */
function billingModeOf(entry: PoolResourceRequest, annotations: Record<string, string>): '0' | '1' {
  const fromEntry = entry.extendParams?.['os.modelarts/billing.mode'];
  const mode = typeof fromEntry === 'string' ? fromEntry : annotations['os.modelarts/billing.mode'];
  return mode === '1' ? '1' : '0';
}

function parseRecord(text: string | undefined): Record<string, string> {
  try {
    const value: unknown = JSON.parse(text ?? '{}');
    return isJsonObject(value) ? stringRecord(value) : {};
  } catch {
    return {};
  }
}

/** `2025-03-27 11:48:55.446172146 +0000 UTC`, Go's default time format, as the statistics example shows. */
function operationTime(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000000 +0000 UTC`;
}

function toJson(value: unknown): JsonObject {
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}

function poolKey(projectId: string, name: string): string {
  return `${projectId}/${name}`;
}

/** `2024-10-24T12:42:43Z`: RFC 3339 in UTC without fraction, as the seed examples show. */
export function rfc3339(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
