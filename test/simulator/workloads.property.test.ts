import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeJob } from '../../functions/shared/engine/placement';
import {
  acceleratorsOf,
  cpuCores,
  NodeListSchema,
  PoolSchema,
  WorkloadListSchema,
  WorkloadStatisticsSchema,
  type Node,
  type Pool,
  type Workload,
} from '../../functions/shared/modelarts';
import { startModelArtsSimulator, type ModelArtsSimulator } from '../../simulator';
import { sendJson } from './http';
import { AZ_A, AZ_B, GPU, NPU, poolRequest, thisHour, urls } from './pools';

const PROVISION = 300_000;
const CHECKING = 60_000;
const DELETION = 60_000;
const FLAVORS = [GPU, NPU] as const;
const PER_NODE = 8;
const STATES = ['creating', 'available', 'abnormal', 'deleting'] as const;

type Step =
  | { kind: 'patch'; counts: [number, number] }
  | { kind: 'batchDelete'; picks: number[]; idleOnly: boolean }
  | { kind: 'submit'; flavor: 0 | 1; accelerators?: number; nodeCount?: number; durationS?: number }
  | { kind: 'end'; pick: number; how: 'complete' | 'fail' | 'terminate' }
  | { kind: 'advance'; ms: number };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('patch' as const),
    counts: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 })),
  }),
  fc.record({
    kind: fc.constant('batchDelete' as const),
    picks: fc.array(fc.nat(20), { minLength: 1, maxLength: 3 }),
    idleOnly: fc.boolean(),
  }),
  fc.record(
    {
      kind: fc.constant('submit' as const),
      flavor: fc.constantFrom(0 as const, 1 as const),
      accelerators: fc.integer({ min: 1, max: 20 }),
      nodeCount: fc.integer({ min: 1, max: 2 }),
      durationS: fc.integer({ min: 0, max: 900 }),
    },
    { requiredKeys: ['kind', 'flavor'] },
  ),
  fc.record({
    kind: fc.constant('end' as const),
    pick: fc.nat(20),
    how: fc.constantFrom('complete' as const, 'fail' as const, 'terminate' as const),
  }),
  fc.record({
    kind: fc.constant('advance' as const),
    ms: fc.constantFrom(0, 1_000, CHECKING, DELETION, PROVISION),
  }),
);

/** Nodes per state, flavor and AZ as the pool status reports them. */
function statusTally(pool: Pool): Map<string, number> {
  const tally = new Map<string, number>();
  for (const state of STATES) {
    for (const entry of pool.status.resources?.[state] ?? []) {
      for (const az of entry.azs ?? []) {
        const key = `${state}|${entry.flavor}|${az.az}`;
        tally.set(key, (tally.get(key) ?? 0) + az.count);
      }
    }
  }
  return tally;
}

const NODE_STATE: Record<string, string> = {
  Creating: 'creating',
  Checking: 'creating',
  Available: 'available',
  Abnormal: 'abnormal',
  Deleting: 'deleting',
};

