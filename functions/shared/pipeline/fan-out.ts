import { type SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { PoolEvaluateEvent } from '../events';

const SQS_BATCH = 10;
const ATTEMPTS = 3;

/**
 * Queues one `pool.evaluate` per pool, ten to a batch, sending again the entries the queue refused (up to three
 * attempts). Returns how many were accepted and the pools that could not be queued. The sweep and the workload
 * watcher both fan out this way; the consumer evaluates each message's pool.
 */
export async function sendPoolEvaluations(
  sqs: SQSClient,
  queueUrl: string,
  pools: readonly string[],
  message: Pick<PoolEvaluateEvent, 'reason' | 'correlationId'>,
): Promise<{ sent: number; failed: string[] }> {
  const failed: string[] = [];
  let sent = 0;
  for (let start = 0; start < pools.length; start += SQS_BATCH) {
    let batch = pools.slice(start, start + SQS_BATCH);
    for (let attempt = 0; attempt < ATTEMPTS && batch.length > 0; attempt += 1) {
      const result = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((pool, index) => {
            const body: PoolEvaluateEvent = { type: 'pool.evaluate', pool, ...message };
            return { Id: String(index), MessageBody: JSON.stringify(body) };
          }),
        }),
      );
      sent += result.Successful?.length ?? 0;
      batch = (result.Failed ?? [])
        .map((entry) => batch[Number(entry.Id)])
        .filter((pool) => pool !== undefined);
    }
    failed.push(...batch);
  }
  return { sent, failed };
}
