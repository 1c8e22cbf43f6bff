import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PendingJob } from '../engine/occupancy';
import type { FlavorDepth } from '../engine/types';
import { type DepthSnapshotEvent, InvalidEventError, type JobEvent } from '../events';
import {
  type StoreContext,
  cancellationKinds,
  conditionFailureItem,
  isConditionFailure,
} from './document-client';
import { pendingJobsPartition } from './tables';
import {
  type JobState,
  type JobTransition,
  TERMINAL_JOB_STATES,
  jobStateOf,
  jobTransition,
} from './job-transitions';

export type { FlavorDepth };

export type PoolDepth = Record<string, FlavorDepth>;

export interface JobRecord {
  pool: string;
  jobId: string;
  flavor: string;
  units: number;
  /** Nodes the job spans, when its events say so. */
  nodes?: number;
  state: JobState;
  /** Epoch ms of the event that set the state. */
  at: number;
  updatedAt: number;
  /**
   * Epoch seconds when DynamoDB may delete the record. Only an ended job's record has one: a job that is still
   * pending or running is remembered for as long as it lives, however long that is.
   */
  expiresAt?: number;
}

export type JobEventOutcome =
  | {
      applied: true;
      transition: JobTransition;
      /**
       * False when a depth snapshot taken at or after the event already counts it: the job's state moved, the
       * counters did not.
       */
      counted: boolean;
      /** Units the counters lacked to absorb the event (they stop at 0): a snapshot that missed this job. */
      clampedUnits: number;
    }
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

/** The pool's depth item cannot grow any more: retrying the event cannot help. */
export class DepthStorageFullError extends Error {
  override readonly name = 'DepthStorageFullError';
  constructor(readonly pool: string) {
    super(`the depth item of pool ${pool} has reached DynamoDB's item size limit`);
  }
}

const PENDING = 'pending#';
const RUNNING = 'running#';
const UPDATED = 'updatedAt#';
/** Event time (`at`) of the newest snapshot applied to the flavor. */
const SNAPSHOT = 'snapshotAt#';
/** Event time (`at`) of the newest job event that moved the flavor's counters. */
const TRANSITION = 'transitionAt#';

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
    // Counters are kept at 0 or more; items written before that rule may still hold a negative value.
    if (pending !== null) entry(pending).pendingUnits = Math.max(0, value);
    if (running !== null) entry(running).runningUnits = Math.max(0, value);
    if (updated !== null) entry(updated).updatedAt = value;
  }
  return depth;
}

/** One flavor's attributes of the depth item, as a failed condition reported them. */
interface FlavorDepthAttributes {
  pending: number | undefined;
  running: number | undefined;
  snapshotAt: number | undefined;
  transitionAt: number | undefined;
}

function flavorAttributes(item: Record<string, string | number>, flavor: string): FlavorDepthAttributes {
  const number = (key: string) => (typeof item[key] === 'number' ? (item[key] as number) : undefined);
  return {
    pending: number(PENDING + flavor),
    running: number(RUNNING + flavor),
    snapshotAt: number(SNAPSHOT + flavor),
    transitionAt: number(TRANSITION + flavor),
  };
}

/** A submitted job that has not started, in its pool's queued-job partition. */
interface PendingMarker {
  pool: string;
  jobId: string;
  flavor: string;
  units: number;
  nodes?: number;
  /** Epoch ms of the submission. */
  at: number;
}

/** A job as its record describes it; `none` when no event of it has been seen (or its record has expired). */
interface KnownJob {
  state: JobState;
  flavor: string;
  units: number;
  nodes: number | undefined;
  at: number;
}

/** Prior state the event most likely follows: guessing right saves a read. */
function expectedPrior(to: JobState): JobState {
  if (to === 'submitted') return 'none';
  if (to === 'started') return 'submitted';
  return 'started';
}

/**
 * Rejects an event that contradicts what the job's record says: another flavor or other units (fixed by the
 * first event seen), or a submission or start dated after the job ended (its id was reused).
 */
