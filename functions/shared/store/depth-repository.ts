import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DepthSnapshotEvent, JobEvent } from '../events';
import { type StoreContext, conditionFailureItem, isConditionFailure } from './document-client';
import { type JobState, type JobTransition, jobStateOf, jobTransition } from './job-transitions';

/** Demand of one flavor as the engine reads it. */
export interface FlavorDepth {
  pendingUnits: number;
  runningUnits: number;
  /** Epoch ms of the last change. */
  updatedAt: number;
}

export type PoolDepth = Record<string, FlavorDepth>;

export interface JobRecord {
  pool: string;
  jobId: string;
  flavor: string;
  units: number;
  state: JobState;
  /** Epoch ms of the event that set the state. */
  at: number;
  updatedAt: number;
  expiresAt: number;
}

export type JobEventOutcome =
  | { applied: true; transition: JobTransition }
  | { applied: false; reason: 'duplicate-or-stale'; state: JobState };

export class DepthUpdateConflictError extends Error {
  override readonly name = 'DepthUpdateConflictError';
  constructor(
    readonly pool: string,
    readonly jobId: string,
  ) {
    super(`job ${jobId} in pool ${pool}: state kept changing under concurrent updates`);
  }
}

const PENDING = 'pending#';
const RUNNING = 'running#';
const UPDATED = 'updatedAt#';
const SNAPSHOT = 'snapshotAt#';

/** Reads the depth item's per-flavor attributes into a record keyed by flavor. Negative counters read as 0. */
export function depthFromItem(item: Record<string, unknown> | undefined): PoolDepth {
  const depth: PoolDepth = {};
  if (!item) return depth;
  const flavorOf = (key: string, prefix: string) =>
    key.startsWith(prefix) ? key.slice(prefix.length) : null;
  const entry = (flavor: string): FlavorDepth =>
    (depth[flavor] ??= { pendingUnits: 0, runningUnits: 0, updatedAt: 0 });
  for (const [key, value] of Object.entries(item)) {
    if (typeof value !== 'number') continue;
    const pending = flavorOf(key, PENDING);
    const running = flavorOf(key, RUNNING);
    const updated = flavorOf(key, UPDATED);
    // A snapshot followed by transitions of jobs it already counted can dip below 0 until the next snapshot.
    if (pending !== null) entry(pending).pendingUnits = Math.max(0, value);
    if (running !== null) entry(running).runningUnits = Math.max(0, value);
    if (updated !== null) entry(updated).updatedAt = value;
  }
  return depth;
}

/** Prior state the event most likely follows: guessing right saves a read. */
function expectedPrior(to: JobState): JobState {
  if (to === 'submitted') return 'none';
  if (to === 'started') return 'submitted';
  return 'started';
}

const MAX_ATTEMPTS = 8;

/**
 * Depth per pool and flavor, kept exact from job events: each job's state is recorded and the counters move
 * only on a valid forward transition, in the same transaction as the state change, conditioned on the state
 * it was computed from.
 */
export class DepthRepository {
  constructor(
    private readonly store: StoreContext,
    private readonly options: { jobRetentionDays: number },
  ) {}

