import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TableNames } from './tables';

/** What every repository needs: the document client and the physical table names. */
export interface StoreContext {
  readonly doc: DynamoDBDocumentClient;
  readonly tables: TableNames;
}

/** A document client that drops undefined attributes instead of failing on them. */
export function createDocumentClient(
  client: DynamoDBClient | DynamoDBClientConfig = {},
): DynamoDBDocumentClient {
  const base = client instanceof DynamoDBClient ? client : new DynamoDBClient(client);
  return DynamoDBDocumentClient.from(base, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: false },
  });
}

/** True when a DynamoDB error is a failed condition (plain write) or a transaction cancelled by one. */
export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'ConditionalCheckFailedException' || error.name === 'TransactionCanceledException')
  );
}

/**
 * Scalar attributes of an item DynamoDB returned in wire format (cancellation reasons and condition-failure
 * items bypass the document client's unmarshalling). Only strings and numbers are needed from them.
 */
export function scalarAttributes(item: Record<string, unknown> | undefined): Record<string, string | number> {
  const plain: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(item ?? {})) {
    if (typeof value === 'string' || typeof value === 'number') plain[key] = value;
    else if (value && typeof value === 'object') {
      const typed = value as { S?: unknown; N?: unknown };
      if (typeof typed.S === 'string') plain[key] = typed.S;
      else if (typeof typed.N === 'string') plain[key] = Number(typed.N);
    }
  }
  return plain;
}

/** The item a failed condition reported (ReturnValuesOnConditionCheckFailure = ALL_OLD), if any. */
export function conditionFailureItem(
  error: unknown,
  transactIndex = 0,
): Record<string, string | number> | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === 'TransactionCanceledException') {
    const reasons = (
      error as { CancellationReasons?: Array<{ Code?: string; Item?: Record<string, unknown> }> }
    ).CancellationReasons;
    const reason = reasons?.[transactIndex];
    return reason?.Code === 'ConditionalCheckFailed' && reason.Item
      ? scalarAttributes(reason.Item)
      : undefined;
  }
  const item = (error as { Item?: Record<string, unknown> }).Item;
  return item ? scalarAttributes(item) : undefined;
}
