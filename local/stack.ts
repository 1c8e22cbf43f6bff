import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { ENV, tableEnvironment } from '../functions/shared/config';
import { createTables } from '../functions/shared/store/create-tables';
import { type StoreContext, createDocumentClient } from '../functions/shared/store/document-client';
import { type TableNames, tableNamesWithPrefix } from '../functions/shared/store/tables';
import {
  type ModelArtsSimulator,
  type ModelArtsSimulatorOptions,
  startModelArtsSimulator,
} from '../simulator/index';
import { LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION, startDynamoDbLocal } from './dynamodb-local';
import { onLoopback } from './loopback';

export interface LocalStackOptions {
  /** Directory for DynamoDB Local's database file; in memory when left out. */
  dataDir?: string;
  /** Use a DynamoDB Local that is already running (the test run's shared one) instead of starting one. */
  dynamoDbEndpoint?: string;
  /** Prefix of the table names. @default 'local-' */
  tablePrefix?: string;
  /** Name of the events queue; the DLQ is `<name>-dlq`. @default 'pool-autoscaler-events' */
  queueName?: string;
  /** Receives before a message moves to the DLQ. @default 3 */
  maxReceiveCount?: number;
  /** @default 30 */
  visibilityTimeoutSeconds?: number;
  /** Options of the ModelArts simulator, or `false` to start none (a real endpoint is used). */
  simulator?: ModelArtsSimulatorOptions | false;
}

export interface LocalStack {
  dynamoDb: { endpoint: string; client: DynamoDBClient };
  store: StoreContext;
  tables: TableNames;
  sqs: { endpoint: string; client: SQSClient; queueUrl: string; dlqUrl: string; server: FauxqsServer };
  simulator: ModelArtsSimulator | undefined;
  /** The Lambda environment pointing at this stack (plus AWS credentials for the local emulators). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * DynamoDB Local, the fauxqs SQS emulator (queue + DLQ with redrive) and the ModelArts simulator, all on free
 * loopback ports, with the tables created from the same definitions the CDK stack uses.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
    stops.length = 0;
  };
  try {
    let dynamoDbEndpoint = options.dynamoDbEndpoint;
    if (dynamoDbEndpoint === undefined) {
      const dynamoDbLocal = await startDynamoDbLocal(options.dataDir ? { dataDir: options.dataDir } : {});
      stops.push(() => dynamoDbLocal.stop());
      dynamoDbEndpoint = dynamoDbLocal.endpoint;
    }
    const dynamoDbClient = new DynamoDBClient({
      endpoint: dynamoDbEndpoint,
      region: LOCAL_AWS_REGION,
      credentials: LOCAL_AWS_CREDENTIALS,
    });
    stops.push(async () => dynamoDbClient.destroy());
    const tables = tableNamesWithPrefix(options.tablePrefix ?? 'local-');
    await createTables(dynamoDbClient, tables);

    const fauxqs = await onLoopback(() =>
      startFauxqs({ port: 0, host: '127.0.0.1', logger: false, defaultRegion: LOCAL_AWS_REGION }),
    );
    stops.push(() => fauxqs.stop());
    const sqsEndpoint = `http://127.0.0.1:${fauxqs.port}`;
    const sqsClient = new SQSClient({
      endpoint: sqsEndpoint,
      region: LOCAL_AWS_REGION,
      credentials: LOCAL_AWS_CREDENTIALS,
    });
    stops.push(async () => sqsClient.destroy());
    const queueName = options.queueName ?? 'pool-autoscaler-events';
    const dlq = await sqsClient.send(new CreateQueueCommand({ QueueName: `${queueName}-dlq` }));
    const dlqUrl = dlq.QueueUrl as string;
    const dlqAttributes = await sqsClient.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
    );
    const queue = await sqsClient.send(
      new CreateQueueCommand({
        QueueName: queueName,
        Attributes: {
          VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlqAttributes.Attributes?.QueueArn,
            maxReceiveCount: options.maxReceiveCount ?? 3,
          }),
        },
      }),
    );
    const queueUrl = queue.QueueUrl as string;

    let simulator: ModelArtsSimulator | undefined;
    if (options.simulator !== false) {
      simulator = await startModelArtsSimulator({ port: 0, host: '127.0.0.1', ...(options.simulator ?? {}) });
      const started = simulator;
      stops.push(() => started.close());
    }

    const env: Record<string, string> = {
      ...tableEnvironment(tables),
      [ENV.queueUrl]: queueUrl,
      [ENV.dynamoDbEndpoint]: dynamoDbEndpoint,
      [ENV.sqsEndpoint]: sqsEndpoint,
      [ENV.awsRegion]: LOCAL_AWS_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
      // The simulator (this one, or one started with `pool-autoscaler sim`) is reached over loopback http; a
      // deployed stack never allows that.
      [ENV.modelArtsAllowLoopback]: 'true',
      ...(simulator
        ? { [ENV.modelArtsEndpoint]: simulator.url, [ENV.modelArtsProjectId]: simulator.projectId }
        : {}),
    };
    return {
      dynamoDb: { endpoint: dynamoDbEndpoint, client: dynamoDbClient },
      store: { doc: createDocumentClient(dynamoDbClient), tables },
      tables,
      sqs: { endpoint: sqsEndpoint, client: sqsClient, queueUrl, dlqUrl, server: fauxqs },
      simulator,
      env,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
