import { afterEach, describe, expect, it } from 'vitest';
import {
  NodeListSchema,
  NodeSchema,
  type Node,
  type NodeList,
} from '../../functions/shared/modelarts/schemas';
import {
  startModelArtsSimulator,
  type ModelArtsSimulator,
  type ModelArtsSimulatorOptions,
} from '../../simulator';
import { errorOf, sendJson } from './http';
import { AZ_A, AZ_B, CPU, GPU, NPU, poolRequest, thisHour, urls } from './pools';

const PROVISION = 300_000;
const CHECKING = 60_000;
const DELETION = 60_000;

let sim: ModelArtsSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: ModelArtsSimulatorOptions = {}): Promise<ModelArtsSimulator> {
  const t0 = thisHour();
  sim = await startModelArtsSimulator({
    provisioningDelayMs: PROVISION,
    checkingDelayMs: CHECKING,
    deletionDelayMs: DELETION,
    availabilityZones: [AZ_A, AZ_B],
    now: () => t0,
    ...options,
  });
  return sim;
}

async function listNodes(s: ModelArtsSimulator, pool: string, query = ''): Promise<NodeList> {
  const response = await sendJson(`${urls(s, pool).nodes}${query}`, 'GET');
  expect(response.status).toBe(200);
  return NodeListSchema.parse(response.json);
}

const phases = (list: NodeList): string[] => list.items.map((node) => node.status.phase ?? '').sort();

