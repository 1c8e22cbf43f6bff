/** Exponential back-off per pool after consecutive failed evaluations: base, 2×base, 4×base, ... capped. */
export function failureBackoffUntil(
  now: number,
  failures: number,
  settings: { failureBackoffBaseMs: number; failureBackoffMaxMs: number },
): number {
  if (failures <= 0) return 0;
  const delay = Math.min(settings.failureBackoffMaxMs, settings.failureBackoffBaseMs * 2 ** (failures - 1));
  return now + delay;
}
