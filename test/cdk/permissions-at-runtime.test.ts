import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createConsumerHandler } from '../../functions/consumer/handler';
import { createEvaluatorHandler } from '../../functions/evaluator/handler';
import type { PipelineEvent } from '../../functions/shared/events';
import { type HandlerDependencies, dependenciesFromEnv } from '../../functions/shared/pipeline/dependencies';
import { RecordingTelemetry } from '../../functions/shared/pipeline/telemetry';
import { createDocumentClient } from '../../functions/shared/store/document-client';
import { PolicyRepository } from '../../functions/shared/store/policy-repository';
import { TABLE_KEYS, type TableKey } from '../../functions/shared/store/tables';
import type { TableAction } from '../../lib/autoscaler-tables';
import {
  CONSUMER_TABLE_ACCESS,
  WATCHER_TABLE_ACCESS,
  evaluatorTableAccess,
  type TableAccess,
} from '../../lib/table-access';
import { createWatcherHandler } from '../../functions/watcher/handler';
import { LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION } from '../../local/dynamodb-local';
import { localLambdaContext } from '../../local/sqs-lambda-poller';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { demoPool } from '../../simulator/index';
import { CREDENTIALS, gpuPolicy, jobEvent, TestClock, testClientFactory } from '../pipeline/harness';
import { localScheduledEvent, localSqsRecord } from '../../local/lambda-events';

/**
 * The other half of least privilege: the real handlers run against DynamoDB Local, the SQS emulator and the
 * ModelArts simulator, every DynamoDB request they send is recorded, and each must be covered by the grants the
 * construct gives that function. A new call in the pipeline that the stack does not grant fails here, not as an
 * AccessDenied in production.
 */

vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
afterAll(() => {
  vi.unstubAllEnvs();
});

type TableRequest = `${TableKey | '?'} ${TableAction | string}`;

const SINGLE_ITEM: Record<string, TableAction> = {
  GetItemCommand: 'dynamodb:GetItem',
  PutItemCommand: 'dynamodb:PutItem',
  UpdateItemCommand: 'dynamodb:UpdateItem',
  DeleteItemCommand: 'dynamodb:DeleteItem',
  QueryCommand: 'dynamodb:Query',
  ScanCommand: 'dynamodb:Scan',
};
const TRANSACT_ITEM: Record<string, TableAction> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

let stack: LocalStack;
let pool: string;
/** A pool whose demand is its workloads: evaluations read them and record the depth, the watcher polls it. */
let workloadsPool: string;
const clock = new TestClock();

beforeAll(async () => {
  stack = await startLocalStack({
    dynamoDbEndpoint: inject('dynamoDbEndpoint'),
    tablePrefix: `iam-${randomUUID().slice(0, 8)}-`,
    queueName: `iam-${randomUUID().slice(0, 8)}`,
    simulator: { auth: CREDENTIALS, now: clock.now, provisioningDelayMs: 60_000, deletionDelayMs: 30_000 },
  });
  pool = stack.simulator!.seedPool(demoPool()).metadata.name;
  await new PolicyRepository(stack.store).put(gpuPolicy(pool) as Record<string, unknown> & { pool: string }, {
    now: clock.now(),
  });
  const other = demoPool();
  other.metadata.labels['os.modelarts/name'] = 'by-workloads';
  workloadsPool = stack.simulator!.seedPool(other).metadata.name;
  await new PolicyRepository(stack.store).put(
    gpuPolicy(workloadsPool, { demand: 'workloads' }) as Record<string, unknown> & { pool: string },
    { now: clock.now() },
  );
});
afterAll(async () => {
  await stack?.stop();
});

/** Table key of a physical table name. */
function tableKeyOf(name: unknown): TableKey | '?' {
  return TABLE_KEYS.find((key) => stack.tables[key] === name) ?? '?';
}

