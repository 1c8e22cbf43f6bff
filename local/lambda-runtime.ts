import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { localLambdaContext, pollQueueOnce, type SqsLambdaHandler } from './sqs-lambda-poller';
import { localScheduledEvent } from './lambda-events';

export interface QueueCounters {
  /** Messages handed to the consumer (a redelivered message counts again). */
  received: number;
  /** Messages the consumer reported as batch item failures. */
  failed: number;
  batches: number;
  /** Errors of the poll itself (receive or delete), not of the handler. */
  pollErrors: number;
}

/**
 * Lambda's SQS event source mapping, locally: `concurrency` pollers, each receiving up to 10 messages, invoking
 * the consumer with an SQSEvent and deleting only the messages not reported in `batchItemFailures`; reported ones
 * become visible again after the visibility timeout and reach the DLQ after the redrive policy's receives.
 */
export class QueuePoller {
  readonly counters: QueueCounters = { received: 0, failed: 0, batches: 0, pollErrors: 0 };
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly options: {
      sqs: SQSClient;
      queueUrl: string;
      handler: SqsLambdaHandler;
      concurrency?: number;
      onError?: (error: unknown) => void;
    },
  ) {}

  start(): void {
    this.running = true;
    const concurrency = this.options.concurrency ?? 2;
    this.loops = Array.from({ length: concurrency }, () => this.loop());
  }

  /** Stops receiving and waits for the batches in hand to be handled. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        const result = await pollQueueOnce({
          sqs: this.options.sqs,
          queueUrl: this.options.queueUrl,
          handler: this.options.handler,
          maxMessages: 10,
          waitTimeSeconds: 1,
          functionName: 'pool-autoscaler-consumer',
        });
        if (result.received > 0) {
          this.counters.batches++;
          this.counters.received += result.received;
          this.counters.failed += result.failed.length;
        }
      } catch (error) {
        this.counters.pollErrors++;
        this.options.onError?.(error);
        if (this.running) await sleep(200);
      }
    }
  }
}

export type ScheduledHandler = (event: ScheduledEvent, context: Context) => Promise<unknown>;

/**
 * The EventBridge schedule, locally: invokes the evaluator every `intervalMs` of real time with a Scheduled Event.
 * A run never overlaps the previous one (a slow sweep delays the next, as a single schedule target would).
 */
export class EvaluatorSchedule {
  invocations = 0;
  errors = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly options: {
      handler: ScheduledHandler;
      intervalMs: number;
      /** Virtual epoch ms, for the event's `time`. */
      now: () => number;
      onError?: (error: unknown) => void;
      /** The scheduled function, for its Lambda context. @default 'pool-autoscaler-evaluator' */
      functionName?: string;
    },
  ) {}

  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  private tick(): void {
    if (this.inFlight) return;
    const id = randomUUID();
    const event = localScheduledEvent(id, this.options.now());
    this.invocations++;
    this.inFlight = this.options
      .handler(event, localLambdaContext(this.options.functionName ?? 'pool-autoscaler-evaluator', id))
      .then(
        () => undefined,
        (error: unknown) => {
          this.errors++;
          this.options.onError?.(error);
        },
      )
      .finally(() => {
        this.inFlight = undefined;
      });
  }
}
