import { DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type StoreContext, isConditionFailure } from './document-client';

/**
 * A policy item as stored: the operator's document (ARCHITECTURE 3.1) plus bookkeeping attributes the
 * repository owns. The document is kept raw here; the engine's `parsePolicy` validates it where it is used,
 * so a broken policy is read, reported and never scales anything.
 */
export interface StoredPolicy {
  pool: string;
  /** The policy document exactly as written, without the bookkeeping attributes. */
  document: Record<string, unknown>;
  /** Incremented on every write; 0 never exists. */
  version: number;
  /** Epoch ms of the last write. */
  updatedAt: number;
}

/** Attributes on the item that are not part of the operator's document. */
export const POLICY_BOOKKEEPING_ATTRIBUTES = ['version', 'updatedAt'] as const;

export class PolicyVersionConflictError extends Error {
  override readonly name = 'PolicyVersionConflictError';
  constructor(
    readonly pool: string,
    readonly expectedVersion: number,
  ) {
    super(
      expectedVersion === 0
        ? `policy for pool ${pool} already exists`
        : `policy for pool ${pool} is no longer at version ${expectedVersion}`,
    );
  }
}

export class PolicyNotFoundError extends Error {
  override readonly name = 'PolicyNotFoundError';
  constructor(readonly pool: string) {
    super(`no policy for pool ${pool}`);
  }
}

/** Splits a raw item into the operator's document and the bookkeeping. */
export function storedPolicyFromItem(item: Record<string, unknown>): StoredPolicy {
  const { version, updatedAt, ...document } = item;
  return {
    pool: String(item.pool),
    document,
    version: typeof version === 'number' ? version : 0,
    updatedAt: typeof updatedAt === 'number' ? updatedAt : 0,
  };
}

export interface PutPolicyOptions {
  /** Write only if the stored item is at this version; 0 means it must not exist yet. */
  expectedVersion?: number;
  now: number;
}

export class PolicyRepository {
  constructor(private readonly store: StoreContext) {}

  async get(pool: string): Promise<StoredPolicy | undefined> {
    const result = await this.store.doc.send(
      new GetCommand({ TableName: this.store.tables.policies, Key: { pool }, ConsistentRead: true }),
    );
    return result.Item ? storedPolicyFromItem(result.Item) : undefined;
  }

  /** Writes a policy document (its `pool` field is the key) and returns the new version. */
  async put(
    document: Record<string, unknown> & { pool: string },
    options: PutPolicyOptions,
  ): Promise<number> {
    const { pool } = document;
    const expected = options.expectedVersion;
    const current = expected === undefined ? await this.get(pool) : undefined;
    const base = expected ?? current?.version ?? 0;
    const content = Object.fromEntries(
      Object.entries(document).filter(
        ([key]) => !(POLICY_BOOKKEEPING_ATTRIBUTES as readonly string[]).includes(key),
      ),
    );
    try {
      await this.store.doc.send(
        new PutCommand({
          TableName: this.store.tables.policies,
          Item: { ...content, pool, version: base + 1, updatedAt: options.now },
          ConditionExpression: base === 0 ? 'attribute_not_exists(#pool)' : '#version = :expected',
          ExpressionAttributeNames: base === 0 ? { '#pool': 'pool' } : { '#version': 'version' },
          ...(base === 0 ? {} : { ExpressionAttributeValues: { ':expected': base } }),
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new PolicyVersionConflictError(pool, base);
      throw error;
    }
    return base + 1;
  }

  /** Pauses or resumes a pool without touching the rest of its policy. */
  async setEnabled(pool: string, enabled: boolean, now: number): Promise<number> {
    try {
      const result = await this.store.doc.send(
        new UpdateCommand({
          TableName: this.store.tables.policies,
          Key: { pool },
          UpdateExpression: 'SET #enabled = :enabled, #updatedAt = :now ADD #version :one',
          ConditionExpression: 'attribute_exists(#pool)',
          ExpressionAttributeNames: {
            '#enabled': 'enabled',
            '#updatedAt': 'updatedAt',
            '#version': 'version',
            '#pool': 'pool',
          },
          ExpressionAttributeValues: { ':enabled': enabled, ':now': now, ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(result.Attributes?.version ?? 0);
    } catch (error) {
      if (isConditionFailure(error)) throw new PolicyNotFoundError(pool);
      throw error;
    }
  }

  async delete(pool: string): Promise<void> {
    await this.store.doc.send(new DeleteCommand({ TableName: this.store.tables.policies, Key: { pool } }));
  }

  /** Every policy, enabled or not (operators have a handful to a few thousand pools). */
  async list(): Promise<StoredPolicy[]> {
    return this.scan(false);
  }

  /** Policies whose `enabled` is not false: the pools the evaluator sweeps. */
  async listEnabled(): Promise<StoredPolicy[]> {
    return this.scan(true);
  }

  private async scan(enabledOnly: boolean): Promise<StoredPolicy[]> {
    const policies: StoredPolicy[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.store.doc.send(
        new ScanCommand({
          TableName: this.store.tables.policies,
          ExclusiveStartKey: startKey,
          ...(enabledOnly
            ? {
                FilterExpression: 'attribute_not_exists(#enabled) OR #enabled <> :false',
                ExpressionAttributeNames: { '#enabled': 'enabled' },
                ExpressionAttributeValues: { ':false': false },
              }
            : {}),
        }),
      );
      for (const item of page.Items ?? []) policies.push(storedPolicyFromItem(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return policies.sort((a, b) => a.pool.localeCompare(b.pool));
  }
}
