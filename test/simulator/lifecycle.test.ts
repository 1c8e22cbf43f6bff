import { afterEach, describe, expect, it } from 'vitest';
import { PoolSchema, type Pool } from '../../functions/shared/modelarts/schemas';
import {
  demoPool,
  DEMO_FLAVORS,
  seedCreatePhysicalPoolRequest,
  seedUpdatePoolRequest,
  seedUpdateTargetPoolRequest,
  startModelArtsSimulator,
  type ModelArtsSimulator,
  type ModelArtsSimulatorOptions,
} from '../../simulator';
import { errorOf, sendJson } from './http';

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);
const PROVISION = 300_000;
const DELETION = 60_000;

let sim: ModelArtsSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: ModelArtsSimulatorOptions = {}): Promise<ModelArtsSimulator> {
  sim = await startModelArtsSimulator({
    provisioningDelayMs: PROVISION,
    deletionDelayMs: DELETION,
    now: () => T0,
    ...options,
  });
  return sim;
}

function poolsUrl(s: ModelArtsSimulator): string {
  return `${s.url}/v2/${s.projectId}/pools`;
}

async function show(s: ModelArtsSimulator, name: string): Promise<Pool> {
  const response = await sendJson(`${poolsUrl(s)}/${name}`, 'GET');
  expect(response.status).toBe(200);
  return PoolSchema.parse(response.json);
}

async function patch(s: ModelArtsSimulator, name: string, body: unknown) {
  return sendJson(`${poolsUrl(s)}/${name}`, 'PATCH', body, 'application/merge-patch+json');
}

/** Nodes per state of one flavor, as `{creating, available, abnormal, deleting}` totals. */
function counts(
  pool: Pool,
  flavor: string,
): Record<'creating' | 'available' | 'abnormal' | 'deleting', number> {
  const states = pool.status.resources ?? {};
  const total = (list: { flavor: string; count: number }[] | undefined) =>
    (list ?? []).filter((r) => r.flavor === flavor).reduce((sum, r) => sum + r.count, 0);
  return {
    creating: total(states.creating),
    available: total(states.available),
    abnormal: total(states.abnormal),
    deleting: total(states.deleting),
  };
}

function azsOf(pool: Pool, state: 'creating' | 'available' | 'abnormal' | 'deleting', flavor: string) {
  return pool.status.resources?.[state]?.find((r) => r.flavor === flavor)?.azs;
}

/**
 * A PATCH body for the demo pool putting its GPU entry (the first) at these nodes per AZ, with count and
 * maxCount their total, and sending the NPU entry back unchanged.
 */
function placeGpu(resources: Pool['spec']['resources'], nodesPerAz: Record<string, number>) {
  const [gpu, npu] = resources;
  const azs = Object.entries(nodesPerAz).map(([az, count]) => ({ az, count }));
  const count = azs.reduce((sum, entry) => sum + entry.count, 0);
  return { spec: { resources: [{ ...gpu, count, maxCount: count, azs }, npu] } };
}

