import type * as iam from 'aws-cdk-lib/aws-iam';
import { TABLE_KEYS, TABLES, type TableKey } from '../functions/shared/store/tables';
import { grantTableActions, type AutoscalerTables, type TableAction } from './autoscaler-tables';

/** The DynamoDB actions one function uses, per table; a table left out is not reachable at all. */
export type TableAccess = Partial<Record<TableKey, readonly TableAction[]>>;

/**
 * What the consumer does to each table (transactions need the per-item actions they contain):
 * policies are read; job states and depth counters move together in transactions; depth is listed per pool;
 * scaler state holds the lease and engine state; the token bucket is read and conditionally updated; every
 * outcome is written as an activity.
 */
export const CONSUMER_TABLE_ACCESS: TableAccess = {
  policies: ['dynamodb:GetItem'],
  jobs: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'],
  depth: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  scalerState: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  tokenBuckets: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  activities: ['dynamodb:PutItem'],
};

/** The evaluator lists policies to fan out one evaluation per enabled pool. */
export const EVALUATOR_TABLE_ACCESS: TableAccess = {
  policies: ['dynamodb:Scan'],
};

/** Grants `access` table by table. */
export function grantTableAccess(
  grantee: iam.IGrantable,
  tables: AutoscalerTables,
  access: TableAccess,
): void {
  for (const key of TABLE_KEYS) {
    const actions = access[key];
    if (actions && actions.length > 0) grantTableActions(grantee, tables[key], TABLES[key], actions);
  }
}