function checkSameJob(event: JobEvent, known: KnownJob, at: number): void {
  if (known.state === 'none') return;
  const spread = known.nodes === undefined ? '' : ` on ${known.nodes} nodes`;
  const first = `job ${event.jobId} was first seen with flavor ${known.flavor} and ${known.units} units${spread}`;
  if (known.flavor !== event.flavor) {
    throw new InvalidEventError(
      'flavor',
      `${first}; this ${event.type} says flavor ${event.flavor}: a job's flavor and units never change`,
    );
  }
  if (known.units !== event.units) {
    throw new InvalidEventError(
      'units',
      `${first}; this ${event.type} says ${event.units} units: a job's flavor and units never change`,
    );
  }
  if (known.nodes !== event.nodes) {
    throw new InvalidEventError(
      'nodes',
      `${first}; this ${event.type} says ${event.nodes === undefined ? 'no node count' : `${event.nodes} nodes`}: a job's shape never changes`,
    );
  }
  const reopens = event.type === 'job.submitted' || event.type === 'job.started';
  if (reopens && TERMINAL_JOB_STATES.includes(known.state) && at > known.at) {
    throw new InvalidEventError(
      'jobId',
      `job ${event.jobId} ${known.state} at ${new Date(known.at).toISOString()}; this ${event.type} is dated after that: job ids must be unique per job (a resubmission needs a new id)`,
    );
  }
}

const MAX_ATTEMPTS = 8;

/** Queued jobs an evaluation reads at most: far more than any pool's nodes can start at once. */
export const MAX_PENDING_JOBS_READ = 5_000;

/**
 * Depth per pool and flavor, kept exact from job events: each job's state is recorded and the counters move
 * only on a valid forward transition, in the same transaction as the state change, conditioned on the state
 * it was computed from. Snapshots and job events are ordered by their event time: a snapshot taken at `T`
 * counts every job event dated `T` or earlier, so such an event moves the job's state but not the counters,
 * and a snapshot older than a job event already counted is not applied. Counters never go below 0.
 */
export class DepthRepository {
  private readonly endedJobRetentionSeconds: number;

  constructor(
    private readonly store: StoreContext,
    options: {
      /** Days an ended job's record is kept, to recognise every late duplicate the queue can still deliver. */
      jobRetentionDays: number;
    },
  ) {
    this.endedJobRetentionSeconds = Math.round(options.jobRetentionDays * 86_400);
  }

