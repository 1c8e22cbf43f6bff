import { describe, expect, it } from 'vitest';
import { parsePolicy, type Policy } from '../../functions/shared/engine';
import type { Node, Workload } from '../../functions/shared/modelarts';
import { demandReadDue, withDemandReasons } from '../../functions/shared/pipeline/demand-read';
import {
  RECONCILED_REASON,
  demandFromWorkloads,
  listingNeedsNodes,
  nodeSizes,
  reconciliationReason,
  workloadShape,
} from '../../functions/shared/pipeline/workload-demand';

const GPU = 'modelarts.vm.gpu.8v100';
const CPU = 'modelarts.vm.cpu.8ud';

function policy(overrides: Record<string, unknown> = {}): Policy {
  return parsePolicy({
    pool: 'pool-a',
    demand: 'workloads',
    flavors: { [GPU]: { maxCount: 16, unitsPerNode: 8 }, [CPU]: { maxCount: 8, unitsPerNode: 1 } },
    ...overrides,
  });
}

function workload(fields: Partial<Workload> & { gpus?: number; perNode?: number[] }): Workload {
  const { gpus, perNode, ...rest } = fields;
  return {
    type: 'train',
    flavor: GPU,
    status: 'Queue',
    name: `w-${Math.random().toString(36).slice(2, 8)}`,
    ...(gpus !== undefined ? { resourceRequirement: { cpu: '8', 'nvidia.com/gpu': String(gpus) } } : {}),
    ...(perNode !== undefined
      ? {
          nodes: perNode.map((n, i) => ({
            hostIp: `10.0.0.${i}`,
            resourceRequirement: { 'nvidia.com/gpu': String(n) },
          })),
        }
      : {}),
    ...rest,
  };
}

const cpuNode: Node = {
  metadata: { name: 'os-node-created-aaaaa' },
  spec: { flavor: CPU },
  status: { phase: 'Available', resources: { cpu: '8', memory: '32Gi' } },
};

describe('workloadShape', () => {
  it.each([
    ['a queued 4-GPU workload needs 4 units on one node', workload({ gpus: 4 }), 8, undefined, { units: 4 }],
    ['a queued 8-GPU workload fills one node', workload({ gpus: 8 }), 8, undefined, { units: 8 }],
    [
      'a queued 32-GPU workload takes 4 whole nodes',
      workload({ gpus: 32 }),
      8,
      undefined,
      { units: 32, nodes: 4 },
    ],
    [
      'a running workload spans the nodes it runs on',
      workload({ status: 'Running', gpus: 16, perNode: [8, 8] }),
      8,
      undefined,
      { units: 16, nodes: 2 },
    ],
    [
      'accelerators only per node still count',
      workload({ status: 'Running', perNode: [4] }),
      8,
      undefined,
      { units: 4 },
    ],
    [
      'a CPU workload takes its CPU over one node',
      workload({ flavor: CPU, resourceRequirement: { cpu: '16', memory: '8Gi' } }),
      1,
      { cpuCores: 8, memoryBytes: 32 * 2 ** 30 },
      { units: 2, nodes: 2 },
    ],
    [
      'a CPU workload short of a node takes a whole one',
      workload({ flavor: CPU, resourceRequirement: { cpu: '3920m', memory: '6270Mi' } }),
      1,
      { cpuCores: 8, memoryBytes: 32 * 2 ** 30 },
      { units: 1 },
    ],
  ] as const)('%s', (_name, input, unitsPerNode, size, expected) => {
    expect(workloadShape(input, unitsPerNode, size)).toEqual(expected);
  });

  it('counts a workload whose resources do not parse as one whole node, and says so', () => {
    const shape = workloadShape(
      workload({ resourceRequirement: { 'nvidia.com/gpu': 'lots' } }),
      8,
      undefined,
    );
    expect(shape.units).toBe(8);
    expect(shape.note).toMatch(/resources could not be read.*counted as one whole node/);
  });

  it('counts a CPU workload without a node to size it by as one whole node, and says so', () => {
    const shape = workloadShape(workload({ flavor: CPU, resourceRequirement: { cpu: '16' } }), 1, undefined);
    expect(shape).toMatchObject({ units: 1 });
    expect(shape.note).toMatch(/no node of its flavor/);
  });
});

