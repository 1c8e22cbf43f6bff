/** A trace file row or header that does not match ARCHITECTURE 3.3; names the line and the column. */
export class TraceParseError extends Error {
  override readonly name = 'TraceParseError';
  constructor(
    readonly line: number,
    readonly column: string | undefined,
    detail: string,
  ) {
    super(`trace line ${line}${column === undefined ? '' : `, column ${column}`}: ${detail}`);
  }
}

/** Trace and policy do not fit together (a flavor the policy does not scale, a job larger than the flavor allows). */
export class SimulationInputError extends Error {
  override readonly name = 'SimulationInputError';
}
