import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InvalidEventError, parseEvent } from '../../functions/shared/events';
import {
  InsecureEndpointError,
  ModelArtsClient,
  ModelArtsResponseError,
  parseEndpoint,
} from '../../functions/shared/modelarts';
import { signRequest } from '../../functions/shared/modelarts/signer';
import { PoolEvaluator } from '../../functions/shared/pipeline/evaluate-pool';
import { RecordingTelemetry } from '../../functions/shared/pipeline/telemetry';
import { DEFAULT_EVALUATION_SETTINGS } from '../../functions/shared/pipeline/types';
import { ActivityRepository } from '../../functions/shared/store/activity-repository';
import { PolicyRepository } from '../../functions/shared/store/policy-repository';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { DEMO_FLAVORS, type ModelArtsSimulator, demoPool } from '../../simulator/index';

const CREDENTIALS = { ak: 'TRANSPORTAK00000001', sk: 'transport-sk-secret' };
let stack: LocalStack;
let simulator: ModelArtsSimulator;
let pool: string;

beforeAll(async () => {
  stack = await startLocalStack({
    dynamoDbEndpoint: inject('dynamoDbEndpoint'),
    tablePrefix: `tls-${randomUUID().slice(0, 8)}-`,
    queueName: `tls-${randomUUID().slice(0, 8)}`,
    simulator: { auth: CREDENTIALS },
  });
  simulator = stack.simulator as ModelArtsSimulator;
  pool = simulator.seedPool(demoPool()).metadata.name;
});
afterAll(() => stack?.stop());

describe('plain http only towards loopback', () => {
  it('refuses http to any host that is not loopback', () => {
    const host = fc.oneof(
      fc.domain(),
      fc.ipV4().filter((ip) => !ip.startsWith('127.')),
      fc.constantFrom(
        '169.254.169.254',
        '10.0.0.1',
        '0.0.0.0',
        '[::ffff:7f00:1]',
        'localhost.example.com',
        '127.0.0.1.nip.io',
      ),
    );
    fc.assert(
      fc.property(host, fc.option(fc.integer({ min: 1, max: 65535 })), (name, port) => {
        const endpoint = `http://${name}${port !== null ? `:${port}` : ''}`;
        expect(() => parseEndpoint(endpoint)).toThrow(InsecureEndpointError);
        expect(() => new ModelArtsClient({ endpoint, projectId: 'p1', credentials: CREDENTIALS })).toThrow(
          InsecureEndpointError,
        );
      }),
      { numRuns: 200 },
    );
  });

  it('accepts https anywhere and http to loopback', () => {
    for (const endpoint of [
      'https://modelarts.cn-north-4.myhuaweicloud.com',
      'http://127.0.0.1:8080',
      'http://localhost:1',
      'http://[::1]:9',
    ]) {
      expect(() => parseEndpoint(endpoint)).not.toThrow();
    }
  });

  it('a policy naming a plain-http endpoint elsewhere never gets a request sent', async () => {
    const insecurePool = 'pool-insecure';
    await new PolicyRepository(stack.store).put(
      {
        pool: insecurePool,
        projectId: 'p1',
        endpoint: 'http://modelarts.example.com',
        enabled: true,
        flavors: { [DEMO_FLAVORS.gpu]: { minCount: 1, maxCount: 4, unitsPerNode: 8 } },
      },
      { now: Date.now() },
    );
    let fetched = 0;
    const evaluator = new PoolEvaluator({
      store: stack.store,
      modelArts: async (target, hooks) => {
        const client = new ModelArtsClient({ ...target, credentials: CREDENTIALS, ...hooks });
        fetched += 1;
        return client;
      },
      clock: Date.now,
      newId: randomUUID,
      sleep: async () => undefined,
      logger: new Logger({ serviceName: 'transport', logLevel: 'SILENT' }),
      telemetry: new RecordingTelemetry(),
      settings: DEFAULT_EVALUATION_SETTINGS,
    });
    const outcome = await evaluator.evaluate({ pool: insecurePool, trigger: 'test' }).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    // Either refused outright or recorded as a failure; in no case was a client built or a request sent.
    expect(fetched).toBe(0);
    if ('error' in outcome) expect(outcome.error).toBeInstanceOf(InsecureEndpointError);
    else expect(outcome.result.status).not.toBe('Successful');
    expect(simulator.requestLog.filter((entry) => entry.pool === insecurePool)).toHaveLength(0);
    const activities = await new ActivityRepository(stack.store, { retentionDays: 1 }).listByPool(
      insecurePool,
    );
    expect(activities.every((activity) => activity.status !== 'Successful')).toBe(true);
  });
});

