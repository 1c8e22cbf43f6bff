import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InsecureEndpointError,
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
  type Pool,
  type UpdatePoolRequest,
} from '../../functions/shared/modelarts';
import {
  dropConnection,
  errorBody,
  json,
  slow,
  startScriptedServer,
  type RecordedRequest,
  type ScriptedServer,
} from './scripted-server';

const PROJECT = '6f5da086876d4cd084d36f8bd3346036';
const POOL_NAME = `pool-ae01-${PROJECT}`;
const AK = 'AKTEST0000000000';
const SK = 'SKTESTsecret000000000000000000000000000';

const POOL = {
  kind: 'Pool',
  apiVersion: 'v2',
  metadata: {
    name: POOL_NAME,
    creationTimestamp: '2024-10-24T12:42:43Z',
    labels: { 'os.modelarts/name': 'pool-ae01', 'os.modelarts/workspace.id': '0' },
    annotations: { 'os.modelarts/billing.mode': '0' },
  },
  spec: {
    type: 'Dedicate',
    scope: ['Train'],
    resources: [
      {
        flavor: 'modelarts.vm.gpu.8v100',
        count: 2,
        maxCount: 2,
        azs: [{ az: 'cn-north-4a', count: 2 }],
        extendParams: { dockerBaseSize: '100', futureKnob: true },
        taints: [{ key: 'gpu', effect: 'NoSchedule' }],
      },
    ],
    network: { name: 'network-21e1' },
  },
  status: {
    phase: 'Running',
    resources: {
      available: [{ flavor: 'modelarts.vm.gpu.8v100', count: 2, azs: [{ az: 'cn-north-4a', count: 2 }] }],
    },
  },
};

let server: ScriptedServer;
let delays: number[];
let attempts: AttemptInfo[];

beforeEach(async () => {
  server = await startScriptedServer();
  delays = [];
  attempts = [];
});

afterEach(async () => {
  await server.close();
});

function client(overrides: Partial<ModelArtsClientOptions> = {}): ModelArtsClient {
  return new ModelArtsClient({
    endpoint: server.url,
    projectId: PROJECT,
    credentials: { ak: AK, sk: SK },
    timeoutMs: 2_000,
    maxRetries: 3,
    baseDelayMs: 100,
    maxDelayMs: 5_000,
    random: () => 0.5,
    sleep: async (ms) => {
      delays.push(ms);
    },
    onAttempt: (info) => attempts.push(info),
    ...overrides,
  });
}

