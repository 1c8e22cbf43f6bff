import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ModelArtsApiError,
  ModelArtsClient,
  ModelArtsNetworkError,
  ModelArtsOutcomeUnknownError,
  ModelArtsRequestError,
  ModelArtsResponseError,
  ModelArtsTimeoutError,
  verifySignature,
  type AttemptInfo,
  type ModelArtsClientOptions,
} from '../../functions/shared/modelarts';
import {
  dropConnection,
  errorBody,
  json,
  slow,
  startScriptedServer,
  type Reply,
  type RecordedRequest,
  type ScriptedServer,
} from './scripted-server';

const PROJECT = '6f5da086876d4cd084d36f8bd3346036';
const POOL = `pool-ae01-${PROJECT}`;
const AK = 'AKTEST0000000000';
const SK = 'SKTESTsecret000000000000000000000000000';
const NODES = `/v2/${PROJECT}/pools/${POOL}/nodes`;
const WORKLOADS = `/v2/${PROJECT}/pools/${POOL}/workloads`;

function node(name: string): Record<string, unknown> {
  return {
    kind: 'Node',
    apiVersion: 'v2',
    metadata: { name, labels: { 'os.modelarts.node/nodepool': 'np' } },
    spec: { flavor: 'modelarts.vm.gpu.8v100' },
    status: { phase: 'Available', az: 'cn-north-4a', resources: { 'nvidia.com/gpu': '8' } },
  };
}

function nodePage(names: string[], next?: string): Reply {
  const metadata = next === undefined ? {} : { continue: next, remainingItemCount: 1 };
  return json(200, { apiVersion: 'v2', kind: 'NodeList', metadata, items: names.map(node) });
}

function workloadPage(uids: string[]): Reply {
  return json(200, {
    apiVersion: 'v1',
    kind: 'WorkloadList',
    items: uids.map((uid) => ({ uid, name: `w-${uid}`, status: 'Queue', flavor: 'modelarts.vm.gpu.8v100' })),
  });
}

let server: ScriptedServer;
let attempts: AttemptInfo[];
let beforeAttempts: string[];

beforeEach(async () => {
  server = await startScriptedServer();
  attempts = [];
  beforeAttempts = [];
});
afterEach(() => server.close());

function client(overrides: Partial<ModelArtsClientOptions> = {}): ModelArtsClient {
  return new ModelArtsClient({
    endpoint: server.url,
    projectId: PROJECT,
    credentials: { ak: AK, sk: SK },
    timeoutMs: 500,
    maxRetries: 3,
    baseDelayMs: 1,
    sleep: async () => {},
    onAttempt: (info) => attempts.push(info),
    beforeAttempt: async (info) => {
      beforeAttempts.push(`${info.method} ${info.attempt}`);
    },
    ...overrides,
  });
}

