/**
 * `event send`, `depth set` and `depth get` run as a producer or an operator runs them, against the SQS emulator
 * and DynamoDB Local: events checked with the consumer's own schema, sent to the queue or applied directly.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PurgeQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PolicyRepository } from '../../functions/shared/store/policy-repository';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { runCli } from './run-cli';

const PROJECT = '6f5da086876d4cd084d36f8bd3346036';
const POOL = `pool-events-${PROJECT}`;
const GPU = 'modelarts.vm.gpu.8v100';
const prefix = `cli-ev-${randomUUID().slice(0, 8)}-`;

let stack: LocalStack;
let dir: string;
let queueArgs: string[];
let tableArgs: string[];

function tsv(text: string): string[][] {
  return text
    .replace(/\n+$/, '')
    .split('\n')
    .map((line) => line.split('\t'));
}

async function received(): Promise<unknown[]> {
  const answer = await stack.sqs.client.send(
    new ReceiveMessageCommand({ QueueUrl: stack.sqs.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  return (answer.Messages ?? []).map((message) => JSON.parse(message.Body ?? '') as unknown);
}

beforeAll(async () => {
  stack = await startLocalStack({
    dynamoDbEndpoint: inject('dynamoDbEndpoint'),
    tablePrefix: prefix,
    simulator: false,
  });
  await new PolicyRepository(stack.store).put(
    { pool: POOL, projectId: PROJECT, flavors: { [GPU]: { minCount: 1, maxCount: 8, unitsPerNode: 8 } } },
    { now: Date.now() },
  );
  queueArgs = ['--queue-url', stack.sqs.queueUrl, '--sqs-endpoint-url', stack.sqs.endpoint];
  tableArgs = ['--table-prefix', prefix, '--endpoint-url', stack.dynamoDb.endpoint];
  dir = await mkdtemp(join(tmpdir(), 'cli-events-'));
});

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('event send', () => {
  it('sends a job event built from the options to the queue, as the consumer will read it', async () => {
    const result = await runCli([
      'event',
      'send',
      '--type',
      'job.submitted',
      '--pool',
      POOL,
      '--flavor',
      GPU,
      '--job-id',
      'j-1',
      '--units',
      '8',
      ...queueArgs,
    ]);
    expect(result.code).toBe(0);
    const rows = tsv(result.stdout);
    expect(rows[0]).toEqual(['type', 'pool', 'flavor', 'job', 'result', 'message']);
    expect(rows[1]?.slice(0, 5)).toEqual(['job.submitted', POOL, GPU, 'j-1', 'sent']);
    expect(await received()).toEqual([
      { type: 'job.submitted', pool: POOL, flavor: GPU, jobId: 'j-1', units: 8, at: expect.any(String) },
    ]);
  });

  it('sends nothing when one event of a file is invalid, and names every problem of it', async () => {
    await stack.sqs.client.send(new PurgeQueueCommand({ QueueUrl: stack.sqs.queueUrl }));
    const at = new Date().toISOString();
    const file = join(dir, 'events.jsonl');
    await writeFile(
      file,
      [
        JSON.stringify({ type: 'job.submitted', pool: POOL, flavor: GPU, jobId: 'j-2', units: 8, at }),
        JSON.stringify({ type: 'job.started', pool: POOL, flavor: GPU, units: 0, at }),
        JSON.stringify({ type: 'job.paused', pool: POOL }),
      ].join('\n'),
    );
    const result = await runCli(['event', 'send', file, ...queueArgs]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      [
        `error: ${file}: invalid event, nothing was sent`,
        'event 2: jobId: is required; units: must be at least 1',
        'event 3: type: must be one of job.submitted, job.started, job.finished, job.failed, job.cancelled, depth.snapshot, pool.evaluate',
        '',
      ].join('\n'),
    );
    expect(await received()).toEqual([]);
  });

  it('applies events directly to the depth tables with --direct, a duplicate ignored, as the consumer would', async () => {
    const event = JSON.stringify({
      type: 'job.submitted',
      pool: POOL,
      flavor: GPU,
      jobId: 'j-direct',
      units: 16,
      at: new Date().toISOString(),
    });
    const first = await runCli(['event', 'send', '-', '--direct', ...tableArgs], {}, { input: event });
    const again = await runCli(
      ['event', 'send', '-', '--direct', '-o', 'json', ...tableArgs],
      {},
      { input: event },
    );
    expect(first.code).toBe(0);
    expect(tsv(first.stdout)[1]?.slice(0, 5)).toEqual(['job.submitted', POOL, GPU, 'j-direct', 'applied']);
    expect(JSON.parse(again.stdout)).toEqual([
      expect.objectContaining({ jobId: 'j-direct', result: 'ignored' }),
    ]);
    const depth = await runCli(['depth', 'get', POOL, '-o', 'json', ...tableArgs]);
    expect(JSON.parse(depth.stdout)).toEqual([
      {
        flavor: GPU,
        pendingUnits: 16,
        runningUnits: 0,
        updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      },
    ]);
  });

  it("--direct refuses a flavor the pool's policy does not name, applying nothing", async () => {
    const result = await runCli([
      'event',
      'send',
      '--type',
      'depth.snapshot',
      '--pool',
      POOL,
      '--flavor',
      'modelarts.vm.npu.x',
      '--pending',
      '3',
      '--direct',
      ...tableArgs,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error: --direct: nothing was applied\nevent 1: flavor: flavor modelarts\.vm\.npu\.x is not in the policy of pool /,
    );
  });

  it('without a queue says where the queue comes from', async () => {
    const result = await runCli(['event', 'send', '--type', 'pool.evaluate', '--pool', POOL]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error: --queue-url is required \(or set POOL_AUTOSCALER_QUEUE_URL or QUEUE_URL\)/,
    );
  });
});

describe('depth set and get', () => {
  it("sets a flavor's counters with a snapshot, directly or through the queue", async () => {
    const direct = await runCli([
      'depth',
      'set',
      '--pool',
      POOL,
      '--flavor',
      GPU,
      '--pending',
      '32',
      '--running',
      '8',
      '--direct',
      ...tableArgs,
    ]);
    expect(direct.code).toBe(0);
    const depth = await runCli(['depth', 'get', '--pool', POOL, ...tableArgs]);
    expect(tsv(depth.stdout).map((row) => row.slice(0, 3))).toEqual([
      ['flavor', 'pending', 'running'],
      [GPU, '32', '8'],
    ]);
    await stack.sqs.client.send(new PurgeQueueCommand({ QueueUrl: stack.sqs.queueUrl }));
    const queued = await runCli([
      'depth',
      'set',
      '--pool',
      POOL,
      '--flavor',
      GPU,
      '--pending',
      '4',
      ...queueArgs,
    ]);
    expect(queued.code).toBe(0);
    expect(await received()).toEqual([
      {
        type: 'depth.snapshot',
        pool: POOL,
        flavor: GPU,
        pendingUnits: 4,
        runningUnits: 0,
        at: expect.any(String),
      },
    ]);
    const missing = await runCli(['depth', 'set', '--pool', POOL, '--flavor', GPU, ...queueArgs]);
    expect(missing.stderr).toBe(
      'error: depth set: invalid event, nothing was sent\npendingUnits: is required\n',
    );
  });
});