describe('signatures are verified by the simulator', () => {
  const path = () => `/v2/${simulator.projectId}/pools/${pool}`;

  async function send(options: {
    body?: string;
    signBody?: string;
    date?: Date;
    sk?: string;
    sign?: boolean;
  }) {
    const url = new URL(path(), simulator.url);
    const method = options.body === undefined ? 'GET' : 'PATCH';
    const headers: Record<string, string> = { 'X-Project-Id': simulator.projectId };
    if (options.body !== undefined) headers['Content-Type'] = 'application/merge-patch+json';
    const auth =
      options.sign === false
        ? {}
        : signRequest(
            { method, url, headers, body: options.signBody ?? options.body ?? '' },
            { ak: CREDENTIALS.ak, sk: options.sk ?? CREDENTIALS.sk },
            options.date ?? new Date(),
          );
    const before = simulator.requestLog.length;
    const response = await fetch(url, { method, headers: { ...headers, ...auth }, body: options.body });
    await response.arrayBuffer();
    return { status: response.status, entry: simulator.requestLog[before] };
  }

  it('accepts a correctly signed request and logs it as valid', async () => {
    const { status, entry } = await send({});
    expect(status).toBe(200);
    expect(entry?.signatureValid).toBe(true);
  });

  it.each([
    ['unsigned', { sign: false }],
    ['signed with another secret key', { sk: 'not-the-secret' }],
    ['signed 20 minutes ago', { date: new Date(Date.now() - 20 * 60_000) }],
    ['body changed after signing', { body: '{"spec":{"resources":[]}}', signBody: '{"spec":{}}' }],
  ])('refuses a request %s with 401', async (_name, options) => {
    const { status, entry } = await send(options);
    expect(status).toBe(401);
    expect(entry?.signatureValid).not.toBe(true);
    // The pool is untouched.
    expect(simulator.pool(pool)?.spec.resources).toHaveLength(2);
  });
});

describe('request and response sizes are bounded', () => {
  it('the simulator refuses a request body above its limit with 413', async () => {
    const client = new ModelArtsClient({
      endpoint: simulator.url,
      projectId: simulator.projectId,
      credentials: CREDENTIALS,
      maxRetries: 0,
    });
    const huge = { metadata: { annotations: { padding: 'x'.repeat(1024 * 1024 + 1) } } };
    await expect(client.updatePool(pool, huge)).rejects.toMatchObject({ status: 413 });
  });

  it('the client stops reading a response above 5 MiB, even without Content-Length', async () => {
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (sent < 24 && res.write(chunk)) sent += 1;
        if (sent < 24) res.once('drain', pump);
        else res.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = new ModelArtsClient({
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        projectId: 'p1',
        credentials: CREDENTIALS,
        maxRetries: 0,
      });
      const error = await client.showPool('any').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ModelArtsResponseError);
      expect((error as Error).message).toMatch(/too large/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('queue events with oversized fields are rejected by name', () => {
    const base = {
      type: 'job.submitted',
      pool: 'pool-a-6f5da086876d4cd084d36f8bd3346036',
      flavor: 'f',
      jobId: 'j',
      units: 8,
      at: '2026-11-23T08:00:00Z',
    };
    for (const [field, value] of [
      ['pool', 'p'.repeat(257)],
      ['flavor', 'f'.repeat(257)],
      ['jobId', 'j'.repeat(257)],
      ['units', 1_000_001],
    ] as const) {
      let caught: unknown;
      try {
        parseEvent(JSON.stringify({ ...base, [field]: value }));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidEventError);
      expect((caught as InvalidEventError).field).toBe(field);
    }
  });
});
