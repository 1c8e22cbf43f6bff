import { CronExpressionParser } from 'cron-parser';
import type { SchedulePolicy } from './policy';

export interface ScheduleWindow {
  schedule: SchedulePolicy;
  /** Start of the latest window at or before `now`, epoch ms. */
  startedAt: number;
  endsAt: number;
  active: boolean;
  /** Start of the next window after `now`, epoch ms. */
  nextStartAt: number;
}

interface FireTimes {
  previous: number;
  next: number;
}

// Parsing a cron expression costs far more than a whole decision; the last fire times are remembered per
// expression and reused while `now` stays between them, which keeps `decide` pure in effect.
const fireTimesCache = new Map<string, FireTimes>();
const FIRE_TIMES_CACHE_LIMIT = 1024;

function fireTimes(cron: string, timezone: string, now: number): FireTimes {
  const key = `${timezone}\u0000${cron}`;
  const cached = fireTimesCache.get(key);
  if (cached !== undefined && cached.previous <= now && now < cached.next) return cached;
  // prev() is strictly before currentDate, so a window starting exactly at `now` counts as started.
  const expression = CronExpressionParser.parse(cron, { currentDate: new Date(now + 1), tz: timezone });
  const previous = expression.prev().getTime();
  expression.reset(new Date(now));
  const next = expression.next().getTime();
  const times = { previous, next };
  if (fireTimesCache.size >= FIRE_TIMES_CACHE_LIMIT) fireTimesCache.clear();
  fireTimesCache.set(key, times);
  return times;
}

/** Where `now` falls relative to one schedule's windows. */
export function scheduleWindow(schedule: SchedulePolicy, now: number): ScheduleWindow {
  const { previous, next } = fireTimes(schedule.cron, schedule.timezone, now);
  const endsAt = previous + schedule.durationSeconds * 1000;
  return { schedule, startedAt: previous, endsAt, active: now < endsAt, nextStartAt: next };
}

export function describeSchedule(schedule: SchedulePolicy, index: number): string {
  const label = schedule.name ?? `schedules[${index}]`;
  return `${label} (${schedule.cron} ${schedule.timezone}, ${schedule.durationSeconds} s)`;
}