describe('pool creation', () => {
  it('answers with the seed example shape, then goes Creating → Running after the provisioning delay', async () => {
    const s = await start();
    const response = await sendJson(poolsUrl(s), 'POST', seedCreatePhysicalPoolRequest());
    expect(response.status).toBe(200);
    const created = PoolSchema.parse(response.json);
    expect((response.json as { status: unknown }).status).toEqual({ resources: {} });
    const name = created.metadata.name;

    const creating = await show(s, name);
    expect(creating.status.phase).toBe('Creating');
    expect(creating.status.scope).toEqual([{ scopeType: 'Train', state: 'Enabling' }]);
    expect(counts(creating, 'modelarts.vm.cpu.8ud')).toEqual({
      creating: 1,
      available: 0,
      abnormal: 0,
      deleting: 0,
    });

    s.advance(PROVISION - 1);
    expect((await show(s, name)).status.phase).toBe('Creating');
    s.advance(1);
    const running = await show(s, name);
    expect(running.status.phase).toBe('Running');
    expect(running.status.scope).toEqual([{ scopeType: 'Train', state: 'Enabled' }]);
    expect(running.status.resources?.available).toEqual([
      { flavor: 'modelarts.vm.cpu.8ud', count: 1, azs: [{ az: 'cn-north-4a', count: 1 }] },
    ]);
  });

  it('a PATCH while the pool is still Creating is refused', async () => {
    const s = await start();
    const name = s.seedPool(seedCreatePhysicalPoolRequest(), { settled: false }).metadata.name;
    const response = await patch(s, name, {
      spec: { resources: [{ flavor: 'modelarts.vm.cpu.8ud', count: 2 }] },
    });
    expect(response.status).toBe(400);
    expect(errorOf(response).error_msg).toContain('not running');
  });

  it('a logical pool has no nodes of its own and is Running at once', async () => {
    const s = await start();
    const name = s.seedPool({
      kind: 'Pool',
      apiVersion: 'v2',
      metadata: { labels: { 'os.modelarts/name': 'logic-a' } },
      spec: { type: 'Logical', resources: [{ flavor: 'modelarts.vm.gpu.tnt004', count: 2, maxCount: 4 }] },
    }).metadata.name;
    const pool = await show(s, name);
    expect(pool.status.phase).toBe('Running');
    expect(pool.status.resources).toEqual({});
  });
});

describe('scaling', () => {
  it('replays the seed update example: 2 → 3 answers 1 creating + 2 available, Running, spec exactly as sent', async () => {
    const s = await start();
    const name = s.seedPool(seedUpdateTargetPoolRequest()).metadata.name;
    const response = await patch(s, name, seedUpdatePoolRequest());
    expect(response.status).toBe(200);
    const pool = PoolSchema.parse(response.json);
    expect(pool.status.phase).toBe('Running');
    expect(pool.spec.resources).toEqual(seedUpdatePoolRequest().spec?.resources);
    expect(counts(pool, 'modelarts.vm.cpu.4ud')).toEqual({
      creating: 1,
      available: 2,
      abnormal: 0,
      deleting: 0,
    });

    s.advance(PROVISION);
    expect(counts(await show(s, name), 'modelarts.vm.cpu.4ud')).toEqual({
      creating: 0,
      available: 3,
      abnormal: 0,
      deleting: 0,
    });
  });

  it('places nodes per AZ exactly as azs says', async () => {
    const s = await start();
    const name = s.seedPool(demoPool()).metadata.name;
    const { resources } = (await show(s, name)).spec;
    const body = placeGpu(resources, { 'cn-north-4a': 1, 'cn-north-4b': 4 });
    const after = PoolSchema.parse((await patch(s, name, body)).json);
    expect(azsOf(after, 'creating', DEMO_FLAVORS.gpu)).toEqual([{ az: 'cn-north-4b', count: 3 }]);
    expect(azsOf(after, 'available', DEMO_FLAVORS.gpu)).toEqual([
      { az: 'cn-north-4a', count: 1 },
      { az: 'cn-north-4b', count: 1 },
    ]);
    expect(counts(after, DEMO_FLAVORS.npu)).toEqual({ creating: 0, available: 2, abnormal: 0, deleting: 0 });
  });

  it('without azs spreads new nodes over the AZs with the fewest of the flavor', async () => {
    const s = await start();
    const name = s.seedPool(seedUpdateTargetPoolRequest()).metadata.name;
    const after = PoolSchema.parse(
      (await patch(s, name, { spec: { resources: [{ flavor: 'modelarts.vm.cpu.4ud', count: 6 }] } })).json,
    );
    expect(azsOf(after, 'available', 'modelarts.vm.cpu.4ud')).toEqual([
      { az: 'cn-north-4a', count: 1 },
      { az: 'cn-north-4b', count: 1 },
    ]);
    expect(azsOf(after, 'creating', 'modelarts.vm.cpu.4ud')).toEqual([
      { az: 'cn-north-4a', count: 1 },
      { az: 'cn-north-4b', count: 1 },
      { az: 'cn-north-4c', count: 2 },
    ]);
  });

  it('scale-in: removed nodes are deleting for the deletion delay, then gone; creating nodes go first', async () => {
    const s = await start();
    const name = s.seedPool(seedUpdateTargetPoolRequest()).metadata.name;
    await patch(s, name, { spec: { resources: [{ flavor: 'modelarts.vm.cpu.4ud', count: 4 }] } });
    s.advance(1_000);
    const shrunk = PoolSchema.parse(
      (await patch(s, name, { spec: { resources: [{ flavor: 'modelarts.vm.cpu.4ud', count: 1 }] } })).json,
    );
    expect(shrunk.status.phase).toBe('Running');
    expect(counts(shrunk, 'modelarts.vm.cpu.4ud')).toEqual({
      creating: 0,
      available: 1,
      abnormal: 0,
      deleting: 3,
    });

    s.advance(DELETION - 1);
    expect(counts(await show(s, name), 'modelarts.vm.cpu.4ud').deleting).toBe(3);
    s.advance(1);
    expect(counts(await show(s, name), 'modelarts.vm.cpu.4ud')).toEqual({
      creating: 0,
      available: 1,
      abnormal: 0,
      deleting: 0,
    });
  });

  it('an identical repeated PATCH changes nothing', async () => {
    const s = await start();
    const name = s.seedPool(seedUpdateTargetPoolRequest()).metadata.name;
    const first = PoolSchema.parse((await patch(s, name, seedUpdatePoolRequest())).json);
    const second = PoolSchema.parse((await patch(s, name, seedUpdatePoolRequest())).json);
    expect(second.status.resources).toEqual(first.status.resources);
  });

  it('a pinned phase (e.g. Error) blocks resizing until released', async () => {
    const s = await start();
    const name = s.seedPool(seedUpdateTargetPoolRequest()).metadata.name;
    s.setPoolPhase(name, 'Error');
    expect((await show(s, name)).status.phase).toBe('Error');
    expect((await patch(s, name, seedUpdatePoolRequest())).status).toBe(400);
    s.setPoolPhase(name, undefined);
    expect((await patch(s, name, seedUpdatePoolRequest())).status).toBe(200);
  });
});

