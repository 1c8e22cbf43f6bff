import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvent } from '../../functions/shared/events';
import { tokenBucketKey } from '../../functions/shared/store/token-bucket-repository';
import { createWatcherHandler } from '../../functions/watcher/handler';
import { queueFingerprint } from '../../functions/watcher/queue-fingerprint';
import { roundsPerMinute, watcherSettingsFromEnv } from '../../functions/watcher/settings';
import { WATCHER_REASON, watchWorkloadQueues } from '../../functions/watcher/watch-pools';
import { localLambdaContext } from '../../local/sqs-lambda-poller';
import { localScheduledEvent } from '../../local/lambda-events';
import { demoPool } from '../../simulator/index';
import { GPU, type Harness, gpuPolicy, startHarness } from './harness';

/*
 * The workload watcher against the simulator, DynamoDB Local and the SQS emulator: a round polls the workload
 * statistics of each pool whose demand is its workloads, queues one pool.evaluate for a pool whose counts
 * changed and none for the others, and takes every request's token from the shared bucket without waiting.
 */

let harness: Harness;
let watched: string[];
let eventsPool: string;

function seed(label: string): string {
  const created = demoPool();
  created.metadata.labels['os.modelarts/name'] = label;
  return harness.stack.simulator!.seedPool(created).metadata.name;
}

beforeAll(async () => {
  harness = await startHarness('watcher');
  watched = [harness.pool, seed('watched-b'), seed('watched-c')];
  for (const pool of watched) await harness.putPolicy(gpuPolicy(pool, { demand: 'workloads' }));
  eventsPool = seed('by-events');
  await harness.putPolicy(gpuPolicy(eventsPool, { demand: 'events+workloads' }));
});
afterAll(() => harness?.stop());

/** The `pool.evaluate` messages on the queue, taken off it. */
async function takeMessages(): Promise<Array<{ pool: string; reason: string }>> {
  const { client } = harness.stack.sqs;
  const taken: Array<{ pool: string; reason: string }> = [];
  for (;;) {
    const received = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: harness.stack.sqs.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) return taken.sort((a, b) => (a.pool < b.pool ? -1 : 1));
    for (const message of messages) {
      const event = parseEvent(message.Body ?? '');
      if (event.type === 'pool.evaluate') taken.push({ pool: event.pool, reason: event.reason });
      await client.send(
        new DeleteMessageCommand({
          QueueUrl: harness.stack.sqs.queueUrl,
          ReceiptHandle: message.ReceiptHandle!,
        }),
      );
    }
  }
}

function statisticsRequestsSince(index: number): string[] {
  return harness.stack
    .simulator!.requestLog.slice(index)
    .filter((entry) => entry.path.includes('/statistics/pools/'))
    .map((entry) => /\/statistics\/pools\/([^/]+)\/workloads/.exec(entry.path)?.[1] ?? '?')
    .sort();
}

function round(deps = harness.dependencies()) {
  return watchWorkloadQueues(deps, {
    sqs: harness.stack.sqs.client,
    queueUrl: harness.stack.sqs.queueUrl,
    correlationId: 'watch-test',
  });
}

