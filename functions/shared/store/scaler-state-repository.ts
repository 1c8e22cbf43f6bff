import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type StoreContext, conditionFailureItem, isConditionFailure } from './document-client';

export type TransactWriteItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * The pipeline's record of one pool: the engine's opaque state plus what the pipeline itself tracks (failure
 * back-off, the evaluation lease, a version that grows with every save).
 */
export interface ScalerRecord {
  pool: string;
  /** The engine's `ScalerState`, stored as given and parsed by the engine. */
  engineState?: unknown;
  /** Consecutive failed evaluations; 0 after a success. */
  failures: number;
  /** Epoch ms before which evaluations are skipped after failures. */
  backoffUntil: number;
  /** Evaluator currently holding the pool, and until when (epoch ms). */
  leaseOwner?: string;
  leaseExpiresAt?: number;
  version: number;
  updatedAt?: number;
  lastEvaluatedAt?: number;
  lastStatus?: string;
  nextEvaluationAt?: number;
  /** A PATCH or batch-delete recorded before it was sent and not yet concluded (write-ahead). */
  intent?: ScaleIntent;
  /** Epoch ms of the last reconciliation of the depth against the pool's workloads (`events+workloads`). */
  lastReconciledAt?: number;
  /** The workload counts the watcher last saw for the pool (`queueFingerprint`), and when (epoch ms). */
  watchedQueue?: string;
  watchedAt?: number;
}

/** One flavor's part of a scale intent: its sizes before and after, and the nodes a batch-delete names. */
export interface IntentFlavor {
  flavor: string;
  before: { count: number; maxCount?: number };
  after: { count: number; maxCount?: number };
  nodes?: string[];
}

/**
 * A change to a pool, recorded durably before it is sent (write-ahead), so that a change whose outcome was never
 * recorded (the store or the Lambda failed mid-request, or the answer was lost) is found and reconciled by the
 * next evaluation, and appears exactly once in the activities and in the scaling history.
 */
export interface ScaleIntent {
  /** The correlation id of the evaluation that sent it. */
  id: string;
  kind: 'patch' | 'batch-delete';
  /** Epoch ms, just before it was sent. */
  openedAt: number;
  trigger: string;
  flavors: IntentFlavor[];
}

export type LeaseResult =
  | { acquired: true; record: ScalerRecord }
  | { acquired: false; holder: string | undefined; expiresAt: number | undefined };

/** What an evaluation saves when it finishes. */
export interface ScalerStateUpdate {
  engineState: unknown;
  failures: number;
  backoffUntil: number;
  lastStatus: string;
  nextEvaluationAt?: number;
  /** Kept open (its outcome is still unknown); absent: any open intent is concluded by this save. */
  intent?: ScaleIntent;
}

function recordFromItem(pool: string, item: Record<string, unknown> | undefined): ScalerRecord {
  const number = (value: unknown, fallback: number) => (typeof value === 'number' ? value : fallback);
  return {
    ...(item ?? {}),
    pool,
    failures: number(item?.failures, 0),
    backoffUntil: number(item?.backoffUntil, 0),
    version: number(item?.version, 0),
  } as ScalerRecord;
}

export class ScalerStateRepository {
  constructor(private readonly store: StoreContext) {}

  async get(pool: string): Promise<ScalerRecord> {
    const result = await this.store.doc.send(
      new GetCommand({ TableName: this.store.tables.scalerState, Key: { pool }, ConsistentRead: true }),
    );
    return recordFromItem(pool, result.Item);
  }

