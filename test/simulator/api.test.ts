import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolListSchema, PoolSchema, type Pool } from '../../functions/shared/modelarts/schemas';
import {
  DEFAULT_PROJECT_ID,
  seedCreateLogicalPoolRequest,
  seedCreatePhysicalPoolRequest,
  seedUpdatePoolRequest,
  seedUpdateTargetPoolRequest,
  startModelArtsSimulator,
  type ModelArtsSimulator,
} from '../../simulator';
import { errorOf, send, sendJson } from './http';

describe('pool API routes and errors', () => {
  let sim: ModelArtsSimulator;
  let pools: string;
  let target: string;

  beforeAll(async () => {
    sim = await startModelArtsSimulator({ provisioningDelayMs: 0, maxBodyBytes: 64 * 1024 });
    pools = `${sim.url}/v2/${sim.projectId}/pools`;
    target = sim.seedPool(seedUpdateTargetPoolRequest()).metadata.name;
  });
  afterAll(() => sim.close());

  it('accepts the seed physical-pool example and answers in the seed response shape', async () => {
    const response = await sendJson(pools, 'POST', seedCreatePhysicalPoolRequest());
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json;charset=UTF-8');
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    const body = response.json as Pool;
    expect(Object.keys(body)).toEqual(['kind', 'apiVersion', 'metadata', 'spec', 'status']);
    expect(body.metadata.name).toBe(`pool-ae01-${DEFAULT_PROJECT_ID}`);
    expect(body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(body.metadata.labels).toMatchObject({
      'os.modelarts/name': 'pool-ae01',
      'os.modelarts/workspace.id': '0',
      'os.modelarts/node.prefix': '',
      'os.modelarts/tenant.project.id': DEFAULT_PROJECT_ID,
      'os.modelarts.pool/biz': 'private',
    });
    expect(body.metadata.labels?.['os.modelarts/resource.id']).toMatch(/^maos-pool-ae01-[a-z0-9]{5}$/);
    expect(body.metadata.annotations).toMatchObject({
      'os.modelarts/billing.mode': '0',
      'os.modelarts.pool/subpools.count': '0',
    });
    expect(JSON.parse(body.metadata.annotations?.['os.modelarts/flavor.resource.ids'] ?? '{}')).toEqual({
      'modelarts.vm.cpu.8ud': expect.stringMatching(/^maos\.vm\.cpu\.8ud\.\d{10}$/),
    });
    expect(body.spec).toEqual({
      type: 'Dedicate',
      scope: ['Train'],
      resources: [{ flavor: 'modelarts.vm.cpu.8ud', count: 1, maxCount: 1 }],
      network: { name: 'network-21e1-6f5da086876d4cd084d36f8bd3346036' },
    });
    expect(body.status).toEqual({ resources: {} });
  });

  it('accepts the seed logical-pool example as printed (apiVersion v1, numeric billing mode)', async () => {
    const response = await sendJson(pools, 'POST', seedCreateLogicalPoolRequest());
    expect(response.status).toBe(200);
    const pool = PoolSchema.parse(response.json);
    expect(pool.apiVersion).toBe('v2');
    expect(pool.metadata.annotations?.['os.modelarts/billing.mode']).toBe('0');
  });

  it('409 ModelArts.50015000 when the label name already exists in the project', async () => {
    const response = await sendJson(pools, 'POST', seedUpdateTargetPoolRequest());
    expect(response.status).toBe(409);
    expect(response.json).toEqual({ error_code: 'ModelArts.50015000', error_msg: 'Pool already exists.' });
  });

  it.each([
    ['GET', undefined],
    ['PATCH', seedUpdatePoolRequest()],
    ['DELETE', undefined],
  ])('404 ModelArts.50015001 for %s of an unknown pool', async (method, body) => {
    const response = await sendJson(
      `${pools}/nope-${DEFAULT_PROJECT_ID}`,
      method,
      body,
      'application/merge-patch+json',
    );
    expect(response.status).toBe(404);
    expect(response.json).toEqual({ error_code: 'ModelArts.50015001', error_msg: 'pool not found' });
  });

  it.each(['text/plain', 'application/json-patch+json'])(
    'PATCH with Content-Type %s is 400 ModelArts.50004100',
    async (contentType) => {
      const response = await sendJson(`${pools}/${target}`, 'PATCH', seedUpdatePoolRequest(), contentType);
      expect(response.status).toBe(400);
      expect(response.json).toEqual({
        error_code: 'ModelArts.50004100',
        error_msg: 'Content type not supported',
      });
    },
  );

  it('PATCH without Content-Type is refused too, and merge-patch with a charset parameter is accepted', async () => {
    const bare = await send(`${pools}/${target}`, {
      method: 'PATCH',
      body: JSON.stringify(seedUpdatePoolRequest()),
    });
    expect(bare.status).toBe(400);
    const withCharset = await sendJson(
      `${pools}/${target}`,
      'PATCH',
      seedUpdatePoolRequest(),
      'application/merge-patch+json; charset=utf-8',
    );
    expect(withCharset.status).toBe(200);
  });

  it('unknown paths and methods get the gateway 404 APIGW.0101', async () => {
    const path = await sendJson(`${sim.url}/v3/${sim.projectId}/pools`, 'GET');
    expect(path.status).toBe(404);
    expect(errorOf(path).error_code).toBe('APIGW.0101');
    const method = await sendJson(`${pools}/${target}`, 'POST', {});
    expect(method.status).toBe(404);
    expect(errorOf(method).error_msg).toBe('The API does not exist.');
  });

  it('a body over the limit is 413 APIGW.0201', async () => {
    const response = await send(pools, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: 'x'.repeat(64 * 1024 + 1),
    });
    expect(response.status).toBe(413);
    expect(errorOf(response).error_code).toBe('APIGW.0201');
    expect(sim.requestLog.at(-1)).toMatchObject({ status: 413, bodyBytes: 64 * 1024 + 1 });
  });

  it('an X-Project-Id header that disagrees with the path is 403 APIGW.0302', async () => {
    const response = await send(`${pools}/${target}`, { headers: { 'X-Project-Id': 'another' } });
    expect(response.status).toBe(403);
    expect(errorOf(response).error_code).toBe('APIGW.0302');
  });
});

