import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ModelArtsApiError,
  ModelArtsClient,
  ModelArtsResponseError,
  PoolSchema,
} from '../../functions/shared/modelarts';
import { ModelArtsError } from '../../functions/shared/modelarts/errors';
import { demoPool } from '../../simulator/index';

/** What the loopback server answers next: status, raw body bytes, content type. */
let next: { status: number; body: string | Buffer } = { status: 200, body: '{}' };
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(next.status, { 'Content-Type': 'application/json' });
      res.end(next.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
);

const CREDENTIALS = { ak: 'FUZZAK0000000001', sk: 'fuzz-sk-secret-value' };
const MAX_RESPONSE_BYTES = 64 * 1024;

function client(): ModelArtsClient {
  return new ModelArtsClient({
    endpoint,
    projectId: 'fuzzproject',
    credentials: CREDENTIALS,
    maxRetries: 0,
    timeoutMs: 5_000,
    maxResponseBytes: MAX_RESPONSE_BYTES,
  });
}

/** A valid pool document as the service would return it. */
function validPool(): Record<string, unknown> {
  const request = demoPool() as unknown as Record<string, unknown>;
  return {
    ...request,
    metadata: { ...(request.metadata as object), name: 'pool-demo-fuzz', creationTimestamp: '1700000000000' },
    status: { phase: 'Running', resources: { available: [], creating: [], abnormal: [], deleting: [] } },
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function paths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value)
    ? value.map((item, i) => [String(i), item] as const)
    : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, item]) => paths(item, [...prefix, key]))];
}

function mutate(document: unknown, path: string[], remove: boolean, value: Json): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(document) as Record<string, unknown>;
  let parent: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  const last = path[path.length - 1] as string;
  if (remove) delete parent[last];
  else parent[last] = value;
  return copy;
}

const POOL_PATHS = paths(validPool());
const oddValue = fc.oneof(
  fc.constantFrom<Json>(null, -1, 1e308, 2 ** 60, '', '9'.repeat(400), true, [], {}),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);

/** The client returns a schema-valid pool or throws one of its typed errors; never a raw TypeError or SyntaxError. */
async function expectTypedOutcome(): Promise<void> {
  try {
    const pool = await client().showPool('pool-demo-fuzz');
    expect(PoolSchema.safeParse(pool).success).toBe(true);
  } catch (error) {
    expect(error).toBeInstanceOf(ModelArtsError);
    const message = (error as Error).message;
    expect(message).not.toContain(CREDENTIALS.sk);
    expect(message.length).toBeLessThan(2_000);
    if (next.status === 200) expect(error).toBeInstanceOf(ModelArtsResponseError);
    else expect(error).toBeInstanceOf(ModelArtsApiError);
  }
}

describe('ModelArts client under fuzzed responses from a loopback server', () => {
  it('accepts the valid pool', async () => {
    next = { status: 200, body: JSON.stringify(validPool()) };
    await expect(client().showPool('pool-demo-fuzz')).resolves.toMatchObject({
      metadata: { name: 'pool-demo-fuzz' },
    });
  });

  it('wrong types, huge values and missing fields anywhere in a pool give a typed error or a valid pool', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...POOL_PATHS),
        fc.boolean(),
        oddValue,
        async (path, remove, value) => {
          next = { status: 200, body: JSON.stringify(mutate(validPool(), path, remove, value)) };
          await expectTypedOutcome();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('malformed JSON and arbitrary bytes give ModelArtsResponseError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 2000 }),
          fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes)),
          fc.constant(JSON.stringify(validPool()).slice(0, 100)),
          fc.constant('{"metadata": {"name": "x"'),
        ),
        async (body) => {
          next = { status: 200, body };
          await expectTypedOutcome();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('error statuses with any body give ModelArtsApiError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(400, 401, 403, 404, 409, 413, 429, 500, 502, 503),
        fc.oneof(
          fc.string({ maxLength: 500 }),
          fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)),
          fc
            .record({ error_code: fc.string(), error_msg: fc.string() })
            .map((value) => JSON.stringify(value)),
        ),
        async (status, body) => {
          next = { status, body };
          await expectTypedOutcome();
        },
      ),
      { numRuns: 120 },
    );
  });

  it('a response larger than the limit is refused, whatever it holds', async () => {
    for (const size of [MAX_RESPONSE_BYTES + 1, 4 * MAX_RESPONSE_BYTES]) {
      const pool = validPool();
      (pool.metadata as Record<string, unknown>).annotations = { padding: 'x'.repeat(size) };
      next = { status: 200, body: JSON.stringify(pool) };
      const error = await client()
        .showPool('pool-demo-fuzz')
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ModelArtsResponseError);
      expect((error as Error).message).toMatch(/too large/);
    }
  });
});
