import { setTimeout as sleep } from 'node:timers/promises';
import { BatchWriteCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { TransactWriteItem } from './scaler-state-repository';
import type { StoreContext } from './document-client';
import { ACTIVITIES_BY_DAY_INDEX } from './tables';

export const ACTIVITY_STATUSES = [
  'Successful',
  'Failed',
  'Throttled',
  'Skipped',
  'DryRun',
  'NoChange',
  'Invalid',
] as const;

export type ActivityStatus = (typeof ACTIVITY_STATUSES)[number];

/** Sizing of one flavor entry as recorded (the fields the autoscaler may change). */
export interface ActivitySize {
  count: number;
  maxCount?: number;
  azs?: Array<{ az: string; count: number }>;
}

/** One record per decision or attempt, per flavor (`*` when it concerns the whole pool). */
export interface Activity {
  pool: string;
  /** Unique per record; with `at` it forms the sort key. */
  id: string;
  /** ISO-8601 time of the decision. */
  at: string;
  flavor: string;
  status: ActivityStatus;
  /** Engine action (`scale`, `none`, `skip`, `dry-run`, `disabled`) when the engine ran. */
  action?: string;
  /** Why the pool was evaluated (`schedule`, `job events`, an operator's reason). */
  trigger?: string;
  before?: ActivitySize;
  after?: ActivitySize;
  desired?: number;
  demandUnits?: number;
  /** Reason trail, in order: pool-level reasons first, then the flavor's. */
  reasons: string[];
  httpStatus?: number;
  errorCode?: string;
  errorMessage?: string;
  /** HTTP attempts of the request this record reports (more than 1 after retries). */
  attempts?: number;
  /** Why earlier attempts were retried, e.g. `HTTP 429`, `HTTP 500`. */
  retries?: string[];
  /** Wall time of the evaluation or the PATCH it reports, ms. */
  latencyMs: number;
  correlationId: string;
  /** Merge-patch body sent (or that a dry run would send); on pool-level records only. */
  patch?: unknown;
  /** Nodes removed by name with `nodes/batch-delete` (or that a dry run would remove). */
  nodes?: string[];
}

export interface StoredActivity extends Activity {
  sk: string;
  day: string;
  /** Epoch seconds, DynamoDB TTL. */
  expiresAt: number;
}

export interface ActivityQuery {
  /** ISO-8601 lower bound (inclusive). */
  since?: string;
  limit?: number;
}

export interface ActivityRepositoryOptions {
  retentionDays: number;
  /** Waits between retries of unprocessed writes; the pipeline passes its injected sleep. */
  sleep?: (ms: number) => Promise<void>;
}

export class ActivityRepository {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly store: StoreContext,
    private readonly options: ActivityRepositoryOptions,
  ) {
    this.sleep = options.sleep ?? ((ms) => sleep(ms));
  }

  toItem(activity: Activity): StoredActivity {
    const at = Date.parse(activity.at);
    return {
      ...activity,
      sk: `${activity.at}#${activity.id}`,
      day: activity.at.slice(0, 10),
      expiresAt: Math.floor(at / 1000) + Math.round(this.options.retentionDays * 86_400),
    };
  }

  /** Transaction items, so activities are written atomically with the scaler state they explain. */
  transactItems(activities: Activity[]): TransactWriteItem[] {
    return activities.map((activity) => ({
      Put: { TableName: this.store.tables.activities, Item: this.toItem(activity) },
    }));
  }

  async put(activities: Activity[]): Promise<void> {
    for (let start = 0; start < activities.length; start += 25) {
      let requests: Array<{ PutRequest: { Item: Record<string, unknown> } }> = activities
        .slice(start, start + 25)
        .map((activity) => ({ PutRequest: { Item: { ...this.toItem(activity) } } }));
      for (let attempt = 0; requests.length > 0; attempt += 1) {
        const result = await this.store.doc.send(
          new BatchWriteCommand({ RequestItems: { [this.store.tables.activities]: requests } }),
        );
        const unprocessed = result.UnprocessedItems?.[this.store.tables.activities] ?? [];
        requests = unprocessed.flatMap((request) =>
          request.PutRequest?.Item ? [{ PutRequest: { Item: request.PutRequest.Item } }] : [],
        );
        if (requests.length > 0) await this.sleep(50 * 2 ** attempt);
      }
    }
  }

  /** A pool's activities, newest first. */
  async listByPool(pool: string, query: ActivityQuery = {}): Promise<StoredActivity[]> {
    const result: StoredActivity[] = [];
    await this.queryNewestFirst(
      {
        KeyConditionExpression: query.since ? '#pool = :pool AND #sk >= :since' : '#pool = :pool',
        ExpressionAttributeNames: { '#pool': 'pool', ...(query.since ? { '#sk': 'sk' } : {}) },
        ExpressionAttributeValues: { ':pool': pool, ...(query.since ? { ':since': query.since } : {}) },
      },
      result,
      query.limit ?? 100,
    );
    return result;
  }

  /** Activities of every pool, newest first, walking the per-day index back from `now` to `since`. */
  async listRecent(now: number, query: ActivityQuery = {}): Promise<StoredActivity[]> {
    const limit = query.limit ?? 100;
    const since = query.since ?? new Date(now - 86_400_000).toISOString();
    const result: StoredActivity[] = [];
    for (let day = new Date(now).toISOString().slice(0, 10); day >= since.slice(0, 10);) {
      await this.queryNewestFirst(
        {
          IndexName: ACTIVITIES_BY_DAY_INDEX,
          KeyConditionExpression: '#day = :day AND #sk >= :since',
          ExpressionAttributeNames: { '#day': 'day', '#sk': 'sk' },
          ExpressionAttributeValues: { ':day': day, ':since': since },
        },
        result,
        limit,
      );
      if (result.length >= limit) break;
      day = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    }
    return result;
  }

  /** Pages one query of the activities table, newest first, into `result` until it holds `limit`. */
  private async queryNewestFirst(
    key: Pick<
      QueryCommandInput,
      'IndexName' | 'KeyConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
    result: StoredActivity[],
    limit: number,
  ): Promise<void> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.store.doc.send(
        new QueryCommand({
          TableName: this.store.tables.activities,
          ...key,
          ScanIndexForward: false,
          Limit: limit - result.length,
          ExclusiveStartKey: startKey,
        }),
      );
      result.push(...((page.Items ?? []) as StoredActivity[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey && result.length < limit);
  }
}
