/**
 * Virtual time for the local run: `start + speed × real elapsed`. The handlers, the ModelArts simulator and the
 * trace replay all read this one clock, so stabilization windows, provisioning delays and job run times shrink by
 * the same factor and the engine sees a consistent world.
 */
export class ScaledClock {
  private realStart: number | undefined;
  /** Epoch ms of virtual time zero (the trace's second 0). */
  startEpochMs: number;

  constructor(
    readonly speed: number,
    startEpochMs: number = Date.now(),
    private readonly realNow: () => number = () => performance.now(),
  ) {
    this.startEpochMs = startEpochMs;
  }

  /** Moves virtual time zero; only before `begin`, while virtual time stands still. */
  startAt(startEpochMs: number): void {
    if (this.realStart !== undefined) throw new Error('the clock is already running');
    this.startEpochMs = startEpochMs;
  }

  /** Starts virtual time; until then it stands still at `startEpochMs`. */
  begin(): void {
    this.realStart = this.realNow();
  }

  /** Virtual epoch ms, whole like `Date.now()`'s; bound, so it can be handed around as `() => number`. */
  readonly now = (): number =>
    Math.floor(
      this.startEpochMs + (this.realStart === undefined ? 0 : this.speed * (this.realNow() - this.realStart)),
    );

  /** Virtual seconds since the start. */
  elapsedS(): number {
    return (this.now() - this.startEpochMs) / 1000;
  }

  /** Real milliseconds since the start. */
  realElapsedMs(): number {
    return this.realStart === undefined ? 0 : this.realNow() - this.realStart;
  }

  /** Real milliseconds that `virtualMs` of virtual time take. */
  realMs(virtualMs: number): number {
    return virtualMs / this.speed;
  }
}
