import type { Pool } from '../modelarts/schemas';
import type { AzHealthUpdate } from './az-backoff';
import type { Policy } from './policy';
import type { FlavorStatus } from './pool-view';
import { countOf } from './wording';

/**
 * Pool-level rules that stop a decision before any flavor is looked at, in order: the first that stops wins.
 * `disabled` changes and remembers nothing; `skip` changes nothing but keeps the AZ health it saw.
 */

/** What the guards read of one pool. */
export interface PoolGuardInput {
  policy: Policy;
  pool: Pool;
  statuses: ReadonlyMap<string, FlavorStatus>;
  health: ReadonlyMap<string, AzHealthUpdate>;
}

export interface PoolStop {
  action: 'disabled' | 'skip';
  /** Why, in the words of the decision's reasons. */
  reason: string;
}

/** Returns why the pool is not to be changed now, or undefined when the next guard decides. */
export type PoolGuard = (input: PoolGuardInput) => PoolStop | undefined;

export function policyDisabled({ policy }: PoolGuardInput): PoolStop | undefined {
  return policy.enabled ? undefined : { action: 'disabled', reason: 'policy disabled (enabled: false)' };
}

/** A pool mid-creation, failed or being changed by someone else is not resized unless the policy admits its phase. */
export function phaseNotResizable({ policy, pool }: PoolGuardInput): PoolStop | undefined {
  const phase = pool.status.phase;
  if (phase !== undefined && policy.resizablePhases.includes(phase)) return undefined;
  return {
    action: 'skip',
    reason: `pool phase ${phase ?? '(none yet)'} is not resizable (resizablePhases: ${policy.resizablePhases.join(', ')})`,
  };
}

/** One change at a time per pool: nodes creating or deleting in any flavor wait, unless scaleWhileChanging. */
export function flavorMidChange({ policy, statuses, health }: PoolGuardInput): PoolStop | undefined {
  if (policy.scaleWhileChanging) return undefined;
  for (const [flavor, status] of statuses) {
    const backedOff = health.get(flavor)?.backedOff ?? new Set<string>();
    // Nodes stuck in a backed-off AZ are what the next PATCH moves away: they do not block it.
    let creating = status.creating.total;
    for (const az of backedOff) creating -= status.creating.byAz[az] ?? 0;
    if (creating > 0 || status.deleting.total > 0) {
      return {
        action: 'skip',
        reason: `flavor ${flavor} is mid-change (${countOf(Math.max(0, creating), 'node')} creating, ${status.deleting.total} deleting): one change at a time per pool`,
      };
    }
  }
  return undefined;
}

/** The pool-level guards, in order. */
export const POOL_GUARDS = [
  policyDisabled,
  phaseNotResizable,
  flavorMidChange,
] as const satisfies readonly PoolGuard[];

/** The first guard that stops the decision, or undefined when the flavors are to be decided. */
export function firstPoolStop(input: PoolGuardInput): PoolStop | undefined {
  for (const guard of POOL_GUARDS) {
    const stop = guard(input);
    if (stop !== undefined) return stop;
  }
  return undefined;
}
