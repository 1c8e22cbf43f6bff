import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { PipelineEvent } from '../functions/shared/events';

export class EventPublishError extends Error {
  override readonly name = 'EventPublishError';
}

/** Sends events to the queue in batches of 10, retrying entries the queue refused (what a producer does). */
export async function publishEvents(
  sqs: SQSClient,
  queueUrl: string,
  events: readonly PipelineEvent[],
): Promise<void> {
  for (let start = 0; start < events.length; start += 10) {
    let batch = events.slice(start, start + 10);
    for (let attempt = 0; batch.length > 0; attempt++) {
      if (attempt >= 5) throw new EventPublishError(`the queue refused ${batch.length} event(s) five times`);
      const result = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((event, index) => ({ Id: String(index), MessageBody: JSON.stringify(event) })),
        }),
      );
      batch = (result.Failed ?? []).flatMap((entry) => {
        const event = batch[Number(entry.Id)];
        return event ? [event] : [];
      });
    }
  }
}
