import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { type Activity, ActivityRepository, type ActivityRepositoryOptions } from './activity-repository';
import { type StoreContext, conditionFailureItem, isConditionFailure } from './document-client';
import { ScalerStateRepository, type ScalerStateUpdate } from './scaler-state-repository';

/** What one evaluation leaves behind: the pool's new state and the activities that explain it. */
export interface EvaluationOutcomeWrite {
  pool: string;
  /** The evaluator holding the lease; the state is saved only while it still does. */
  owner: string;
  update: ScalerStateUpdate;
  activities: Activity[];
  /** Epoch ms of the save. */
  now: number;
}

/** TransactWriteItems takes 100 items: the state update and up to 99 activities. */
const ACTIVITIES_IN_TRANSACTION = 99;

/** Position of the scaler-state update in the transaction, where its cancellation reason is reported. */
const STATE_ITEM = 0;

/**
 * Saves an evaluation's outcome: the new state, its activities and the lease release in one transaction. When
 * the lease was lost (expired and taken, or the state removed), the state is left to its new holder and the
 * activities are recorded alone, so what happened is on record either way.
 */
export class EvaluationOutcomeRepository {
  private readonly states: ScalerStateRepository;
  private readonly activities: ActivityRepository;

  constructor(
    private readonly store: StoreContext,
    options: ActivityRepositoryOptions,
  ) {
    this.states = new ScalerStateRepository(store);
    this.activities = new ActivityRepository(store, options);
  }

  async save(outcome: EvaluationOutcomeWrite): Promise<{ leaseLost: boolean }> {
    const { pool, owner, update, activities, now } = outcome;
    const inTransaction = activities.slice(0, ACTIVITIES_IN_TRANSACTION);
    try {
      await this.store.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            this.states.saveAndReleaseItem(pool, owner, update, now),
            ...this.activities.transactItems(inTransaction),
          ],
        }),
      );
    } catch (error) {
      if (!(await this.lostLease(error, pool, owner))) throw error;
      await this.activities.put(activities);
      return { leaseLost: true };
    }
    if (activities.length > inTransaction.length) {
      await this.activities.put(activities.slice(ACTIVITIES_IN_TRANSACTION));
    }
    return { leaseLost: false };
  }

  /**
   * Whether the transaction failed because `owner` no longer holds the pool. The state's failed condition
   * hands back the item; a cancellation without it (the state item is gone, or another reason) is checked
   * against the stored state.
   */
  private async lostLease(error: unknown, pool: string, owner: string): Promise<boolean> {
    if (!isConditionFailure(error)) return false;
    const held = conditionFailureItem(error, STATE_ITEM) ?? (await this.states.get(pool));
    return held.leaseOwner !== owner;
  }
}
