import type { SqsLambdaHandler } from './sqs-lambda-poller';

/** A body that is not JSON, or has no string `type`, is counted under this name. */
const UNTYPED = 'untyped';

/**
 * The messages the consumer received, by their `type` (`job.submitted`, `pool.evaluate`, ...): what the queue
 * carried, as opposed to what the producer meant to send. A redelivered message counts again.
 */
export class MessageTally {
  readonly byType: Record<string, number> = {};

  /** The handler, counting each record of every batch it is given before handing the batch on. */
  counting(handler: SqsLambdaHandler): SqsLambdaHandler {
    return (event, context) => {
      for (const record of event.Records) {
        const type = typeOf(record.body);
        this.byType[type] = (this.byType[type] ?? 0) + 1;
      }
      return handler(event, context);
    };
  }

  /** Job events (`job.*`) the consumer received. */
  jobEvents(): number {
    return Object.entries(this.byType)
      .filter(([type]) => type.startsWith('job.'))
      .reduce((sum, [, count]) => sum + count, 0);
  }
}

function typeOf(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'type' in parsed &&
      typeof parsed.type === 'string'
    ) {
      return parsed.type;
    }
  } catch {
    // Not JSON: the consumer rejects it; it is still a message the queue carried.
  }
  return UNTYPED;
}
