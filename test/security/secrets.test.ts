import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createConsumerHandler } from '../../functions/consumer/handler';
import { createEvaluatorHandler } from '../../functions/evaluator/handler';
import { ModelArtsClient } from '../../functions/shared/modelarts';
import { dependenciesFromEnv } from '../../functions/shared/pipeline/dependencies';
import { PolicyRepository } from '../../functions/shared/store/policy-repository';
import { localLambdaContext } from '../../local/sqs-lambda-poller';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { DEMO_FLAVORS, type ModelArtsSimulator, demoPool } from '../../simulator/index';
import { runCli } from './run-cli';
import { localScheduledEvent, localSqsRecord } from '../../local/lambda-events';

/** Distinctive values: any appearance anywhere is a leak, not a coincidence. */
const AK = 'AKLEAKCANARY7Q3Z9W1X';
const SK = 'SKleakCanary-4f9d2c7e1b8a';
const WRONG_SK = 'SKwrongCanary-93b1e6d0aa7';
const SECRETS = [AK, SK, WRONG_SK];

let stack: LocalStack;
let simulator: ModelArtsSimulator;
let pool: string;
let captured = '';
const errors: unknown[] = [];

function expectNoSecret(text: string, where: string): void {
  for (const secret of SECRETS) expect(text.includes(secret), `${secret} found in ${where}`).toBe(false);
}