function nodeTally(nodes: Node[]): Map<string, number> {
  const tally = new Map<string, number>();
  for (const node of nodes) {
    const key = `${NODE_STATE[node.status.phase ?? '']}|${node.spec.flavor}|${node.status.az}`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  return tally;
}

describe('pool status, nodes and workloads always agree', () => {
  let sim: ModelArtsSimulator;
  let run = 0;

  beforeAll(async () => {
    const t0 = thisHour();
    sim = await startModelArtsSimulator({
      provisioningDelayMs: PROVISION,
      checkingDelayMs: CHECKING,
      deletionDelayMs: DELETION,
      availabilityZones: [AZ_A, AZ_B],
      now: () => t0,
    });
  });
  afterAll(() => sim.close());

  async function allNodes(pool: string): Promise<Node[]> {
    const nodes: Node[] = [];
    let token = '';
    for (;;) {
      const query = `?limit=3${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
      const response = await sendJson(`${urls(sim, pool).nodes}${query}`, 'GET');
      const page = NodeListSchema.parse(response.json);
      nodes.push(...page.items);
      if (!page.metadata?.continue) return nodes;
      token = page.metadata.continue;
    }
  }

  async function check(pool: string, killedByIdleDeletes: number): Promise<void> {
    const shown = PoolSchema.parse((await sendJson(urls(sim, pool).pool, 'GET')).json);
    const nodes = await allNodes(pool);
    const workloads: Workload[] = WorkloadListSchema.parse(
      (await sendJson(urls(sim, pool).workloads, 'GET')).json,
    ).items;

    // The node list is the pool status, node by node.
    expect(nodeTally(nodes)).toEqual(statusTally(shown));

    // Free accelerators and CPU are capacity minus what running workloads report on that node.
    const byIp = new Map(nodes.map((node) => [node.status.privateIp, node]));
    const used = new Map<string, { accelerators: number; cpu: number }>();
    for (const workload of workloads.filter((w) => w.status === 'Running')) {
      const parts = workload.nodes ?? [];
      expect(workload.hostIps?.split(',')).toEqual(parts.map((part) => part.hostIp));
      expect(parts.reduce((sum, part) => sum + acceleratorsOf(part.resourceRequirement), 0)).toBe(
        acceleratorsOf(workload.resourceRequirement),
      );
      if (parts.length > 1)
        expect(
          parts.filter((part) => acceleratorsOf(part.resourceRequirement) !== PER_NODE).length,
        ).toBeLessThanOrEqual(1);
      for (const part of parts) {
        const node = byIp.get(part.hostIp);
        expect(node?.status.phase).toBe('Available');
        expect(node?.spec.flavor).toBe(workload.flavor);
        const sum = used.get(part.hostIp ?? '') ?? { accelerators: 0, cpu: 0 };
        used.set(part.hostIp ?? '', {
          accelerators: sum.accelerators + acceleratorsOf(part.resourceRequirement),
          cpu: sum.cpu + cpuCores(part.resourceRequirement?.cpu ?? '0'),
        });
      }
    }
    for (const node of nodes) {
      const use = used.get(node.status.privateIp ?? '') ?? { accelerators: 0, cpu: 0 };
      const total = acceleratorsOf(node.status.resources);
      const free = acceleratorsOf(node.status.availableResources);
      expect(total).toBe(PER_NODE);
      expect(free).toBe(total - use.accelerators);
      expect(free).toBeGreaterThanOrEqual(0);
      expect(cpuCores(node.status.availableResources?.cpu ?? '0')).toBeCloseTo(
        cpuCores(node.status.resources?.cpu ?? '0') - use.cpu,
        6,
      );
    }

    // Placement is done: no queued workload would fit on what is free now.
    for (const workload of workloads.filter((w) => w.status === 'Queue')) {
      const free = nodes
        .filter((node) => node.status.phase === 'Available' && node.spec.flavor === workload.flavor)
        .map((node) => ({ freeUnits: acceleratorsOf(node.status.availableResources) }));
      expect(placeJob(free, acceleratorsOf(workload.resourceRequirement), PER_NODE)).toBeUndefined();
    }

    // Statistics count the same workloads.
    const stats = WorkloadStatisticsSchema.parse(
      (await sendJson(`${sim.url}/v2/${sim.projectId}/statistics/pools/${pool}/workloads`, 'GET')).json,
    );
    expect(stats.statistics.total).toBe(workloads.length);
    const counted = stats.statistics.items.reduce((sum, item) => sum + (item.status.Running ?? 0), 0);
    expect(counted).toBe(workloads.filter((w) => w.status === 'Running').length);

    // Killed workloads are the failed ones whose node was taken, and deleting idle nodes kills none.
    const records = sim.workloads(pool);
    expect(sim.killedWorkloads(pool)).toBe(records.filter((w) => w.killed).length);
    expect(records.filter((w) => w.killed).every((w) => w.status === 'Failed')).toBe(true);
    expect(killedByIdleDeletes).toBe(0);
  }

  it('under random PATCHes, batch-deletes, submissions, ends and clock advances', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: 1, maxLength: 12 }), async (steps) => {
        run += 1;
        const pool = sim.seedPool(
          poolRequest(`prop-wl-${run}`, [
            { flavor: GPU, count: 2 },
            { flavor: NPU, count: 1 },
          ]),
        ).metadata.name;
        let killedByIdleDeletes = 0;
        for (const step of steps) {
          switch (step.kind) {
            case 'patch': {
              const resources = FLAVORS.map((flavor, i) => ({
                flavor,
                count: step.counts[i],
                maxCount: step.counts[i],
              }));
              const response = await sendJson(
                urls(sim, pool).pool,
                'PATCH',
                { spec: { resources } },
                'application/json',
              );
              expect(response.status).toBe(200);
              break;
            }
            case 'batchDelete': {
              const nodes = sim
                .nodes(pool)
                .filter(
                  (node) =>
                    !step.idleOnly ||
                    acceleratorsOf(node.status.availableResources) === acceleratorsOf(node.status.resources),
                );
              if (nodes.length === 0) break;
              const names = [...new Set(step.picks.map((pick) => nodes[pick % nodes.length]!.metadata.name))];
              const killedBefore = sim.killedWorkloads(pool);
              const before = sim.pool(pool);
              const response = await sendJson(`${urls(sim, pool).nodes}/batch-delete`, 'POST', {
                deleteNodeNames: names,
              });
              expect([200, 400]).toContain(response.status);
              if (response.status === 400) expect(sim.pool(pool)).toEqual(before);
              if (step.idleOnly) killedByIdleDeletes += sim.killedWorkloads(pool) - killedBefore;
              break;
            }
            case 'submit': {
              const flavor = FLAVORS[step.flavor];
              const size = step.nodeCount === 2 ? { nodeCount: 2 } : { accelerators: step.accelerators ?? 1 };
              const duration = step.durationS === undefined ? {} : { durationSeconds: step.durationS };
              sim.submitWorkload(pool, { flavor, ...size, ...duration });
              break;
            }
            case 'end': {
              const live = sim.workloads(pool).filter((w) => w.status === 'Running' || w.status === 'Queue');
              const target = live[step.pick % Math.max(1, live.length)];
              if (!target) break;
              if (step.how === 'complete' && target.status === 'Running')
                sim.completeWorkload(pool, target.uid);
              if (step.how === 'fail') sim.failWorkload(pool, target.uid, { reason: 'property' });
              if (step.how === 'terminate') sim.terminateWorkload(pool, target.uid);
              break;
            }
            case 'advance':
              sim.advance(step.ms);
              break;
          }
          await check(pool, killedByIdleDeletes);
        }
        await sendJson(urls(sim, pool).pool, 'DELETE');
        sim.advance(DELETION);
      }),
      { numRuns: 60 },
    );
  });
});
