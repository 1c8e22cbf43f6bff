import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, type DecisionInput } from '../../functions/shared/engine';
import { updateAzHealth } from '../../functions/shared/engine/az-backoff';
import { flavorContext } from '../../functions/shared/engine/flavor-decision';
import { expectedArrivalNodes, recordArrivals } from '../../functions/shared/engine/arrivals';
import {
  arrivalHeadroom,
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
  nodesInUse,
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

describe('idle nodes kept warm for reuse (idleNodes.keepSeconds)', () => {
  const keep = { idleNodes: { keepSeconds: 300 } };
  it.each<[string, Setup, { target: number; remove?: string[]; reason?: RegExp }]>([
    [
      'idle longer than keepSeconds: removed',
      {
        flavor: keep,
        nodes: [node('n1'), busy('n2', 8), busy('n3', 8), busy('n4', 8)],
        state: { idleSince: { n1: T0 - 301_000 } },
      },
      { target: 3, remove: ['n1'] },
    ],
    [
      'idle for less: kept warm, and said so',
      {
        flavor: keep,
        nodes: [node('n1'), busy('n2', 8), busy('n3', 8), busy('n4', 8)],
        state: { idleSince: { n1: T0 - 299_000 } },
      },
      { target: 4, reason: /none removable \(3 running jobs, 1 kept warm for reuse\)/ },
    ],
    [
      'idle since unknown (just seen idle): kept warm',
      { flavor: keep, nodes: [node('n1'), busy('n2', 8), busy('n3', 8), busy('n4', 8)] },
      { target: 4 },
    ],
    [
      'only the nodes past keepSeconds go, in one batch',
      {
        flavor: keep,
        nodes: [node('n1'), node('n2'), node('n3'), busy('n4', 1)],
        state: { idleSince: { n1: T0 - 900_000, n2: T0 - 600_000, n3: T0 - 60_000 } },
      },
      { target: 2, remove: ['n1', 'n2'] },
    ],
    [
      'a node stuck creating is not kept warm',
      {
        flavor: keep,
        nodes: [
          node('n1', { phase: 'Creating', createdAt: T0 - 3 * 3_600_000 }),
          busy('n2', 8),
          busy('n3', 8),
          busy('n4', 8),
        ],
      },
      { target: 3, remove: ['n1'] },
    ],
  ])('%s', (_name, setup, expected) => {
    const proposal = run(scaleInByName, setup, 1);
    expect(proposal.target).toBe(expected.target);
    expect(proposal.remove?.map((n) => n.name)).toEqual(expected.remove);
    if (expected.reason) expect(proposal.reasons.join(' | ')).toMatch(expected.reason);
  });
});

describe('reuse-aware scale-in (idleNodes.reuseLeadSeconds)', () => {
  const reuse = { idleNodes: { reuseLeadSeconds: 300, reuseWindowSeconds: 1200 } };
  const idleLong = { n1: T0 - 3_600_000, n2: T0 - 1_800_000, n3: T0 - 600_000 };
  const threeIdle = [node('n1'), node('n2'), node('n3'), busy('n4', 8)];
  it.each<[string, Setup & { target?: number }, { target: number; remove?: string[]; reason?: RegExp }]>([
    [
      'no node asked for in the window: every idle node goes',
      { flavor: reuse, nodes: threeIdle, state: { idleSince: idleLong, lastNodesInUse: 1 } },
      { target: 1, remove: ['n1', 'n2', 'n3'] },
    ],
    [
      '2 nodes asked for 10 minutes ago (0.5 per 300 s, rounded to 1): the most recently idle node stays',
      {
        flavor: reuse,
        nodes: threeIdle,
        state: { idleSince: idleLong, lastNodesInUse: 1, arrivals: [{ at: T0 - 600_000, nodes: 2 }] },
      },
      { target: 2, remove: ['n1', 'n2'], reason: /1 kept warm for reuse/ },
    ],
    [
      'asks older than the window do not count',
      {
        flavor: reuse,
        nodes: threeIdle,
        state: { idleSince: idleLong, lastNodesInUse: 1, arrivals: [{ at: T0 - 1_300_000, nodes: 4 }] },
      },
      { target: 1, remove: ['n1', 'n2', 'n3'] },
    ],
    [
      'one node asked for (0.25 per 300 s): too few to keep one, every idle node goes',
      {
        flavor: reuse,
        nodes: threeIdle,
        state: { idleSince: idleLong, lastNodesInUse: 1, arrivals: [{ at: T0 - 60_000, nodes: 1 }] },
      },
      { target: 1, remove: ['n1', 'n2', 'n3'] },
    ],
    [
      '9 nodes asked for in 20 minutes (2.25 per 300 s): two stay, one goes',
      {
        flavor: reuse,
        nodes: threeIdle,
        state: { idleSince: idleLong, lastNodesInUse: 1, arrivals: [{ at: T0 - 60_000, nodes: 9 }] },
      },
      { target: 3, remove: ['n1'], reason: /2 kept warm for reuse/ },
    ],
    [
      '12 nodes asked for (3 per 300 s): all three stay, and said so',
      {
        flavor: reuse,
        nodes: threeIdle,
        state: { idleSince: idleLong, lastNodesInUse: 1, arrivals: [{ at: T0 - 60_000, nodes: 12 }] },
      },
      { target: 4, reason: /none removable \(1 running jobs?, 3 kept warm for reuse\)/ },
    ],
    [
      'idle nodes the target leaves anyway count toward the ones to keep',
      {
        flavor: reuse,
        nodes: threeIdle,
        state: { idleSince: idleLong, lastNodesInUse: 1, arrivals: [{ at: T0 - 60_000, nodes: 2 }] },
        target: 2,
      },
      { target: 2, remove: ['n1', 'n2'] },
    ],
    [
      "this evaluation's rise counts: one more node in use than last time, beside one asked for before",
      {
        flavor: reuse,
        nodes: threeIdle,
        state: { idleSince: idleLong, lastNodesInUse: 0, arrivals: [{ at: T0 - 60_000, nodes: 1 }] },
      },
      { target: 2, remove: ['n1', 'n2'] },
    ],
  ])('%s', (_name, setup, expected) => {
    const proposal = run(scaleInByName, setup, setup.target ?? 1);
    expect(proposal.target).toBe(expected.target);
    expect(proposal.remove?.map((n) => n.name)).toEqual(expected.remove);
    if (expected.reason) expect(proposal.reasons.join(' | ')).toMatch(expected.reason);
  });

  it('reads the nodes at every evaluation to count the rises, and keeps them in the state', () => {
    const input: DecisionInput = {
      policy: policy({ ...byName }, reuse),
      pool: pool({ resources: [{ flavor: GPU, count: 2, maxCount: 2 }] }),
      depth: depth(0, 16),
      state: { version: 1, flavors: { [GPU]: { ...emptyFlavorState(), observedSince: T0 - 3_600_000 } } },
      now: T0,
    };
    expect(decide(input).needsOccupancy).toMatch(/arrival rate/);
    const decision = decide({
      ...input,
      occupancy: { nodes: [busy('n1', 8), busy('n2', 8)], pending: {}, pendingKnown: true },
    });
    expect(decision.state.flavors[GPU]).toMatchObject({ lastNodesInUse: 2 });
  });
});

describe('the arrival rate of nodes asked for', () => {
  it.each<
    [
      string,
      { arrivals?: Array<{ at: number; nodes: number }>; lastNodesInUse?: number },
      number,
      Array<{ at: number; nodes: number }>,
    ]
  >([
    ['no earlier look: nothing counts as a rise', {}, 5, []],
    ['a rise is recorded', { lastNodesInUse: 3 }, 5, [{ at: T0, nodes: 2 }]],
    [
      'a fall is not',
      { lastNodesInUse: 6, arrivals: [{ at: T0 - 60_000, nodes: 1 }] },
      5,
      [{ at: T0 - 60_000, nodes: 1 }],
    ],
    [
      'rises older than the window go',
      {
        lastNodesInUse: 5,
        arrivals: [
          { at: T0 - 1_800_000, nodes: 4 },
          { at: T0 - 60_000, nodes: 1 },
        ],
      },
      5,
      [{ at: T0 - 60_000, nodes: 1 }],
    ],
  ])('%s', (_name, state, inUse, expected) => {
    expect(recordArrivals(state, inUse, T0, 1800)).toEqual(expected);
  });

  it.each<[string, Array<{ at: number; nodes: number }>, number, number]>([
    ['none', [], 300, 0],
    ['6 nodes in 30 min, 5 min ahead', [{ at: T0 - 600_000, nodes: 6 }], 300, 1],
    ['outside the window', [{ at: T0 - 1_800_000, nodes: 6 }], 300, 0],
    ['2 nodes, 15 min ahead', [{ at: T0 - 60_000, nodes: 2 }], 900, 1],
  ])('expected: %s', (_name, arrivals, lead, expected) => {
    expect(expectedArrivalNodes(arrivals, T0, 1800, lead)).toBeCloseTo(expected);
  });
});

describe('arrivalHeadroom (free nodes for the jobs the arrival rate expects)', () => {
  const headroom = { headroom: { leadSeconds: 300, windowSeconds: 1800 } };
  const rising = { arrivals: [{ at: T0 - 600_000, nodes: 6 }], lastNodesInUse: 3 };
  it.each<[string, Setup, number, { target: number; needsOccupancy?: boolean; reason?: RegExp }]>([
    ['off by default', { nodes: [busy('n1', 8)], state: rising }, 1, { target: 1 }],
    [
      'nodes not read: asks for them',
      { flavor: headroom, running: 8, state: rising },
      1,
      { target: 1, needsOccupancy: true },
    ],
    [
      'one free node beyond the 3 in use',
      { flavor: headroom, running: 24, nodes: [busy('n1', 8), busy('n2', 8), busy('n3', 1)], state: rising },
      3,
      {
        target: 4,
        reason:
          /headroom: the jobs of the last 1800 s asked for 1 nodes per 300 s: 1 free node beyond the 3 nodes in use → 4 nodes/,
      },
    ],
    [
      'a free node already there is the headroom',
      { flavor: headroom, running: 16, nodes: [busy('n1', 8), busy('n2', 8), node('n3')], state: rising },
      2,
      { target: 3 },
    ],
    [
      'units free on busy nodes are not headroom',
      {
        flavor: headroom,
        running: 12,
        nodes: [busy('n1', 4), busy('n2', 4), busy('n3', 4)],
        state: { ...rising, lastNodesInUse: 3 },
      },
      2,
      { target: 4 },
    ],
    [
      'a higher target stays',
      { flavor: headroom, running: 8, nodes: [busy('n1', 8)], state: rising },
      6,
      { target: 6 },
    ],
    [
      'no arrivals: no headroom',
      { flavor: headroom, running: 8, nodes: [busy('n1', 8)], state: { lastNodesInUse: 1 } },
      1,
      { target: 1 },
    ],
  ])('%s', (_name, setup, target, expected) => {
    const proposal = run(arrivalHeadroom, setup, target);
    expect(proposal.target).toBe(expected.target);
    expect(proposal.needsOccupancy !== undefined).toBe(expected.needsOccupancy ?? false);
    if (expected.reason) expect(proposal.reasons.join(' | ')).toMatch(expected.reason);
  });

  it('counts the nodes in use: busy ones, and those queued jobs need beyond the free ones', () => {
    expect(nodesInUse([busy('n1', 4), node('n2'), node('n3')], [{ units: 8 }], 8).used).toBe(2);
    expect(nodesInUse([busy('n1', 4)], [{ units: 16, nodes: 2 }], 8).used).toBe(3);
  });

  it('keeps the rises in the state across evaluations', () => {
    const input: DecisionInput = {
      policy: policy({ ...byName }, headroom),
      pool: pool({ resources: [{ flavor: GPU, count: 2, maxCount: 2 }] }),
      depth: depth(0, 16),
      state: {
        version: 1,
        flavors: { [GPU]: { ...emptyFlavorState(), lastNodesInUse: 1, observedSince: T0 - 3_600_000 } },
      },
      now: T0,
      occupancy: { nodes: [busy('n1', 8), busy('n2', 8)], pending: {}, pendingKnown: true },
    };
    const decision = decide(input);
    expect(decision.state.flavors[GPU]).toMatchObject({
      lastNodesInUse: 2,
      arrivals: [{ at: T0, nodes: 1 }],
    });
    expect(decision.patch?.spec?.resources?.[0]?.count).toBe(3);
  });
});

describe('headroom and warm idle nodes, whatever the nodes (fast-check)', () => {
  it('never removes a busy or recently idle node, and the count stays within the bounds', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            used: fc.integer({ min: 0, max: 8 }),
            idleMinutes: fc.option(fc.integer({ min: 0, max: 60 })),
          }),
          { minLength: 1, maxLength: 10 },
        ),
        fc.integer({ min: 0, max: 1800 }),
        fc.integer({ min: 0, max: 1800 }),
        fc.array(
          fc.record({ agoMinutes: fc.integer({ min: 0, max: 60 }), nodes: fc.integer({ min: 1, max: 5 }) }),
          { maxLength: 6 },
        ),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 4, max: 14 }),
        fc.constantFrom(0, 300, 900),
        (specs, keepSeconds, leadSeconds, rises, minCount, maxCount, reuseLeadSeconds) => {
          const nodes = specs.map((spec, index) =>
            node(`n${index}`, { busy: spec.used > 0, acceleratorsFree: 8 - spec.used }),
          );
          const idleSince = Object.fromEntries(
            specs.flatMap((spec, index) =>
              spec.used === 0 && spec.idleMinutes !== null
                ? [[`n${index}`, T0 - spec.idleMinutes * 60_000]]
                : [],
            ),
          );
          const count = Math.min(maxCount, Math.max(minCount, nodes.length));
          const running = specs.reduce((sum, spec) => sum + spec.used, 0);
          const decision = decide({
            policy: policy(
              { ...byName },
              {
                minCount,
                maxCount,
                scaleDown: { stabilizationSeconds: 0 },
                idleNodes: { keepSeconds, reuseLeadSeconds },
                headroom: { leadSeconds },
              },
            ),
            pool: pool({ resources: [{ flavor: GPU, count, maxCount: count }] }),
            depth: depth(0, running),
            state: {
              version: 1,
              flavors: {
                [GPU]: {
                  ...emptyFlavorState(),
                  observedSince: T0 - 86_400_000,
                  idleSince,
                  lastNodesInUse: 0,
                  arrivals: rises.map((rise) => ({ at: T0 - rise.agoMinutes * 60_000, nodes: rise.nodes })),
                },
              },
            },
            now: T0,
            occupancy: { nodes, pending: {}, pendingKnown: true },
          });
          for (const name of decision.deleteNodes ?? []) {
            const chosen = nodes.find((n) => n.name === name)!;
            expect(chosen.busy, name).toBe(false);
            // Stated from the inputs: idle for at least keepSeconds, by what the state remembered.
            if (keepSeconds > 0) expect(idleSince[name], name).toBeLessThanOrEqual(T0 - keepSeconds * 1000);
          }
          const after =
            decision.patch?.spec?.resources?.[0]?.count ?? count - (decision.deleteNodes?.length ?? 0);
          expect(after).toBeGreaterThanOrEqual(Math.min(count, minCount));
          expect(after).toBeLessThanOrEqual(Math.max(count, maxCount));
        },
      ),
      { numRuns: 300, seed: 17 },
    );
  });
});
