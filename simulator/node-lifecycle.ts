/*
 * Node lifecycle, computed lazily from timestamps so that a test advancing the clock sees exactly the state
 * the timestamps imply, whatever the order of requests:
 *   requested ──(capacity found: placedAt)──► creating ──(placedAt + provisioningDelayMs)──► available
 *   (the last `checkingDelayMs` of creating is the node's self-check: phase Checking in the nodes API)
 *   requested, no capacity: creating, or abnormal from requestedAt + abnormalAfterMs when that is set
 *   any state ──(scale-in: deletingAt)──► deleting ──(deletingAt + deletionDelayMs)──► gone
 */

import {
  removalOrder,
  removalRank,
  type RemovalCandidate,
  type RemovalOptions,
  type RemovalStage,
} from '../functions/shared/engine/removal-order';

export type NodeState = 'creating' | 'available' | 'abnormal' | 'deleting' | 'gone';

export interface SimNode {
  name: string;
  /** Flavor entry the node belongs to (see `resourceEntryKey`). */
  entryKey: string;
  flavor: string;
  nodePool?: string;
  az: string;
  requestedAt: number;
  /** When capacity was found for it; absent while it waits for capacity. */
  placedAt?: number;
  deletingAt?: number;
  /** Requested by the pool's creation (rather than a later scale-out). */
  initial: boolean;
  privateIp: string;
  /** `os.modelarts/billing.mode`: `"0"` pay-per-use, `"1"` yearly/monthly. */
  billingMode: '0' | '1';
}

export interface LifecycleTiming {
  provisioningDelayMs: number;
  deletionDelayMs: number;
  abnormalAfterMs?: number;
  /** The end of provisioning spent in phase Checking; at most `provisioningDelayMs`. */
  checkingDelayMs?: number;
}

/** `status.phase` of the nodes API. */
export type NodePhase = 'Creating' | 'Checking' | 'Available' | 'Abnormal' | 'Deleting';

export function nodeState(node: SimNode, now: number, timing: LifecycleTiming): NodeState {
  if (node.deletingAt !== undefined) {
    return now >= node.deletingAt + timing.deletionDelayMs ? 'gone' : 'deleting';
  }
  if (node.placedAt !== undefined) {
    return now >= node.placedAt + timing.provisioningDelayMs ? 'available' : 'creating';
  }
  return isAbnormalAt(node, now, timing) ? 'abnormal' : 'creating';
}

/** When a placed node becomes available (undefined while it waits for capacity). */
export function readyAt(node: SimNode, timing: LifecycleTiming): number | undefined {
  return node.placedAt === undefined ? undefined : node.placedAt + timing.provisioningDelayMs;
}

/** The phase the nodes API shows; undefined once the node is gone. */
export function nodePhase(node: SimNode, now: number, timing: LifecycleTiming): NodePhase | undefined {
  const state = nodeState(node, now, timing);
  switch (state) {
    case 'gone':
      return undefined;
    case 'available':
      return 'Available';
    case 'abnormal':
      return 'Abnormal';
    case 'deleting':
      return 'Deleting';
    case 'creating': {
      const ready = readyAt(node, timing);
      const checking = Math.min(timing.checkingDelayMs ?? 0, timing.provisioningDelayMs);
      return ready !== undefined && checking > 0 && now >= ready - checking ? 'Checking' : 'Creating';
    }
  }
}

/** A node that never found capacity turns abnormal after `abnormalAfterMs`, and stays so. */
export function isAbnormalAt(node: SimNode, at: number, timing: LifecycleTiming): boolean {
  return (
    node.placedAt === undefined &&
    timing.abnormalAfterMs !== undefined &&
    at >= node.requestedAt + timing.abnormalAfterMs
  );
}

/** Nodes that count towards an entry's `count`: everything not on its way out. */
export function isLive(node: SimNode, now: number, timing: LifecycleTiming): boolean {
  const state = nodeState(node, now, timing);
  return state === 'creating' || state === 'available' || state === 'abnormal';
}

/** Nodes holding capacity in their AZ: placed and not yet gone (deleting nodes still occupy their slot). */
export function holdsCapacity(node: SimNode, now: number, timing: LifecycleTiming): boolean {
  return node.placedAt !== undefined && nodeState(node, now, timing) !== 'gone';
}

/** How the shared removal order sees a node: the service does not look at what runs on it. */
function removalView(node: SimNode, now: number, timing: LifecycleTiming): RemovalCandidate {
  const state = nodeState(node, now, timing);
  const stage: RemovalStage =
    node.placedAt === undefined && !isAbnormalAt(node, now, timing)
      ? 'waiting'
      : state === 'creating'
        ? 'creating'
        : state === 'abnormal'
          ? 'abnormal'
          : 'available';
  return { stage, usedUnits: undefined, requestedAt: node.requestedAt, tiebreak: node.name };
}

const SERVICE_CHOICE: RemovalOptions = { idleFirst: false };

/**
 * Order in which scale-in picks victims inside one AZ (functions/shared/engine/removal-order.ts): nodes still
 * waiting for capacity, then creating ones, then abnormal, then available; newest first within each group.
 * Running jobs are not protected, as the service documents for scale-in by PATCH.
 */
export function victimOrder(nodes: SimNode[], now: number, timing: LifecycleTiming): SimNode[] {
  return removalOrder(nodes, (node) => removalView(node, now, timing), SERVICE_CHOICE);
}

/** Lower ranks are removed first (see `victimOrder`). */
export function victimRank(node: SimNode, now: number, timing: LifecycleTiming): number {
  return removalRank(removalView(node, now, timing), SERVICE_CHOICE);
}
