import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createConsumerHandler } from '../../functions/consumer/handler';
import { type JobEvent, parseEvent } from '../../functions/shared/events';
import { dependenciesFromEnv } from '../../functions/shared/pipeline/dependencies';
import { RecordingTelemetry } from '../../functions/shared/pipeline/telemetry';
import { DepthRepository } from '../../functions/shared/store/depth-repository';
import { localLambdaContext } from '../../local/sqs-lambda-poller';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { localSqsRecord } from '../../local/lambda-events';
import { PolicyRepository } from '../../functions/shared/store/policy-repository';
import { anchoredClock } from '../clock-anchor';

let stack: LocalStack;
let handler: ReturnType<typeof createConsumerHandler>;
let depth: DepthRepository;

beforeAll(async () => {
  stack = await startLocalStack({
    dynamoDbEndpoint: inject('dynamoDbEndpoint'),
    tablePrefix: `fuzz-${randomUUID().slice(0, 8)}-`,
    queueName: `fuzz-${randomUUID().slice(0, 8)}`,
    simulator: false,
  });
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const logger = new Logger({ serviceName: 'fuzz', logLevel: 'SILENT' });
  const deps = dependenciesFromEnv(
    { ...stack.env, POWERTOOLS_LOG_LEVEL: 'SILENT' },
    {
      clock,
      logger,
      metrics: new Metrics({ namespace: 'Fuzz', serviceName: 'fuzz', logger }),
      telemetry: new RecordingTelemetry(),
      sqs: stack.sqs.client,
    },
  );
  handler = createConsumerHandler(deps);
  depth = new DepthRepository(stack.store, { jobRetentionDays: 16 });
  // A paused policy: its flavors are counted, and evaluating the pool calls nothing.
  await new PolicyRepository(stack.store).put(
    { pool: POOL, enabled: false, flavors: Object.fromEntries(FLAVORS.map((flavor) => [flavor, {}])) },
    { now: clock() },
  );
});
afterAll(() => stack?.stop());

const clock = anchoredClock();
const AT = new Date(clock()).toISOString();
const POOL = 'fuzz-pool-6f5da086876d4cd084d36f8bd3346036';
const FLAVORS = ['modelarts.vm.gpu.8v100', 'modelarts.vm.npu.8snt9b'] as const;
let jobCounter = 0;

const validEvent = fc
  .record({
    type: fc.constantFrom('job.submitted', 'job.started', 'job.finished') as fc.Arbitrary<JobEvent['type']>,
    flavor: fc.constantFrom(...FLAVORS),
    units: fc.integer({ min: 1, max: 64 }),
  })
  .map((fields) => {
    jobCounter += 1;
    return {
      ...fields,
      pool: POOL,
      jobId: `fuzz-${jobCounter}`,
      at: AT,
    } satisfies JobEvent;
  });

/** Bodies that must be refused: not JSON, wrong types, missing or unknown fields, out-of-range values, huge strings. */
const invalidBody = fc
  .oneof(
    fc.string({ maxLength: 300 }).filter((text) => {
      try {
        parseEvent(text);
        return false;
      } catch {
        return true;
      }
    }),
    fc.constant(''),
    fc.constant('x'.repeat(200_000)),
    fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
    fc
      .tuple(
        fc.constantFrom('type', 'pool', 'flavor', 'jobId', 'units', 'at'),
        fc.oneof(
          fc.constant(undefined),
          fc.constant(null),
          fc.integer(),
          fc.string({ maxLength: 400 }),
          fc.constant(-5),
          fc.constant(1e12),
        ),
      )
      .map(([field, value]) => {
        const event: Record<string, unknown> = {
          type: 'job.submitted',
          pool: 'p',
          flavor: 'f',
          jobId: 'j',
          units: 8,
          at: AT,
        };
        if (value === undefined) delete event[field];
        else event[field] = value;
        return JSON.stringify(event);
      }),
    fc.string({ minLength: 1, maxLength: 12 }).map((key) =>
      JSON.stringify({
        type: 'job.submitted',
        pool: 'p',
        flavor: 'f',
        jobId: 'j',
        units: 8,
        at: AT,
        [`x${key}`]: 1,
      }),
    ),
  )
  .filter((body) => {
    try {
      parseEvent(body);
      return false;
    } catch {
      return true;
    }
  });

function record(messageId: string, body: string): SQSRecord {
  return localSqsRecord({ messageId, body }, 'fuzz');
}

describe('consumer handler under fuzzed SQS bodies', () => {
  it('reports exactly the bad records as batch item failures and processes their batch-mates', async () => {
    let batch = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            validEvent.map((event) => ({ event })),
            invalidBody.map((body) => ({ body })),
          ),
          {
            minLength: 1,
            maxLength: 10,
          },
        ),
        async (items) => {
          batch += 1;
          const records = items.map((item, i) =>
            record(`b${batch}-m${i}`, 'event' in item ? JSON.stringify(item.event) : item.body),
          );
          const response = await handler(
            { Records: records },
            localLambdaContext('consumer', `fuzz-${batch}`),
          );
          const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
          const expectedFailed = new Set(
            items.flatMap((item, i) => ('body' in item ? [`b${batch}-m${i}`] : [])),
          );
          expect(failed).toEqual(expectedFailed);
          for (const item of items) {
            if (!('event' in item)) continue;
            const job = await depth.getJob(item.event.pool, item.event.jobId);
            expect(job?.state).toBe(item.event.type.slice(4));
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('a batch of nothing but garbage fails every record and never throws', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(invalidBody, { minLength: 1, maxLength: 10 }), async (bodies) => {
        const records = bodies.map((body, i) => record(`g-${i}-${randomUUID()}`, body));
        const response = await handler({ Records: records }, localLambdaContext('consumer', 'garbage'));
        expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(
          records.map((r) => r.messageId).sort(),
        );
      }),
      { numRuns: 20 },
    );
  });
});
