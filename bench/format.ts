/** Prints one benchmark figure in the `BENCH <name> <value> <unit>` line format. */
export function benchLine(name: string, value: number, unit: string): void {
  const shown = Number.isInteger(value) ? String(value) : value.toPrecision(4);
  process.stdout.write(`BENCH ${name} ${shown} ${unit}\n`);
}

/** Human-readable context printed beside the figures. */
export function benchNote(text: string): void {
  process.stdout.write(`# ${text}\n`);
}
