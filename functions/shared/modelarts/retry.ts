/** Retry timing for ModelArts calls: exponential backoff with full jitter, or the server's `Retry-After`. */

export interface BackoffSettings {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Uniform in [0, 1). */
  random: () => number;
}

/**
 * Delay before retry number `retry` (1 for the first retry). Full jitter: uniform in
 * [0, min(maxDelayMs, baseDelayMs * 2^(retry-1))), which spreads concurrent callers apart. A `Retry-After`
 * from the server wins, capped at `maxDelayMs` so a single call stays bounded.
 */
export function retryDelayMs(retry: number, settings: BackoffSettings, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), settings.maxDelayMs);
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(settings.random() * ceiling);
}

/** `Retry-After` as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // HTTP dates start with the day name; Date.parse alone would read "-3" as a year.
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
