/** Integers as they are, other numbers with at most three decimals: the same text on every run and platform. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return String(Math.round(value * 1000) / 1000);
}