function verify(request: RecordedRequest): ReturnType<typeof verifySignature> {
  return verifySignature(
    { method: request.method, path: request.url, headers: request.headers, body: request.body },
    (ak) => (ak === AK ? SK : undefined),
    new Date(),
  );
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('requests', () => {
  it('showPool sends a signed GET and keeps fields the schema does not model', async () => {
    server.script(json(200, POOL, { 'X-Request-Id': 'r-1' }));
    const pool = await client().showPool(POOL_NAME);

    expect(pool.status.phase).toBe('Running');
    expect(pool.spec.resources[0]?.taints).toEqual([{ key: 'gpu', effect: 'NoSchedule' }]);
    expect(pool.spec.resources[0]?.extendParams).toEqual({ dockerBaseSize: '100', futureKnob: true });

    const [request] = server.requests;
    expect(request?.method).toBe('GET');
    expect(request?.url).toBe(`/v2/${PROJECT}/pools/${POOL_NAME}`);
    expect(request?.headers['x-project-id']).toBe(PROJECT);
    expect(request?.headers.authorization).toMatch(
      /^SDK-HMAC-SHA256 Access=AKTEST0000000000, SignedHeaders=host;x-project-id;x-sdk-date, Signature=[0-9a-f]{64}$/,
    );
    expect(verify(request!)).toEqual({ ok: true, ak: AK });
    expect(attempts).toEqual([
      expect.objectContaining({ method: 'GET', status: 200, attempt: 1, outcome: 'success' }),
    ]);
  });

  it('updatePool sends a merge patch whose exact bytes are signed', async () => {
    const patch: UpdatePoolRequest = {
      spec: {
        resources: [
          { ...POOL.spec.resources[0]!, count: 3, maxCount: 3, azs: [{ az: 'cn-north-4a', count: 3 }] },
        ],
      },
    };
    server.script(json(200, POOL));
    await client().updatePool(POOL_NAME, patch);

    const [request] = server.requests;
    expect(request?.method).toBe('PATCH');
    expect(request?.headers['content-type']).toBe('application/merge-patch+json');
    expect(request?.body.toString()).toBe(JSON.stringify(patch));
    expect(request?.headers.authorization).toContain(
      'SignedHeaders=content-type;host;x-project-id;x-sdk-date,',
    );
    expect(request?.headers['x-sdk-content-sha256']).toBeUndefined();
    expect(verify(request!).ok).toBe(true);
  });

  it('a PATCH built from a GET carries every field back', async () => {
    server.script(json(200, POOL), json(200, POOL));
    const c = client();
    const pool = await c.showPool(POOL_NAME);
    const resources = pool.spec.resources.map((entry) => ({ ...entry, count: 3, maxCount: 3 }));
    await c.updatePool(POOL_NAME, { spec: { resources } });
    const sent = JSON.parse(server.requests[1]!.body.toString()) as { spec: { resources: unknown[] } };
    expect(sent.spec.resources).toEqual([{ ...POOL.spec.resources[0], count: 3, maxCount: 3 }]);
  });

  it('createPool POSTs JSON; deletePool accepts an empty body', async () => {
    server.script(json(200, POOL), (_req, res) => res.writeHead(200).end());
    const c = client();
    await c.createPool({
      apiVersion: 'v2',
      kind: 'Pool',
      metadata: { labels: { 'os.modelarts/name': 'pool-ae01' } },
      spec: { type: 'Dedicate', resources: [{ flavor: 'modelarts.vm.cpu.8ud', count: 1 }] },
    });
    expect(await c.deletePool(POOL_NAME)).toBeUndefined();
    expect(server.requests.map((r) => `${r.method} ${r.url} ${r.headers['content-type'] ?? '-'}`)).toEqual([
      `POST /v2/${PROJECT}/pools application/json`,
      `DELETE /v2/${PROJECT}/pools/${POOL_NAME} -`,
    ]);
    expect(server.requests.every((r) => verify(r).ok)).toBe(true);
  });

  it('listPools encodes the query in canonical order and signs it', async () => {
    server.script(json(200, { apiVersion: 'v2', kind: 'PoolList', items: [POOL] }));
    const list = await client().listPools({ status: 'created', labelSelector: 'os.modelarts/name=pool a' });
    expect(list.items.map((p) => p.metadata.name)).toEqual([POOL_NAME]);
    expect(server.requests[0]?.url).toBe(
      `/v2/${PROJECT}/pools?labelSelector=os.modelarts%2Fname%3Dpool%20a&status=created`,
    );
    expect(verify(server.requests[0]!).ok).toBe(true);
  });

  it('encodes pool names in the path and rejects empty names and unknown filters', async () => {
    server.script(json(200, POOL));
    await client().showPool('odd name/../x');
    expect(server.requests[0]?.url).toBe(`/v2/${PROJECT}/pools/odd%20name%2F..%2Fx`);
    expect(verify(server.requests[0]!).ok).toBe(true);
    await expect(client().showPool('')).rejects.toBeInstanceOf(ModelArtsRequestError);
    const badQuery = await rejection(client().listPools({ sort: 'name' } as never));
    expect(badQuery).toBeInstanceOf(ModelArtsRequestError);
    expect((badQuery as ModelArtsRequestError).message).toMatch(/sort/);
  });

  it('uses X-Auth-Token and no signature with token credentials', async () => {
    server.script(json(200, POOL));
    await client({ credentials: { token: 'iam-token-value' } }).showPool(POOL_NAME);
    const [request] = server.requests;
    expect(request?.headers['x-auth-token']).toBe('iam-token-value');
    expect(request?.headers['x-project-id']).toBe(PROJECT);
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.headers['x-sdk-date']).toBeUndefined();
  });

  it('signs X-Security-Token for temporary credentials', async () => {
    server.script(json(200, POOL));
    await client({ credentials: { ak: AK, sk: SK, securityToken: 'sts-token' } }).showPool(POOL_NAME);
    const [request] = server.requests;
    expect(request?.headers['x-security-token']).toBe('sts-token');
    expect(request?.headers.authorization).toContain(
      'SignedHeaders=host;x-project-id;x-sdk-date;x-security-token,',
    );
    expect(verify(request!).ok).toBe(true);
  });

  it('does not follow redirects', async () => {
    server.script((_req, res) => res.writeHead(302, { Location: 'http://127.0.0.1:1/elsewhere' }).end());
    const error = await rejection(client().showPool(POOL_NAME));
    expect(error).toBeInstanceOf(ModelArtsApiError);
    expect((error as ModelArtsApiError).status).toBe(302);
    expect(server.requests).toHaveLength(1);
  });
});

