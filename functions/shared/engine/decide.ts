import type { Pool, PoolResource } from '../modelarts/schemas';
import { updateAzHealth, withAzHealth, type AzHealthUpdate } from './az-backoff';
import { decideFlavor, type FlavorInput, type FlavorResult } from './flavor-decision';
import type { FlavorOccupancy } from './flavor-steps';
import type { PoolOccupancy } from './occupancy';
import { earliestAfter } from './next-change';
import { buildPatchBody, sizeOf } from './patch-body';
import type { FlavorPolicy, Policy } from './policy';
import { firstPoolStop, type PoolStop } from './pool-guards';
import { emptyFlavorStatus, flavorEntries, flavorStatuses, type FlavorStatus } from './pool-view';
import { newFlavorState, type ScalerState } from './state';
import type { Decision, DecisionInput, FlavorDecision } from './types';

/** What every part of one pool's decision reads, computed once. */
interface PoolContext {
  input: DecisionInput;
  policy: Policy;
  pool: Pool;
  /** The policy's flavors, in policy order: the order of the decision's flavors. */
  flavorNames: string[];
  entries: Map<string, PoolResource[]>;
  statuses: Map<string, FlavorStatus>;
  /** AZ health of every policy flavor: the mid-change guard reads it and a skipped pool keeps it. */
  health: Map<string, AzHealthUpdate>;
  /** Entries of the pool the policy does not name. */
  outsidePolicy: string[];
}

function poolContext(input: DecisionInput): PoolContext {
  const { policy, pool, now } = input;
  const statuses = flavorStatuses(pool);
  const flavorNames = Object.keys(policy.flavors);
  const health = new Map<string, AzHealthUpdate>();
  for (const name of flavorNames) {
    const flavor = policy.flavors[name] as FlavorPolicy;
    const previous = input.state.flavors[name]?.azs ?? {};
    const status = statuses.get(name) ?? emptyFlavorStatus();
    health.set(name, updateAzHealth(previous, status, flavor.azBackoff, now));
  }
  const entries = flavorEntries(pool);
  const outsidePolicy = [...entries.keys()].filter((name) => !(name in policy.flavors));
  return { input, policy, pool, flavorNames, entries, statuses, health, outsidePolicy };
}

function outsidePolicyReasons(ctx: PoolContext): string[] {
  return ctx.outsidePolicy.map((name) => `flavor ${name} is not in the policy: left as it is`);
}

function unchangedFlavorDecisions(ctx: PoolContext, reason: string): FlavorDecision[] {
  return ctx.flavorNames.map((name) => {
    const entry = ctx.entries.get(name)?.[0];
    const size = entry === undefined ? { count: 0 } : sizeOf(entry);
    return {
      flavor: name,
      outcome: entry === undefined ? 'absent' : 'unchanged',
      before: size,
      after: size,
      desired: size.count,
      demandUnits: 0,
      reasons: [reason],
    } satisfies FlavorDecision;
  });
}

/** A disabled policy changes and remembers nothing. */
function disabledDecision(ctx: PoolContext, stop: PoolStop): Decision {
  const { state } = ctx.input;
  return {
    pool: ctx.pool.metadata.name,
    action: 'disabled',
    flavors: unchangedFlavorDecisions(ctx, stop.reason),
    patch: null,
    reasons: [`${stop.reason}: nothing is changed`],
    state,
    stateIfNotApplied: state,
  };
}

/** A skipped pool changes nothing but keeps the AZ health seen, so back-off deadlines run on. */
function skippedDecision(ctx: PoolContext, stop: PoolStop): Decision {
  const { input } = ctx;
  const flavors: ScalerState['flavors'] = {};
  for (const name of ctx.flavorNames) {
    const previous = input.state.flavors[name] ?? newFlavorState(input.now);
    flavors[name] = withAzHealth(previous, ctx.health.get(name) as AzHealthUpdate);
  }
  const state: ScalerState = { version: 1, flavors };
  const nextEvaluationAt = earliestAfter(
    [...ctx.health.values()].map((update) => update.nextChangeAt),
    input.now,
  );
  const reason = `skipped: ${stop.reason}`;
  return {
    pool: ctx.pool.metadata.name,
    action: 'skip',
    flavors: unchangedFlavorDecisions(ctx, reason),
    patch: null,
    reasons: [reason, ...outsidePolicyReasons(ctx)],
    state,
    stateIfNotApplied: state,
    ...(nextEvaluationAt === undefined ? {} : { nextEvaluationAt }),
  };
}

function flavorInput(ctx: PoolContext, name: string): FlavorInput {
  const { input } = ctx;
  return {
    name,
    policy: ctx.policy,
    flavor: ctx.policy.flavors[name] as FlavorPolicy,
    pool: ctx.pool,
    entries: ctx.entries.get(name) ?? [],
    status: ctx.statuses.get(name) ?? emptyFlavorStatus(),
    depth: input.depth[name],
    state: input.state.flavors[name] ?? newFlavorState(input.now),
    health: ctx.health.get(name) as AzHealthUpdate,
    ...(input.occupancy !== undefined ? { occupancy: flavorOccupancy(input.occupancy, name) } : {}),
    now: input.now,
  };
}

