import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node, Workload } from '../../functions/shared/modelarts';
import { occupancyFromListings } from '../../functions/shared/pipeline/occupancy-read';
import { PoolEvaluator } from '../../functions/shared/pipeline';
import { GPU, type Harness, gpuEntry, gpuPolicy, jobEvent, startHarness } from './harness';

/*
 * Node-aware scaling through the real pipeline against the simulator: the evaluation reads the nodes and the
 * running workloads only when a decision needs them, removes idle nodes by name and never one that runs a
 * workload, and asks for a node when a queued job fits no node's free accelerators.
 */

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness('node-aware', { provisioningDelayMs: 60_000 });
});
afterAll(() => harness?.stop());

const MINUTE = 60_000;

/** Scale at once in both directions, with no cooldown, so each step below is one evaluation. */
function eagerPolicy(): Record<string, unknown> {
  const policy = gpuPolicy(harness.pool, { cooldownSeconds: 0 });
  const flavors = policy.flavors as Record<string, Record<string, unknown>>;
  return {
    ...policy,
    flavors: {
      [GPU]: {
        ...flavors[GPU],
        scaleDown: {
          stabilizationSeconds: 0,
          policies: [{ type: 'Percent', value: 100, periodSeconds: 60 }],
          select: 'Max',
        },
      },
    },
  };
}

function requestsSince(index: number): string[] {
  return harness.stack
    .simulator!.requestLog.slice(index)
    .map((entry) => `${entry.method} ${entry.path.replace(/^.*\/pools\/[^/]+/, '')}`);
}

async function evaluate(trigger: string) {
  return new PoolEvaluator(harness.dependencies()).evaluate({ pool: harness.pool, trigger });
}

describe('node-aware scaling end to end', () => {
  it('a no-op evaluation stays at one ModelArts request', async () => {
    await harness.putPolicy(eagerPolicy());
    // Two whole-node jobs on the pool's two nodes: demand equals the count.
    expect(
      await harness.deliver(['a', 'b'].map((id) => jobEvent('job.submitted', harness.pool, id, 8))),
    ).toEqual([]);
    expect(
      await harness.deliver(['a', 'b'].map((id) => jobEvent('job.started', harness.pool, id, 8))),
    ).toEqual([]);
    expect(gpuEntry(harness).count).toBe(2);
    harness.clock.advance(MINUTE);
    const before = harness.stack.simulator!.requestLog.length;
    const result = await evaluate('steady');
    expect(result.status).toBe('NoChange');
    expect(requestsSince(before)).toEqual(['GET ']);
    expect(result.modelArtsRequests).toBe(1);
  });

  it('removes idle nodes by name and never one that runs a workload', async () => {
    const simulator = harness.stack.simulator!;
    // A whole-node workload really runs on one of the two nodes.
    const running = simulator.submitWorkload(harness.pool, { flavor: GPU, accelerators: 8 });
    const placed = simulator.workloads(harness.pool).find((workload) => workload.uid === running.uid);
    expect(placed?.status).toBe('Running');
    const busyNode = simulator
      .nodes(harness.pool)
      .find((node) => (placed?.hostIps ?? '').includes(node.status.privateIp ?? '?'));
    expect(busyNode).toBeDefined();

    // One job ends: one node is enough, and the evaluation the event triggers must pick the idle one.
    harness.clock.advance(MINUTE);
    const before = simulator.requestLog.length;
    expect(await harness.deliver([jobEvent('job.finished', harness.pool, 'b', 8)])).toEqual([]);
    expect(requestsSince(before)).toEqual([
      'GET ',
      'GET /nodes',
      'GET /workloads',
      'POST /nodes/batch-delete',
    ]);
    const record = (await harness.activities().listByPool(harness.pool, { limit: 3 })).find(
      (activity) => activity.flavor === GPU,
    );
    expect(record).toMatchObject({ status: 'Successful', before: { count: 2 }, after: { count: 1 } });
    expect(record?.nodes).toHaveLength(1);
    expect(record?.nodes).not.toContain(busyNode?.metadata.name);
    expect(gpuEntry(harness).count).toBe(1);
    expect(simulator.killedWorkloads(harness.pool)).toBe(0);
    expect(simulator.workloads(harness.pool).find((w) => w.uid === running.uid)?.status).toBe('Running');
  });

  it('asks for a node when a queued job fits no node, though the free units add up', async () => {
    const simulator = harness.stack.simulator!;
    // Back to two nodes: a second job's demand.
    harness.clock.advance(MINUTE);
    expect(await harness.deliver([jobEvent('job.submitted', harness.pool, 'c', 8)])).toEqual([]);
    expect(gpuEntry(harness).count).toBe(2);
    harness.clock.advance(2 * MINUTE);
    for (const workload of simulator.workloads(harness.pool)) {
      if (workload.status === 'Running') simulator.completeWorkload(harness.pool, workload.uid);
    }
    // Both nodes half used by 4-GPU workloads: 8 GPUs free in all, but on no single node.
    const quarters = ['q1', 'q2', 'q3', 'q4'].map((name) =>
      simulator.submitWorkload(harness.pool, { flavor: GPU, accelerators: 4, name }),
    );
    simulator.completeWorkload(harness.pool, quarters[0]!.uid);
    simulator.completeWorkload(harness.pool, quarters[2]!.uid);
    const free = simulator
      .nodes(harness.pool)
      .filter((node) => node.spec.flavor === GPU)
      .map((node) => node.status.availableResources?.['nvidia.com/gpu']);
    expect(free).toEqual(['4', '4']);
    // The depth: job a runs (8 units), c is withdrawn: one node's worth, and neither node is idle.
    harness.clock.advance(MINUTE);
    expect(await harness.deliver([jobEvent('job.cancelled', harness.pool, 'c', 8)])).toEqual([]);
    expect(gpuEntry(harness).count).toBe(2);

    // 8 running + 8 queued units: by units two nodes suffice; by shape the whole-node job fits on neither.
    harness.clock.advance(MINUTE);
    const before = simulator.requestLog.length;
    expect(await harness.deliver([jobEvent('job.submitted', harness.pool, 'whole-node', 8)])).toEqual([]);
    const patched = simulator.requestLog.slice(before).find((entry) => entry.method === 'PATCH');
    expect(patched?.status).toBe(200);
    expect(gpuEntry(harness).count).toBe(3);
    const latest = (await harness.activities().listByPool(harness.pool, { limit: 3 })).find(
      (activity) => activity.flavor === GPU,
    );
    expect(latest?.reasons.join(' | ')).toMatch(
      /1 queued job fit no live node's free units: 1 node more → 3 nodes/,
    );
    expect(simulator.killedWorkloads(harness.pool)).toBe(0);
  });
});

