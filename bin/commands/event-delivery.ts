import { SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { ENV } from '../../functions/shared/config';
import {
  type EventTimeWindow,
  InvalidEventError,
  MAX_EVENT_AHEAD_SECONDS,
  type PipelineEvent,
  checkEventTime,
  isJobEvent,
  parseEvent,
} from '../../functions/shared/events';
import { checkNamedByPolicy } from '../../functions/shared/pipeline/consume-batch';
import { DEFAULT_EVALUATION_SETTINGS } from '../../functions/shared/pipeline/types';
import { DepthRepository } from '../../functions/shared/store/depth-repository';
import { policyFlavors } from '../../functions/shared/store/policy-flavors';
import { InputError, UsageError } from './errors';
import { type TableOptions, addTableOptions, awsClientOptions, awsRegion, storeFromOptions } from './options';

/**
 * Job events and depth snapshots from the command line, validated exactly as the consumer validates them, then
 * sent to the events queue (what a producer does) or, with `--direct`, applied to the depth tables the way the
 * consumer applies them (for a machine without the queue, such as a local session without its consumer).
 */

export interface DeliveryOptions extends TableOptions {
  direct: boolean;
  queueUrl?: string;
  sqsEndpointUrl?: string;
}

/** What became of one event. */
export interface Delivery {
  type: string;
  pool: string;
  flavor: string;
  jobId: string;
  /**
   * `sent` (to the queue), `applied`, `ignored` (a duplicate, or older than what is counted already), or
   * `rejected` (`--direct`: it contradicts what is recorded of its job; `error` says how).
   */
  result: 'sent' | 'applied' | 'ignored' | 'rejected';
  messageId: string;
  error?: string;
}

/** Environment variables naming the events queue, the first set wins. */
export const QUEUE_URL_VARIABLES = ['POOL_AUTOSCALER_QUEUE_URL', ENV.queueUrl] as const;

export function addDeliveryOptions(command: Command): Command {
  return addTableOptions(
    command
      .option(
        '--queue-url <url>',
        `the events queue (default: ${QUEUE_URL_VARIABLES.join(', else ')}; the stack output EventsQueueUrl)`,
      )
      .option(
        '--sqs-endpoint-url <url>',
        `SQS endpoint, e.g. an emulator on this machine (default: ${ENV.sqsEndpoint})`,
      )
      .option(
        '--direct',
        'apply to the depth tables as the consumer would, instead of sending to the queue (--table-prefix, --endpoint-url, --region choose the tables)',
        false,
      ),
  );
}

/** The time window the consumer accepts events in, with the stack's default retention. */
const WINDOW: EventTimeWindow = {
  maxAgeSeconds: DEFAULT_EVALUATION_SETTINGS.jobRetentionDays * 86_400,
  maxAheadSeconds: MAX_EVENT_AHEAD_SECONDS,
};

/** Validates every event first, with the consumer's own schema and time window; one bad event sends none. */
export function validateEvents(
  values: readonly unknown[],
  source: string,
  now: number = Date.now(),
): PipelineEvent[] {
  const problems: string[] = [];
  const events: PipelineEvent[] = [];
  values.forEach((value, index) => {
    const where = values.length > 1 ? `event ${index + 1}: ` : '';
    try {
      const event = parseEvent(JSON.stringify(value));
      if (event.type !== 'pool.evaluate') checkEventTime(event, now, WINDOW);
      events.push(event);
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      problems.push(`${where}${error.message}`);
    }
  });
  if (problems.length > 0)
    throw new InputError(source, `invalid event, nothing was sent\n${problems.join('\n')}`);
  if (events.length === 0) throw new InputError(source, 'holds no event');
  return events;
}

function describe(event: PipelineEvent): Omit<Delivery, 'result' | 'messageId'> {
  return {
    type: event.type,
    pool: event.pool,
    flavor: 'flavor' in event ? event.flavor : '',
    jobId: isJobEvent(event) ? event.jobId : '',
  };
}

function queueUrlOf(options: DeliveryOptions, env: NodeJS.ProcessEnv): string {
  const url = options.queueUrl ?? QUEUE_URL_VARIABLES.map((name) => env[name]).find((value) => value);
  if (!url)
    throw new UsageError(
      `--queue-url is required (or set ${QUEUE_URL_VARIABLES.join(' or ')}); --direct writes to the tables instead`,
    );
  return url;
}

async function sendToQueue(
  events: readonly PipelineEvent[],
  options: DeliveryOptions,
  env: NodeJS.ProcessEnv,
): Promise<Delivery[]> {
  const queueUrl = queueUrlOf(options, env);
  const endpoint = options.sqsEndpointUrl ?? env[ENV.sqsEndpoint];
  const sqs = new SQSClient(awsClientOptions(awsRegion(options, env), endpoint, env));
  const deliveries: Delivery[] = [];
  try {
    // SQS takes ten messages per batch.
    for (let start = 0; start < events.length; start += 10) {
      const batch = events.slice(start, start + 10);
      const answer = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((event, index) => ({ Id: String(index), MessageBody: JSON.stringify(event) })),
        }),
      );
      const failed = answer.Failed ?? [];
      if (failed.length > 0) {
        const reasons = failed.map(
          (entry) => `event ${start + Number(entry.Id) + 1}: ${entry.Message ?? entry.Code}`,
        );
        throw new Error(
          `the queue refused ${failed.length} event(s), ${deliveries.length} were sent: ${reasons.join('; ')}`,
        );
      }
      const ids = new Map((answer.Successful ?? []).map((entry) => [entry.Id, entry.MessageId ?? '']));
      batch.forEach((event, index) =>
        deliveries.push({ ...describe(event), result: 'sent', messageId: ids.get(String(index)) ?? '' }),
      );
    }
  } finally {
    sqs.destroy();
  }
  return deliveries;
}

