import type { Pool, PoolNodeAz, PoolResource, UpdatePoolRequest } from '../modelarts/schemas';
import { FlavorEntryNotFoundError, InvalidTargetError } from './errors';
import type { FlavorSize, FlavorTarget } from './types';

/**
 * Deep copy of a JSON value (what the API returned). Several times faster than `structuredClone`, and a key
 * named `__proto__` stays an ordinary field instead of changing the copy's prototype.
 */
function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const field = (value as Record<string, unknown>)[key];
    if (key === '__proto__') {
      Object.defineProperty(copy, key, {
        value: cloneJson(field),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      copy[key] = cloneJson(field);
    }
  }
  return copy as T;
}

/** Nodes per AZ, summing an AZ listed twice and leaving out AZs with 0 nodes (they place nothing). */
export function nodesPerAz(azs: readonly PoolNodeAz[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const az of azs) if (az.count > 0) counts.set(az.az, (counts.get(az.az) ?? 0) + az.count);
  return counts;
}

/** Same nodes per AZ; an absent `azs` and one that places no node (empty, or only zeros) are alike. */
function sameAzs(a: readonly PoolNodeAz[] | undefined, b: readonly PoolNodeAz[] | undefined): boolean {
  const left = nodesPerAz(a ?? []);
  const right = nodesPerAz(b ?? []);
  if ((a === undefined || b === undefined) && (left.size > 0 || right.size > 0)) return false;
  if (left.size !== right.size) return false;
  for (const [az, count] of left) if (right.get(az) !== count) return false;
  return true;
}

/** True when `after` differs from `before` in count, maxCount or AZ placement. */
export function sizeChanged(before: FlavorSize, after: FlavorSize): boolean {
  return (
    before.count !== after.count || before.maxCount !== after.maxCount || !sameAzs(before.azs, after.azs)
  );
}

export function sizeOf(resource: PoolResource): FlavorSize {
  const size: FlavorSize = { count: resource.count };
  if (resource.maxCount !== undefined) size.maxCount = resource.maxCount;
  // An empty `azs` places nothing, like an absent one: the service chooses.
  if (resource.azs !== undefined && resource.azs.length > 0) {
    size.azs = resource.azs.map((az) => ({ az: az.az, count: az.count }));
  }
  return size;
}

function findEntry(pool: Pool, target: FlavorTarget): number {
  const matches: number[] = [];
  pool.spec.resources.forEach((resource, index) => {
    if (resource.flavor !== target.flavor) return;
    if (target.nodePool !== undefined && resource.nodePool !== target.nodePool) return;
    matches.push(index);
  });
  const name = pool.metadata.name;
  if (matches.length === 0)
    throw new FlavorEntryNotFoundError(name, target.flavor, 'no such flavor entry in the pool');
  if (matches.length > 1) {
    throw new FlavorEntryNotFoundError(
      name,
      target.flavor,
      `${matches.length} entries share the flavor; name the nodePool`,
    );
  }
  return matches[0] as number;
}

function checkTarget(pool: Pool, entry: PoolResource, target: FlavorTarget): void {
  const fail = (reason: string) => new InvalidTargetError(pool.metadata.name, target.flavor, reason);
  if (!Number.isInteger(target.count) || target.count < 0)
    throw fail(`count ${target.count} is not a node count`);
  if (
    target.maxCount !== undefined &&
    (!Number.isInteger(target.maxCount) || target.maxCount < target.count)
  ) {
    throw fail(`maxCount ${target.maxCount} is below count ${target.count}`);
  }
  const maxCount = target.maxCount ?? entry.maxCount;
  if (maxCount !== undefined && pool.spec.type === 'Dedicate' && maxCount !== target.count) {
    throw fail(`a physical pool needs maxCount = count, got maxCount ${maxCount} and count ${target.count}`);
  }
  if (maxCount !== undefined && maxCount < target.count) {
    throw fail(`maxCount ${maxCount} is below count ${target.count}`);
  }
  if (target.azs !== undefined) {
    const names = new Set(target.azs.map((az) => az.az));
    if (names.size !== target.azs.length) throw fail('azs names an AZ twice');
    const sum = target.azs.reduce((total, az) => total + az.count, 0);
    if (sum !== target.count) throw fail(`azs sum to ${sum}, not count ${target.count}`);
  } else if (entry.azs !== undefined && entry.azs.length > 0 && target.count !== entry.count) {
    throw fail('the entry places nodes per AZ: a new count needs new azs');
  }
}

/**
 * The merge-patch body for `PATCH /pools/{name}`. Merge patch replaces arrays whole, so `spec.resources` carries
 * every entry of the current spec, deep-copied with every field (unknown ones too), changing only `count`,
 * `maxCount` and `azs` of the targets. Null when no target changes anything.
 */
export function buildPatchBody(pool: Pool, targets: readonly FlavorTarget[]): UpdatePoolRequest | null {
  const resources: PoolResource[] = cloneJson(pool.spec.resources);
  let changed = false;
  for (const target of targets) {
    const index = findEntry(pool, target);
    const entry = resources[index] as PoolResource;
    checkTarget(pool, entry, target);
    const before = sizeOf(entry);
    const after: FlavorSize = { count: target.count };
    const maxCount = target.maxCount ?? before.maxCount;
    if (maxCount !== undefined) after.maxCount = maxCount;
    const azs = target.azs ?? before.azs;
    if (azs !== undefined) after.azs = azs;
    if (!sizeChanged(before, after)) continue;
    changed = true;
    entry.count = target.count;
    if (target.maxCount !== undefined) entry.maxCount = target.maxCount;
    if (target.azs !== undefined) entry.azs = target.azs.map((az) => ({ az: az.az, count: az.count }));
  }
  return changed ? { spec: { resources } } : null;
}
