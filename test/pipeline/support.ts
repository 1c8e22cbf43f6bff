import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { createTables } from '../../functions/shared/store/create-tables';
import { type StoreContext, createDocumentClient } from '../../functions/shared/store/document-client';
import { tableNamesWithPrefix } from '../../functions/shared/store/tables';
import { LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION } from '../../local/dynamodb-local';

/** A DynamoDB client on the run's shared DynamoDB Local. */
export function localDynamoDbClient(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: inject('dynamoDbEndpoint'),
    region: LOCAL_AWS_REGION,
    credentials: LOCAL_AWS_CREDENTIALS,
  });
}

/** Fresh tables under a unique prefix, so test files never see each other's items. */
export async function createTestStore(label: string): Promise<StoreContext & { client: DynamoDBClient }> {
  const client = localDynamoDbClient();
  const tables = tableNamesWithPrefix(`${label}-${randomUUID().slice(0, 8)}-`);
  await createTables(client, tables);
  return { client, doc: createDocumentClient(client), tables };
}