describe('occupancy from the listings', () => {
  const node = (name: string, fields: Record<string, unknown> = {}): Node =>
    ({
      metadata: { name, creationTimestamp: '2026-12-01T00:00:00Z', labels: {}, annotations: {} },
      spec: { flavor: GPU },
      status: {
        phase: 'Available',
        az: 'cn-north-4a',
        privateIp: `10.0.0.${name.length}`,
        resources: { 'nvidia.com/gpu': '8' },
        availableResources: { 'nvidia.com/gpu': '8' },
      },
      ...fields,
    }) as Node;

  it.each<[string, Node, Workload[] | undefined, { busy: boolean; prepaid?: boolean; locked?: boolean }]>([
    ['idle, nothing runs', node('a'), [], { busy: false }],
    ['a workload runs on its IP', node('ab'), [{ hostIps: '10.0.0.2', status: 'Running' }], { busy: true }],
    ['no workload listing: busy', node('abc'), undefined, { busy: true }],
    [
      'accelerators in use though no workload is listed',
      node('abcd', {
        status: { ...node('x').status, privateIp: '10.0.0.4', availableResources: { 'nvidia.com/gpu': '6' } },
      }),
      [],
      { busy: true },
    ],
    [
      'unreadable resources: busy',
      node('e', { status: { ...node('x').status, resources: { 'nvidia.com/gpu': 'lots' } } }),
      [],
      { busy: true },
    ],
    [
      'yearly/monthly and locked',
      node('f', {
        metadata: {
          name: 'f',
          annotations: { 'os.modelarts/billing.mode': '1', 'os.modelarts.node/lock.action': 'lock' },
        },
      }),
      [],
      { busy: false, prepaid: true, locked: true },
    ],
    [
      'still creating, no IP yet: not busy',
      node('g', { status: { phase: 'Creating', az: 'cn-north-4a', resources: { 'nvidia.com/gpu': '8' } } }),
      [],
      { busy: false },
    ],
  ])('%s', (_name, listed, running, expected) => {
    const [occupancy] = occupancyFromListings([listed], running, {}).nodes;
    expect(occupancy).toMatchObject({ prepaid: false, locked: false, ...expected });
  });

  it('says when the queued jobs could not be read', () => {
    expect(occupancyFromListings([], [], undefined).pendingKnown).toBe(false);
    expect(occupancyFromListings([], [], { [GPU]: [{ units: 8 }] })).toMatchObject({
      pendingKnown: true,
      pending: { [GPU]: [{ units: 8 }] },
    });
  });
});
