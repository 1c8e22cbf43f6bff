import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type StoreContext, conditionFailureItem, isConditionFailure } from './document-client';

export interface TokenBucketOptions {
  /** Tokens added per second: the sustained request rate. */
  ratePerSecond: number;
  /** Tokens the bucket holds when full: the largest burst. */
  burst: number;
}

export type TokenGrant = { granted: true; remaining: number } | { granted: false; waitMs: number };

interface BucketLevel {
  /** undefined: the item does not exist yet (a full bucket). */
  tokens: number | undefined;
  updatedAt: number;
}

/** Key of the bucket shared by everything that calls one ModelArts endpoint for one project. */
export function tokenBucketKey(endpoint: string, projectId: string): string {
  return `${new URL(endpoint).origin}#${projectId}`;
}

const MAX_ATTEMPTS = 10;

/**
 * A token bucket in DynamoDB shared by every concurrent Lambda. The refill is computed from the stored
 * timestamp and written back with a condition on the level it was computed from, so two takers can never
 * spend the same token. The last level seen is cached: a warm taker usually needs one write, no read.
 */
export class TokenBucketRepository {
  /** Shared by every repository in the process (one per batch or evaluation), keyed by table and bucket. */
  private static readonly lastSeenLevels = new Map<string, BucketLevel>();

  constructor(
    private readonly store: StoreContext,
    private readonly options: TokenBucketOptions,
  ) {}

  async take(bucket: string, now: number, cost = 1): Promise<TokenGrant> {
    let level = this.lastSeen(bucket) ?? { tokens: undefined, updatedAt: now };
    let fresh = false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const available = this.refill(level, now);
      if (available < cost) {
        if (fresh) {
          return {
            granted: false,
            waitMs: Math.ceil(((cost - available) / this.options.ratePerSecond) * 1000),
          };
        }
        level = await this.read(bucket, now);
        fresh = true;
        continue;
      }
      // Never move the timestamp backwards when another Lambda's clock ran ahead.
      const stamp = Math.max(now, level.updatedAt);
      // Rounded so the stored decimal and the value compared next time are the same number.
      const remaining = Math.round((available - cost) * 1e6) / 1e6;
      try {
        await this.store.doc.send(
          new UpdateCommand({
            TableName: this.store.tables.tokenBuckets,
            Key: { bucket },
            UpdateExpression: 'SET #tokens = :tokens, #updatedAt = :stamp',
            ConditionExpression:
              level.tokens === undefined
                ? 'attribute_not_exists(#tokens)'
                : '#tokens = :previousTokens AND #updatedAt = :previousStamp',
            ExpressionAttributeNames: { '#tokens': 'tokens', '#updatedAt': 'updatedAt' },
            ExpressionAttributeValues: {
              ':tokens': remaining,
              ':stamp': stamp,
              ...(level.tokens === undefined
                ? {}
                : { ':previousTokens': level.tokens, ':previousStamp': level.updatedAt }),
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        this.remember(bucket, { tokens: remaining, updatedAt: stamp });
        return { granted: true, remaining };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const stored = conditionFailureItem(error);
        level =
          stored && typeof stored.tokens === 'number' && typeof stored.updatedAt === 'number'
            ? { tokens: stored.tokens, updatedAt: stored.updatedAt }
            : await this.read(bucket, now);
        this.remember(bucket, level);
        fresh = true;
      }
    }
    // Lost every race: as many takers as tokens are contending, so answer as an empty bucket would. The caller
    // then waits or records Throttled instead of failing the evaluation and its message.
    return { granted: false, waitMs: Math.ceil((cost / this.options.ratePerSecond) * 1000) };
  }

  private lastSeen(bucket: string): BucketLevel | undefined {
    return TokenBucketRepository.lastSeenLevels.get(`${this.store.tables.tokenBuckets}\u0000${bucket}`);
  }

  private remember(bucket: string, level: BucketLevel): void {
    TokenBucketRepository.lastSeenLevels.set(`${this.store.tables.tokenBuckets}\u0000${bucket}`, level);
  }

  private refill(level: BucketLevel, now: number): number {
    if (level.tokens === undefined) return this.options.burst;
    const elapsedSeconds = Math.max(0, now - level.updatedAt) / 1000;
    return Math.min(this.options.burst, level.tokens + elapsedSeconds * this.options.ratePerSecond);
  }

  private async read(bucket: string, now: number): Promise<BucketLevel> {
    const result = await this.store.doc.send(
      new GetCommand({ TableName: this.store.tables.tokenBuckets, Key: { bucket }, ConsistentRead: true }),
    );
    const item = result.Item;
    const level: BucketLevel =
      item && typeof item.tokens === 'number' && typeof item.updatedAt === 'number'
        ? { tokens: item.tokens, updatedAt: item.updatedAt }
        : { tokens: undefined, updatedAt: now };
    this.remember(bucket, level);
    return level;
  }
}