async function applyDirectly(
  events: readonly PipelineEvent[],
  options: DeliveryOptions,
  env: NodeJS.ProcessEnv,
): Promise<Delivery[]> {
  const store = storeFromOptions(options, env);
  const depth = new DepthRepository(store, {
    jobRetentionDays: DEFAULT_EVALUATION_SETTINGS.jobRetentionDays,
  });
  const flavorsByPool = await policyFlavors(
    store,
    events.map((event) => event.pool),
    (ms) => sleep(ms),
  );
  // Every event must name a pool with a policy and one of its flavors before any is applied.
  const problems: string[] = [];
  events.forEach((event, index) => {
    if (event.type === 'pool.evaluate') {
      problems.push(
        `event ${index + 1}: pool.evaluate is not applied with --direct: run 'pool-autoscaler evaluate --pool ${event.pool}'`,
      );
      return;
    }
    try {
      checkNamedByPolicy(event, flavorsByPool);
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      problems.push(`event ${index + 1}: ${error.message}`);
    }
  });
  if (problems.length > 0) throw new InputError('--direct', `nothing was applied\n${problems.join('\n')}`);

  const deliveries: Delivery[] = [];
  // In order, one at a time: a job's events are applied in the order given, as the consumer applies a job's.
  for (const event of events) {
    if (event.type === 'pool.evaluate') continue;
    const now = Date.now();
    try {
      const applied = isJobEvent(event)
        ? (await depth.applyJobEvent(event, now)).applied
        : await depth.applySnapshot(event, now);
      deliveries.push({ ...describe(event), result: applied ? 'applied' : 'ignored', messageId: '' });
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      deliveries.push({ ...describe(event), result: 'rejected', messageId: '', error: error.message });
    }
  }
  return deliveries;
}

export async function deliver(
  events: readonly PipelineEvent[],
  options: DeliveryOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Delivery[]> {
  return options.direct ? applyDirectly(events, options, env) : sendToQueue(events, options, env);
}