  /**
   * Applies one job event. Throws `InvalidEventError` for an event that contradicts the job's record (see
   * `checkSameJob`), `DepthStorageFullError` when the pool's depth item is full; only write conflicts are
   * retried here.
   */
  async applyJobEvent(event: JobEvent, now: number): Promise<JobEventOutcome> {
    const to = jobStateOf(event.type);
    const at = Date.parse(event.at);
    // First attempt without a read, assuming the usual order; a failed condition hands back the real item.
    let known: KnownJob | undefined;
    let depthSeen: FlavorDepthAttributes | undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const current = known ?? {
        state: expectedPrior(to),
        flavor: event.flavor,
        units: event.units,
        nodes: event.nodes,
        at,
      };
      if (known) checkSameJob(event, known, at);
      const transition = jobTransition(current.state, to, current.units);
      if (!transition) {
        if (known) return { applied: false, reason: 'duplicate-or-stale', state: known.state };
        known = await this.readJob(event);
        continue;
      }
      try {
        const written = await this.writeTransition(event, current, transition, at, now, depthSeen);
        return { applied: true, transition, ...written };
      } catch (error) {
        const kinds = cancellationKinds(error);
        if (kinds === undefined) throw error;
        if (kinds[0] === 'condition') {
          const old = conditionFailureItem(error, 0);
          known = old ? knownFromItem(old) : await this.readJob(event);
          depthSeen = undefined;
        } else if (kinds[1] === 'condition') {
          // The job was where it was thought to be; the flavor's counters need the exact path.
          known = current;
          depthSeen = flavorAttributes(conditionFailureItem(error, 1) ?? {}, event.flavor);
        } else if (kinds.includes('size')) {
          throw new DepthStorageFullError(event.pool);
        } else if (!kinds.includes('conflict')) {
          throw error;
        }
      }
    }
    throw new DepthUpdateConflictError(event.pool, event.jobId);
  }

  /**
   * Replaces a flavor's counters with an absolute snapshot, unless a newer snapshot, or a job event dated
   * after the snapshot, was applied already. Returns whether it was applied.
   */
  async applySnapshot(event: DepthSnapshotEvent, now: number): Promise<boolean> {
    const at = Date.parse(event.at);
    try {
      await this.store.doc.send(
        new UpdateCommand({
          TableName: this.store.tables.depth,
          Key: { pool: event.pool },
          UpdateExpression: 'SET #p = :p, #r = :r, #u = :now, #s = :at',
          ConditionExpression:
            '(attribute_not_exists(#s) OR #s <= :at) AND (attribute_not_exists(#t) OR #t <= :at)',
          ExpressionAttributeNames: {
            '#p': PENDING + event.flavor,
            '#r': RUNNING + event.flavor,
            '#u': UPDATED + event.flavor,
            '#s': SNAPSHOT + event.flavor,
            '#t': TRANSITION + event.flavor,
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
      if (error instanceof Error && /size/i.test(error.message)) throw new DepthStorageFullError(event.pool);
      throw error;
    }
  }

  async getPoolDepth(pool: string): Promise<PoolDepth> {
    const result = await this.store.doc.send(
      new GetCommand({ TableName: this.store.tables.depth, Key: { pool }, ConsistentRead: true }),
    );
    return depthFromItem(result.Item);
  }

  /**
   * The pool's queued jobs per flavor, oldest first (by their submission's `at`), from the markers every
   * submitted job that has not started keeps. At most `limit` jobs are read.
   */
  async pendingJobs(pool: string, limit = MAX_PENDING_JOBS_READ): Promise<Record<string, PendingJob[]>> {
    const markers: PendingMarker[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.store.doc.send(
        new QueryCommand({
          TableName: this.store.tables.jobs,
          KeyConditionExpression: '#pool = :pool',
          ExpressionAttributeNames: { '#pool': 'pool' },
          ExpressionAttributeValues: { ':pool': pendingJobsPartition(pool) },
          ConsistentRead: true,
          Limit: Math.min(1000, limit - markers.length),
          ExclusiveStartKey: startKey,
        }),
      );
      markers.push(...((page.Items ?? []) as PendingMarker[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && markers.length < limit);
    markers.sort((a, b) => a.at - b.at || (a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0));
    const pending: Record<string, PendingJob[]> = {};
    for (const marker of markers) {
      (pending[marker.flavor] ??= []).push({
        units: marker.units,
        ...(marker.nodes !== undefined ? { nodes: marker.nodes } : {}),
      });
    }
    return pending;
  }

  async getJob(pool: string, jobId: string): Promise<JobRecord | undefined> {
    const result = await this.store.doc.send(
      new GetCommand({ TableName: this.store.tables.jobs, Key: { pool, jobId }, ConsistentRead: true }),
    );
    return result.Item as JobRecord | undefined;
  }

  private async readJob(event: JobEvent): Promise<KnownJob> {
    const job = await this.getJob(event.pool, event.jobId);
    return job
      ? { state: job.state, flavor: job.flavor, units: job.units, nodes: job.nodes, at: job.at }
      : {
          state: 'none',
          flavor: event.flavor,
          units: event.units,
          nodes: event.nodes,
          at: Date.parse(event.at),
        };
  }

  /**
   * Writes the job's new state and, where the event is not already counted by a snapshot, the counters. With
   * `depthSeen` (the flavor's attributes as a failed condition reported them) the counters are set to exact
   * values computed from them, conditioned on them being unchanged; otherwise they are moved by the delta,
   * conditioned on the usual case: no snapshot at or after the event, no newer job event, enough units to
   * take away.
   */
  private async writeTransition(
    event: JobEvent,
    current: KnownJob,
    transition: JobTransition,
    at: number,
    now: number,
    depthSeen: FlavorDepthAttributes | undefined,
  ): Promise<{ counted: boolean; clampedUnits: number }> {
    const ended = TERMINAL_JOB_STATES.includes(transition.to);
    const job: JobRecord = {
      pool: event.pool,
      jobId: event.jobId,
      flavor: current.flavor,
      units: current.units,
      ...(current.nodes !== undefined ? { nodes: current.nodes } : {}),
      state: transition.to,
      at,
      updatedAt: now,
      ...(ended ? { expiresAt: Math.floor(now / 1000) + this.endedJobRetentionSeconds } : {}),
    };
    const jobPut = {
      Put: {
        TableName: this.store.tables.jobs,
        Item: job,
        // Flavor and units are part of the condition: the delta was computed from them.
        ConditionExpression:
          transition.from === 'none'
            ? 'attribute_not_exists(jobId)'
            : '#state = :from AND #units = :units AND #flavor = :flavor',
        ...(transition.from === 'none'
          ? {}
          : {
              ExpressionAttributeNames: { '#state': 'state', '#units': 'units', '#flavor': 'flavor' },
              ExpressionAttributeValues: {
                ':from': transition.from,
                ':units': current.units,
                ':flavor': current.flavor,
              },
            }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      },
    };
    const { pendingUnits: dp, runningUnits: dr } = transition.delta;
    const counters =
      dp === 0 && dr === 0
        ? undefined
        : depthSeen === undefined
          ? this.deltaUpdate(event, dp, dr, at, now)
          : this.exactUpdate(event, depthSeen, dp, dr, at, now);
    // The depth update stays second: a failed condition names its item by position.
    await this.store.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          jobPut,
          ...(counters?.update ? [{ Update: counters.update }] : []),
          ...this.pendingMarker(event, current, transition, at),
        ],
      }),
    );
    return { counted: counters?.update !== undefined, clampedUnits: counters?.clampedUnits ?? 0 };
  }

  /** The queued-job marker: written when the job is submitted, removed when it leaves that state. */
  private pendingMarker(event: JobEvent, current: KnownJob, transition: JobTransition, at: number) {
    const key = { pool: pendingJobsPartition(event.pool), jobId: event.jobId };
    if (transition.to === 'submitted') {
      const marker: PendingMarker = {
        ...key,
        flavor: current.flavor,
        units: current.units,
        ...(current.nodes !== undefined ? { nodes: current.nodes } : {}),
        at,
      };
      return [{ Put: { TableName: this.store.tables.jobs, Item: marker } }];
    }
    if (transition.from === 'submitted') return [{ Delete: { TableName: this.store.tables.jobs, Key: key } }];
    return [];
  }

  private deltaUpdate(event: JobEvent, dp: number, dr: number, at: number, now: number) {
    const conditions = [
      '(attribute_not_exists(#s) OR #s < :at)',
      '(attribute_not_exists(#t) OR #t <= :at)',
      ...(dp < 0 ? ['#p >= :takeP'] : []),
      ...(dr < 0 ? ['#r >= :takeR'] : []),
    ];
    return {
      clampedUnits: 0,
      update: {
        TableName: this.store.tables.depth,
        Key: { pool: event.pool },
        UpdateExpression: 'ADD #p :dp, #r :dr SET #u = :now, #t = :at',
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: this.flavorNames(event.flavor),
        ExpressionAttributeValues: {
          ':dp': dp,
          ':dr': dr,
          ':now': now,
          ':at': at,
          ...(dp < 0 ? { ':takeP': -dp } : {}),
          ...(dr < 0 ? { ':takeR': -dr } : {}),
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      },
    };
  }

  private exactUpdate(
    event: JobEvent,
    seen: FlavorDepthAttributes,
    dp: number,
    dr: number,
    at: number,
    now: number,
  ) {
    // A snapshot dated at or after the event already counts it.
    if (seen.snapshotAt !== undefined && seen.snapshotAt >= at) return { clampedUnits: 0, update: undefined };
    const pending = (seen.pending ?? 0) + dp;
    const running = (seen.running ?? 0) + dr;
    const values: Record<string, number> = {
      ':p': Math.max(0, pending),
      ':r': Math.max(0, running),
      ':t': Math.max(seen.transitionAt ?? at, at),
      ':now': now,
    };
    const unchanged = (name: string, key: string, value: number | undefined): string => {
      if (value === undefined) return `attribute_not_exists(${name})`;
      values[key] = value;
      return `${name} = ${key}`;
    };
    return {
      clampedUnits: Math.max(0, -pending) + Math.max(0, -running),
      update: {
        TableName: this.store.tables.depth,
        Key: { pool: event.pool },
        UpdateExpression: 'SET #p = :p, #r = :r, #u = :now, #t = :t',
        ConditionExpression: [
          unchanged('#p', ':oldP', seen.pending),
          unchanged('#r', ':oldR', seen.running),
          unchanged('#s', ':oldS', seen.snapshotAt),
          unchanged('#t', ':oldT', seen.transitionAt),
        ].join(' AND '),
        ExpressionAttributeNames: this.flavorNames(event.flavor),
        ExpressionAttributeValues: values,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      },
    };
  }

  private flavorNames(flavor: string): Record<string, string> {
    return {
      '#p': PENDING + flavor,
      '#r': RUNNING + flavor,
      '#u': UPDATED + flavor,
      '#s': SNAPSHOT + flavor,
      '#t': TRANSITION + flavor,
    };
  }
}

function knownFromItem(item: Record<string, string | number>): KnownJob {
  return {
    state: item.state as JobState,
    flavor: String(item.flavor),
    units: Number(item.units),
    nodes: item.nodes === undefined ? undefined : Number(item.nodes),
    at: Number(item.at),
  };
}