function flavorOccupancy(occupancy: PoolOccupancy, flavor: string): FlavorOccupancy {
  return {
    nodes: occupancy.nodes.filter((node) => node.flavor === flavor),
    pending: occupancy.pendingKnown ? (occupancy.pending[flavor] ?? []) : undefined,
  };
}

/**
 * One change at a time per pool: when a PATCH is due, the scale-ins by name wait for the next evaluation (the
 * PATCH's nodes coming up then block every change until they are there).
 */
function deferScaleIns(results: readonly FlavorResult[], patching: readonly string[]): FlavorResult[] {
  return results.map((result) => {
    if (result.removeNodes === undefined) return result;
    const { decision } = result;
    const { nodes: _removed, ...unchanged } = decision;
    return {
      ...(result.nextChangeAt !== undefined ? { nextChangeAt: result.nextChangeAt } : {}),
      decision: {
        ...unchanged,
        outcome: 'unchanged',
        after: decision.before,
        reasons: [
          ...decision.reasons,
          `scale-in deferred: the PATCH of ${patching.join(', ')} goes first (one change at a time per pool)`,
        ],
      },
      applied: result.notApplied,
      notApplied: result.notApplied,
    };
  });
}

function scalerState(ctx: PoolContext, results: readonly FlavorResult[], which: 'applied' | 'notApplied') {
  const state: ScalerState = { version: 1, flavors: {} };
  results.forEach((result, index) => {
    state.flavors[ctx.flavorNames[index] as string] = result[which];
  });
  return state;
}

/** The decision's first reason: what changes, or that nothing does. */
function headline(patching: boolean, flavors: readonly string[], removals: number, dryRun: boolean): string {
  const names = flavors.join(', ');
  if (patching) return dryRun ? `dry run: would scale ${names}; PATCH not sent` : `scaling ${names}`;
  if (removals === 0) return 'no flavor changes';
  const what = `${removals === 1 ? '1 node' : `${removals} nodes`} of ${names} by name`;
  return dryRun ? `dry run: would remove ${what}; batch-delete not sent` : `removing ${what}`;
}

/** The PATCH body of every flavor's target (or the nodes to remove), and the states to keep with and without it. */
function poolDecision(ctx: PoolContext, decided: readonly FlavorResult[]): Decision {
  const targets = decided.flatMap((result) => (result.target === undefined ? [] : [result.target]));
  const patch = buildPatchBody(ctx.pool, targets);
  const patching = targets.map((target) => target.flavor);
  const results = patch === null ? decided : deferScaleIns(decided, patching);
  const removing = results.filter((result) => result.removeNodes !== undefined);
  const deleteNodes = removing.flatMap((result) => result.removeNodes ?? []);
  const dryRun = ctx.policy.dryRun;
  const changes = patch !== null || deleteNodes.length > 0;
  const action: Decision['action'] = !changes ? 'none' : dryRun ? 'dry-run' : 'scale';
  const scaled = patch !== null ? patching : removing.map((result) => result.decision.flavor);
  const applied = scalerState(ctx, results, 'applied');
  const notApplied = scalerState(ctx, results, 'notApplied');
  const nextEvaluationAt = earliestAfter(
    results.map((result) => result.nextChangeAt),
    ctx.input.now,
  );
  const needsOccupancy =
    ctx.input.occupancy === undefined
      ? results.find((result) => result.needsOccupancy !== undefined)?.needsOccupancy
      : undefined;
  return {
    pool: ctx.pool.metadata.name,
    action,
    flavors: results.map((result) => result.decision),
    patch,
    ...(patch === null && deleteNodes.length > 0 ? { deleteNodes } : {}),
    reasons: [headline(patch !== null, scaled, deleteNodes.length, dryRun), ...outsidePolicyReasons(ctx)],
    state: action === 'scale' ? applied : notApplied,
    stateIfNotApplied: notApplied,
    ...(nextEvaluationAt === undefined ? {} : { nextEvaluationAt }),
    ...(needsOccupancy !== undefined ? { needsOccupancy } : {}),
  };
}

/**
 * Decides the next size of every flavor of one pool. Pure and deterministic: everything it needs, including
 * the clock, comes in `input`; the next scaler state goes out in the decision.
 *
 * Order: the pool guards (`POOL_GUARDS`: enabled, pool phase, mid-change), then per flavor the entry guard and
 * the steps (`FLAVOR_STEPS`), then the PATCH body and the states.
 */
export function decide(input: DecisionInput): Decision {
  const ctx = poolContext(input);
  const stop = firstPoolStop(ctx);
  if (stop !== undefined) {
    return stop.action === 'disabled' ? disabledDecision(ctx, stop) : skippedDecision(ctx, stop);
  }
  const results = ctx.flavorNames.map((name) => decideFlavor(flavorInput(ctx, name)));
  return poolDecision(ctx, results);
}
