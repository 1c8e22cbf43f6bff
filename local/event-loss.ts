import type { JobEvent } from '../functions/shared/events';
import { seededRandom } from '../policy-sim/rng';

/** The seed of the lost events' draw: every run of the same trace loses the same events. */
const LOSS_SEED = 16;

/**
 * The job events of a local run on their way to the queue: all of them; none, when the demand is read from the
 * workloads (no producer at all); or all but a share drawn from a seeded source, as a lossy producer would
 * lose them, so the run shows what the reconciliation against the workloads repairs.
 */
export class JobEventFeed {
  /** Events handed to the queue. */
  published = 0;
  /** Events a lossy producer lost (`--drop-events`). */
  dropped = 0;
  /** Events never sent because the autoscaler reads the workloads instead. */
  withheld = 0;
  private readonly random = seededRandom(LOSS_SEED);

  constructor(private readonly options: { send: boolean; dropShare: number }) {}

  pass(events: readonly JobEvent[]): JobEvent[] {
    if (!this.options.send) {
      this.withheld += events.length;
      return [];
    }
    const kept = events.filter(
      () => this.options.dropShare === 0 || this.random.next() >= this.options.dropShare,
    );
    this.dropped += events.length - kept.length;
    this.published += kept.length;
    return kept;
  }
}
