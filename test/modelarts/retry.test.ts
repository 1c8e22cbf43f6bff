import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRetryAfter, retryDelayMs } from '../../functions/shared/modelarts';
import { anchoredNow } from '../clock-anchor';

describe('retryDelayMs', () => {
  it('stays within the full-jitter window [0, min(max, base * 2^(retry-1)))', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 120_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (retry, baseDelayMs, maxDelayMs, r) => {
          const delay = retryDelayMs(retry, { baseDelayMs, maxDelayMs, random: () => r });
          const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(ceiling);
          expect(Number.isInteger(delay)).toBe(true);
        },
      ),
    );
  });

  it('follows Retry-After up to the cap, whatever the jitter', () => {
    const settings = { baseDelayMs: 100, maxDelayMs: 10_000, random: () => 0.99 };
    expect(retryDelayMs(1, settings, 2_500)).toBe(2_500);
    expect(retryDelayMs(5, settings, 0)).toBe(0);
    expect(retryDelayMs(1, settings, 60_000)).toBe(10_000);
  });
});

describe('parseRetryAfter', () => {
  const now = anchoredNow();
  const httpDate = (offsetMs: number): string => new Date(now + offsetMs).toUTCString();
  it.each([
    ['5', 5_000],
    ['0', 0],
    ['1.5', 1_500],
    [' 2 ', 2_000],
    [httpDate(30_000), 30_000],
    [httpDate(-60_000), 0],
  ])('reads %j as %i ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it.each([null, undefined, '', 'soon', '-3'])('ignores %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});
