/**
 * Where test clocks that write to DynamoDB Local start: the current hour of the real date, moved by
 * `TEST_CLOCK_OFFSET_DAYS` days (for example -30 or 30, to show that no test depends on the calendar).
 * DynamoDB Local deletes items whose TTL lies in the past on the real clock within seconds, so a test clock
 * pinned to a fixed date would lose records in the middle of a test.
 */
const HOUR_MS = 3_600_000;

function offsetDays(): number {
  const text = process.env.TEST_CLOCK_OFFSET_DAYS ?? '';
  if (text.trim() === '') return 0;
  const days = Number(text);
  if (!Number.isInteger(days)) {
    throw new Error(`TEST_CLOCK_OFFSET_DAYS must be a whole number of days, got "${text}"`);
  }
  return days;
}

export const TEST_CLOCK_OFFSET_DAYS = offsetDays();

/** Epoch ms at the start of the current hour, moved by the offset. */
export function anchoredNow(): number {
  return Math.floor(Date.now() / HOUR_MS) * HOUR_MS + TEST_CLOCK_OFFSET_DAYS * 86_400_000;
}

/**
 * Retention in days that keeps records written with an anchor in the past alive on the real clock as long as
 * `days` would with the anchor today (the TTL sweeper reads the real clock, the records carry the test's).
 */
export function retentionDays(days: number): number {
  return days + Math.max(0, -TEST_CLOCK_OFFSET_DAYS);
}

/** A clock that starts at the anchor and runs at real speed, for tests that let time pass by itself. */
export function anchoredClock(): () => number {
  const anchor = anchoredNow();
  const startedAt = Date.now();
  return () => anchor + (Date.now() - startedAt);
}
