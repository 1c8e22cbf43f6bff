import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, type DecisionInput } from '../../functions/shared/engine';
import { updateAzHealth } from '../../functions/shared/engine/az-backoff';
import { flavorContext } from '../../functions/shared/engine/flavor-decision';
import {
  initialProposal,
  queuedJobShapes,
  scaleInByName,
  type FlavorContext,
  type FlavorProposal,
} from '../../functions/shared/engine/flavor-steps';
import {
  checkShapes,
  chooseNodesToRemove,
  freeUnits,
  type NodeOccupancy,
  type PendingJob,
  type PoolOccupancy,
} from '../../functions/shared/engine/occupancy';
import { emptyFlavorStatus, flavorStatuses } from '../../functions/shared/engine/pool-view';
import { emptyFlavorState, initialScalerState } from '../../functions/shared/engine/state';
import type { FlavorScalerState } from '../../functions/shared/engine';
import type { PoolResource } from '../../functions/shared/modelarts/schemas';
import { CPU, GPU, T0, azs, depth, policy, pool } from './fixtures';

/** A node of the GPU flavor: available, pay-per-use, 8 accelerators free unless said otherwise. */
function node(name: string, fields: Partial<NodeOccupancy> = {}): NodeOccupancy {
  return {
    name,
    flavor: GPU,
    az: 'a',
    phase: 'Available',
    prepaid: false,
    locked: false,
    labels: {},
    acceleratorsTotal: 8,
    acceleratorsFree: 8,
    busy: false,
    createdAt: T0 - 86_400_000,
    ...fields,
  };
}

/** A node running jobs on `used` of its 8 accelerators. */
function busy(name: string, used: number, fields: Partial<NodeOccupancy> = {}): NodeOccupancy {
  return node(name, { busy: true, acceleratorsFree: 8 - used, ...fields });
}

const byName = { scaleIn: 'nodes' } as const;

interface Setup {
  policy?: Record<string, unknown>;
  flavor?: Record<string, unknown>;
  entry?: Partial<PoolResource>;
  pending?: number;
  running?: number;
  nodes?: NodeOccupancy[];
  queued?: PendingJob[];
  state?: Partial<FlavorScalerState>;
}

function context(setup: Setup): FlavorContext {
  const scalingPolicy = policy({ ...byName, ...setup.policy }, setup.flavor);
  const flavor = scalingPolicy.flavors[GPU];
  if (flavor === undefined) throw new Error('no GPU flavor');
  const entry: PoolResource = { flavor: GPU, count: 4, maxCount: 4, ...setup.entry };
  const scaledPool = pool({ resources: [entry] });
  const status = flavorStatuses(scaledPool).get(GPU) ?? emptyFlavorStatus();
  const state = { ...emptyFlavorState(), ...setup.state };
  return flavorContext(
    {
      name: GPU,
      policy: scalingPolicy,
      flavor,
      pool: scaledPool,
      entries: [entry],
      status,
      depth: depth(setup.pending ?? 0, setup.running ?? 0)[GPU],
      state,
      health: updateAzHealth(state.azs, status, flavor.azBackoff, T0),
      ...(setup.nodes !== undefined
        ? { occupancy: { nodes: setup.nodes, pending: setup.queued ?? [] } }
        : {}),
      now: T0,
    },
    entry,
  );
}

function run(
  step: (ctx: FlavorContext, proposal: FlavorProposal) => FlavorProposal,
  setup: Setup,
  target: number,
) {
  const ctx = context(setup);
  return step(ctx, { ...initialProposal(ctx), target });
}