describe('retries', () => {
  it('honours Retry-After in seconds on 429, then succeeds with a freshly signed request', async () => {
    server.script(
      errorBody(429, 'APIGW.0308', 'The throttling threshold has been reached.', { 'Retry-After': '3' }),
    );
    server.script(json(200, POOL));
    const pool = await client().showPool(POOL_NAME);
    expect(pool.metadata.name).toBe(POOL_NAME);
    expect(delays).toEqual([3_000]);
    expect(server.requests).toHaveLength(2);
    expect(server.requests.every((r) => verify(r).ok)).toBe(true);
    expect(attempts.map((a) => [a.attempt, a.status, a.outcome, a.retryInMs])).toEqual([
      [1, 429, 'retry', 3_000],
      [2, 200, 'success', undefined],
    ]);
  });

  it('honours Retry-After as an HTTP date, capped at maxDelayMs', async () => {
    const now = new Date('2026-11-23T12:00:00Z');
    server.script(
      errorBody(429, 'APIGW.0308', 'throttled', {
        'Retry-After': new Date(now.getTime() + 2_000).toUTCString(),
      }),
      errorBody(429, 'APIGW.0308', 'throttled', { 'Retry-After': '3600' }),
      json(200, POOL),
    );
    await client({ now: () => now }).showPool(POOL_NAME);
    expect(delays).toEqual([2_000, 5_000]);
  });

  it('backs off exponentially with full jitter on 5xx', async () => {
    server.script(
      errorBody(500, 'ModelArts.50005000', 'internal error'),
      errorBody(502, 'APIGW.0201', 'Backend unavailable.'),
      errorBody(503, 'APIGW.0201', 'Service unavailable'),
      json(200, POOL),
    );
    await client({ random: () => 0.5 }).showPool(POOL_NAME);
    // ceilings 100, 200, 400 ms; random 0.5 takes half of each
    expect(delays).toEqual([50, 100, 200]);
  });

  it('gives up after maxRetries and reports the last error with the number of attempts', async () => {
    server.script(...Array.from({ length: 5 }, () => errorBody(503, 'APIGW.0201', 'Backend unavailable.')));
    const error = await rejection(client({ maxRetries: 2 }).showPool(POOL_NAME));
    expect(error).toBeInstanceOf(ModelArtsApiError);
    expect(error).toMatchObject({ status: 503, errorCode: 'APIGW.0201', attempts: 3 });
    expect(server.requests).toHaveLength(3);
    expect(attempts.map((a) => a.outcome)).toEqual(['retry', 'retry', 'failure']);
  });

  it('retries a dropped connection as a network error', async () => {
    server.script(dropConnection, json(200, POOL));
    await client().showPool(POOL_NAME);
    expect(server.requests).toHaveLength(2);
    expect(attempts[0]).toMatchObject({
      outcome: 'retry',
      error: 'ModelArtsNetworkError',
      status: undefined,
    });
  });

  it.each([
    ['a throttle', errorBody(429, 'APIGW.0308', 'throttled')],
    ['a refusal', errorBody(400, 'ModelArts.50004000', 'bad request')],
    ['a server error', errorBody(503, 'APIGW.0201', 'Backend unavailable.')],
  ])(
    'a PATCH whose earlier attempt may have been applied ends in an unknown outcome, even after %s',
    async (_name, last) => {
      server.script(dropConnection, last);
      const error = await rejection(
        client({ maxRetries: 1 }).updatePool(POOL_NAME, { spec: { resources: [] } }),
      );
      expect(error).toBeInstanceOf(ModelArtsOutcomeUnknownError);
      expect(error).toMatchObject({ attempts: 2 });
      expect((error as ModelArtsOutcomeUnknownError).message).toMatch(/read the pool before trying again/);
      expect(server.requests).toHaveLength(2);
    },
  );

  it('a PATCH refused at every attempt ends in that refusal: nothing was applied', async () => {
    server.script(
      errorBody(503, 'APIGW.0201', 'Backend unavailable.'),
      errorBody(429, 'APIGW.0308', 'throttled'),
    );
    const error = await rejection(
      client({ maxRetries: 1 }).updatePool(POOL_NAME, { spec: { resources: [] } }),
    );
    expect(error).toBeInstanceOf(ModelArtsApiError);
    expect(error).toMatchObject({ status: 429, attempts: 2 });
  });

  it('reports a network error once retries are exhausted', async () => {
    server.script(dropConnection, dropConnection);
    const error = await rejection(client({ maxRetries: 1 }).showPool(POOL_NAME));
    expect(error).toBeInstanceOf(ModelArtsNetworkError);
    expect((error as ModelArtsNetworkError).attempts).toBe(2);
  });

  it('times out a slow response and retries it', async () => {
    server.script(slow(5_000, json(200, POOL)), json(200, POOL));
    await client({ timeoutMs: 1_000 }).showPool(POOL_NAME);
    expect(attempts[0]).toMatchObject({ outcome: 'retry', error: 'ModelArtsTimeoutError' });
    expect(attempts[1]).toMatchObject({ outcome: 'success' });
  });

  it('throws ModelArtsTimeoutError when every attempt is too slow', async () => {
    server.script(slow(5_000, json(200, POOL)), slow(5_000, json(200, POOL)));
    const error = await rejection(client({ timeoutMs: 1_000, maxRetries: 1 }).showPool(POOL_NAME));
    expect(error).toBeInstanceOf(ModelArtsTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 1_000, attempts: 2 });
  });

  it('times out a body that stalls after the headers', async () => {
    server.script(
      (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"kind":"Pool",');
      },
      json(200, POOL),
    );
    await client({ timeoutMs: 1_000 }).showPool(POOL_NAME);
    expect(attempts.map((a) => a.error ?? a.outcome)).toEqual(['ModelArtsTimeoutError', 'success']);
  });

  it.each([
    [400, 'ModelArts.50004000', 'Bad request'],
    [401, 'APIGW.0301', 'Incorrect IAM authentication information: verify aksk signature fail'],
    [403, 'APIGW.0302', 'The IAM user is not authorized to access the API.'],
    [404, 'ModelArts.50015001', 'pool not found'],
    [409, 'ModelArts.50015000', 'Pool already exists.'],
  ])('does not retry HTTP %i and reports status, code, message and request id', async (status, code, msg) => {
    server.script(errorBody(status, code, msg, { 'X-Request-Id': `req-${status}` }), json(200, POOL));
    const error = await rejection(client().showPool(POOL_NAME));
    expect(error).toBeInstanceOf(ModelArtsApiError);
    expect(error).toMatchObject({
      status,
      errorCode: code,
      errorMsg: msg,
      requestId: `req-${status}`,
      attempts: 1,
      retryable: false,
      poolNotFound: status === 404,
      poolAlreadyExists: status === 409,
    });
    expect((error as Error).message).toContain(`HTTP ${status} ${code}: ${msg} (request id req-${status})`);
    expect(server.requests).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('takes the request id from a gateway error body when the header is absent', async () => {
    server.script(json(401, { error_code: 'APIG.0301', error_msg: 'bad signature', request_id: 'gw-7' }));
    await expect(client().showPool(POOL_NAME)).rejects.toMatchObject({ status: 401, requestId: 'gw-7' });
  });

  it('awaits beforeAttempt before every attempt, retries included', async () => {
    server.script(errorBody(429, 'APIGW.0308', 'throttled'), json(200, POOL));
    const gate: string[] = [];
    await client({
      beforeAttempt: async ({ method, attempt }) => {
        gate.push(`${method}#${attempt}`);
      },
    }).showPool(POOL_NAME);
    expect(gate).toEqual(['GET#1', 'GET#2']);
  });

  it('ends the call when beforeAttempt refuses', async () => {
    const refusal = new Error('rate limit budget exhausted');
    const c = client({
      beforeAttempt: async () => {
        throw refusal;
      },
    });
    await expect(c.showPool(POOL_NAME)).rejects.toBe(refusal);
    expect(server.requests).toHaveLength(0);
  });

  it('stops waiting between retries when the caller aborts', async () => {
    server.script(errorBody(503, 'APIGW.0201', 'Backend unavailable.'));
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const c = client({
      sleep: async () => {
        controller.abort(reason);
      },
    });
    await expect(c.showPool(POOL_NAME, { signal: controller.signal })).rejects.toBe(reason);
    expect(server.requests).toHaveLength(1);
  });
});

describe('response validation', () => {
  it('names the offending field of a malformed pool and does not retry', async () => {
    const broken = structuredClone(POOL) as unknown as { spec: { resources: Array<{ count: unknown }> } };
    broken.spec.resources[0]!.count = 'three';
    server.script(json(200, broken, { 'X-Request-Id': 'r-9' }));
    const error = await rejection(client().showPool(POOL_NAME));
    expect(error).toBeInstanceOf(ModelArtsResponseError);
    expect(error).toMatchObject({ field: 'spec.resources[0].count', status: 200, requestId: 'r-9' });
    expect((error as Error).message).toContain('spec.resources[0].count');
    expect(server.requests).toHaveLength(1);
  });

  it('rejects a body that is not JSON', async () => {
    server.script((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>'));
    await expect(client().showPool(POOL_NAME)).rejects.toThrow(/not JSON/);
  });

  it('refuses response bodies above the size limit', async () => {
    const big = { ...POOL, padding: 'x'.repeat(10_000) };
    server.script(json(200, big), (_req, res) => {
      // Chunked, so only the running count can catch it.
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(JSON.stringify(big).slice(0, 5_000));
      res.end(JSON.stringify(big).slice(5_000));
    });
    const c = client({ maxResponseBytes: 4_096 });
    await expect(c.showPool(POOL_NAME)).rejects.toThrow(/too large/);
    await expect(c.showPool(POOL_NAME)).rejects.toBeInstanceOf(ModelArtsResponseError);
  });

  it('accepts the seed create response, whose status has no phase yet', async () => {
    server.script(json(200, { ...POOL, status: { resources: {} } }));
    const pool: Pool = await client().showPool(POOL_NAME);
    expect(pool.status.phase).toBeUndefined();
  });
});

describe('endpoint and secrets', () => {
  it.each([
    'http://example.com',
    'http://10.0.0.1:8080',
    'ftp://127.0.0.1',
    'not a url',
    'https://u:p@example.com',
  ])('refuses %s', (endpoint) => {
    expect(() => client({ endpoint })).toThrow(InsecureEndpointError);
  });

  it.each([
    'https://modelarts.cn-north-4.myhuaweicloud.com',
    'http://127.0.0.1:9000',
    'http://localhost:1',
    'http://[::1]:8080',
    'http://127.255.0.9',
  ])('accepts %s', (endpoint) => {
    expect(client({ endpoint }).endpoint.href.startsWith(endpoint.replace(/\/$/, ''))).toBe(true);
  });

  it('keeps an endpoint path prefix in requests and signatures', async () => {
    server.script(json(200, POOL));
    await client({ endpoint: `${server.url}/modelarts/` }).showPool(POOL_NAME);
    expect(server.requests[0]?.url).toBe(`/modelarts/v2/${PROJECT}/pools/${POOL_NAME}`);
    expect(verify(server.requests[0]!).ok).toBe(true);
  });

  it('never shows the secret key or token when the client is printed', () => {
    const shown = [inspect(client(), { depth: 5 }), JSON.stringify(client()), String(client())].join('\n');
    expect(shown).not.toContain(SK);
    const withToken = client({ credentials: { token: 'iam-token-value' } });
    expect(`${inspect(withToken, { depth: 5 })} ${JSON.stringify(withToken)}`).not.toContain(
      'iam-token-value',
    );
  });
});
