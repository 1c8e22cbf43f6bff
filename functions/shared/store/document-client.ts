import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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

/** Why one item of a cancelled transaction failed, as DynamoDB reports it in `CancellationReasons`. */
export type CancellationKind =
  /** The item was not the cause: another item cancelled the transaction. */
  | 'none'
  /** Its condition expression was false. */
  | 'condition'
  /** Another request was changing the item at the same time: worth retrying as is. */
  | 'conflict'
  /** The item would grow past DynamoDB's 400 KB limit: retrying cannot help. */
  | 'size'
  /** Throughput or request limits: retry later. */
  | 'throttled'
  /** Anything else (validation of the request itself). */
  | 'other';

interface CancellationReason {
  Code?: string;
  Message?: string;
  Item?: Record<string, unknown>;
}

function reasonKind(reason: CancellationReason | undefined): CancellationKind {
  switch (reason?.Code) {
    case undefined:
    case 'None':
      return 'none';
    case 'ConditionalCheckFailed':
      return 'condition';
    case 'TransactionConflict':
      return 'conflict';
    case 'ThrottlingError':
    case 'ProvisionedThroughputExceeded':
    case 'RequestLimitExceeded':
      return 'throttled';
    case 'ValidationError':
      return /size/i.test(reason.Message ?? '') ? 'size' : 'other';
    default:
      return 'other';
  }
}

/**
 * The reason of each item of a cancelled transaction, in the order the items were sent; undefined when the
 * error is not a cancelled transaction.
 */
export function cancellationKinds(error: unknown): CancellationKind[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
  return reasons.map(reasonKind);
}

/**
 * True when a DynamoDB error is a failed condition: a plain write's, or a transaction cancelled because a
 * condition of one of its items (the item at `transactIndex`, when given) was false. A transaction cancelled
 * for any other reason (a conflict, an item too large, throttling) is not a failed condition.
 */
export function isConditionFailure(error: unknown, transactIndex?: number): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'ConditionalCheckFailedException') return true;
  const kinds = cancellationKinds(error);
  if (kinds === undefined) return false;
  return transactIndex === undefined ? kinds.includes('condition') : kinds[transactIndex] === 'condition';
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

type BatchGetRequest = Record<
  string,
  {
    Keys: Record<string, unknown>[];
    ConsistentRead?: boolean;
    ProjectionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
  }
>;

/**
 * Every item of a BatchGetItem request (at most 100 keys), strongly consistent, asking again for the keys
 * DynamoDB left unprocessed after an exponentially growing pause. Items come back grouped by table.
 */
export async function batchGetAll(
  store: StoreContext,
  request: BatchGetRequest,
  sleep: (ms: number) => Promise<void>,
): Promise<Record<string, Record<string, unknown>[]>> {
  const found: Record<string, Record<string, unknown>[]> = {};
  let pending: BatchGetRequest = request;
  for (let attempt = 0; Object.keys(pending).length > 0; attempt += 1) {
    if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt));
    const result = await store.doc.send(new BatchGetCommand({ RequestItems: pending }));
    for (const [table, items] of Object.entries(result.Responses ?? {})) {
      (found[table] ??= []).push(...items);
    }
    const next: BatchGetRequest = {};
    for (const [table, keys] of Object.entries(result.UnprocessedKeys ?? {})) {
      if (keys.Keys && keys.Keys.length > 0) next[table] = { ...pending[table], Keys: keys.Keys };
    }
    pending = next;
  }
  return found;
}
