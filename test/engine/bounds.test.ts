import { describe, expect, it } from 'vitest';
import { clampToBounds, effectiveBounds, roundToStep } from '../../functions/shared/engine/bounds';
import { scheduleWindow } from '../../functions/shared/engine/schedules';
import { GPU, policy } from './fixtures';

const weekdayMornings = {
  cron: '0 8 * * 1-5',
  timezone: 'Asia/Shanghai',
  durationSeconds: 36000,
  minCount: 4,
};
const flavor = (schedules: unknown[]) => {
  const parsed = policy({}, { schedules }).flavors[GPU];
  if (parsed === undefined) throw new Error('no flavor');
  return parsed;
};
const utc = (text: string) => Date.parse(text);

describe('schedules with time zones', () => {
  it.each([
    // 2026-11-23 is a Monday; 08:00 in Shanghai is 00:00 UTC.
    ['Monday 07:59 Shanghai: not yet', '2026-11-22T23:59:00Z', false],
    ['Monday 08:00 Shanghai: starts', '2026-11-23T00:00:00Z', true],
    ['Monday 17:59 Shanghai: still on', '2026-11-23T09:59:59Z', true],
    ['Monday 18:00 Shanghai: over', '2026-11-23T10:00:00Z', false],
    ['Saturday 09:00 Shanghai: not on weekends', '2026-11-28T01:00:00Z', false],
  ])('%s', (_name, now, active) => {
    expect(scheduleWindow(flavor([weekdayMornings]).schedules[0]!, utc(now)).active).toBe(active);
  });

  it('follows daylight saving time in its zone', () => {
    const newYork = { cron: '0 9 * * *', timezone: 'America/New_York', durationSeconds: 3600, minCount: 2 };
    const schedule = flavor([newYork]).schedules[0]!;
    expect(scheduleWindow(schedule, utc('2026-07-01T13:30:00Z')).active).toBe(true); // EDT, UTC-4
    expect(scheduleWindow(schedule, utc('2026-12-01T13:30:00Z')).active).toBe(false); // EST, UTC-5
    expect(scheduleWindow(schedule, utc('2026-12-01T14:30:00Z')).active).toBe(true);
  });

  it('reports the next start and end', () => {
    const window = scheduleWindow(flavor([weekdayMornings]).schedules[0]!, utc('2026-11-23T05:00:00Z'));
    expect(new Date(window.endsAt).toISOString()).toBe('2026-11-23T10:00:00.000Z');
    expect(new Date(window.nextStartAt).toISOString()).toBe('2026-11-24T00:00:00.000Z');
  });
});

describe('effectiveBounds', () => {
  it.each([
    ['no schedule', [], '2026-11-23T05:00:00Z', 1, 16],
    ['active schedule raises minCount', [weekdayMornings], '2026-11-23T05:00:00Z', 4, 16],
    ['inactive schedule changes nothing', [weekdayMornings], '2026-11-23T12:00:00Z', 1, 16],
    [
      'overlapping schedules: the most generous wins',
      [weekdayMornings, { cron: '0 * * * *', durationSeconds: 3600, minCount: 6, maxCount: 12 }],
      '2026-11-23T05:00:00Z',
      6,
      12,
    ],
    [
      'a schedule may lower maxCount',
      [{ cron: '0 0 * * *', timezone: 'UTC', durationSeconds: 86400, maxCount: 3 }],
      '2026-11-23T05:00:00Z',
      1,
      3,
    ],
  ])('%s', (_name, schedules, now, min, max) => {
    const bounds = effectiveBounds(flavor(schedules), utc(now));
    expect([bounds.minCount, bounds.maxCount]).toEqual([min, max]);
  });

  it('names the schedule in the reason', () => {
    const bounds = effectiveBounds(
      flavor([{ ...weekdayMornings, name: 'office hours' }]),
      utc('2026-11-23T05:00:00Z'),
    );
    expect(bounds.reasons).toEqual([
      'schedule office hours (0 8 * * 1-5 Asia/Shanghai, 36000 s) active until 2026-11-23T10:00:00.000Z: minCount 4',
    ]);
    expect(bounds.nextChangeAt).toBe(utc('2026-11-23T10:00:00Z'));
  });
});

describe('roundToStep', () => {
  it.each([
    ['step 1 leaves the count', 5, 1, 1, 16, 5],
    ['rounds up to the step', 5, 4, 1, 16, 8],
    ['rounds back down under the ceiling', 15, 4, 1, 14, 12],
    ['lifts to the lowest multiple above minCount', 1, 4, 3, 16, 4],
    ['no multiple fits', 5, 8, 3, 7, null],
    ['zero stays zero when allowed', 0, 4, 0, 16, 0],
  ])('%s', (_name, nodes, step, min, max, expected) => {
    expect(roundToStep(nodes, step, min, max)).toBe(expected);
  });
});

describe('clampToBounds', () => {
  it.each([
    ['within', 5, 1, 16, { nodes: 5 }],
    ['at minCount', 1, 1, 16, { nodes: 1 }],
    ['at maxCount', 16, 1, 16, { nodes: 16 }],
    ['above maxCount', 20, 1, 16, { nodes: 16, outside: 'above' }],
    ['below minCount', 0, 1, 16, { nodes: 1, outside: 'below' }],
    ['minCount equal to maxCount', 3, 4, 4, { nodes: 4, outside: 'below' }],
  ])('%s', (_name, nodes, minCount, maxCount, expected) => {
    expect(clampToBounds(nodes, { minCount, maxCount })).toEqual(expected);
  });
});
