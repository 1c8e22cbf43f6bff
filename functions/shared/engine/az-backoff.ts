import type { AzBackoffPolicy } from './policy';
import type { FlavorStatus } from './pool-view';
import type { AzHealth, FlavorScalerState } from './state';

/**
 * Karpenter-style back-off: an AZ whose nodes stay `creating` with no node becoming available, or stay
 * `abnormal`, for `afterSeconds` is avoided for `durationSeconds`. While backed off, new nodes go to the other
 * AZs and the AZ keeps only its available nodes, so the stuck ones are placed elsewhere.
 */

export interface AzHealthUpdate {
  health: Record<string, AzHealth>;
  backedOff: Set<string>;
  /** AZs that entered back-off in this evaluation. */
  newlyBackedOff: string[];
  /** Earliest back-off end, epoch ms. */
  nextChangeAt?: number;
}

export function updateAzHealth(
  previous: Readonly<Record<string, AzHealth>>,
  status: FlavorStatus,
  policy: AzBackoffPolicy,
  now: number,
): AzHealthUpdate {
  const zones = new Set([
    ...Object.keys(previous),
    ...Object.keys(status.creating.byAz),
    ...Object.keys(status.available.byAz),
    ...Object.keys(status.abnormal.byAz),
  ]);
  const health: Record<string, AzHealth> = {};
  const backedOff = new Set<string>();
  const newlyBackedOff: string[] = [];
  let nextChangeAt: number | undefined;
  for (const az of [...zones].sort()) {
    const before = previous[az] ?? {};
    const available = status.available.byAz[az] ?? 0;
    const troubled = (status.creating.byAz[az] ?? 0) > 0 || (status.abnormal.byAz[az] ?? 0) > 0;
    const progressed = before.lastAvailable !== undefined && available > before.lastAvailable;
    const next: AzHealth = { lastAvailable: available };
    if (before.backoffUntil !== undefined && before.backoffUntil > now) {
      next.backoffUntil = before.backoffUntil;
    } else if (troubled) {
      const since = progressed || before.troubleSince === undefined ? now : before.troubleSince;
      if (now - since >= policy.afterSeconds * 1000) {
        next.backoffUntil = now + policy.durationSeconds * 1000;
        newlyBackedOff.push(az);
      } else {
        next.troubleSince = since;
      }
    }
    if (next.backoffUntil !== undefined) {
      backedOff.add(az);
      nextChangeAt =
        nextChangeAt === undefined ? next.backoffUntil : Math.min(nextChangeAt, next.backoffUntil);
    } else if (next.troubleSince !== undefined) {
      const deadline = next.troubleSince + policy.afterSeconds * 1000;
      nextChangeAt = nextChangeAt === undefined ? deadline : Math.min(nextChangeAt, deadline);
    }
    health[az] = next;
  }
  return nextChangeAt === undefined
    ? { health, backedOff, newlyBackedOff }
    : { health, backedOff, newlyBackedOff, nextChangeAt };
}

/** The flavor's state carrying the AZ health of this evaluation. */
export function withAzHealth(state: FlavorScalerState, update: AzHealthUpdate): FlavorScalerState {
  return { ...state, azs: update.health };
}
