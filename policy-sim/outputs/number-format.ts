/** Integers as they are, other numbers with at most three decimals: the same text on every run and platform. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return String(Math.round(value * 1000) / 1000);
}

/** Seconds as a reader takes them in: whole from 10 s up, one decimal below. */
export function formatSeconds(value: number): string {
  if (Math.abs(value) >= 10) return String(Math.round(value));
  return String(Math.round(value * 10) / 10);
}

const SPAN_UNITS = [
  { name: 'day', seconds: 86_400 },
  { name: 'h', seconds: 3600 },
  { name: 'min', seconds: 60 },
] as const;

/** A span in the two largest units it has: `45 s`, `12 min`, `3 h 5 min`, `2 days 4 h`. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${formatSeconds(seconds)} s`;
  let rest = Math.round(seconds);
  const parts: string[] = [];
  for (const unit of SPAN_UNITS) {
    const count = Math.floor(rest / unit.seconds);
    rest -= count * unit.seconds;
    if (count > 0 || parts.length > 0) {
      parts.push(unit.name === 'day' ? `${count} day${count === 1 ? '' : 's'}` : `${count} ${unit.name}`);
    }
  }
  if (parts.length === 1 && rest > 0 && seconds < 3600) parts.push(`${rest} s`);
  const shown = parts.slice(0, 2);
  // `3 h 0 min` reads as `3 h`.
  return (shown.length === 2 && /^0 /.test(shown[1]!) ? shown.slice(0, 1) : shown).join(' ');
}