/** Everything written to stdout and stderr (Powertools logs, EMF metrics, CLI output) while `work` runs. */
async function capture<T>(work: () => Promise<T>): Promise<T> {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    captured += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    captured += String(chunk);
    return true;
  });
  try {
    return await work();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

function sqsEvent(bodies: string[]): SQSEvent {
  return {
    Records: bodies.map((body, i) =>
      localSqsRecord({ messageId: `sec-${randomUUID()}-${i}`, receiptHandle: 'r', body }, 'sec'),
    ),
  };
}

function handlerEnv(sk: string): Record<string, string> {
  return {
    ...stack.env,
    HUAWEICLOUD_SDK_AK: AK,
    HUAWEICLOUD_SDK_SK: sk,
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    POWERTOOLS_LOGGER_LOG_EVENT: 'true',
    POWERTOOLS_SERVICE_NAME: 'pool-autoscaler',
    MODELARTS_MAX_RETRIES: '1',
    EVALUATE_IN_PROCESS: 'true',
  };
}

beforeAll(async () => {
  stack = await startLocalStack({
    dynamoDbEndpoint: inject('dynamoDbEndpoint'),
    tablePrefix: `sec-${randomUUID().slice(0, 8)}-`,
    queueName: `sec-${randomUUID().slice(0, 8)}`,
    simulator: { auth: { ak: AK, sk: SK }, provisioningDelayMs: 1_000 },
  });
  simulator = stack.simulator as ModelArtsSimulator;
  pool = simulator.seedPool(demoPool()).metadata.name;
  await new PolicyRepository(stack.store).put(
    {
      pool,
      enabled: true,
      dryRun: false,
      cooldownSeconds: 0,
      staleAfterSeconds: 3600,
      flavors: {
        [DEMO_FLAVORS.gpu]: { minCount: 1, maxCount: 16, unitsPerNode: 8 },
        [DEMO_FLAVORS.npu]: { minCount: 1, maxCount: 2, unitsPerNode: 8 },
      },
    },
    { now: Date.now() },
  );
});
afterAll(() => stack?.stop());

describe('AK/SK never leave the credential store', () => {
  it('handlers at DEBUG level, with successes, faults, bad signatures and bad input, log no secret', async () => {
    const job = (n: number, type = 'job.submitted') =>
      JSON.stringify({
        type,
        pool,
        flavor: DEMO_FLAVORS.gpu,
        jobId: `sec-${n}`,
        units: 8,
        at: new Date().toISOString(),
      });
    await capture(async () => {
      // A successful scale-up, with a poison message in the batch.
      const consumer = createConsumerHandler(dependenciesFromEnv(handlerEnv(SK)));
      const context = localLambdaContext('consumer', 'sec-1');
      const first = await consumer(sqsEvent([job(1), job(2), job(3), 'not json']), context);
      expect(first.batchItemFailures).toHaveLength(1);
      // Server errors on every PATCH.
      simulator.setFaults([{ method: 'PATCH', action: { type: 'error', status: 500 } }]);
      await consumer(sqsEvent([job(4), job(5), job(6), job(7), job(8)]), context);
      simulator.setFaults([]);
      // A container holding the wrong secret key: every request is refused with 401.
      const wrong = createConsumerHandler(dependenciesFromEnv(handlerEnv(WRONG_SK)));
      await wrong(sqsEvent([job(9), job(10)]), localLambdaContext('consumer', 'sec-2'));
      await wrong(
        sqsEvent([JSON.stringify({ type: 'pool.evaluate', pool, reason: 'operator' })]),
        context,
      ).catch((error: unknown) => errors.push(error));
      // The sweep, in process, both with the right and the wrong key.
      for (const sk of [SK, WRONG_SK]) {
        const evaluator = createEvaluatorHandler(dependenciesFromEnv(handlerEnv(sk)));
        await evaluator(
          localScheduledEvent(`sweep-${randomUUID()}`, Date.now()),
          localLambdaContext('evaluator', 'sec-sweep'),
        ).catch((error: unknown) => errors.push(error));
      }
    });
    // The run did what it claims: logs were written, one PATCH applied, 401s were seen.
    expect(captured).toContain('"level":"ERROR"');
    expect(captured).toContain('"level":"INFO"');
    expect(simulator.requestLog.some((entry) => entry.method === 'PATCH' && entry.status === 200)).toBe(true);
    expect(simulator.requestLog.some((entry) => entry.status === 401 && entry.signatureValid === false)).toBe(
      true,
    );
    expectNoSecret(captured, 'handler logs and metrics');
  });

  it('the client keeps its credentials out of its errors and its own inspection', async () => {
    const client = new ModelArtsClient({
      endpoint: simulator.url,
      projectId: simulator.projectId,
      credentials: { ak: AK, sk: WRONG_SK },
      maxRetries: 0,
    });
    expectNoSecret(inspect(client, { depth: 10, showHidden: true }), 'util.inspect(client)');
    expectNoSecret(JSON.stringify(client), 'JSON of the client');
    const error = await client.showPool(pool).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 401, errorCode: 'APIG.0301' });
    errors.push(error);
    for (const caught of errors) {
      expectNoSecret(inspect(caught, { depth: 10, showHidden: true }), 'an error');
      expectNoSecret(JSON.stringify(caught) ?? '', 'JSON of an error');
    }
  });

  it('the CLI prints no secret in tables, JSON, reports or errors', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, handlerEnv(SK), { POWERTOOLS_LOG_LEVEL: 'DEBUG' });
    const tables = [
      '--table-prefix',
      stack.tables.policies.replace(/Policies$/, ''),
      '--endpoint-url',
      stack.dynamoDb.endpoint,
    ];
    const showPool = [
      'pool',
      'show',
      '--endpoint',
      simulator.url,
      '--project-id',
      simulator.projectId,
      '--pool',
      pool,
    ];
    try {
      const results = [
        await runCli(showPool),
        await runCli([
          'pool',
          'list',
          '--endpoint',
          simulator.url,
          '--project-id',
          simulator.projectId,
          '--json',
        ]),
        await runCli(['evaluate', '--pool', pool, '--dry-run', '--json', ...tables]),
        await runCli(['evaluate', '--pool', pool, ...tables]),
        await runCli(['activities', '--pool', pool, '--json', ...tables]),
        await runCli(['activities', ...tables]),
        await runCli(['policy', 'get', pool, ...tables]),
      ];
      process.env.HUAWEICLOUD_SDK_SK = WRONG_SK;
      const refused = await runCli(showPool);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/401|APIG\.0301/);
      results.push(refused);
      results.push(await runCli(['evaluate', '--pool', pool, '--json', ...tables]));
      expect(results[0]?.code).toBe(0);
      expect(results[0]?.stdout).toContain(DEMO_FLAVORS.gpu);
      expect(results[4]?.stdout).toContain(pool);
      results.forEach((result, i) => {
        expectNoSecret(result.stdout, `CLI run ${i} stdout`);
        expectNoSecret(result.stderr, `CLI run ${i} stderr`);
      });
    } finally {
      process.env = saved;
    }
  });

  it('no activity stored in the table carries a secret', async () => {
    const items: unknown[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await stack.store.doc.send(
        new ScanCommand({ TableName: stack.tables.activities, ExclusiveStartKey: startKey }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    expect(items.length).toBeGreaterThan(3);
    const text = JSON.stringify(items);
    expect(text).toMatch(/Successful/);
    expect(text).toMatch(/APIG\.0301|401/);
    expectNoSecret(text, 'the activities table');
    // Nor any other table the pipeline writes.
    for (const table of [
      stack.tables.scalerState,
      stack.tables.depth,
      stack.tables.jobs,
      stack.tables.tokenBuckets,
    ]) {
      const page = await stack.store.doc.send(new ScanCommand({ TableName: table }));
      expectNoSecret(JSON.stringify(page.Items ?? []), table);
    }
  });
});