function verified(request: RecordedRequest): boolean {
  return verifySignature(
    { method: request.method, path: request.url, headers: request.headers, body: request.body },
    (ak) => (ak === AK ? SK : undefined),
    new Date(),
  ).ok;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('listPoolNodes', () => {
  it('follows metadata.continue until the last page and returns one list without paging metadata', async () => {
    server.script(nodePage(['n1', 'n2'], 'tok 1'), nodePage(['n3'], 'tok2'), nodePage(['n4']));
    const list = await client().listPoolNodes(POOL, { limit: 2 });
    expect(list.items.map((item) => item.metadata.name)).toEqual(['n1', 'n2', 'n3', 'n4']);
    expect(list.metadata).toEqual({});
    expect(list.kind).toBe('NodeList');
    expect(server.requests.map((r) => r.url)).toEqual([
      `${NODES}?limit=2`,
      `${NODES}?continue=tok%201&limit=2`,
      `${NODES}?continue=tok2&limit=2`,
    ]);
    expect(server.requests.every(verified)).toBe(true);
  });

  it('reads the single page of a region that ignores paging (no metadata at all)', async () => {
    server.script(json(200, { apiVersion: 'v2', kind: 'NodeList', items: [node('a'), node('b')] }));
    const list = await client().listPoolNodes(POOL);
    expect(list.items).toHaveLength(2);
    expect(server.requests.map((r) => r.url)).toEqual([`${NODES}?limit=500`]);
  });

  it('an empty continue token ends the listing', async () => {
    server.script(nodePage(['a'], ''));
    expect((await client().listPoolNodes(POOL)).items).toHaveLength(1);
  });

  it.each([
    ['repeats a token', [nodePage(['a'], 't'), nodePage(['b'], 't')], /page 2 repeats a token/],
    ['lists a node twice', [nodePage(['a'], 't'), nodePage(['a'])], /page 2 lists node a again/],
  ])('refuses a listing that %s', async (_name, replies, message) => {
    server.script(...replies);
    const error = await rejection(client().listPoolNodes(POOL));
    expect(error).toBeInstanceOf(ModelArtsResponseError);
    expect((error as Error).message).toMatch(message);
  });

  it('retries a throttled page like any read, through beforeAttempt', async () => {
    server.script(errorBody(429, 'APIGW.0308', 'throttled'), nodePage(['a']));
    await client().listPoolNodes(POOL);
    expect(beforeAttempts).toEqual(['GET 1', 'GET 2']);
  });

  it('404 ModelArts.50015001 surfaces as poolNotFound', async () => {
    server.script(errorBody(404, 'ModelArts.50015001', 'pool not found'));
    const error = await rejection(client().listPoolNodes(POOL));
    expect(error).toBeInstanceOf(ModelArtsApiError);
    expect((error as ModelArtsApiError).poolNotFound).toBe(true);
  });

  it('refuses a page size outside 1 to 500 before sending anything', async () => {
    await expect(client().listPoolNodes(POOL, { limit: 501 })).rejects.toThrow(/invalid query\.limit/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('showPoolNode', () => {
  it('GETs one node by name, encoded', async () => {
    server.script(json(200, node('os-node-created-zlncn')));
    const shown = await client().showPoolNode(POOL, 'os-node-created-zlncn');
    expect(shown.metadata.name).toBe('os-node-created-zlncn');
    expect(server.requests[0]?.url).toBe(`${NODES}/os-node-created-zlncn`);
    await expect(client().showPoolNode(POOL, '')).rejects.toBeInstanceOf(ModelArtsRequestError);
  });
});

describe('batchDeletePoolNodes', () => {
  it('POSTs the names as JSON, signed, and accepts an empty body, {} or any other 2xx body', async () => {
    server.script((_req, res) => res.writeHead(200).end(), json(200, {}), json(200, 'not json at all'));
    const c = client();
    for (let i = 0; i < 3; i++)
      await c.batchDeletePoolNodes(POOL, ['os-node-created-a', 'os-node-created-b']);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe(`${NODES}/batch-delete`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request!.body.toString())).toEqual({
      deleteNodeNames: ['os-node-created-a', 'os-node-created-b'],
    });
    expect(server.requests.every(verified)).toBe(true);
  });

  it.each([
    ['no names', []],
    ['a repeated name', ['a', 'a']],
    ['an empty name', ['']],
  ])('refuses %s before sending anything', async (_name, names) => {
    const error = await rejection(client().batchDeletePoolNodes(POOL, names));
    expect(error).toBeInstanceOf(ModelArtsRequestError);
    expect((error as ModelArtsRequestError).field).toMatch(/^request\.deleteNodeNames/);
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    ['429', errorBody(429, 'APIGW.0308', 'throttled')],
    ['500', errorBody(500, 'ModelArts.50005000', 'internal error')],
    ['502', errorBody(502, 'APIGW.0201', 'Backend unavailable.')],
    ['503', errorBody(503, 'APIGW.0201', 'Service unavailable.')],
  ])('retries after %s: the service answered, so it did not delete', async (_status, reply) => {
    server.script(reply, json(200, {}));
    await client().batchDeletePoolNodes(POOL, ['a']);
    expect(server.requests).toHaveLength(2);
    expect(beforeAttempts).toEqual(['POST 1', 'POST 2']);
  });

  it.each([
    ['a timeout', slow(2_000, json(200, {})), ModelArtsTimeoutError],
    ['a dropped connection', dropConnection, ModelArtsNetworkError],
    ['a gateway timeout (504)', errorBody(504, 'APIGW.0201', 'Backend timeout.'), ModelArtsApiError],
  ])('after %s it does not retry and says the outcome is unknown', async (_name, reply, causeClass) => {
    server.script(reply, json(200, {}));
    const error = await rejection(client().batchDeletePoolNodes(POOL, ['a']));
    expect(error).toBeInstanceOf(ModelArtsOutcomeUnknownError);
    const unknown = error as ModelArtsOutcomeUnknownError;
    expect(unknown.outcomeUnknown).toBe(true);
    expect(unknown.attempts).toBe(1);
    expect(unknown.cause).toBeInstanceOf(causeClass);
    expect(unknown.message).toMatch(/outcome unknown .*list the nodes before trying again/);
    expect(server.requests).toHaveLength(1);
    expect(attempts.map((a) => a.outcome)).toEqual(['failure']);
    expect(attempts[0]?.error).toBe('ModelArtsOutcomeUnknownError');
  });

  it('retries a refused connection: the request never left', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await rejection(
      client({ endpoint: `http://127.0.0.1:${port}`, maxRetries: 2 }).batchDeletePoolNodes(POOL, ['a']),
    );
    expect(error).toBeInstanceOf(ModelArtsNetworkError);
    expect((error as ModelArtsNetworkError).attempts).toBe(3);
  });

  it('a 400 is not retried', async () => {
    server.script(errorBody(400, 'ModelArts.50004000', 'Bad request. node a is billed yearly/monthly'));
    const error = await rejection(client().batchDeletePoolNodes(POOL, ['a']));
    expect(error).toBeInstanceOf(ModelArtsApiError);
    expect(server.requests).toHaveLength(1);
  });
});

describe('listPoolWorkloads', () => {
  it('reads every page from the offset until a short page, filters on every request', async () => {
    server.script(workloadPage(['1', '2']), workloadPage(['3', '4']), workloadPage(['5']));
    const list = await client().listPoolWorkloads(POOL, {
      type: 'train',
      status: 'Queue',
      sort: 'create_time',
      ascend: true,
      offset: 10,
      limit: 2,
    });
    expect(list.items.map((w) => w.uid)).toEqual(['1', '2', '3', '4', '5']);
    expect(list.kind).toBe('WorkloadList');
    expect(server.requests.map((r) => r.url)).toEqual([
      `${WORKLOADS}?ascend=true&limit=2&offset=10&sort=create_time&status=Queue&type=train`,
      `${WORKLOADS}?ascend=true&limit=2&offset=12&sort=create_time&status=Queue&type=train`,
      `${WORKLOADS}?ascend=true&limit=2&offset=14&sort=create_time&status=Queue&type=train`,
    ]);
    expect(server.requests.every(verified)).toBe(true);
  });

  it('an exactly full last page costs one more request that comes back empty', async () => {
    server.script(workloadPage(['1', '2']), workloadPage([]));
    expect((await client().listPoolWorkloads(POOL, { limit: 2 })).items).toHaveLength(2);
    expect(server.requests).toHaveLength(2);
  });

  it('with hostip makes one request, the IPs comma-separated as Huawei SDK sends them', async () => {
    server.script(workloadPage(['1']));
    await client().listPoolWorkloads(POOL, { hostip: ['192.168.0.11', '192.168.0.12'], limit: 1 });
    expect(server.requests.map((r) => r.url)).toEqual([`${WORKLOADS}?hostip=192.168.0.11%2C192.168.0.12`]);
  });

  it('refuses a service that ignores the offset and repeats a page', async () => {
    server.script(workloadPage(['1', '2']), workloadPage(['1', '2']));
    await expect(client().listPoolWorkloads(POOL, { limit: 2 })).rejects.toThrow(
      /page 2 lists workload 1 again/,
    );
  });

  it('refuses an unknown filter before sending anything', async () => {
    await expect(client().listPoolWorkloads(POOL, { flavor: 'x' } as never)).rejects.toBeInstanceOf(
      ModelArtsRequestError,
    );
    expect(server.requests).toHaveLength(0);
  });
});

describe('statistics', () => {
  it('showWorkloadStatistics and showPoolStatistics GET their paths', async () => {
    server.script(
      json(200, { statistics: { total: 1, items: [{ type: 'train', total: 1, status: { Queue: 1 } }] } }),
      json(200, { statistics: { status: { created: 1, creating: 0 } }, operationTime: 'now' }),
    );
    const c = client();
    expect((await c.showWorkloadStatistics(POOL)).statistics.items[0]?.status.Queue).toBe(1);
    expect((await c.showPoolStatistics()).statistics.status.created).toBe(1);
    expect(server.requests.map((r) => r.url)).toEqual([
      `/v2/${PROJECT}/statistics/pools/${POOL}/workloads`,
      `/v2/${PROJECT}/statistics/pools`,
    ]);
    expect(server.requests.every(verified)).toBe(true);
  });

  it('a statistics body of the wrong shape is a response error naming the field', async () => {
    server.script(json(200, { statistics: { total: -1 } }));
    const error = await rejection(client().showWorkloadStatistics(POOL));
    expect(error).toBeInstanceOf(ModelArtsResponseError);
    expect((error as ModelArtsResponseError).field).toBe('statistics.total');
  });
});