describe('the workload watcher', () => {
  it('polls only the pools whose demand is their workloads, and evaluates each the first time it sees it', async () => {
    const before = harness.stack.simulator!.requestLog.length;
    const result = await round();
    expect(result.watched.sort()).toEqual([...watched].sort());
    expect(statisticsRequestsSince(before)).toEqual([...watched].sort());
    expect(result.modelArtsRequests).toBe(3);
    expect(await takeMessages()).toEqual(
      [...watched].sort().map((pool) => ({ pool, reason: WATCHER_REASON })),
    );
  });

  it('queues nothing while the queues stay as they were', async () => {
    harness.clock.advance(30_000);
    const result = await round();
    expect(result).toMatchObject({ changed: [], sent: 0, skipped: [] });
    expect(await takeMessages()).toEqual([]);
  });

  it('queues one pool.evaluate for the pool whose queue changed, and none for the others', async () => {
    const simulator = harness.stack.simulator!;
    const [changedPool] = watched;
    // Four whole-node jobs on two nodes: two run, two wait.
    for (let i = 0; i < 4; i += 1) simulator.submitWorkload(changedPool!, { flavor: GPU, accelerators: 8 });
    // The events pool changes too, but events drive it.
    simulator.submitWorkload(eventsPool, { flavor: GPU, accelerators: 8 });
    harness.clock.advance(30_000);
    const result = await round();
    expect(result.changed).toEqual([changedPool]);
    expect(await takeMessages()).toEqual([{ pool: changedPool, reason: WATCHER_REASON }]);
    // Seen once: the next round is quiet again.
    harness.clock.advance(30_000);
    expect((await round()).changed).toEqual([]);
  });

  it('takes each poll from the shared request budget without waiting, and skips the pools it cannot pay for', async () => {
    const base = harness.dependencies();
    const slept: number[] = [];
    const deps = {
      ...base,
      sleep: async (ms: number) => {
        slept.push(ms);
      },
      settings: { ...base.settings, requestsPerSecond: 0.001, burst: 2 },
    };
    const { simulator } = harness.stack;
    // Two tokens left in the bucket every function shares.
    await base.store.doc.send(
      new PutCommand({
        TableName: harness.stack.tables.tokenBuckets,
        Item: {
          bucket: tokenBucketKey(simulator!.url, simulator!.projectId),
          tokens: 2,
          updatedAt: harness.clock.now(),
        },
      }),
    );
    harness.clock.advance(30);
    const before = simulator!.requestLog.length;
    const result = await round(deps);
    expect(statisticsRequestsSince(before)).toHaveLength(2);
    expect(result.modelArtsRequests).toBe(2);
    expect(result.skipped).toEqual([{ pool: expect.any(String), reason: 'request budget exhausted' }]);
    expect(slept).toEqual([]);
  });

  it('as a scheduled handler, polls every period within the invocation', async () => {
    const slept: number[] = [];
    const deps = {
      ...harness.dependencies(),
      sleep: async (ms: number) => {
        slept.push(ms);
      },
    };
    harness.clock.advance(60_000);
    const before = harness.stack.simulator!.requestLog.length;
    const summary = await createWatcherHandler(deps, { periodMs: 30_000, rounds: 2 })(
      localScheduledEvent('watch-1', harness.clock.now()),
      localLambdaContext('watcher', 'watch-1'),
    );
    expect(summary).toMatchObject({ rounds: 2, watched: 3 });
    expect(slept).toEqual([30_000]);
    expect(statisticsRequestsSince(before)).toHaveLength(6);
    await takeMessages();
  });
});

describe('watcher settings and fingerprints', () => {
  it('polls twice a minute by default, once at a minute or more, and names a bad variable', () => {
    expect(watcherSettingsFromEnv({})).toEqual({ periodMs: 30_000, rounds: 2 });
    expect(watcherSettingsFromEnv({ WATCH_PERIOD_SECONDS: '15' })).toEqual({ periodMs: 15_000, rounds: 4 });
    expect(roundsPerMinute(120)).toBe(1);
    expect(watcherSettingsFromEnv({ WATCH_PERIOD_SECONDS: '30', WATCH_ROUNDS: '1' }).rounds).toBe(1);
    expect(() => watcherSettingsFromEnv({ WATCH_PERIOD_SECONDS: '2' })).toThrow(
      'environment variable WATCH_PERIOD_SECONDS: must be at least 10',
    );
  });

  it.each([
    [
      'counts the demand statuses of the counted types, in type order',
      ['train', 'notebook'],
      'notebook:Queue=0,Pending=0,Running=1;train:Queue=2,Pending=0,Running=3',
    ],
    ['reads a type without workloads as zeros', ['infer'], 'infer:Queue=0,Pending=0,Running=0'],
  ])('%s', (_name, types, expected) => {
    const statistics = {
      statistics: {
        total: 9,
        items: [
          { type: 'train', total: 8, status: { Queue: 2, Running: 3, Completed: 3 } },
          { type: 'notebook', total: 1, status: { Running: 1 } },
        ],
      },
    };
    expect(queueFingerprint(statistics, types)).toBe(expected);
  });
});
