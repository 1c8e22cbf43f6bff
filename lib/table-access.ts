import type * as iam from 'aws-cdk-lib/aws-iam';
import { TABLE_KEYS, TABLES, type TableKey } from '../functions/shared/store/tables';
import { grantTableActions, type AutoscalerTables, type TableAction } from './autoscaler-tables';

/** The DynamoDB actions one function uses, per table; a table left out is not reachable at all. */
export type TableAccess = Partial<Record<TableKey, readonly TableAction[]>>;

/**
 * Applying job events and snapshots: the flavors each pool's policy names are read in one BatchGetItem per
 * batch, a job's last state is read when an event arrives out of order, and the job item, its queued-job
 * marker and its pool's depth counters move together in one transaction (Put, Put or Delete, Update).
 */
export const JOB_EVENT_ACCESS: TableAccess = {
  policies: ['dynamodb:BatchGetItem'],
  jobs: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
  depth: ['dynamodb:UpdateItem'],
};

/**
 * Evaluating one pool: policy and depth in one BatchGetItem, the depth replaced by what the pool's workloads
 * show when the policy reads them (one UpdateItem per flavor, like a snapshot), the queued jobs' shapes from
 * their markers in the jobs table when a shape check is due, the lease, the engine state and the last
 * reconciliation by conditional updates, the shared token bucket read and updated, activities written in the
 * state transaction or, when the lease was lost or there are too many, by BatchWriteItem.
 */
export const EVALUATION_ACCESS: TableAccess = {
  policies: ['dynamodb:BatchGetItem'],
  depth: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
  jobs: ['dynamodb:Query'],
  scalerState: ['dynamodb:UpdateItem'],
  tokenBuckets: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  activities: ['dynamodb:PutItem', 'dynamodb:BatchWriteItem'],
};

/** The sweep lists the enabled policies. */
export const SWEEP_ACCESS: TableAccess = {
  policies: ['dynamodb:Scan'],
};

/**
 * The workload watcher lists the enabled policies, reads and keeps the workload counts it last saw per pool in
 * the scaler state, and takes its requests' tokens from the shared bucket.
 */
export const WATCHER_TABLE_ACCESS: TableAccess = {
  policies: ['dynamodb:Scan'],
  scalerState: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  tokenBuckets: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
};

/** Union of several access sets, table by table, without duplicates. */
export function mergeTableAccess(...sets: readonly TableAccess[]): TableAccess {
  const merged: Partial<Record<TableKey, TableAction[]>> = {};
  for (const set of sets) {
    for (const key of TABLE_KEYS) {
      const actions = set[key];
      if (!actions) continue;
      merged[key] = [...new Set([...(merged[key] ?? []), ...actions])];
    }
  }
  return merged;
}

/** The consumer applies job events and evaluates pools. */
export const CONSUMER_TABLE_ACCESS: TableAccess = mergeTableAccess(JOB_EVENT_ACCESS, EVALUATION_ACCESS);

/** The evaluator sweeps; it evaluates pools itself only when configured to. */
export function evaluatorTableAccess(evaluateInProcess: boolean): TableAccess {
  return evaluateInProcess ? mergeTableAccess(SWEEP_ACCESS, EVALUATION_ACCESS) : SWEEP_ACCESS;
}

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
