/** `1 node`, `3 nodes`: reason trails are read by operators. */
export function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