describe('listing pools', () => {
  let sim: ModelArtsSimulator;
  let pools: string;
  const label = (name: string, extra: Record<string, string> = {}) => {
    const body = seedUpdateTargetPoolRequest();
    body.metadata.labels = { 'os.modelarts/name': name, ...extra };
    return body;
  };
  const names = async (query: string) => {
    const response = await sendJson(`${pools}${query}`, 'GET');
    expect(response.status).toBe(200);
    return PoolListSchema.parse(response.json).items.map((p) => p.metadata.labels?.['os.modelarts/name']);
  };

  beforeAll(async () => {
    let clock = Date.UTC(2026, 0, 1);
    sim = await startModelArtsSimulator({ provisioningDelayMs: 60_000, now: () => (clock += 1_000) });
    pools = `${sim.url}/v2/${sim.projectId}/pools`;
    sim.seedPool(label('pool-a', { 'os.modelarts/sharing': 'shared' }));
    sim.seedPool(label('pool-b', { 'os.modelarts/sharing': 'unshared' }));
    sim.seedPool(label('pool-c'), { settled: false });
    sim.seedPool(label('pool-ws', { 'os.modelarts/workspace.id': 'ws-1' }));
    sim.seedPool(label('pool-other'), { projectId: 'another-project' });
  });
  afterAll(() => sim.close());

  it('answers a PoolList of the project, oldest first, in workspace "0" by default', async () => {
    const response = await sendJson(pools, 'GET');
    expect(response.json).toMatchObject({ apiVersion: 'v2', kind: 'PoolList' });
    expect(await names('')).toEqual(['pool-a', 'pool-b', 'pool-c']);
  });

  it.each([
    ['?workspaceId=ws-1', ['pool-ws']],
    ['?status=created', ['pool-a', 'pool-b']],
    ['?status=creating', ['pool-c']],
    ['?status=failed', []],
    ['?labelSelector=os.modelarts%2Fsharing%3Dshared', ['pool-a']],
    ['?labelSelector=os.modelarts%2Fsharing%21%3Dshared', ['pool-b', 'pool-c']],
    ['?labelSelector=os.modelarts%2Fsharing', ['pool-a', 'pool-b']],
    ['?labelSelector=%21os.modelarts%2Fsharing', ['pool-c']],
    ['?labelSelector=os.modelarts%2Fsharing%3D%3Dunshared%2Cos.modelarts%2Fname%3Dpool-b', ['pool-b']],
  ])('filters with %s', async (query, expected) => {
    expect(await names(query)).toEqual(expected);
  });

  it('an unknown status value is 400 naming status', async () => {
    const response = await sendJson(`${pools}?status=gone`, 'GET');
    expect(response.status).toBe(400);
    expect(errorOf(response).error_msg).toContain('status:');
  });
});

describe('a simulator serving one project', () => {
  it('refuses other projects with 403 APIGW.0302', async () => {
    const sim = await startModelArtsSimulator({ projectId: 'p-one' });
    try {
      expect((await sendJson(`${sim.url}/v2/p-one/pools`, 'GET')).status).toBe(200);
      const other = await sendJson(`${sim.url}/v2/p-two/pools`, 'GET');
      expect(other.status).toBe(403);
      expect(errorOf(other).error_code).toBe('APIGW.0302');
    } finally {
      await sim.close();
    }
  });
});