describe('demandFromWorkloads', () => {
  it('counts the policy flavors and types only, queued shapes admitted first then in queue order', () => {
    const read = demandFromWorkloads(
      {
        queued: [
          workload({ gpus: 4, pendingPosition: 2, name: 'second' }),
          workload({ gpus: 16, pendingPosition: 1, name: 'first' }),
          workload({ gpus: 2, status: 'Pending', name: 'admitted' }),
          workload({ gpus: 8, type: 'notebook', name: 'not-counted-type' }),
          workload({ gpus: 8, flavor: 'modelarts.vm.gpu.other', name: 'not-a-policy-flavor' }),
        ],
        running: [
          workload({ status: 'Running', perNode: [8], name: 'r1' }),
          workload({ status: 'Running', perNode: [8], type: 'infer', name: 'infer-runs' }),
        ],
      },
      policy(),
    );
    expect(read.flavors[GPU]).toEqual({
      pendingUnits: 22,
      runningUnits: 8,
      queuedWorkloads: 3,
      runningWorkloads: 1,
      pending: [{ units: 2 }, { units: 16, nodes: 2 }, { units: 4 }],
    });
    expect(read.flavors[CPU]).toMatchObject({ pendingUnits: 0, runningUnits: 0, pending: [] });
    expect(read.notes).toEqual([]);
  });

  it('counts the types the policy names', () => {
    const read = demandFromWorkloads(
      { queued: [workload({ gpus: 8, type: 'notebook' })], running: [] },
      policy({ workloadTypes: ['train', 'notebook'] }),
    );
    expect(read.flavors[GPU]?.pendingUnits).toBe(8);
  });

  it('counts a workload listed both queued and running (it started between the listings) once, as running', () => {
    const read = demandFromWorkloads(
      {
        queued: [workload({ gpus: 8, uid: 'u-1' })],
        running: [workload({ status: 'Running', perNode: [8], uid: 'u-1' })],
      },
      policy(),
    );
    expect(read.flavors[GPU]).toMatchObject({ pendingUnits: 0, runningUnits: 8 });
  });

  it('sizes CPU workloads by the largest node of their flavor, listed only when one needs it', () => {
    const queued = [workload({ flavor: CPU, resourceRequirement: { cpu: '24', memory: '8Gi' } })];
    expect(listingNeedsNodes(queued, policy())).toBe(true);
    expect(listingNeedsNodes([workload({ gpus: 4 })], policy())).toBe(false);
    expect(nodeSizes([cpuNode]).get(CPU)).toEqual({ cpuCores: 8, memoryBytes: 32 * 2 ** 30 });
    const read = demandFromWorkloads({ queued, running: [], nodes: [cpuNode] }, policy());
    expect(read.flavors[CPU]).toMatchObject({ pendingUnits: 3, pending: [{ units: 3, nodes: 3 }] });
  });
});

describe('demandReadDue', () => {
  const now = Date.now();
  it.each([
    ['events never read the workloads', 'events', undefined, 'depth'],
    ['workloads read them every time', 'workloads', now, 'workloads'],
    ['events+workloads reconcile at once the first time', 'events+workloads', undefined, 'reconcile'],
    ['events+workloads wait for reconcileSeconds', 'events+workloads', now - 299_000, 'depth'],
    ['events+workloads reconcile once it has passed', 'events+workloads', now - 300_000, 'reconcile'],
  ] as const)('%s', (_name, demand, lastReconciledAt, expected) => {
    expect(demandReadDue({ demand, reconcileSeconds: 300 }, lastReconciledAt, now)).toBe(expected);
  });
});

describe('reconciliation wording', () => {
  const read = { pendingUnits: 8, runningUnits: 16, queuedWorkloads: 1, runningWorkloads: 2, pending: [] };
  it.each([
    [
      'says how far the counters were off',
      { pendingUnits: 24, runningUnits: 0, updatedAt: 0 },
      `${RECONCILED_REASON}: pending 24 → 8 units, running 0 → 16 units (off by 32 units)`,
    ],
    [
      'says when there was no drift',
      { pendingUnits: 8, runningUnits: 16, updatedAt: 0 },
      `${RECONCILED_REASON}: no drift (8 units pending, 16 units running)`,
    ],
    [
      'counts a flavor without depth as zero',
      undefined,
      `${RECONCILED_REASON}: pending 0 → 8 units, running 0 → 16 units (off by 24 units)`,
    ],
  ] as const)('%s', (_name, before, expected) => {
    expect(reconciliationReason(before, read)).toBe(expected);
  });
});

describe('withDemandReasons', () => {
  it('leads the decision trail with the demand reasons and each flavor trail with its own', () => {
    const decision = {
      pool: 'pool-a',
      action: 'none' as const,
      reasons: ['pool reason'],
      flavors: [
        { flavor: GPU, reasons: ['gpu rule'] },
        { flavor: CPU, reasons: ['cpu rule'] },
      ],
    } as unknown as Parameters<typeof withDemandReasons>[0];
    const merged = withDemandReasons(decision, {
      depth: {},
      reasons: ['read failed'],
      flavorReasons: { [GPU]: ['reconciled'] },
      queuedShapes: 'markers',
    });
    expect(merged.reasons).toEqual(['read failed', 'pool reason']);
    expect(merged.flavors.map((flavor) => flavor.reasons)).toEqual([
      ['reconciled', 'gpu rule'],
      ['cpu rule'],
    ]);
  });
});

describe('policy fields', () => {
  it('default to events, train workloads and a five-minute reconciliation', () => {
    expect(parsePolicy({ pool: 'p', flavors: {} })).toMatchObject({
      demand: 'events',
      workloadTypes: ['train'],
      reconcileSeconds: 300,
    });
  });

  it.each([
    [{ demand: 'queue' }, 'demand'],
    [{ workloadTypes: [] }, 'workloadTypes'],
    [{ workloadTypes: ['train', 'train'] }, 'workloadTypes'],
    [{ workloadTypes: ['batch'] }, 'workloadTypes[0]'],
    [{ reconcileSeconds: 5 }, 'reconcileSeconds'],
  ])('rejects %j naming %s', (fields, field) => {
    expect(() => parsePolicy({ pool: 'p', flavors: {}, ...fields })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ field })] }),
    );
  });
});
