import { afterEach, describe, expect, it } from 'vitest';
import { startModelArtsSimulator, type ModelArtsSimulator } from '../../simulator';
import { errorOf, send, sendJson } from './http';
import { AZ_A, AZ_B, batchDelete, GPU, NPU, poolRequest, thisHour, urls } from './pools';

const DELETION = 60_000;

let sim: ModelArtsSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(): Promise<ModelArtsSimulator> {
  const t0 = thisHour();
  sim = await startModelArtsSimulator({
    provisioningDelayMs: 300_000,
    deletionDelayMs: DELETION,
    availabilityZones: [AZ_A, AZ_B],
    now: () => t0,
  });
  return sim;
}

function names(s: ModelArtsSimulator, pool: string, flavor?: string, az?: string): string[] {
  return s
    .nodes(pool)
    .filter(
      (node) =>
        (flavor === undefined || node.spec.flavor === flavor) && (az === undefined || node.status.az === az),
    )
    .map((node) => node.metadata.name);
}

function entry(s: ModelArtsSimulator, pool: string, flavor: string) {
  return s.pool(pool)?.spec.resources.find((resource) => resource.flavor === flavor);
}

describe('nodes/batch-delete', () => {
  it('deletes the named nodes and lowers count, maxCount and the AZ count of their entry', async () => {
    const s = await start();
    const pool = s.seedPool(
      poolRequest('bd-lower', [
        { flavor: GPU, count: 3, azs: { [AZ_A]: 2, [AZ_B]: 1 } },
        { flavor: NPU, count: 1 },
      ]),
    ).metadata.name;
    const victim = names(s, pool, GPU, AZ_A)[0];
    const response = await batchDelete(s, pool, [victim]);
    expect(response.status).toBe(200);
    expect(response.json).toEqual({});
    expect(entry(s, pool, GPU)).toMatchObject({
      count: 2,
      maxCount: 2,
      azs: [
        { az: AZ_A, count: 1 },
        { az: AZ_B, count: 1 },
      ],
    });
    expect(entry(s, pool, NPU)).toMatchObject({ count: 1, maxCount: 1 });
    expect(s.nodes(pool).find((node) => node.metadata.name === victim)?.status.phase).toBe('Deleting');
    expect(s.pool(pool)?.status.resources?.deleting).toEqual([
      { flavor: GPU, count: 1, azs: [{ az: AZ_A, count: 1 }] },
    ]);
    s.advance(DELETION);
    expect(names(s, pool, GPU)).toHaveLength(2);
    expect(names(s, pool)).not.toContain(victim);
    // The lowered spec is what the pool keeps: nothing grows back.
    s.advance(3_600_000);
    expect(names(s, pool, GPU)).toHaveLength(2);
  });

  it('accepts a node already deleting once more, without lowering anything again', async () => {
    const s = await start();
    const pool = s.seedPool(poolRequest('bd-again', [{ flavor: GPU, count: 3 }])).metadata.name;
    const [victim] = names(s, pool);
    expect((await batchDelete(s, pool, [victim])).status).toBe(200);
    expect(entry(s, pool, GPU)?.count).toBe(2);
    expect((await batchDelete(s, pool, [victim])).status).toBe(200);
    expect(entry(s, pool, GPU)?.count).toBe(2);
  });

  it.each([
    ['an unknown node', () => ['os-node-created-nope0'], 'node os-node-created-nope0 not found in the pool'],
    ['a repeated node', (all: string[]) => [all[0], all[0]], 'deleteNodeNames: must not repeat a node'],
    ['no node', () => [], 'deleteNodeNames: must name at least one node'],
    ['an empty name', () => [''], 'deleteNodeNames[0]: must not be empty'],
    ['a name that is not a string', () => [7], 'deleteNodeNames[0]'],
    ['every node of the pool', (all: string[]) => all, 'at least one node must stay in the pool'],
  ])('refuses %s with 400 naming the problem, changing nothing', async (_name, choose, message) => {
    const s = await start();
    const pool = s.seedPool(poolRequest('bd-refuse', [{ flavor: GPU, count: 2 }])).metadata.name;
    const before = s.pool(pool);
    const response = await batchDelete(s, pool, choose(names(s, pool)));
    expect(response.status).toBe(400);
    expect(errorOf(response).error_code).toBe('ModelArts.50004000');
    expect(errorOf(response).error_msg).toContain(message);
    expect(s.pool(pool)).toEqual(before);
  });

  it('refuses a body without deleteNodeNames, and malformed JSON', async () => {
    const s = await start();
    const pool = s.seedPool(poolRequest('bd-body', [{ flavor: GPU, count: 2 }])).metadata.name;
    const missing = await sendJson(`${urls(s, pool).nodes}/batch-delete`, 'POST', {});
    expect(errorOf(missing).error_msg).toContain('deleteNodeNames');
    const malformed = await send(`${urls(s, pool).nodes}/batch-delete`, { method: 'POST', body: '{' });
    expect(malformed.status).toBe(400);
    expect(errorOf(malformed).error_msg).toContain('malformed JSON');
  });

  it('refuses to leave a flavor entry without a node, even when the pool keeps others', async () => {
    const s = await start();
    const pool = s.seedPool(
      poolRequest('bd-entry', [
        { flavor: GPU, count: 1 },
        { flavor: NPU, count: 1 },
      ]),
    ).metadata.name;
    const response = await batchDelete(s, pool, names(s, pool, GPU));
    expect(response.status).toBe(400);
    expect(errorOf(response).error_msg).toContain(`flavor ${GPU} would be left without a node`);
  });

  it('refuses yearly/monthly nodes: they are unsubscribed through billing', async () => {
    const s = await start();
    const pool = s.seedPool(
      poolRequest('bd-prepaid', [
        { flavor: GPU, count: 2, extendParams: { 'os.modelarts/billing.mode': '1' } },
        { flavor: NPU, count: 2 },
      ]),
    ).metadata.name;
    const [prepaid] = names(s, pool, GPU);
    const response = await batchDelete(s, pool, [prepaid, names(s, pool, NPU)[0]]);
    expect(response.status).toBe(400);
    expect(errorOf(response).error_msg).toContain(
      `node ${prepaid} is billed yearly/monthly; unsubscribe it instead`,
    );
    expect(entry(s, pool, NPU)?.count).toBe(2);
  });

  it('deletes a node that runs workloads, as the service allows: they fail and are counted as killed', async () => {
    const s = await start();
    const pool = s.seedPool(poolRequest('bd-busy', [{ flavor: GPU, count: 2 }])).metadata.name;
    const running = s.submitWorkload(pool, { flavor: GPU, accelerators: 8, jobName: 'busy' });
    const queued = s.submitWorkload(pool, { flavor: GPU, accelerators: 8, jobName: 'next' });
    const waiting = s.submitWorkload(pool, { flavor: GPU, accelerators: 8, jobName: 'waiting' });
    expect([running.status, queued.status, waiting.status]).toEqual(['Running', 'Running', 'Queue']);
    const response = await batchDelete(s, pool, running.nodes);
    expect(response.status).toBe(200);
    const after = s.workloads(pool);
    expect(after.find((w) => w.uid === running.uid)).toMatchObject({
      status: 'Failed',
      killed: true,
      reason: `node ${running.nodes[0]} was removed: it was deleted with nodes/batch-delete`,
    });
    expect(after.find((w) => w.uid === queued.uid)?.status).toBe('Running');
    expect(after.find((w) => w.uid === waiting.uid)?.status).toBe('Queue');
    expect(s.killedWorkloads(pool)).toBe(1);
    const control = await sendJson(urls(s, pool).control, 'GET');
    expect(control.json).toEqual({ pool, exists: true, killedWorkloads: 1 });
  });

  it('404 ModelArts.50015001 for an unknown pool; 400 once the pool is being deleted', async () => {
    const s = await start();
    const unknown = await batchDelete(s, `nope-${s.projectId}`, ['x']);
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown).error_code).toBe('ModelArts.50015001');
    const pool = s.seedPool(poolRequest('bd-deleted', [{ flavor: GPU, count: 2 }])).metadata.name;
    const [first] = names(s, pool);
    expect((await sendJson(urls(s, pool).pool, 'DELETE')).status).toBe(200);
    const response = await batchDelete(s, pool, [first]);
    expect(response.status).toBe(400);
    expect(errorOf(response).error_msg).toContain('is being deleted');
  });

  it('GET nodes/batch-delete is a node of that name, not the deletion', async () => {
    const s = await start();
    const pool = s.seedPool(poolRequest('bd-get', [{ flavor: GPU, count: 2 }])).metadata.name;
    const response = await sendJson(`${urls(s, pool).nodes}/batch-delete`, 'GET');
    expect(response.status).toBe(404);
    expect(errorOf(response).error_code).toBe('ModelArts.50015002');
  });
});
