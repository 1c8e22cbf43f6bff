import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvaluatorSchedule, QueuePoller } from '../../local/lambda-runtime';

let server: FauxqsServer;
let sqs: SQSClient;

beforeAll(async () => {
  server = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false, defaultRegion: 'us-east-1' });
  sqs = new SQSClient({
    endpoint: `http://127.0.0.1:${server.port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  sqs?.destroy();
  await server?.stop();
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('QueuePoller', () => {
  it('deletes handled messages and leaves reported failures to come back and reach the DLQ', async () => {
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'runtime-dlq' }));
    const dlqArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'runtime-events',
        Attributes: {
          VisibilityTimeout: '1',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
        },
      }),
    );
    const queueUrl = queue.QueueUrl!;
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: ['ok-1', 'poison', 'ok-2'].map((body, index) => ({ Id: String(index), MessageBody: body })),
      }),
    );
    const seen: string[] = [];
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      seen.push(...event.Records.map((record) => record.body));
      return {
        batchItemFailures: event.Records.filter((record) => record.body === 'poison').map((record) => ({
          itemIdentifier: record.messageId,
        })),
      };
    };
    const poller = new QueuePoller({ sqs, queueUrl, handler, concurrency: 2 });
    poller.start();
    try {
      await waitFor(async () => {
        const answer = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: dlq.QueueUrl,
            AttributeNames: ['ApproximateNumberOfMessages'],
          }),
        );
        return answer.Attributes?.ApproximateNumberOfMessages === '1';
      }, 15_000);
    } finally {
      await poller.stop();
    }
    expect(seen.filter((body) => body === 'poison')).toHaveLength(2);
    expect(seen.filter((body) => body !== 'poison').sort()).toEqual(['ok-1', 'ok-2']);
    expect(poller.counters).toMatchObject({ received: 4, failed: 2, pollErrors: 0 });
    const left = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }));
    expect(left.Messages ?? []).toEqual([]);
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.QueueUrl, WaitTimeSeconds: 0 }));
    expect(dead.Messages?.map((message) => message.Body)).toEqual(['poison']);
  });
});

describe('EvaluatorSchedule', () => {
  it('invokes the handler with a Scheduled Event on virtual time, never two runs at once', async () => {
    const times: string[] = [];
    let running = 0;
    let overlapped = false;
    const schedule = new EvaluatorSchedule({
      intervalMs: 20,
      now: () => Date.UTC(2026, 0, 1),
      handler: async (event) => {
        running++;
        if (running > 1) overlapped = true;
        times.push(event.time);
        await new Promise((resolve) => setTimeout(resolve, 50));
        running--;
        return undefined;
      },
    });
    schedule.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await schedule.stop();
    expect(overlapped).toBe(false);
    expect(times.length).toBeGreaterThanOrEqual(2);
    expect(new Set(times)).toEqual(new Set(['2026-01-01T00:00:00.000Z']));
    expect(schedule.invocations).toBe(times.length);
  });
});
