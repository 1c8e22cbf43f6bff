/** The client against the ModelArts simulator over real HTTP. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ModelArtsApiError,
  ModelArtsClient,
  ModelArtsNetworkError,
  ModelArtsTimeoutError,
  CreatePoolRequestSchema,
  type AttemptInfo,
  type CreatePoolRequest,
  type ModelArtsClientOptions,
} from '../../functions/shared/modelarts';
import {
  seedCreateLogicalPoolRequest,
  seedCreatePhysicalPoolRequest,
  startModelArtsSimulator,
  type ModelArtsSimulator,
} from '../../simulator';

const PROJECT = '6f5da086876d4cd084d36f8bd3346036';
const KEYS = { ak: 'AKSIMULATOR000000000', sk: 'SKsimulatorsecret000000000000000000000000' };
const TOKEN = 'iam-token-for-simulator';
const PROVISIONING_MS = 60_000;
const DELETION_MS = 30_000;

let simulator: ModelArtsSimulator;
let delays: number[];
let attempts: AttemptInfo[];

beforeAll(async () => {
  simulator = await startModelArtsSimulator({
    auth: KEYS,
    token: TOKEN,
    projectId: PROJECT,
    provisioningDelayMs: PROVISIONING_MS,
    deletionDelayMs: DELETION_MS,
  });
});

afterAll(async () => {
  await simulator.close();
});

beforeEach(() => {
  simulator.setFaults([]);
  simulator.clearRequestLog();
  delays = [];
  attempts = [];
});

function client(overrides: Partial<ModelArtsClientOptions> = {}): ModelArtsClient {
  return new ModelArtsClient({
    endpoint: simulator.url,
    projectId: PROJECT,
    credentials: KEYS,
    timeoutMs: 2_000,
    maxRetries: 3,
    baseDelayMs: 100,
    maxDelayMs: 10_000,
    random: () => 0.5,
    sleep: async (ms) => {
      delays.push(ms);
    },
    onAttempt: (info) => attempts.push(info),
    ...overrides,
  });
}

describe('pool lifecycle', () => {
  it('create → show → list → update → delete, every request signed and accepted', async () => {
    const c = client();
    const created = await c.createPool(CreatePoolRequestSchema.parse(seedCreatePhysicalPoolRequest()));
    const name = created.metadata.name;
    expect(name).toBe(`pool-ae01-${PROJECT}`);

    simulator.advance(PROVISIONING_MS + 1);
    const shown = await c.showPool(name);
    expect(shown.status.phase).toBe('Running');
    expect(shown.spec.resources).toEqual([
      expect.objectContaining({ flavor: 'modelarts.vm.cpu.8ud', count: 1 }),
    ]);

    const listed = await c.listPools({ labelSelector: 'os.modelarts/name=pool-ae01' });
    expect(listed.items.map((pool) => pool.metadata.name)).toContain(name);

    const resources = shown.spec.resources.map((entry) => ({ ...entry, count: 2, maxCount: 2 }));
    const updated = await c.updatePool(name, { spec: { resources } });
    expect(updated.spec.resources[0]).toMatchObject({ count: 2, maxCount: 2 });
    const scaling = await c.showPool(name);
    expect(scaling.status.resources?.creating?.[0]).toMatchObject({
      flavor: 'modelarts.vm.cpu.8ud',
      count: 1,
    });
    simulator.advance(PROVISIONING_MS + 1);
    const scaled = await c.showPool(name);
    expect(scaled.status.resources?.available?.[0]).toMatchObject({ count: 2 });

    const deleted = await c.deletePool(name);
    expect(deleted?.metadata.name).toBe(name);
    simulator.advance(DELETION_MS + 1);
    const gone = await c.showPool(name).catch((error: unknown) => error);
    expect(gone).toBeInstanceOf(ModelArtsApiError);
    expect(gone).toMatchObject({ status: 404, errorCode: 'ModelArts.50015001', poolNotFound: true });

    const log = simulator.requestLog;
    expect(log.map((entry) => entry.method)).toEqual([
      'POST',
      'GET',
      'GET',
      'PATCH',
      'GET',
      'GET',
      'DELETE',
      'GET',
    ]);
    expect(log.every((entry) => entry.authMethod === 'aksk' && entry.signatureValid === true)).toBe(true);
    const patch = log.find((entry) => entry.method === 'PATCH');
    expect(patch?.patch).toEqual({ spec: { resources } });
    expect(delays).toEqual([]);
  });

  it('reports 409 ModelArts.50015000 for a pool that exists, without retrying', async () => {
    const c = client();
    await c.createPool(CreatePoolRequestSchema.parse(seedCreateLogicalPoolRequest()));
    const error = await c
      .createPool(CreatePoolRequestSchema.parse(seedCreateLogicalPoolRequest()))
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      status: 409,
      errorCode: 'ModelArts.50015000',
      poolAlreadyExists: true,
      attempts: 1,
    });
    expect((error as ModelArtsApiError).requestId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('reports 400 ModelArts.50004000 naming the field, without retrying', async () => {
    const request = seedCreatePhysicalPoolRequest();
    request.metadata.labels['os.modelarts/name'] = 'X!';
    const error = await client()
      .createPool(request as CreatePoolRequest)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 400, errorCode: 'ModelArts.50004000', attempts: 1 });
    expect((error as ModelArtsApiError).errorMsg).toMatch(/os\.modelarts\/name/);
    expect(simulator.requestLog).toHaveLength(1);
  });

  it('authenticates with an IAM token', async () => {
    const list = await client({ credentials: { token: TOKEN } }).listPools();
    expect(Array.isArray(list.items)).toBe(true);
    expect(simulator.requestLog[0]).toMatchObject({ authMethod: 'token', status: 200 });
  });

  it('gets 401 for a wrong secret key and does not retry', async () => {
    const error = await client({ credentials: { ak: KEYS.ak, sk: `${KEYS.sk}x` } })
      .listPools()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ModelArtsApiError);
    expect(error).toMatchObject({ status: 401, attempts: 1 });
    expect((error as ModelArtsApiError).errorCode).toMatch(/\.0301$/);
    expect(simulator.requestLog).toHaveLength(1);
    expect(simulator.requestLog[0]?.signatureValid).toBe(false);
  });
});

describe('retries under injected faults', () => {
  it('waits as Retry-After says on 429 APIGW.0308, then succeeds', async () => {
    simulator.setFaults([{ method: 'GET', action: { type: 'throttle', retryAfterSeconds: 2 }, times: 2 }]);
    await client().listPools();
    expect(delays).toEqual([2_000, 2_000]);
    expect(simulator.requestLog.map((entry) => [entry.status, entry.errorCode])).toEqual([
      [429, 'APIGW.0308'],
      [429, 'APIGW.0308'],
      [200, undefined],
    ]);
    expect(attempts.map((a) => a.outcome)).toEqual(['retry', 'retry', 'success']);
  });

  it('backs off on 5xx and gives up after maxRetries', async () => {
    simulator.setFaults([{ action: { type: 'error', status: 503 } }]);
    const error = await client({ maxRetries: 2 })
      .listPools()
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 503, attempts: 3 });
    expect(delays).toEqual([50, 100]);
    expect(simulator.requestLog).toHaveLength(3);
  });

  it('retries a dropped connection', async () => {
    simulator.setFaults([{ action: { type: 'drop' }, times: 1 }]);
    await client().listPools();
    expect(attempts.map((a) => a.error ?? a.outcome)).toEqual([ModelArtsNetworkError.name, 'success']);
  });

  it('times out a slow answer and retries', async () => {
    simulator.setFaults([{ action: { type: 'latency', ms: 5_000 }, times: 1 }]);
    await client({ timeoutMs: 1_000 }).listPools();
    expect(attempts.map((a) => a.error ?? a.outcome)).toEqual([ModelArtsTimeoutError.name, 'success']);
  });

  it('does not retry 404 on PATCH', async () => {
    simulator.setFaults([{ method: 'GET', action: { type: 'error', status: 500 } }]);
    const error = await client()
      .updatePool(`missing-${PROJECT}`, {
        spec: { resources: [{ flavor: 'modelarts.vm.cpu.8ud', count: 1 }] },
      })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 404, errorCode: 'ModelArts.50015001', attempts: 1 });
  });
});