describe('free units of a node', () => {
  it.each<[string, Partial<NodeOccupancy>, number]>([
    ['an idle available node', {}, 8],
    ['half its accelerators in use', { busy: true, acceleratorsFree: 4 }, 4],
    ['still coming up', { phase: 'Creating', acceleratorsFree: 0 }, 8],
    ['abnormal', { phase: 'Abnormal' }, 0],
    ['no accelerators, running a job', { acceleratorsTotal: 0, acceleratorsFree: 0, busy: true }, 0],
    ['no accelerators, idle', { acceleratorsTotal: 0, acceleratorsFree: 0 }, 8],
  ])('%s', (_name, fields, expected) => {
    expect(freeUnits(node('n', fields), 8)).toBe(expected);
  });
});

describe('checkShapes: queued jobs placed the way the service places them', () => {
  it.each<[string, NodeOccupancy[], PendingJob[], { unplaced: number; newNodes: number }]>([
    [
      'small jobs fit the free units',
      [busy('n1', 4), busy('n2', 6)],
      [{ units: 4 }, { units: 2 }],
      { unplaced: 0, newNodes: 0 },
    ],
    [
      'a whole-node job and free units spread over busy nodes',
      [busy('n1', 4), busy('n2', 4), busy('n3', 4)],
      [{ units: 8 }],
      { unplaced: 1, newNodes: 1 },
    ],
    [
      'a job on two whole nodes with one free',
      [node('n1'), busy('n2', 1)],
      [{ units: 16, nodes: 2 }],
      { unplaced: 1, newNodes: 2 },
    ],
    [
      'nodes still coming up take queued jobs',
      [node('n1', { phase: 'Creating' })],
      [{ units: 8 }],
      { unplaced: 0, newNodes: 0 },
    ],
    [
      'jobs left over share the new nodes first fit',
      [busy('n1', 8)],
      [{ units: 4 }, { units: 4 }, { units: 2 }],
      { unplaced: 3, newNodes: 2 },
    ],
  ])('%s', (_name, nodes, pending, expected) => {
    expect(checkShapes(nodes, pending, 8)).toMatchObject(expected);
  });
});

