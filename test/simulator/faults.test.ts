import { afterEach, describe, expect, it } from 'vitest';
import {
  seedUpdatePoolRequest,
  seedUpdateTargetPoolRequest,
  startModelArtsSimulator,
  type FaultRule,
  type ModelArtsSimulator,
} from '../../simulator';
import { errorOf, send, sendJson } from './http';

let sim: ModelArtsSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(faults: FaultRule[] = [], seed = 1) {
  sim = await startModelArtsSimulator({ provisioningDelayMs: 0, faults, seed });
  const name = sim.seedPool(seedUpdateTargetPoolRequest()).metadata.name;
  const pools = `${sim.url}/v2/${sim.projectId}/pools`;
  return { sim, pools, pool: `${pools}/${name}`, name };
}

const patchBody = () => seedUpdatePoolRequest();
const patchOf = (url: string) => sendJson(url, 'PATCH', patchBody(), 'application/merge-patch+json');

describe('fault injection', () => {
  it('throttles a route with 429 APIGW.0308 and Retry-After, leaving other routes alone', async () => {
    const { pool, pools } = await start([
      { method: 'PATCH', path: '/v2/*/pools/*', action: { type: 'throttle', retryAfterSeconds: 3 } },
    ]);
    const throttled = await patchOf(pool);
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('3');
    expect(errorOf(throttled).error_code).toBe('APIGW.0308');
    expect((await sendJson(pool, 'GET')).status).toBe(200);
    expect((await sendJson(pools, 'GET')).status).toBe(200);
  });

  it('a throttled PATCH is not applied', async () => {
    const { sim, pool, name } = await start([{ method: 'PATCH', action: { type: 'throttle' } }]);
    const throttled = await patchOf(pool);
    expect(throttled.headers['retry-after']).toBeUndefined();
    expect(sim.pool(name)?.spec.resources[0]?.count).toBe(2);
  });

  it('answers 500 ModelArts.50005000 and the gateway 502/503/504 bodies', async () => {
    const { sim, pool } = await start([{ action: { type: 'error', status: 500 } }]);
    expect(await sendJson(pool, 'GET').then((r) => [r.status, r.json])).toEqual([
      500,
      { error_code: 'ModelArts.50005000', error_msg: 'internal error' },
    ]);
    for (const status of [502, 503, 504] as const) {
      sim.setFaults([{ action: { type: 'error', status } }]);
      const response = await sendJson(pool, 'GET');
      expect(response.status).toBe(status);
      expect(errorOf(response).error_code).toBe('APIGW.0201');
    }
  });

  it('drops the connection without an answer', async () => {
    const { sim, pool } = await start([{ method: 'GET', action: { type: 'drop' } }]);
    await expect(sendJson(pool, 'GET')).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(sim.requestLog.at(-1)).toMatchObject({ method: 'GET', status: 0, fault: 'drop' });
  });

  it('times and nth choose which matching requests are hit', async () => {
    const { sim, pool } = await start([{ method: 'GET', times: 2, action: { type: 'error', status: 500 } }]);
    const first = await Promise.all([1, 2, 3].map(() => sendJson(pool, 'GET').then((r) => r.status)));
    expect(first.sort()).toEqual([200, 500, 500]);
    sim.setFaults([{ method: 'GET', nth: [2, 4], action: { type: 'error', status: 500 } }]);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await sendJson(pool, 'GET')).status);
    expect(statuses).toEqual([200, 500, 200, 500, 200]);
  });

  it('probabilistic faults replay identically for the same seed', async () => {
    const rules: FaultRule[] = [{ method: 'GET', probability: 0.5, action: { type: 'error', status: 500 } }];
    const run = async (seed: number) => {
      const { pool } = await start(rules, seed);
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await sendJson(pool, 'GET')).status);
      await sim?.close();
      sim = undefined;
      return statuses;
    };
    const first = await run(7);
    expect(await run(7)).toEqual(first);
    expect(first).toContain(200);
    expect(first).toContain(500);
  });

  it('added latency holds requests open, which the per-pool concurrency tracker sees', async () => {
    const { sim, pool, name } = await start([{ method: 'PATCH', action: { type: 'latency', ms: 200 } }]);
    const responses = await Promise.all([patchOf(pool), patchOf(pool), patchOf(pool)]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(sim.maxConcurrentPatches(name)).toBe(3);
    expect(sim.patchesInFlight()).toEqual({});
    expect(sim.requestLog.filter((e) => e.method === 'PATCH').map((e) => e.fault)).toEqual([
      'latency 200ms',
      'latency 200ms',
      'latency 200ms',
    ]);
  });

  it('latency and a terminal fault combine: the error comes after the delay', async () => {
    const { sim, pool } = await start([
      { method: 'GET', action: { type: 'latency', ms: 10 } },
      { method: 'GET', action: { type: 'throttle' } },
    ]);
    expect((await sendJson(pool, 'GET')).status).toBe(429);
    expect(sim.requestLog.at(-1)?.fault).toBe('latency 10ms, throttle');
  });

  it('a RegExp path matches too, and setFaults([]) clears every rule', async () => {
    const { sim, pools } = await start([{ path: /\/pools$/, action: { type: 'error', status: 503 } }]);
    expect((await sendJson(pools, 'GET')).status).toBe(503);
    sim.setFaults([]);
    expect((await sendJson(pools, 'GET')).status).toBe(200);
  });
});

describe('request log', () => {
  it('records method, path, query, status, time, body size, the parsed patch and the pool', async () => {
    const clock = Date.UTC(2026, 10, 23, 10, 0, 0);
    sim = await startModelArtsSimulator({ provisioningDelayMs: 0, now: () => clock });
    const name = sim.seedPool(seedUpdateTargetPoolRequest()).metadata.name;
    const pools = `${sim.url}/v2/${sim.projectId}/pools`;
    await sendJson(`${pools}?status=created`, 'GET');
    const text = JSON.stringify(patchBody());
    await send(`${pools}/${name}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: text,
    });
    expect(sim.requestLog).toEqual([
      {
        method: 'GET',
        path: `/v2/${sim.projectId}/pools`,
        query: { status: 'created' },
        status: 200,
        at: clock,
        signatureValid: null,
        authMethod: 'none',
        bodyBytes: 0,
      },
      {
        method: 'PATCH',
        path: `/v2/${sim.projectId}/pools/${name}`,
        query: {},
        status: 200,
        at: clock,
        signatureValid: null,
        authMethod: 'none',
        bodyBytes: Buffer.byteLength(text),
        body: patchBody(),
        patch: patchBody(),
        pool: name,
      },
    ]);
    sim.clearRequestLog();
    expect(sim.requestLog).toEqual([]);
    expect(sim.maxConcurrentPatches(name)).toBe(0);
  });

  it('keeps only the newest entries past requestLogLimit', async () => {
    sim = await startModelArtsSimulator({ requestLogLimit: 2 });
    const pools = `${sim.url}/v2/${sim.projectId}/pools`;
    for (const status of ['created', 'creating', 'failed'])
      await sendJson(`${pools}?status=${status}`, 'GET');
    expect(sim.requestLog.map((e) => e.query.status)).toEqual(['creating', 'failed']);
  });
});
