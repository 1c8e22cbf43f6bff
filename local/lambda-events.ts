import type { SQSRecord, ScheduledEvent } from 'aws-lambda';

/** Lambda-shaped events for running the handlers outside Lambda: the local run, the tests and the benchmarks. */

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

export interface LocalSqsMessage {
  messageId: string;
  body: string;
  /** @default messageId */
  receiptHandle?: string;
  /** @default '1' */
  receiveCount?: string;
  /** Epoch ms, as SQS reports it. @default 0 */
  sentAt?: number | string;
  /** Epoch ms. @default sentAt */
  firstReceivedAt?: number | string;
  md5OfBody?: string;
}

/** One record of an `SQSEvent`, as Lambda's SQS event source mapping hands it to the consumer. */
export function localSqsRecord(message: LocalSqsMessage, queueName = 'local'): SQSRecord {
  const sentAt = String(message.sentAt ?? 0);
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle ?? message.messageId,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: message.receiveCount ?? '1',
      SentTimestamp: sentAt,
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? sentAt),
    },
    messageAttributes: {},
    md5OfBody: message.md5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:${queueName}`,
    awsRegion: REGION,
  };
}

/** The EventBridge scheduled event that triggers the evaluator. */
export function localScheduledEvent(id: string, at: number): ScheduledEvent {
  return {
    version: '0',
    id,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: ACCOUNT,
    time: new Date(at).toISOString(),
    region: REGION,
    resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/pool-autoscaler-sweep`],
    detail: {},
  };
}
