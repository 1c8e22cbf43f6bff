import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { localSqsRecord } from './lambda-events';

export type SqsLambdaHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface PollOptions {
  sqs: SQSClient;
  queueUrl: string;
  handler: SqsLambdaHandler;
  /** Up to 10, like a Lambda event source mapping's batch. @default 10 */
  maxMessages?: number;
  /** Long-poll wait. @default 0 */
  waitTimeSeconds?: number;
  functionName?: string;
  /** The function's timeout: the context's remaining time counts down from it. @default 60000 */
  timeoutMs?: number;
}

export interface PollResult {
  received: number;
  failed: string[];
}

/**
 * A Lambda context for running handlers outside Lambda. Its remaining time counts down from `timeoutMs` on the
 * real clock from the moment it is made, as Lambda's does from the invocation's start.
 */
export function localLambdaContext(functionName: string, requestId: string, timeoutMs = 60_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * One receive → invoke → delete cycle, as Lambda's SQS event source mapping does it with
 * `ReportBatchItemFailures`: reported failures stay on the queue, become visible again after the
 * visibility timeout, and reach the DLQ after `maxReceiveCount` receives.
 */
export async function pollQueueOnce(options: PollOptions): Promise<PollResult> {
  const received = await options.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: options.queueUrl,
      MaxNumberOfMessages: options.maxMessages ?? 10,
      WaitTimeSeconds: options.waitTimeSeconds ?? 0,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  const messages = received.Messages ?? [];
  if (messages.length === 0) return { received: 0, failed: [] };
  const records = messages.map((message) =>
    localSqsRecord({
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      receiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
      sentAt: message.Attributes?.SentTimestamp ?? Date.now(),
      firstReceivedAt: message.Attributes?.ApproximateFirstReceiveTimestamp ?? Date.now(),
      md5OfBody: message.MD5OfBody ?? '',
    }),
  );
  const functionName = options.functionName ?? 'consumer';
  const response = await options.handler(
    { Records: records },
    localLambdaContext(functionName, records[0]!.messageId, options.timeoutMs),
  );
  const failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
  const done = records.filter((record) => !failed.has(record.messageId));
  if (done.length > 0) {
    await options.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: done.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
      }),
    );
  }
  return { received: records.length, failed: [...failed] };
}