describe('nodes of a pool', () => {
  it('lists every node with the reference labels, annotations, AZ, IP and resources', async () => {
    const s = await start();
    const pool = s.seedPool(
      poolRequest('nodes-shape', [
        { flavor: GPU, count: 2, azs: { [AZ_A]: 1, [AZ_B]: 1 } },
        { flavor: NPU, count: 1 },
        { flavor: CPU, count: 1 },
      ]),
    ).metadata.name;
    const list = await listNodes(s, pool);
    expect(list).toMatchObject({ apiVersion: 'v2', kind: 'NodeList', metadata: {} });
    expect(list.items).toHaveLength(4);
    const gpu = list.items.filter((node) => node.spec.flavor === GPU);
    expect(gpu.map((node) => node.status.az).sort()).toEqual([AZ_A, AZ_B]);
    const [first] = gpu as [Node];
    expect(first.metadata.name).toMatch(/^os-node-created-[a-z0-9]{5}$/);
    expect(first.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(first.metadata.labels).toMatchObject({
      'os.modelarts.node/nodepool': 'default-vm-gpu-8v100',
      'os.modelarts.node/nodepoolname': 'default-vm-gpu-8v100',
      'os.modelarts/billing.status': '0',
      'os.modelarts/tenant.project.id': s.projectId,
      'os.modelarts/resource.id': expect.stringMatching(/^maos\.vm\.gpu\.8v100\.\d{10}$/),
    });
    expect(first.metadata.annotations).toEqual({ 'os.modelarts/billing.mode': '0' });
    expect(first.spec.hostNetwork).toEqual({
      vpc: 'vpc-network-nodes-shape',
      subnet: 'subnet-network-nodes-shape',
      securityGroups: ['sg-network-nodes-shape'],
    });
    expect(first.status).toMatchObject({
      phase: 'Available',
      privateIp: expect.stringMatching(/^192\.168\.\d+\.\d+$/),
      resources: { cpu: '64', memory: '512Gi', 'nvidia.com/gpu': '8' },
      availableResources: { cpu: '64', memory: '512Gi', 'nvidia.com/gpu': '8' },
    });
    const npu = list.items.find((node) => node.spec.flavor === NPU);
    expect(npu?.status.resources).toEqual({ cpu: '64', memory: '512Gi', 'huawei.com/ascend-snt9': '8' });
    const cpu = list.items.find((node) => node.spec.flavor === CPU);
    expect(cpu?.status.resources).toEqual({ cpu: '8', memory: '32Gi' });
    expect(new Set(list.items.map((node) => node.status.privateIp)).size).toBe(4);
  });

  it('names nodes after the pool node prefix, and puts an entry nodePool in the labels', async () => {
    const s = await start();
    const request = poolRequest('nodes-prefix', [{ flavor: GPU, count: 1 }]);
    request.metadata.labels['os.modelarts/node.prefix'] = 'team-a';
    (request.spec.resources[0] as Record<string, unknown>).nodePool = 'nodepool-1';
    const pool = s.seedPool(request).metadata.name;
    const [node] = (await listNodes(s, pool)).items;
    expect(node?.metadata.name).toMatch(/^team-a-[a-z0-9]{5}$/);
    expect(node?.metadata.labels?.['os.modelarts.node/nodepool']).toBe('nodepool-1');
  });

  it('shows one node, and answers 404 for an unknown node or pool', async () => {
    const s = await start();
    const pool = s.seedPool(poolRequest('nodes-show', [{ flavor: GPU, count: 1 }])).metadata.name;
    const [listed] = (await listNodes(s, pool)).items;
    const shown = await sendJson(`${urls(s, pool).nodes}/${listed?.metadata.name}`, 'GET');
    expect(shown.status).toBe(200);
    expect(NodeSchema.parse(shown.json)).toEqual(listed);

    const unknownNode = await sendJson(`${urls(s, pool).nodes}/os-node-created-nope0`, 'GET');
    expect(unknownNode.status).toBe(404);
    expect(unknownNode.json).toEqual({
      error_code: 'ModelArts.50015002',
      error_msg: 'node os-node-created-nope0 not found',
    });
    for (const path of ['/nodes', '/nodes/x']) {
      const unknownPool = await sendJson(`${urls(s, `nope-${s.projectId}`).pool}${path}`, 'GET');
      expect(unknownPool.status).toBe(404);
      expect(errorOf(unknownPool).error_code).toBe('ModelArts.50015001');
    }
  });

  it.each([
    ['DELETE', '/nodes'],
    ['POST', '/nodes'],
    ['PUT', '/nodes/x'],
    ['GET', '/nodes/x/y'],
    ['POST', '/workloads'],
  ])('%s %s is the gateway 404 APIGW.0101', async (method, path) => {
    const s = await start();
    const pool = s.seedPool(poolRequest('nodes-method', [{ flavor: GPU, count: 1 }])).metadata.name;
    const response = await sendJson(`${urls(s, pool).pool}${path}`, method);
    expect(response.status).toBe(404);
    expect(errorOf(response).error_code).toBe('APIGW.0101');
  });

  it('goes Creating, Checking, Available, then Deleting and gone, the pool status agreeing', async () => {
    const s = await start();
    const pool = s.seedPool(poolRequest('nodes-phases', [{ flavor: GPU, count: 1 }])).metadata.name;
    const patch = (count: number) =>
      sendJson(
        urls(s, pool).pool,
        'PATCH',
        { spec: { resources: [{ flavor: GPU, count, maxCount: count }] } },
        'application/merge-patch+json',
      );
    expect((await patch(2)).status).toBe(200);
    expect(phases(await listNodes(s, pool))).toEqual(['Available', 'Creating']);
    s.advance(PROVISION - CHECKING);
    expect(phases(await listNodes(s, pool))).toEqual(['Available', 'Checking']);
    expect(s.pool(pool)?.status.resources?.creating?.[0]?.count).toBe(1);
    s.advance(CHECKING);
    expect(phases(await listNodes(s, pool))).toEqual(['Available', 'Available']);
    expect((await patch(1)).status).toBe(200);
    expect(phases(await listNodes(s, pool))).toEqual(['Available', 'Deleting']);
    expect(s.pool(pool)?.status.resources?.deleting?.[0]?.count).toBe(1);
    s.advance(DELETION);
    expect(phases(await listNodes(s, pool))).toEqual(['Available']);
  });

  it('shows a node still waiting for capacity as Creating, and one that never found any as Abnormal', async () => {
    const s = await start({ azCapacity: { [AZ_A]: 1 }, abnormalAfterMs: 600_000 });
    const pool = s.seedPool(poolRequest('nodes-wait', [{ flavor: GPU, count: 2, azs: { [AZ_A]: 2 } }]), {
      settled: false,
    }).metadata.name;
    expect(phases(await listNodes(s, pool))).toEqual(['Creating', 'Creating']);
    s.advance(600_000);
    expect(phases(await listNodes(s, pool))).toEqual(['Abnormal', 'Available']);
  });

  it('pages with limit and continue, and a node leaving between pages shifts nothing', async () => {
    const s = await start({ deletionDelayMs: 0 });
    const pool = s.seedPool(poolRequest('nodes-pages', [{ flavor: GPU, count: 5 }])).metadata.name;
    const all = (await listNodes(s, pool)).items.map((node) => node.metadata.name);
    const first = await listNodes(s, pool, '?limit=2');
    expect(first.items.map((node) => node.metadata.name)).toEqual(all.slice(0, 2));
    expect(first.metadata).toEqual({ continue: expect.any(String), remainingItemCount: 3 });

    const deleted = await sendJson(`${urls(s, pool).nodes}/batch-delete`, 'POST', {
      deleteNodeNames: [all[1]],
    });
    expect(deleted.status).toBe(200);
    const second = await listNodes(
      s,
      pool,
      `?limit=2&continue=${encodeURIComponent(first.metadata?.continue ?? '')}`,
    );
    expect(second.items.map((node) => node.metadata.name)).toEqual(all.slice(2, 4));
    const third = await listNodes(
      s,
      pool,
      `?limit=2&continue=${encodeURIComponent(second.metadata?.continue ?? '')}`,
    );
    expect(third.items.map((node) => node.metadata.name)).toEqual(all.slice(4));
    expect(third.metadata).toEqual({});
  });

  it.each([
    ['limit=501', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=two', 'limit'],
    ['continue=garbage', 'continue'],
  ])('refuses %s with 400 naming %s', async (query, field) => {
    const s = await start();
    const pool = s.seedPool(poolRequest('nodes-query', [{ flavor: GPU, count: 1 }])).metadata.name;
    const response = await sendJson(`${urls(s, pool).nodes}?${query}`, 'GET');
    expect(response.status).toBe(400);
    expect(errorOf(response)).toMatchObject({ error_code: 'ModelArts.50004000' });
    expect(errorOf(response).error_msg).toContain(`${field}:`);
  });

  it('limit=0 lists every node; with ignoreNodePaging every node comes in one page without a token', async () => {
    const s = await start({ ignoreNodePaging: true });
    const pool = s.seedPool(poolRequest('nodes-ignore', [{ flavor: GPU, count: 3 }])).metadata.name;
    const list = await listNodes(s, pool, '?limit=1&continue=garbage');
    expect(list.items).toHaveLength(3);
    expect(list.metadata).toEqual({});
    await s.close();
    sim = undefined;
    const paged = await start();
    const other = paged.seedPool(poolRequest('nodes-zero', [{ flavor: GPU, count: 3 }])).metadata.name;
    expect((await listNodes(paged, other, '?limit=0')).items).toHaveLength(3);
  });

  it('bills nodes pay-per-use by default, yearly/monthly after the pool annotation or the entry setting', async () => {
    const s = await start();
    const prepaidPool = s.seedPool(
      poolRequest('nodes-prepaid', [{ flavor: GPU, count: 1 }], { 'os.modelarts/billing.mode': '1' }),
    ).metadata.name;
    const mixed = s.seedPool(
      poolRequest('nodes-mixed', [
        { flavor: GPU, count: 1, extendParams: { 'os.modelarts/billing.mode': '1' } },
        { flavor: NPU, count: 1 },
      ]),
    ).metadata.name;
    const billing = async (pool: string) =>
      Object.fromEntries(
        (await listNodes(s, pool)).items.map((node) => [
          node.spec.flavor,
          node.metadata.annotations?.['os.modelarts/billing.mode'],
        ]),
      );
    expect(await billing(prepaidPool)).toEqual({ [GPU]: '1' });
    expect(await billing(mixed)).toEqual({ [GPU]: '1', [NPU]: '0' });
    const bad = await sendJson(
      `${s.url}/v2/${s.projectId}/pools`,
      'POST',
      poolRequest('nodes-badbill', [
        { flavor: GPU, count: 1, extendParams: { 'os.modelarts/billing.mode': 'yes' } },
      ]),
    );
    expect(bad.status).toBe(400);
    expect(errorOf(bad).error_msg).toContain('spec.resources[0].extendParams.os.modelarts/billing.mode');
  });

  it('takes what a node of a flavor holds from the options when given', async () => {
    const s = await start({
      flavors: { 'modelarts.vm.gpu.tnt004': { accelerators: 2, cpu: '3920m', memory: '6270Mi' } },
    });
    const pool = s.seedPool(poolRequest('nodes-override', [{ flavor: 'modelarts.vm.gpu.tnt004', count: 1 }]))
      .metadata.name;
    const [node] = (await listNodes(s, pool)).items;
    expect(node?.status.resources).toEqual({ cpu: '3920m', memory: '6270Mi', 'nvidia.com/gpu': '2' });
  });

  it('shows what running workloads use in availableResources', async () => {
    const s = await start();
    const pool = s.seedPool(poolRequest('nodes-usage', [{ flavor: GPU, count: 1 }])).metadata.name;
    s.submitWorkload(pool, { flavor: GPU, accelerators: 3 });
    s.submitWorkload(pool, { flavor: GPU, accelerators: 2 });
    const [node] = (await listNodes(s, pool)).items;
    expect(node?.status.availableResources).toEqual({ cpu: '24', memory: '192Gi', 'nvidia.com/gpu': '3' });
    expect(node?.status.resources).toEqual({ cpu: '64', memory: '512Gi', 'nvidia.com/gpu': '8' });
  });
});