/** The IAM actions one DynamoDB request needs, per table. */
function requestsOf(commandName: string, input: Record<string, unknown>): TableRequest[] {
  const single = SINGLE_ITEM[commandName];
  if (single) return [`${tableKeyOf(input.TableName)} ${single}`];
  if (commandName === 'BatchGetItemCommand' || commandName === 'BatchWriteItemCommand') {
    const action =
      commandName === 'BatchGetItemCommand' ? 'dynamodb:BatchGetItem' : 'dynamodb:BatchWriteItem';
    return Object.keys((input.RequestItems as Record<string, unknown>) ?? {}).map(
      (name) => `${tableKeyOf(name)} ${action}` as TableRequest,
    );
  }
  if (commandName === 'TransactWriteItemsCommand' || commandName === 'TransactGetItemsCommand') {
    return ((input.TransactItems as Array<Record<string, { TableName?: string }>>) ?? []).flatMap((item) =>
      Object.entries(item).map(
        ([kind, operation]) =>
          `${tableKeyOf(operation.TableName)} ${TRANSACT_ITEM[kind] ?? kind}` as TableRequest,
      ),
    );
  }
  return [`? ${commandName}`];
}

/** Handler dependencies like production's, on the local stack, with every DynamoDB request recorded. */
function recordingDependencies(
  recorded: Set<TableRequest>,
  overrides: Partial<HandlerDependencies> = {},
): HandlerDependencies {
  const client = new DynamoDBClient({
    endpoint: stack.dynamoDb.endpoint,
    region: LOCAL_AWS_REGION,
    credentials: LOCAL_AWS_CREDENTIALS,
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      for (const request of requestsOf(context.commandName ?? '?', args.input as Record<string, unknown>)) {
        recorded.add(request);
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordTableRequests' },
  );
  const logger = new Logger({ serviceName: 'pool-autoscaler-test', logLevel: 'SILENT' });
  return dependenciesFromEnv(
    { ...stack.env, HUAWEICLOUD_SDK_AK: CREDENTIALS.ak, HUAWEICLOUD_SDK_SK: CREDENTIALS.sk },
    {
      logger,
      metrics: new Metrics({ namespace: 'PoolAutoscalerTest', serviceName: 'pool-autoscaler-test', logger }),
      clock: clock.now,
      sleep: async () => undefined,
      modelArts: testClientFactory(),
      telemetry: new RecordingTelemetry(),
      sqs: stack.sqs.client,
      store: { doc: createDocumentClient(client), tables: stack.tables },
      ...overrides,
    },
  );
}

let batch = 0;
async function deliver(deps: HandlerDependencies, events: PipelineEvent[]): Promise<string[]> {
  batch += 1;
  const records = events.map((event, index) =>
    localSqsRecord(
      {
        messageId: `m-${batch}-${index}`,
        receiptHandle: `r-${batch}-${index}`,
        body: JSON.stringify(event),
        sentAt: clock.now(),
      },
      'events',
    ),
  );
  const response = await createConsumerHandler(deps)(
    { Records: records },
    localLambdaContext('consumer', `batch-${batch}`),
  );
  return response.batchItemFailures.map((failure) => failure.itemIdentifier);
}

function sweepEvent(): ScheduledEvent {
  return localScheduledEvent(`sweep-${randomUUID()}`, clock.now());
}

/** Requests the access set does not grant. */
function ungranted(recorded: Set<TableRequest>, access: TableAccess): TableRequest[] {
  return [...recorded].filter((request) => {
    const [table, action] = request.split(' ') as [TableKey | '?', TableAction];
    return table === '?' || !(access[table] ?? []).includes(action);
  });
}

describe('the consumer at run time', () => {
  const recorded = new Set<TableRequest>();

  it('sends only DynamoDB requests its grants cover, through job events, snapshots and evaluations', async () => {
    const deps = recordingDependencies(recorded);
    expect(
      await deliver(deps, [
        jobEvent('job.submitted', pool, 'j-1', 16),
        // Out of order: started before its submitted, so the job's state is read first.
        jobEvent('job.started', pool, 'j-2', 8),
        {
          type: 'depth.snapshot',
          pool,
          flavor: 'modelarts.vm.gpu.8v100',
          pendingUnits: 0,
          runningUnits: 0,
          at: new Date(clock.now()).toISOString(),
        },
      ]),
    ).toEqual([]);
    clock.advance(120_000);
    expect(
      await deliver(deps, [
        jobEvent('job.submitted', pool, 'j-2', 8),
        jobEvent('job.submitted', pool, 'j-1', 16),
      ]),
    ).toEqual([]);
    clock.advance(120_000);
    expect(
      await deliver(deps, [
        { type: 'pool.evaluate', pool, reason: 'operator' },
        { type: 'pool.evaluate', pool: workloadsPool, reason: 'operator' },
      ]),
    ).toEqual([]);

    expect(ungranted(recorded, CONSUMER_TABLE_ACCESS)).toEqual([]);
    // The run went through every path the grants are for.
    for (const request of [
      'jobs dynamodb:PutItem',
      'jobs dynamodb:GetItem',
      'depth dynamodb:UpdateItem',
      'policies dynamodb:BatchGetItem',
      'depth dynamodb:BatchGetItem',
      'scalerState dynamodb:UpdateItem',
      'tokenBuckets dynamodb:UpdateItem',
      'activities dynamodb:PutItem',
    ] as const) {
      expect(recorded.has(request), request).toBe(true);
    }
  });
});

describe('the evaluator at run time', () => {
  it('fanning out, only scans policies and sends to the queue', async () => {
    const recorded = new Set<TableRequest>();
    const deps = recordingDependencies(recorded, { evaluateInProcess: false });
    const summary = await createEvaluatorHandler(deps)(
      sweepEvent(),
      localLambdaContext('evaluator', 'sweep-1'),
    );
    expect(summary.sent).toBe(2);
    expect([...recorded]).toEqual(['policies dynamodb:Scan']);
    expect(ungranted(recorded, evaluatorTableAccess(false))).toEqual([]);
    const attributes = await stack.sqs.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: stack.sqs.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    expect(Number(attributes.Attributes?.ApproximateNumberOfMessages)).toBeGreaterThanOrEqual(1);
  });

  it('evaluating in process, sends only DynamoDB requests its grants cover', async () => {
    const recorded = new Set<TableRequest>();
    clock.advance(120_000);
    const deps = recordingDependencies(recorded, { evaluateInProcess: true });
    const summary = await createEvaluatorHandler(deps)(
      sweepEvent(),
      localLambdaContext('evaluator', 'sweep-2'),
    );
    expect(Object.keys(summary.evaluated).sort()).toEqual([pool, workloadsPool].sort());
    expect(ungranted(recorded, evaluatorTableAccess(true))).toEqual([]);
    expect(recorded.has('scalerState dynamodb:UpdateItem')).toBe(true);
    // The workloads pool's depth is replaced by what its workloads show.
    expect(recorded.has('depth dynamodb:UpdateItem')).toBe(true);
  });
});

describe('the watcher at run time', () => {
  it('sends only DynamoDB requests its grants cover, and queues the changed pool', async () => {
    const recorded = new Set<TableRequest>();
    const deps = recordingDependencies(recorded);
    const summary = await createWatcherHandler(deps, { periodMs: 30_000, rounds: 2 })(
      sweepEvent(),
      localLambdaContext('watcher', 'watch-1'),
    );
    expect(summary).toMatchObject({ rounds: 2, watched: 1, evaluations: [workloadsPool] });
    expect(ungranted(recorded, WATCHER_TABLE_ACCESS)).toEqual([]);
    for (const request of [
      'policies dynamodb:Scan',
      'scalerState dynamodb:GetItem',
      'scalerState dynamodb:UpdateItem',
      'tokenBuckets dynamodb:UpdateItem',
    ] as const) {
      expect(recorded.has(request), request).toBe(true);
    }
  });
});
