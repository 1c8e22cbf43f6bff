import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumerHandler } from '../../functions/consumer/handler';
import { ENV } from '../../functions/shared/config';
import type { PipelineEvent } from '../../functions/shared/events';
import { dependenciesFromEnv } from '../../functions/shared/pipeline/dependencies';
import type { ModelArtsClientFactory } from '../../functions/shared/pipeline/types';
import { localLambdaContext } from '../../local/sqs-lambda-poller';
import { localSqsRecord } from '../../local/lambda-events';
import {
  CREDENTIALS,
  type Harness,
  gpuPolicy,
  startHarness,
  testClientFactory,
  testPoolName,
} from '../pipeline/harness';

/**
 * A policy aimed at the Lambda's own runtime, at a metadata service or at a private address is recorded
 * `Invalid` by an evaluation configured as the stack configures it, and not one request leaves: the simulator
 * logs none, a server standing in for a loopback service sees none, and no client is even built.
 */

let harness: Harness;
let standIn: Server;
const seen: IncomingMessage[] = [];
let standInUrl: string;

beforeAll(async () => {
  harness = await startHarness('allowlist');
  standIn = createServer((request, response) => {
    seen.push(request);
    response.writeHead(500).end();
  });
  await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
  standInUrl = `http://127.0.0.1:${(standIn.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await harness?.stop();
  standIn?.closeAllConnections();
  await new Promise<void>((resolve) => (standIn ? standIn.close(() => resolve()) : resolve()));
});

/** The stack's function environment: no endpoint override, no loopback, the default host patterns. */
function deployedEnvironment(): Record<string, string> {
  const {
    [ENV.modelArtsAllowLoopback]: _loopback,
    [ENV.modelArtsEndpoint]: _endpoint,
    ...env
  } = harness.stack.env;
  return { ...env, HUAWEICLOUD_SDK_AK: CREDENTIALS.ak, HUAWEICLOUD_SDK_SK: CREDENTIALS.sk };
}

/** A consumer as the stack deploys it, with the harness's quiet logger, clock and queue. */
function deployedConsumer(modelArts: ModelArtsClientFactory, extraEnv: Record<string, string> = {}) {
  const { logger, metrics, telemetry, sqs, clock, sleep } = harness.dependencies();
  const deps = dependenciesFromEnv(
    { ...deployedEnvironment(), ...extraEnv },
    { logger, metrics, telemetry, sqs, clock, sleep, modelArts },
  );
  return { deps, consumer: createConsumerHandler(deps) };
}

/** Delivers one `pool.evaluate` message and returns the pool's activities. */
async function evaluateOnce(consumer: ReturnType<typeof createConsumerHandler>, pool: string) {
  const event: PipelineEvent = { type: 'pool.evaluate', pool, reason: 'allowlist test' };
  const record = localSqsRecord(
    {
      messageId: `m-${pool}`,
      receiptHandle: `r-${pool}`,
      body: JSON.stringify(event),
      sentAt: harness.clock.now(),
    },
    'events',
  );
  const response = await consumer({ Records: [record] }, localLambdaContext('consumer', `evaluate-${pool}`));
  expect(response.batchItemFailures).toEqual([]);
  return harness.activities().listByPool(pool);
}

describe('an evaluation configured as deployed', () => {
  const cases = [
    ['the Lambda Runtime API', 'http://127.0.0.1:9001', /endpoint: names the loopback host 127\.0\.0\.1/],
    ['a loopback service that answers', 'stand-in', /endpoint: names the loopback host 127\.0\.0\.1/],
    [
      'the extensions API over https',
      'https://localhost:2773',
      /endpoint: names the loopback host localhost/,
    ],
    ['the instance metadata service', 'https://169.254.169.254', /169\.254\.169\.254 \(link-local\)/],
    ['the metadata service in hex', 'https://0xa9fea9fe', /169\.254\.169\.254 \(link-local\)/],
    ['the IPv6 metadata service', 'https://[fd00:ec2::254]', /\[fd00:ec2::254\] \(private\)/],
    ['a private address', 'https://10.0.0.1', /10\.0\.0\.1 \(private\)/],
    ['a host outside the allowlist', 'https://modelarts.example.com', /not in the endpoint allowlist/],
  ] as const;

  it.each(cases)('records a policy aimed at %s Invalid and sends nothing', async (label, target, reason) => {
    const pool = testPoolName(`allow-${cases.findIndex((entry) => entry[0] === label)}`);
    await harness.putPolicy(gpuPolicy(pool, { endpoint: target === 'stand-in' ? standInUrl : target }));
    let clientsBuilt = 0;
    const { deps, consumer } = deployedConsumer(async (modelArtsTarget, hooks) => {
      clientsBuilt += 1;
      return testClientFactory()(modelArtsTarget, hooks);
    });
    expect(deps.settings.endpointAllowlist.loopback).toBe(false);
    expect(deps.settings.endpointOverride).toBeUndefined();
    const logged = harness.stack.simulator!.requestLog.length;

    const [activity, ...others] = await evaluateOnce(consumer, pool);

    expect(others).toEqual([]);
    expect(activity).toMatchObject({ status: 'Invalid', flavor: '*', errorCode: 'PolicyValidationError' });
    expect(activity?.reasons.join('\n')).toMatch(reason);
    expect(clientsBuilt).toBe(0);
    expect(harness.stack.simulator!.requestLog.slice(logged)).toEqual([]);
    expect(seen).toEqual([]);
  });

  it('does reach the stand-in once loopback is enabled: the refusals above are the allowlist at work', async () => {
    const pool = testPoolName('allow-control');
    await harness.putPolicy(gpuPolicy(pool, { endpoint: standInUrl }));
    const { consumer } = deployedConsumer(testClientFactory(), { [ENV.modelArtsAllowLoopback]: 'true' });
    const [activity] = await evaluateOnce(consumer, pool);
    expect(activity?.status).toBe('Failed');
    expect(seen.length).toBeGreaterThan(0);
  });
});
