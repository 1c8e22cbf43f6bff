/**
 * DynamoDB table definitions of the autoscaler. The CDK stack and the local/test table creation both read
 * these, so a key or index exists in exactly one place.
 *
 * Design: one table per item kind (not single-table). Each kind has its own access pattern, retention and
 * IAM needs (operators write policies; only the pipeline writes state), and separate tables let the stack grant
 * the least privilege per function. Cross-table atomicity, where needed (job state + depth counter), comes from
 * TransactWriteItems, which spans tables.
 */

export type KeyAttributeType = 'S' | 'N';

export interface KeyAttribute {
  readonly name: string;
  readonly type: KeyAttributeType;
}

export interface GlobalSecondaryIndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Every index projects all attributes: the items are small and the index serves listings. */
  readonly projection: 'ALL';
}

export interface TableDefinition {
  /** Stable logical id, also the suffix of the physical table name. */
  readonly logicalName: string;
  /** Environment variable that carries the physical table name to the Lambdas. */
  readonly envVar: string;
  readonly description: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Epoch-seconds attribute DynamoDB uses to expire items. */
  readonly timeToLiveAttribute?: string;
  readonly globalSecondaryIndexes: readonly GlobalSecondaryIndexDefinition[];
  readonly billingMode: 'PAY_PER_REQUEST';
}

/** Policies: one item per pool, written by operators (ARCHITECTURE 3.1). */
export const POLICIES_TABLE = {
  logicalName: 'Policies',
  envVar: 'POLICIES_TABLE',
  description:
    'Scaling policy per pool (pool, enabled, dryRun, flavors, ...), plus a version for optimistic writes',
  partitionKey: { name: 'pool', type: 'S' },
  globalSecondaryIndexes: [],
  billingMode: 'PAY_PER_REQUEST',
} as const satisfies TableDefinition;

/**
 * Queue depth: ONE item per pool with top-level counters per flavor (`pending#<flavor>`, `running#<flavor>`,
 * `updatedAt#<flavor>`, `snapshotAt#<flavor>`). Top-level attributes accept atomic ADD, and one item per pool
 * lets an evaluation read policy and depth in a single BatchGetItem.
 */
export const DEPTH_TABLE = {
  logicalName: 'Depth',
  envVar: 'DEPTH_TABLE',
  description: 'Demand counters per pool (per-flavor attributes), moved only on valid job state transitions',
  partitionKey: { name: 'pool', type: 'S' },
  globalSecondaryIndexes: [],
  billingMode: 'PAY_PER_REQUEST',
} as const satisfies TableDefinition;

/**
 * Last known state of each job, so duplicates and reordering never move the counters twice. Beside them, one
 * marker item per job that is submitted and not started, in the partition `<pool>#pending` (pool names hold no
 * `#`), so an evaluation reads a pool's queued jobs with one query. A secondary index would do the same, but
 * DynamoDB Local never expires items of a table that has one, and the tests rely on expiry.
 */
export const JOBS_TABLE = {
  logicalName: 'Jobs',
  envVar: 'JOBS_TABLE',
  description:
    'State of each job (submitted, started, finished, failed, cancelled) with its flavor, units and nodes',
  partitionKey: { name: 'pool', type: 'S' },
  sortKey: { name: 'jobId', type: 'S' },
  timeToLiveAttribute: 'expiresAt',
  globalSecondaryIndexes: [],
  billingMode: 'PAY_PER_REQUEST',
} as const satisfies TableDefinition;

/** The partition of a pool's queued-job markers in the jobs table. */
export function pendingJobsPartition(pool: string): string {
  return `${pool}#pending`;
}

/** Scaler state per pool: engine state, failure backoff, the evaluation lease and a version. */
export const SCALER_STATE_TABLE = {
  logicalName: 'ScalerState',
  envVar: 'SCALER_STATE_TABLE',
  description: 'Engine state (history, last scale times, AZ backoff), failure backoff and lease per pool',
  partitionKey: { name: 'pool', type: 'S' },
  globalSecondaryIndexes: [],
  billingMode: 'PAY_PER_REQUEST',
} as const satisfies TableDefinition;

/** Token buckets that cap the ModelArts request rate across every concurrent Lambda. */
export const TOKEN_BUCKETS_TABLE = {
  logicalName: 'TokenBuckets',
  envVar: 'TOKEN_BUCKETS_TABLE',
  description: 'One token bucket per ModelArts endpoint and project (bucket = endpoint#projectId)',
  partitionKey: { name: 'bucket', type: 'S' },
  globalSecondaryIndexes: [],
  billingMode: 'PAY_PER_REQUEST',
} as const satisfies TableDefinition;

/** Name of the index that lists recent activities across pools, newest first per day. */
export const ACTIVITIES_BY_DAY_INDEX = 'byDay';

/** Activities: one record per decision or attempt (sk = ISO time#id), expired after the retention. */
export const ACTIVITIES_TABLE = {
  logicalName: 'Activities',
  envVar: 'ACTIVITIES_TABLE',
  description: 'Outcome of every decision, PATCH, skip and failure per pool and flavor',
  partitionKey: { name: 'pool', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  timeToLiveAttribute: 'expiresAt',
  globalSecondaryIndexes: [
    {
      indexName: ACTIVITIES_BY_DAY_INDEX,
      partitionKey: { name: 'day', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
      projection: 'ALL',
    },
  ],
  billingMode: 'PAY_PER_REQUEST',
} as const satisfies TableDefinition;

/** Every table, keyed by the name the code uses for it. */
export const TABLES = {
  policies: POLICIES_TABLE,
  depth: DEPTH_TABLE,
  jobs: JOBS_TABLE,
  scalerState: SCALER_STATE_TABLE,
  tokenBuckets: TOKEN_BUCKETS_TABLE,
  activities: ACTIVITIES_TABLE,
} as const satisfies Record<string, TableDefinition>;

export type TableKey = keyof typeof TABLES;

/** Physical table names, one per table. */
export type TableNames = Record<TableKey, string>;

export const TABLE_KEYS = Object.keys(TABLES) as TableKey[];

/** Physical names built from a prefix, e.g. `test-a-Policies`: lets tests share one DynamoDB Local. */
export function tableNamesWithPrefix(prefix: string): TableNames {
  const names = {} as TableNames;
  for (const key of TABLE_KEYS) names[key] = `${prefix}${TABLES[key].logicalName}`;
  return names;
}