  async applyJobEvent(event: JobEvent, now: number): Promise<JobEventOutcome> {
    const to = jobStateOf(event.type);
    const at = Date.parse(event.at);
    // First attempt without a read, assuming the usual order; a failed condition hands back the real item.
    let current: Pick<JobRecord, 'state' | 'units'> = { state: expectedPrior(to), units: event.units };
    let knownFromStore = false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const transition = jobTransition(current.state, to, current.units);
      if (!transition) {
        if (knownFromStore) return { applied: false, reason: 'duplicate-or-stale', state: current.state };
        current = await this.readJob(event.pool, event.jobId, event.units);
        knownFromStore = true;
        continue;
      }
      try {
        await this.writeTransition(event, transition, current.units, at, now);
        return { applied: true, transition };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const old = conditionFailureItem(error);
        current = old
          ? { state: old.state as JobState, units: Number(old.units) }
          : await this.readJob(event.pool, event.jobId, event.units);
        knownFromStore = true;
      }
    }
    throw new DepthUpdateConflictError(event.pool, event.jobId);
  }

  /** Replaces a flavor's counters with an absolute snapshot, unless a newer snapshot was applied already. */
  async applySnapshot(event: DepthSnapshotEvent, now: number): Promise<boolean> {
    const at = Date.parse(event.at);
    try {
      await this.store.doc.send(
        new UpdateCommand({
          TableName: this.store.tables.depth,
          Key: { pool: event.pool },
          UpdateExpression: 'SET #p = :p, #r = :r, #u = :now, #s = :at',
          ConditionExpression: 'attribute_not_exists(#s) OR #s <= :at',
          ExpressionAttributeNames: {
            '#p': PENDING + event.flavor,
            '#r': RUNNING + event.flavor,
            '#u': UPDATED + event.flavor,
            '#s': SNAPSHOT + event.flavor,
          },
          ExpressionAttributeValues: {
            ':p': event.pendingUnits,
            ':r': event.runningUnits,
            ':now': now,
            ':at': at,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async getPoolDepth(pool: string): Promise<PoolDepth> {
    const result = await this.store.doc.send(
      new GetCommand({ TableName: this.store.tables.depth, Key: { pool }, ConsistentRead: true }),
    );
    return depthFromItem(result.Item);
  }

  async getJob(pool: string, jobId: string): Promise<JobRecord | undefined> {
    const result = await this.store.doc.send(
      new GetCommand({ TableName: this.store.tables.jobs, Key: { pool, jobId }, ConsistentRead: true }),
    );
    return result.Item as JobRecord | undefined;
  }

  private async readJob(
    pool: string,
    jobId: string,
    eventUnits: number,
  ): Promise<Pick<JobRecord, 'state' | 'units'>> {
    const job = await this.getJob(pool, jobId);
    return job ? { state: job.state, units: job.units } : { state: 'none', units: eventUnits };
  }

  private async writeTransition(
    event: JobEvent,
    transition: JobTransition,
    units: number,
    at: number,
    now: number,
  ): Promise<void> {
    const job: JobRecord = {
      pool: event.pool,
      jobId: event.jobId,
      flavor: event.flavor,
      units,
      state: transition.to,
      at,
      updatedAt: now,
      expiresAt: Math.floor(now / 1000) + Math.round(this.options.jobRetentionDays * 86_400),
    };
    const counterChanges = transition.delta.pendingUnits !== 0 || transition.delta.runningUnits !== 0;
    await this.store.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.store.tables.jobs,
              Item: job,
              // The units are part of the condition: the delta was computed from them.
              ConditionExpression:
                transition.from === 'none'
                  ? 'attribute_not_exists(jobId)'
                  : '#state = :from AND #units = :units',
              ...(transition.from === 'none'
                ? {}
                : {
                    ExpressionAttributeNames: { '#state': 'state', '#units': 'units' },
                    ExpressionAttributeValues: { ':from': transition.from, ':units': units },
                  }),
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          ...(counterChanges
            ? [
                {
                  Update: {
                    TableName: this.store.tables.depth,
                    Key: { pool: event.pool },
                    UpdateExpression: 'ADD #p :dp, #r :dr SET #u = :now',
                    ExpressionAttributeNames: {
                      '#p': PENDING + event.flavor,
                      '#r': RUNNING + event.flavor,
                      '#u': UPDATED + event.flavor,
                    },
                    ExpressionAttributeValues: {
                      ':dp': transition.delta.pendingUnits,
                      ':dr': transition.delta.runningUnits,
                      ':now': now,
                    },
                  },
                },
              ]
            : []),
        ],
      }),
    );
  }
}