  /**
   * Takes the pool for `leaseMs` unless another owner holds an unexpired lease. One conditional write that
   * also returns the whole record, so the evaluation needs no separate read of its state.
   */
  async acquireLease(pool: string, owner: string, now: number, leaseMs: number): Promise<LeaseResult> {
    try {
      const result = await this.store.doc.send(
        new UpdateCommand({
          TableName: this.store.tables.scalerState,
          Key: { pool },
          UpdateExpression: 'SET leaseOwner = :owner, leaseExpiresAt = :expires',
          ConditionExpression:
            'attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt <= :now OR leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner, ':expires': now + leaseMs, ':now': now },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { acquired: true, record: recordFromItem(pool, result.Attributes) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const held = conditionFailureItem(error);
      const holder = held?.leaseOwner;
      const expiresAt = held?.leaseExpiresAt;
      return {
        acquired: false,
        holder: typeof holder === 'string' ? holder : undefined,
        expiresAt: typeof expiresAt === 'number' ? expiresAt : undefined,
      };
    }
  }

  /**
   * Records the change the lease holder is about to send. Valid only while `owner` still holds the pool; fails
   * (and nothing must be sent) when the store cannot record it.
   */
  async openIntent(pool: string, owner: string, intent: ScaleIntent): Promise<void> {
    await this.store.doc.send(
      new UpdateCommand({
        TableName: this.store.tables.scalerState,
        Key: { pool },
        UpdateExpression: 'SET intent = :intent',
        ConditionExpression: 'leaseOwner = :owner',
        ExpressionAttributeValues: { ':intent': intent, ':owner': owner },
      }),
    );
  }

  /**
   * The transaction item that saves an evaluation's outcome and releases the lease, valid only while `owner`
   * still holds it: an evaluator whose lease expired mid-way can never overwrite a newer state. Written by
   * `EvaluationOutcomeRepository` together with the activities.
   */
  saveAndReleaseItem(pool: string, owner: string, update: ScalerStateUpdate, now: number): TransactWriteItem {
    return {
      Update: {
        TableName: this.store.tables.scalerState,
        Key: { pool },
        UpdateExpression:
          'SET engineState = :engineState, failures = :failures, backoffUntil = :backoffUntil, ' +
          'lastStatus = :lastStatus, lastEvaluatedAt = :now, updatedAt = :now' +
          (update.nextEvaluationAt !== undefined ? ', nextEvaluationAt = :next' : '') +
          (update.intent !== undefined ? ', intent = :intent' : '') +
          ' REMOVE leaseOwner, leaseExpiresAt' +
          (update.nextEvaluationAt === undefined ? ', nextEvaluationAt' : '') +
          (update.intent === undefined ? ', intent' : '') +
          ' ADD version :one',
        ConditionExpression: 'leaseOwner = :owner',
        ExpressionAttributeValues: {
          ':engineState': update.engineState ?? {},
          ':failures': update.failures,
          ':backoffUntil': update.backoffUntil,
          ':lastStatus': update.lastStatus,
          ':now': now,
          ':owner': owner,
          ':one': 1,
          ...(update.nextEvaluationAt !== undefined ? { ':next': update.nextEvaluationAt } : {}),
          ...(update.intent !== undefined ? { ':intent': update.intent } : {}),
        },
        // The failed condition then reports who holds the pool now.
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  /**
   * Records when the depth was last reconciled against the workloads, valid only while `owner` holds the lease.
   * Returns false when the lease was lost (the next evaluation reconciles again).
   */
  async markReconciled(pool: string, owner: string, at: number): Promise<boolean> {
    try {
      await this.store.doc.send(
        new UpdateCommand({
          TableName: this.store.tables.scalerState,
          Key: { pool },
          UpdateExpression: 'SET lastReconciledAt = :at',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':at': at, ':owner': owner },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Keeps the workload counts the watcher saw for the pool, so that only a change sends an evaluation. */
  async saveWatchedQueue(pool: string, fingerprint: string, at: number): Promise<void> {
    await this.store.doc.send(
      new UpdateCommand({
        TableName: this.store.tables.scalerState,
        Key: { pool },
        UpdateExpression: 'SET watchedQueue = :queue, watchedAt = :at',
        ExpressionAttributeValues: { ':queue': fingerprint, ':at': at },
      }),
    );
  }

  /** Gives the pool back without saving anything (nothing was decided). A lost lease is not an error here. */
  async releaseLease(pool: string, owner: string): Promise<void> {
    try {
      await this.store.doc.send(
        new UpdateCommand({
          TableName: this.store.tables.scalerState,
          Key: { pool },
          UpdateExpression: 'REMOVE leaseOwner, leaseExpiresAt',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
