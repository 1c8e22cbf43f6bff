import { type AddressInfo } from 'node:net';
import { createServer, request as httpRequest } from 'node:http';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, tableEnvironment } from '../../functions/shared/config';
import { CredentialsSecretError, PoolEvaluator, credentialsSource } from '../../functions/shared/pipeline';
import {
  DepthRepository,
  EvaluationOutcomeRepository,
  ScalerStateRepository,
  TokenBucketRepository,
  tableNamesWithPrefix,
  tokenBucketKey,
} from '../../functions/shared/store';
import {
  GPU,
  type Harness,
  JOB_RETENTION_DAYS,
  gpuEntry,
  gpuPolicy,
  jobEvent,
  startHarness,
} from './harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness('outcomes');
  const depth = new DepthRepository(harness.dependencies().store, { jobRetentionDays: JOB_RETENTION_DAYS });
  for (let i = 0; i < 3; i += 1) {
    await depth.applyJobEvent(jobEvent('job.submitted', harness.pool, `d${i}`), harness.clock.now());
  }
});
afterAll(() => harness?.stop());

describe('outcomes that send no PATCH', () => {
  it('records what a dry run would send', async () => {
    await harness.putPolicy(gpuPolicy(harness.pool, { dryRun: true }));
    const result = await new PoolEvaluator(harness.dependencies()).evaluate({
      pool: harness.pool,
      trigger: 'test',
    });
    expect(result.status).toBe('DryRun');
    expect(harness.patches()).toBe(0);
    expect(gpuEntry(harness).count).toBe(2);
    const record = result.activities.find((activity) => activity.flavor === GPU);
    expect(record).toMatchObject({ status: 'DryRun', before: { count: 2 }, after: { count: 3 } });
    expect(JSON.stringify(record?.patch)).toContain(GPU);
  });

  it('records Throttled when the shared request budget is spent, and leaves the pool alone', async () => {
    await harness.putPolicy(gpuPolicy(harness.pool));
    harness.clock.advance(60_000);
    const deps = harness.dependencies();
    const stingy = {
      ...deps,
      settings: { ...deps.settings, requestsPerSecond: 0.001, burst: 1, maxTokenWaitMs: 0 },
    };
    const result = await new PoolEvaluator(stingy).evaluate({ pool: harness.pool, trigger: 'test' });
    expect(result.status).toBe('Throttled');
    expect(result.modelArtsRequests).toBe(1);
    expect(result.activities.find((activity) => activity.flavor === GPU)).toMatchObject({
      status: 'Throttled',
      after: { count: 2 },
    });
    expect(harness.patches()).toBe(0);
    expect(harness.telemetry.throttles).toBeGreaterThanOrEqual(1);
  });
});

describe('retries and the request budget', () => {
  it('takes a token for every retry, and stops retrying when the budget is spent', async () => {
    // Long enough for the slow bucket below to refill completely.
    harness.clock.advance(4 * 3_600_000);
    const simulator = harness.stack.simulator!;
    simulator.setFaults([{ method: 'PATCH', action: { type: 'error', status: 500 } }]);
    const deps = harness.dependencies();
    // Four tokens: the GET, the two listings of the shape check (jobs are queued) and the first PATCH attempt;
    // the first retry finds the bucket empty.
    const tight = {
      ...deps,
      settings: { ...deps.settings, requestsPerSecond: 0.001, burst: 4, maxTokenWaitMs: 0 },
    };
    const patchesBefore = simulator.requestLog.filter((entry) => entry.method === 'PATCH').length;
    const result = await new PoolEvaluator(tight).evaluate({ pool: harness.pool, trigger: 'test' });
    simulator.setFaults([]);
    expect(simulator.requestLog.filter((entry) => entry.method === 'PATCH').length - patchesBefore).toBe(1);
    expect(result.status).toBe('Throttled');
    expect(result.activities.find((activity) => activity.flavor === GPU)).toMatchObject({
      status: 'Throttled',
      errorCode: 'RequestBudgetExhaustedError',
      attempts: 1,
    });
  });
});

describe('a GET without a token', () => {
  it('defers the evaluation: nothing is sent, nothing counts as a failure', async () => {
    harness.clock.advance(3_600_000);
    const deps = harness.dependencies();
    const budget = { requestsPerSecond: 0.001, burst: 1, maxTokenWaitMs: 0 };
    const stingy = { ...deps, settings: { ...deps.settings, ...budget } };
    const simulator = harness.stack.simulator!;
    // Another Lambda has just spent the only token.
    const bucket = new TokenBucketRepository(deps.store, {
      ratePerSecond: budget.requestsPerSecond,
      burst: 1,
    });
    const key = tokenBucketKey(simulator.url, simulator.projectId);
    expect((await bucket.take(key, harness.clock.now())).granted).toBe(true);
    const states = new ScalerStateRepository(deps.store);
    const before = await states.get(harness.pool);
    const calls = simulator.requestLog.length;
    const result = await new PoolEvaluator(stingy).evaluate({ pool: harness.pool, trigger: 'test' });
    expect(result.status).toBe('Throttled');
    expect(result.modelArtsRequests).toBe(0);
    expect(simulator.requestLog.length).toBe(calls);
    expect(result.activities).toEqual([
      expect.objectContaining({
        flavor: '*',
        status: 'Throttled',
        reasons: [expect.stringMatching(/^request budget exhausted: evaluation deferred by \d+ ms$/)],
      }),
    ]);
    const after = await states.get(harness.pool);
    expect(after.failures).toBe(before.failures);
    expect(after.backoffUntil).toBe(before.backoffUntil);
    expect(after.nextEvaluationAt).toBeGreaterThanOrEqual(harness.clock.now() + 1_000);
  });
});

