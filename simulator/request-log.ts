import type { RequestLogEntry } from './types';

/** Handled requests in arrival order, plus how many PATCHes were in flight at once per pool. */
export class RequestLog {
  readonly entries: RequestLogEntry[] = [];

  /** Keeps the newest `limit` entries so a long-running simulator does not grow without bound. */
  constructor(private readonly limit: number) {}

  private readonly inFlight = new Map<string, number>();
  private readonly maxInFlight = new Map<string, number>();

  record(entry: RequestLogEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }

  /** Marks a PATCH of `pool` as started; call the returned function once it has been answered. */
  beginPatch(pool: string): () => void {
    const current = (this.inFlight.get(pool) ?? 0) + 1;
    this.inFlight.set(pool, current);
    this.maxInFlight.set(pool, Math.max(this.maxInFlight.get(pool) ?? 0, current));
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlight.set(pool, (this.inFlight.get(pool) ?? 1) - 1);
    };
  }

  /** Most PATCHes of one pool ever handled concurrently (0 when none was seen). */
  maxConcurrentPatches(pool: string): number {
    return this.maxInFlight.get(pool) ?? 0;
  }

  /** PATCHes currently being handled, per pool. */
  patchesInFlight(): Record<string, number> {
    return Object.fromEntries([...this.inFlight.entries()].filter(([, count]) => count > 0));
  }

  clear(): void {
    this.entries.length = 0;
    this.maxInFlight.clear();
  }
}
