import {
  ListPoolsQuerySchema,
  type Pool,
  type PoolList,
  type PoolResourceFlavorCount,
  type PoolResourceStatus,
  type PoolSpec,
  type PoolType,
} from '../functions/shared/modelarts/schemas';
import { capacityLimit } from './capacity';
import { badRequest, PoolValidationError, poolAlreadyExists, poolNotFound } from './errors';
import { matchesLabelSelector, parseLabelSelector } from './label-selector';
import { applyMergePatch, isJsonObject, type JsonObject } from './merge-patch';
import {
  holdsCapacity,
  isAbnormalAt,
  isLive,
  nodeState,
  victimOrder,
  victimRank,
  type LifecycleTiming,
  type NodeState,
  type SimNode,
} from './node-lifecycle';
import { randomSuffix, type RandomSource } from './random';
import type { AzCapacity, PoolPhase } from './types';
import {
  resourceEntryKey,
  validateCreatePool,
  validateMergedResources,
  validateUpdatePool,
  type PoolResourceRequest,
} from './validation';

export interface PoolStoreConfig extends LifecycleTiming {
  availabilityZones: string[];
  azCapacity?: AzCapacity;
  flavorRemoval: 'delete' | 'reject';
  patchPhases: PoolPhase[];
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

/** Pools, their nodes and the rules the service applies to them. */
export class PoolStore {
  private readonly pools = new Map<string, SimPool>();
  private readonly nodeNames = new Set<string>();

  constructor(
    private config: PoolStoreConfig,
    private readonly random: RandomSource,
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
    const parsed = ListPoolsQuerySchema.safeParse(known);
    if (!parsed.success) {
      const field = String(parsed.error.issues[0]?.path[0] ?? 'query');
      throw new PoolValidationError(field, parsed.error.issues[0]?.message ?? 'is invalid');
    }
    const { workspaceId = '0', labelSelector, status, parent } = parsed.data;
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

    const metadata = merged.metadata;
    pool.labels = stringRecord(metadata.labels);
    pool.annotations = stringRecord(metadata.annotations);
    pool.spec = merged.spec;
    if (pool.type === 'Dedicate') {
      for (const entry of entries) this.reconcileEntry(pool, entry, now, false);
      for (const key of removedKeys) {
        for (const node of pool.nodes.filter((n) => n.entryKey === key && isLive(n, now, this.config))) {
          this.removeNode(pool, node, now);
        }
      }
    }
    return this.render(pool, now);
  }

  delete(projectId: string, name: string, now: number): Pool {
    this.settle(now);
    const pool = this.find(projectId, name);
    const before = this.render(pool, now);
    if (pool.deletedAt === undefined) {
      pool.deletedAt = now;
      for (const node of [...pool.nodes]) {
        if (node.deletingAt === undefined) this.removeNode(pool, node, now);
      }
    }
    return before;
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
   * Brings placements up to `now`: capacity freed by nodes that finished deleting goes, at the moment it was
   * freed, to the oldest nodes still waiting for it; then gone nodes and fully deleted pools are dropped.
   */
  private settle(now: number): void {
    const goneTimes = [...this.pools.values()]
      .flatMap((pool) => pool.nodes)
      .filter((node) => node.deletingAt !== undefined && node.deletingAt + this.config.deletionDelayMs <= now)
      .map((node) => (node.deletingAt ?? now) + this.config.deletionDelayMs);
    for (const at of [...new Set(goneTimes)].sort((a, b) => a - b)) this.placeWaitingNodes(at);
    this.placeWaitingNodes(now);
    for (const [key, pool] of this.pools) {
      pool.nodes = pool.nodes.filter((node) => nodeState(node, now, this.config) !== 'gone');
      if (pool.deletedAt !== undefined && now >= pool.deletedAt + this.config.deletionDelayMs)
        this.pools.delete(key);
    }
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
            this.removeNode(pool, node, now);
        }
      }
      return;
    }

    let diff = entry.count - live().length;
    for (; diff > 0; diff--)
      this.addNode(pool, entry, this.spreadTarget(live(), entry.flavor, now), now, initial);
    for (; diff < 0; diff++) {
      const victim = this.nextVictim(live(), now);
      if (victim) this.removeNode(pool, victim, now);
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
    };
    if (typeof entry.nodePool === 'string') node.nodePool = entry.nodePool;
    if (this.hasCapacity(az, entry.flavor, now)) node.placedAt = now;
    pool.nodes.push(node);
  }

  /** Nodes still waiting for capacity never existed and just vanish; the others go through `deleting`. */
  private removeNode(pool: SimPool, node: SimNode, now: number): void {
    if (node.placedAt === undefined && !isAbnormalAt(node, now, this.config)) {
      pool.nodes = pool.nodes.filter((n) => n !== node);
    } else {
      node.deletingAt = now;
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
