import { isDeepStrictEqual } from 'node:util';
import type { StoredActivity } from '../../functions/shared/store/activity-repository';
import type { RequestLogEntry } from '../../simulator/index';

/** The bounds of one flavor as the policy sets them. */
export interface FlavorBounds {
  minCount: number;
  maxCount: number;
}

interface Entry {
  flavor?: unknown;
  count?: unknown;
  maxCount?: unknown;
  azs?: unknown;
  [key: string]: unknown;
}

const SCALABLE_FIELDS = new Set(['count', 'maxCount', 'azs']);

function withoutScalableFields(entry: Entry): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entry).filter(([key]) => !SCALABLE_FIELDS.has(key)));
}

function resourcesOf(patch: unknown): Entry[] | undefined {
  const spec = (patch as { spec?: { resources?: unknown } } | undefined)?.spec;
  return Array.isArray(spec?.resources) ? (spec.resources as Entry[]) : undefined;
}

export interface PatchFindings {
  patches: number;
  boundViolations: string[];
  droppedFields: string[];
  /** Each pool's resources as the replay of successful PATCHes leaves them. */
  replayed: Map<string, Entry[]>;
}

/**
 * Walks the simulator's request log in order and compares every PATCH body with the pool as it was just before:
 * the seeded resources, then the result of each PATCH the simulator accepted (a merge patch replaces
 * `spec.resources` whole). A faulted request never reaches the pool store, so only 200s move the replay.
 */
export function checkPatches(
  log: readonly RequestLogEntry[],
  initial: Map<string, Entry[]>,
  bounds: Map<string, Record<string, FlavorBounds>>,
): PatchFindings {
  const replayed = new Map([...initial].map(([pool, resources]) => [pool, structuredClone(resources)]));
  const boundViolations: string[] = [];
  const droppedFields: string[] = [];
  let patches = 0;
  for (const entry of log) {
    if (entry.method !== 'PATCH' || entry.pool === undefined) continue;
    patches += 1;
    const pool = entry.pool;
    const before = replayed.get(pool) ?? [];
    const patch = entry.patch ?? entry.body;
    const topKeys = Object.keys((patch ?? {}) as object);
    const specKeys = Object.keys(((patch as { spec?: object } | undefined)?.spec ?? {}) as object);
    if (topKeys.some((key) => key !== 'spec') || specKeys.some((key) => key !== 'resources')) {
      droppedFields.push(`${pool}: PATCH touches ${topKeys.join(',')} / spec.${specKeys.join(',')}`);
    }
    const after = resourcesOf(patch);
    if (!after) {
      droppedFields.push(`${pool}: PATCH without spec.resources`);
      continue;
    }
    for (const old of before) {
      const match = after.find((candidate) => candidate.flavor === old.flavor);
      if (!match) {
        droppedFields.push(`${pool}: flavor ${String(old.flavor)} dropped`);
        continue;
      }
      if (!isDeepStrictEqual(withoutScalableFields(match), withoutScalableFields(old))) {
        droppedFields.push(
          `${pool}: flavor ${String(old.flavor)} has changed fields other than count/maxCount/azs`,
        );
      }
    }
    for (const added of after.filter((candidate) => !before.some((old) => old.flavor === candidate.flavor))) {
      droppedFields.push(`${pool}: PATCH adds flavor ${String(added.flavor)}`);
    }
    for (const resource of after) {
      const flavorBounds = bounds.get(pool)?.[String(resource.flavor)];
      const count = Number(resource.count);
      const old = before.find((candidate) => candidate.flavor === resource.flavor);
      const changed = old === undefined || old.count !== resource.count || old.maxCount !== resource.maxCount;
      if (flavorBounds && changed && (count < flavorBounds.minCount || count > flavorBounds.maxCount)) {
        boundViolations.push(
          `${pool} ${String(resource.flavor)}: count ${count} outside [${flavorBounds.minCount}, ${flavorBounds.maxCount}]`,
        );
      }
      if (!Number.isInteger(count) || count < 1)
        boundViolations.push(`${pool}: count ${count} is not a node count`);
      // The demo pools are physical: maxCount must follow count.
      if (resource.maxCount !== undefined && resource.maxCount !== resource.count) {
        boundViolations.push(
          `${pool}: physical pool with maxCount ${String(resource.maxCount)} != count ${count}`,
        );
      }
      if (Array.isArray(resource.azs)) {
        const sum = (resource.azs as Array<{ count: number }>).reduce((total, az) => total + az.count, 0);
        if (sum !== count) boundViolations.push(`${pool}: azs sum to ${sum}, count is ${count}`);
      }
    }
    if (entry.status === 200) replayed.set(pool, structuredClone(after));
  }
  return { patches, boundViolations, droppedFields, replayed };
}

/**
 * The token bucket admits at most `burst + rate × window` requests in any window. Slides a window of
 * `windowMs` over the arrival times the simulator logged and returns the windows that held more.
 */
export function rateViolations(
  log: readonly RequestLogEntry[],
  rate: number,
  burst: number,
  windowMs = 1000,
): Array<{ at: number; requests: number; allowed: number }> {
  const times = log.map((entry) => entry.at).sort((a, b) => a - b);
  const allowed = Math.floor(burst + (rate * windowMs) / 1000);
  const violations: Array<{ at: number; requests: number; allowed: number }> = [];
  let start = 0;
  for (let end = 0; end < times.length; end += 1) {
    while ((times[end] as number) - (times[start] as number) >= windowMs) start += 1;
    const requests = end - start + 1;
    if (requests > allowed) violations.push({ at: times[start] as number, requests, allowed });
  }
  return violations;
}

/** A request that changes a pool's size: a PATCH, or a batch-delete of chosen nodes. */
export function isChangeRequest(entry: RequestLogEntry): boolean {
  return entry.method === 'PATCH' || (entry.method === 'POST' && entry.path.endsWith('/nodes/batch-delete'));
}

/**
 * The pool's entries with their sizing fields left out: what no scale operation may change. Batch-deletes
 * change counts and AZ counts without a PATCH, so the replay of PATCHes is compared on these only.
 */
export function fixedFields(resources: readonly Entry[] | undefined): unknown[] {
  return (resources ?? []).map(withoutScalableFields);
}

/**
 * Change-request attempts (PATCH and batch-delete) per pool in the simulator's log minus those the activities
 * account for. An evaluation writes one record per flavor and each scaled flavor carries the request's attempt
 * count, so attempts are counted once per evaluation (same pool, time and correlation id).
 */
export function unrecordedChangeAttempts(
  log: readonly RequestLogEntry[],
  activities: Map<string, StoredActivity[]>,
): Map<string, number> {
  const seen = new Map<string, number>();
  for (const entry of log) {
    if (isChangeRequest(entry) && entry.pool !== undefined)
      seen.set(entry.pool, (seen.get(entry.pool) ?? 0) + 1);
  }
  const missing = new Map<string, number>();
  for (const [pool, requests] of seen) {
    const perEvaluation = new Map<string, number>();
    for (const activity of activities.get(pool) ?? []) {
      if (activity.action !== 'scale' || activity.attempts === undefined || activity.flavor === '*') continue;
      const key = `${activity.at}\u0000${activity.correlationId}`;
      perEvaluation.set(key, Math.max(perEvaluation.get(key) ?? 0, activity.attempts));
    }
    const recorded = [...perEvaluation.values()].reduce((sum, attempts) => sum + attempts, 0);
    if (recorded !== requests) missing.set(pool, requests - recorded);
  }
  return missing;
}