describe('capacity limits', () => {
  it('nodes beyond an AZ limit stay creating and the pool stays Running', async () => {
    const s = await start({ azCapacity: { 'cn-north-4a': 2 } });
    const name = s.seedPool(demoPool()).metadata.name;
    const { resources } = (await show(s, name)).spec;
    const body = placeGpu(resources, { 'cn-north-4a': 2, 'cn-north-4b': 1 });
    expect((await patch(s, name, body)).status).toBe(200);
    s.advance(10 * PROVISION);
    const pool = await show(s, name);
    expect(pool.status.phase).toBe('Running');
    expect(azsOf(pool, 'creating', DEMO_FLAVORS.gpu)).toEqual([{ az: 'cn-north-4a', count: 1 }]);
    expect(counts(pool, DEMO_FLAVORS.gpu).available).toBe(2);
  });

  it('capacity freed by a deletion goes to the waiting node at that moment', async () => {
    const s = await start({ azCapacity: { 'cn-north-4a': { [DEMO_FLAVORS.gpu]: 1 } } });
    const name = s.seedPool(demoPool()).metadata.name;
    const { resources } = (await show(s, name)).spec;
    const grow = placeGpu(resources, { 'cn-north-4a': 2, 'cn-north-4b': 1 });
    await patch(s, name, grow);
    // The limit covers only the GPU flavor: NPU nodes in the same AZ are unaffected.
    expect(counts(await show(s, name), DEMO_FLAVORS.npu).available).toBe(2);

    s.advance(1_000);
    const moved = placeGpu(resources, { 'cn-north-4a': 1, 'cn-north-4b': 2 });
    const afterMove = PoolSchema.parse((await patch(s, name, moved)).json);
    // The waiting node is the one scale-in picks first in cn-north-4a, so the available one stays.
    expect(azsOf(afterMove, 'available', DEMO_FLAVORS.gpu)).toEqual([
      { az: 'cn-north-4a', count: 1 },
      { az: 'cn-north-4b', count: 1 },
    ]);
    expect(azsOf(afterMove, 'creating', DEMO_FLAVORS.gpu)).toEqual([{ az: 'cn-north-4b', count: 1 }]);
  });

  it('a waiting node is placed when capacity frees up and is available a provisioning delay later', async () => {
    const s = await start({ azCapacity: { 'cn-north-4a': 1 } });
    const a = s.seedPool(seedUpdateTargetPoolRequest()).metadata.name; // 2 nodes: cn-north-4a and cn-north-4b
    await patch(s, a, {
      spec: {
        resources: [{ flavor: 'modelarts.vm.cpu.4ud', count: 2, azs: [{ az: 'cn-north-4a', count: 2 }] }],
      },
    });
    let pool = await show(s, a);
    expect(azsOf(pool, 'creating', 'modelarts.vm.cpu.4ud')).toEqual([{ az: 'cn-north-4a', count: 1 }]);
    expect(azsOf(pool, 'deleting', 'modelarts.vm.cpu.4ud')).toEqual([{ az: 'cn-north-4b', count: 1 }]);

    s.setCapacity({ 'cn-north-4a': 2 });
    s.advance(PROVISION);
    pool = await show(s, a);
    expect(azsOf(pool, 'available', 'modelarts.vm.cpu.4ud')).toEqual([{ az: 'cn-north-4a', count: 2 }]);
    expect(pool.status.resources?.deleting).toBeUndefined();
  });

  it('with abnormalAfterMs nodes that found no capacity turn abnormal and the pool Abnormal, refusing resizes', async () => {
    const s = await start({
      azCapacity: { 'cn-north-4a': 1, 'cn-north-4b': 1, 'cn-north-4c': 1 },
      abnormalAfterMs: 120_000,
    });
    const name = s.seedPool(seedUpdateTargetPoolRequest()).metadata.name;
    await patch(s, name, { spec: { resources: [{ flavor: 'modelarts.vm.cpu.4ud', count: 4 }] } });
    s.advance(119_999);
    expect((await show(s, name)).status.phase).toBe('Running');
    s.advance(1);
    const pool = await show(s, name);
    expect(pool.status.phase).toBe('Abnormal');
    expect(pool.status.message).toMatch(
      /^insufficient capacity of modelarts\.vm\.cpu\.4ud in cn-north-4[abc] \(simulated\)$/,
    );
    expect(counts(pool, 'modelarts.vm.cpu.4ud').abnormal).toBe(1);
    expect((await patch(s, name, seedUpdatePoolRequest())).status).toBe(400);
  });

  it('a pool whose initial nodes find no capacity ends CreationFailed and lists under status=failed', async () => {
    const s = await start({
      azCapacity: { 'cn-north-4a': 0, 'cn-north-4b': 0, 'cn-north-4c': 0 },
      abnormalAfterMs: 60_000,
    });
    const response = await sendJson(poolsUrl(s), 'POST', seedCreatePhysicalPoolRequest());
    const name = PoolSchema.parse(response.json).metadata.name;
    expect((await show(s, name)).status.phase).toBe('Creating');
    s.advance(60_000);
    expect((await show(s, name)).status.phase).toBe('CreationFailed');
    const failed = await sendJson(`${poolsUrl(s)}?status=failed`, 'GET');
    expect((failed.json as { items: Pool[] }).items.map((p) => p.metadata.name)).toEqual([name]);
  });
});

describe('pool deletion', () => {
  it('DELETE answers the pool as it was, shows Deleting, and the pool is gone after the deletion delay', async () => {
    const s = await start();
    const name = s.seedPool(seedUpdateTargetPoolRequest()).metadata.name;
    const response = await sendJson(`${poolsUrl(s)}/${name}`, 'DELETE');
    expect(response.status).toBe(200);
    expect(PoolSchema.parse(response.json).status.phase).toBe('Running');
    const deleting = await show(s, name);
    expect(deleting.status.phase).toBe('Deleting');
    expect(counts(deleting, 'modelarts.vm.cpu.4ud').deleting).toBe(2);
    s.advance(DELETION);
    expect((await sendJson(`${poolsUrl(s)}/${name}`, 'GET')).status).toBe(404);
  });
});