describe('throttling the gateway reports with another status than 429', () => {
  /** A gateway in front of the simulator that refuses every PATCH with 503 `APIGW.0308` and passes the rest on. */
  async function throttlingGateway(upstream: string): Promise<{ url: string; close: () => Promise<void> }> {
    const target = new URL(upstream);
    const server = createServer((request, response) => {
      if (request.method === 'PATCH') {
        request.resume();
        response.writeHead(503, { 'Content-Type': 'application/json' });
        response.end(
          JSON.stringify({
            error_code: 'APIGW.0308',
            error_msg: 'The throttling threshold has been reached',
          }),
        );
        return;
      }
      // Headers go on unchanged: the Host the client signed is the gateway's.
      const forwarded = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: request.method,
          path: request.url,
          headers: request.headers,
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      request.pipe(forwarded);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }

  it('records the PATCH Throttled, as the client retried it', async () => {
    harness.clock.advance(3_600_000);
    const gateway = await throttlingGateway(harness.stack.simulator!.url);
    try {
      const deps = harness.dependencies();
      const states = new ScalerStateRepository(deps.store);
      const throttlesBefore = harness.telemetry.throttles;
      const failuresBefore = (await states.get(harness.pool)).failures;
      const countBefore = gpuEntry(harness).count;
      const evaluator = new PoolEvaluator({
        ...deps,
        settings: { ...deps.settings, endpointOverride: gateway.url },
      });
      const result = await evaluator.evaluate({ pool: harness.pool, trigger: 'gateway' });
      expect(result.status).toBe('Throttled');
      // The harness's client retries 3 times: every attempt was throttled.
      expect(result.activities.find((activity) => activity.flavor === GPU)).toMatchObject({
        status: 'Throttled',
        httpStatus: 503,
        errorCode: 'APIGW.0308',
        attempts: 4,
        retries: ['HTTP 503', 'HTTP 503', 'HTTP 503'],
        after: { count: countBefore },
      });
      expect(gpuEntry(harness).count).toBe(countBefore);
      expect(harness.telemetry.throttles).toBe(throttlesBefore + 1);
      // Throttled after being sent is still a failed evaluation: the pool backs off.
      expect((await states.get(harness.pool)).failures).toBe(failuresBefore + 1);
    } finally {
      await gateway.close();
    }
  });
});

describe('a lease lost mid-evaluation', () => {
  it("never overwrites the new holder's state, yet still records what happened", async () => {
    const deps = harness.dependencies();
    const states = new ScalerStateRepository(deps.store);
    const pool = 'pool-lease-lost';
    await states.acquireLease(pool, 'new-holder', harness.clock.now(), 60_000);
    const activity = {
      pool,
      id: 'lost-1',
      at: new Date(harness.clock.now()).toISOString(),
      flavor: GPU,
      status: 'Successful' as const,
      reasons: ['scaled before the lease expired'],
      latencyMs: 1,
      correlationId: 'c-lost',
    };
    const update = {
      engineState: { version: 1, flavors: {} },
      failures: 0,
      backoffUntil: 0,
      lastStatus: 'Successful',
    };
    const saved = await new EvaluationOutcomeRepository(deps.store, { retentionDays: 30 }).save({
      pool,
      owner: 'old-holder',
      update,
      activities: [activity],
      now: harness.clock.now(),
    });
    expect(saved).toEqual({ leaseLost: true });
    expect(await states.get(pool)).toMatchObject({ leaseOwner: 'new-holder', version: 0 });
    expect((await harness.activities().listByPool(pool)).map((record) => record.id)).toEqual(['lost-1']);
  });
});

describe('credentials from Secrets Manager', () => {
  const config = loadConfig({
    ...tableEnvironment(tableNamesWithPrefix('t-')),
    MODELARTS_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:modelarts',
  });

  function secrets(bodies: string[]): { client: SecretsManagerClient; calls: () => number } {
    let calls = 0;
    const client = {
      send: async (command: GetSecretValueCommand) => {
        expect(command.input.SecretId).toBe(config.modelArts.secretArn);
        calls += 1;
        return { SecretString: bodies[Math.min(calls, bodies.length) - 1] };
      },
    } as unknown as SecretsManagerClient;
    return { client, calls: () => calls };
  }

  it('reads the secret once and re-reads it after five minutes', async () => {
    let now = 0;
    const source = secrets(['{"ak":"AK1","sk":"SK1"}', '{"ak":"AK2","sk":"SK2"}']);
    const credentials = credentialsSource(
      config,
      {},
      () => source.client,
      () => now,
    );
    expect(await credentials()).toMatchObject({ ak: 'AK1' });
    expect(await credentials()).toMatchObject({ ak: 'AK1' });
    expect(source.calls()).toBe(1);
    now += 5 * 60_000 + 1;
    const rotated = await credentials();
    expect(rotated).toMatchObject({ ak: 'AK2' });
    // The secret key never shows up when the credentials are serialised.
    expect(JSON.stringify(rotated)).not.toContain('SK2');
  });

  it('rejects a secret that is not {ak, sk}', async () => {
    const source = secrets(['{"ak":"AK1"}']);
    const credentials = credentialsSource(
      config,
      {},
      () => source.client,
      () => 0,
    );
    await expect(credentials()).rejects.toBeInstanceOf(CredentialsSecretError);
  });
});