describe('queuedJobShapes (scale-up by shape)', () => {
  it.each<[string, Setup, number, { target: number; reason?: RegExp; needsOccupancy?: boolean }]>([
    ['nothing queued: nothing to place', { pending: 0, nodes: [] }, 4, { target: 4 }],
    ['jobs queued, nodes not read: asks for them', { pending: 8 }, 4, { target: 4, needsOccupancy: true }],
    [
      'queued jobs fit the free units: the count stands',
      { pending: 4, nodes: [busy('n1', 4), node('n2'), node('n3'), node('n4')], queued: [{ units: 4 }] },
      4,
      { target: 4 },
    ],
    [
      'a whole-node job with free GPUs spread over busy nodes: one more node',
      {
        pending: 8,
        running: 16,
        nodes: [busy('n1', 4), busy('n2', 4), busy('n3', 4), busy('n4', 4)],
        queued: [{ units: 8 }],
      },
      3,
      { target: 5, reason: /1 queued job fit no live node's free units: 1 node more → 5 nodes/ },
    ],
    [
      'jobs on whole nodes, named as such',
      {
        pending: 16,
        nodes: [busy('n1', 1), busy('n2', 1), busy('n3', 1), busy('n4', 1)],
        queued: [{ units: 16 }],
      },
      4,
      { target: 6, reason: /1 of them on whole nodes: 2 nodes more → 6 nodes/ },
    ],
  ])('%s', (_name, setup, target, expected) => {
    const proposal = run(queuedJobShapes, setup, target);
    expect(proposal.target).toBe(expected.target);
    if (expected.reason) expect(proposal.reasons.at(-1)).toMatch(expected.reason);
    expect(proposal.needsOccupancy !== undefined).toBe(expected.needsOccupancy ?? false);
  });
});

describe('scaleInByName (scale-in removes chosen idle nodes)', () => {
  const idle = (...names: string[]) => names.map((name) => node(name));
  it.each<
    [
      string,
      Setup,
      number,
      { target: number; remove?: string[]; hold?: 'entry'; reason?: RegExp; needsOccupancy?: boolean },
    ]
  >([
    ['no scale-in: nothing to choose', { nodes: idle('n1', 'n2', 'n3', 'n4') }, 4, { target: 4 }],
    [
      'scaleIn patch: the count goes down by PATCH',
      { policy: { scaleIn: 'patch' }, nodes: [] },
      2,
      { target: 2 },
    ],
    [
      'nodes not read: held, and asks for them',
      {},
      2,
      { target: 4, hold: 'entry', needsOccupancy: true, reason: /waits for the nodes' occupancy: held at 4/ },
    ],
    [
      'the longest idle go first',
      {
        nodes: idle('n1', 'n2', 'n3', 'n4'),
        state: { idleSince: { n1: T0 - 60_000, n2: T0 - 600_000, n3: T0 - 300_000 } },
      },
      2,
      { target: 2, remove: ['n2', 'n3'], reason: /removing n2, n3 by name/ },
    ],
    [
      'busy nodes are never removed: the rest is held',
      { nodes: [busy('n1', 1), busy('n2', 8), node('n3'), node('n4')] },
      1,
      {
        target: 2,
        remove: ['n3', 'n4'],
        reason: /1 of 3 nodes to remove is not removable \(2 running jobs\): held/,
      },
    ],
    [
      'none removable: the entry is held as it is',
      {
        nodes: [
          busy('n1', 1),
          node('n2', { prepaid: true }),
          node('n3', { locked: true }),
          node('n4', { labels: { 'pool-autoscaler/do-not-remove': 'true' } }),
        ],
      },
      2,
      {
        target: 4,
        hold: 'entry',
        reason: /none removable \(1 running jobs, 1 yearly\/monthly, 2 protected\): held at 4/,
      },
    ],
    [
      'a label the policy names protects, "false" does not',
      {
        policy: { protectionLabels: ['team/keep'] },
        nodes: [
          node('n1', { labels: { 'team/keep': 'yes' } }),
          node('n2', { labels: { 'team/keep': 'false' } }),
          busy('n3', 2),
          busy('n4', 2),
        ],
      },
      2,
      { target: 3, remove: ['n2'] },
    ],
    [
      'a node stuck creating goes before an idle one; one still coming stays',
      {
        nodes: [
          node('n1'),
          node('n2', { phase: 'Creating', createdAt: T0 - 3 * 3_600_000 }),
          node('n3', { phase: 'Creating', createdAt: T0 - 60_000 }),
          busy('n4', 8),
        ],
      },
      3,
      { target: 3, remove: ['n2'] },
    ],
    [
      'equally idle: from the AZ furthest above its share',
      {
        entry: { azs: azs({ a: 3, b: 1 }) },
        flavor: { azs: { a: 1, b: 1 } },
        nodes: [
          node('n1', { az: 'a' }),
          node('n2', { az: 'a' }),
          node('n3', { az: 'a' }),
          node('n4', { az: 'b' }),
        ],
      },
      3,
      { target: 3, remove: ['n1'] },
    ],
    [
      'the entry keeps its last node',
      {
        entry: { count: 2, maxCount: 2 },
        flavor: { minCount: 0, allowZero: true },
        nodes: [node('n1'), busy('n2', 1)],
      },
      0,
      { target: 1, remove: ['n1'] },
    ],
  ])('%s', (_name, setup, target, expected) => {
    const ctx = context(setup);
    const before = { ...initialProposal(ctx), target };
    const proposal = scaleInByName(ctx, before);
    expect(proposal.target).toBe(expected.target);
    expect(proposal.remove?.map((n) => n.name)).toEqual(expected.remove);
    expect(proposal.hold).toBe(expected.hold);
    if (expected.reason) expect(proposal.reasons.join(' | ')).toMatch(expected.reason);
    expect(proposal.needsOccupancy !== undefined).toBe(expected.needsOccupancy ?? false);
  });

  it('a flavor going to zero with every node idle goes by PATCH (no job to kill)', () => {
    const ctx = context({
      entry: { count: 2, maxCount: 2 },
      flavor: { minCount: 0, allowZero: true },
      nodes: [node('n1'), node('n2')],
    });
    const proposal = scaleInByName(ctx, { ...initialProposal(ctx), target: 0 });
    expect(proposal).toMatchObject({ target: 0 });
    expect(proposal.remove).toBeUndefined();
    expect(proposal.reasons.at(-1)).toBe('every node is idle: the PATCH to 0 removes no job');
  });
});

describe('decide with node occupancy', () => {
  const base: DecisionInput = {
    policy: policy({ ...byName, cooldownSeconds: 0 }, { scaleDown: { stabilizationSeconds: 0 } }),
    pool: pool({ resources: [{ flavor: GPU, count: 4, maxCount: 4 }] }),
    depth: depth(0, 8),
    state: initialScalerState(),
    now: T0,
  };
  const occupancy = (nodes: NodeOccupancy[], pending: PoolOccupancy['pending'] = {}): PoolOccupancy => ({
    nodes,
    pending,
    pendingKnown: true,
  });

  it('asks for the nodes before a scale-in, then names the idle ones for batch-delete', () => {
    const first = decide(base);
    expect(first.needsOccupancy).toBe(`${GPU}: scale-in: choosing idle nodes`);
    expect(first.action).toBe('none');
    const second = decide({
      ...base,
      occupancy: occupancy([busy('n1', 8), node('n2'), node('n3'), node('n4')]),
    });
    expect(second.needsOccupancy).toBeUndefined();
    expect(second.action).toBe('scale');
    expect(second.patch).toBeNull();
    expect(second.deleteNodes).toEqual(['n2', 'n3', 'n4']);
    const gpu = second.flavors[0]!;
    expect(gpu).toMatchObject({ outcome: 'scale', before: { count: 4 }, after: { count: 1, maxCount: 1 } });
    expect(gpu.nodes).toEqual({ remove: ['n2', 'n3', 'n4'], kept: { busy: 1 } });
    expect(second.reasons[0]).toBe(`removing 3 nodes of ${GPU} by name`);
    expect(second.state.flavors[GPU]?.scaleDownEvents).toEqual([{ at: T0, change: 3 }]);
  });

  it('remembers since when each node is idle, and forgets a node once it runs a job', () => {
    const held = { ...base, depth: depth(0, 32) };
    const seen = decide({
      ...held,
      occupancy: occupancy([node('n1'), busy('n2', 8), busy('n3', 8), busy('n4', 8)]),
    });
    expect(seen.state.flavors[GPU]?.idleSince).toEqual({ n1: T0 });
    const later = decide({
      ...held,
      now: T0 + 60_000,
      state: seen.state,
      occupancy: occupancy([busy('n1', 8), node('n2'), busy('n3', 8), busy('n4', 8)]),
    });
    expect(later.state.flavors[GPU]?.idleSince).toEqual({ n2: T0 + 60_000 });
  });

  it('sends one change at a time: a scale-up PATCH first, the scale-in by name waits', () => {
    const twoFlavors = policy({ ...byName, cooldownSeconds: 0 });
    const both: DecisionInput = {
      ...base,
      policy: {
        ...twoFlavors,
        flavors: {
          [GPU]: {
            ...twoFlavors.flavors[GPU]!,
            scaleDown: { ...twoFlavors.flavors[GPU]!.scaleDown, stabilizationSeconds: 0 },
          },
          [CPU]: { ...twoFlavors.flavors[GPU]!, unitsPerNode: 1 },
        },
      },
      pool: pool({
        resources: [
          { flavor: GPU, count: 4, maxCount: 4 },
          { flavor: CPU, count: 1, maxCount: 1 },
        ],
      }),
      depth: { ...depth(0, 8), [CPU]: { pendingUnits: 0, runningUnits: 3, updatedAt: T0 } },
      occupancy: occupancy([busy('n1', 8), node('n2'), node('n3'), node('n4')]),
    };
    const decision = decide(both);
    expect(decision.patch).not.toBeNull();
    expect(decision.deleteNodes).toBeUndefined();
    const gpu = decision.flavors.find((flavor) => flavor.flavor === GPU)!;
    expect(gpu.outcome).toBe('unchanged');
    expect(gpu.reasons.at(-1)).toBe(
      `scale-in deferred: the PATCH of ${CPU} goes first (one change at a time per pool)`,
    );
    expect(decision.state.flavors[GPU]?.scaleDownEvents).toEqual([]);
  });
});

describe('scale-in by name, whatever the nodes (fast-check)', () => {
  const nodeArbitrary = fc.record({
    phase: fc.constantFrom('Available', 'Available', 'Available', 'Creating', 'Abnormal', 'Deleting'),
    az: fc.constantFrom('a', 'b'),
    prepaid: fc.constantFrom(false, false, false, true),
    locked: fc.boolean(),
    used: fc.integer({ min: 0, max: 8 }),
    ageMinutes: fc.integer({ min: 0, max: 600 }),
    label: fc.constantFrom(undefined, 'true', 'false'),
  });

  it('removes only idle, pay-per-use, unprotected nodes, never below the floor, and names each once', () => {
    fc.assert(
      fc.property(
        fc.array(nodeArbitrary, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 4 }),
        (specs, runningUnits, minCount) => {
          const nodes = specs.map((spec, index) =>
            node(`n${index}`, {
              phase: spec.phase,
              az: spec.az,
              prepaid: spec.prepaid,
              locked: spec.locked,
              busy: spec.used > 0,
              acceleratorsFree: 8 - spec.used,
              createdAt: T0 - spec.ageMinutes * 60_000,
              labels: spec.label === undefined ? {} : { 'pool-autoscaler/do-not-remove': spec.label },
            }),
          );
          const count = Math.max(minCount, nodes.filter((n) => n.phase !== 'Deleting').length);
          const decision = decide({
            policy: policy({ ...byName }, { minCount, scaleDown: { stabilizationSeconds: 0 } }),
            pool: pool({ resources: [{ flavor: GPU, count, maxCount: count }] }),
            depth: depth(0, runningUnits),
            state: initialScalerState(),
            now: T0,
            occupancy: { nodes, pending: {}, pendingKnown: true },
          });
          const removed = decision.deleteNodes ?? [];
          expect(new Set(removed).size).toBe(removed.length);
          for (const name of removed) {
            const chosen = nodes.find((n) => n.name === name)!;
            // Stated here, not through keptBecause, so the property does not lean on the code it checks.
            expect(chosen.busy || chosen.prepaid || chosen.locked, name).toBe(false);
            expect(chosen.labels['pool-autoscaler/do-not-remove'], name).not.toBe('true');
            expect(chosen.phase, name).not.toBe('Deleting');
            if (chosen.phase !== 'Available')
              expect(chosen.createdAt, name).toBeLessThanOrEqual(T0 - 1200_000);
          }
          expect(count - removed.length).toBeGreaterThanOrEqual(Math.max(1, minCount));
          if (removed.length > 0) expect(decision.patch).toBeNull();
        },
      ),
      { numRuns: 300, seed: 14 },
    );
  });

  it('chooses the requested number when enough nodes are removable', () => {
    const nodes = [node('n1'), node('n2'), busy('n3', 2)];
    const choice = chooseNodesToRemove(nodes, 2, {
      protectionLabels: [],
      stuckSince: T0,
      idleSince: {},
      azTargets: {},
      now: T0,
    });
    expect(choice.remove.map((n) => n.name)).toEqual(['n1', 'n2']);
    expect(choice.kept).toEqual({ busy: 1 });
  });
});
