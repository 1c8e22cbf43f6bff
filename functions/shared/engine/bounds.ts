import type { FlavorPolicy } from './policy';
import { describeSchedule, scheduleWindow } from './schedules';

export interface EffectiveBounds {
  minCount: number;
  maxCount: number;
  reasons: string[];
  /** Epoch ms of the next schedule start or end, if any schedule is set. */
  nextChangeAt?: number;
}

/**
 * The bounds in force at `now`: the flavor's minCount/maxCount, overridden by every active schedule. When
 * schedules overlap the most generous override wins (largest minCount, largest maxCount).
 */
export function effectiveBounds(flavor: FlavorPolicy, now: number): EffectiveBounds {
  let minCount = flavor.minCount;
  let maxCount = flavor.maxCount;
  let scheduledMin: number | undefined;
  let scheduledMax: number | undefined;
  let nextChangeAt: number | undefined;
  const reasons: string[] = [];
  flavor.schedules.forEach((schedule, index) => {
    const window = scheduleWindow(schedule, now);
    const boundary = window.active ? Math.min(window.endsAt, window.nextStartAt) : window.nextStartAt;
    nextChangeAt = nextChangeAt === undefined ? boundary : Math.min(nextChangeAt, boundary);
    if (!window.active) return;
    const overrides: string[] = [];
    if (schedule.minCount !== undefined) {
      scheduledMin = Math.max(scheduledMin ?? 0, schedule.minCount);
      overrides.push(`minCount ${schedule.minCount}`);
    }
    if (schedule.maxCount !== undefined) {
      scheduledMax = Math.max(scheduledMax ?? 0, schedule.maxCount);
      overrides.push(`maxCount ${schedule.maxCount}`);
    }
    reasons.push(
      `schedule ${describeSchedule(schedule, index)} active until ${new Date(window.endsAt).toISOString()}: ${overrides.join(', ')}`,
    );
  });
  if (scheduledMin !== undefined) minCount = scheduledMin;
  if (scheduledMax !== undefined) maxCount = scheduledMax;
  if (minCount > maxCount) maxCount = minCount;
  return nextChangeAt === undefined
    ? { minCount, maxCount, reasons }
    : { minCount, maxCount, reasons, nextChangeAt };
}

/**
 * Legal node counts: multiples of `step` within [minCount, maxCount]. Rounds up (never below what the demand
 * needs), then back down if that would pass the ceiling; null when no multiple fits.
 */
export function roundToStep(nodes: number, step: number, minCount: number, maxCount: number): number | null {
  const lowest = Math.ceil(minCount / step) * step;
  const highest = Math.floor(maxCount / step) * step;
  if (lowest > highest) return null;
  const rounded = Math.ceil(nodes / step) * step;
  return Math.min(highest, Math.max(lowest, rounded));
}

export interface BoundedCount {
  /** The nearest count within [minCount, maxCount]. */
  nodes: number;
  /** Which bound the count passed, if any. */
  outside?: 'above' | 'below';
}

/** A node count brought within [minCount, maxCount] (minCount ≤ maxCount), saying which bound it passed. */
export function clampToBounds(nodes: number, bounds: { minCount: number; maxCount: number }): BoundedCount {
  if (nodes > bounds.maxCount) return { nodes: bounds.maxCount, outside: 'above' };
  if (nodes < bounds.minCount) return { nodes: bounds.minCount, outside: 'below' };
  return { nodes };
}
