import { z } from 'zod';
import { parseJsonText } from './json-text';
import { type FieldIssue, formatIssues, parseFields, requiredOr } from './validation-issues';

/** Events on the queue (ARCHITECTURE 3.2). Delivery is at least once and unordered. */

const name = () =>
  z
    .string({ error: requiredOr('must be a string') })
    .min(1, 'must not be empty')
    .max(256, 'is longer than 256 characters');

/**
 * A pool's `metadata.name` as ModelArts generates it: the pool's label (4 to 25 lowercase letters, digits and
 * hyphens) joined to the 32-character project id. Job events and snapshots create stored state, so they must
 * name a pool that can exist.
 */
export const POOL_NAME_PATTERN = /^[a-z0-9-]{4,25}-[0-9a-f]{32}$/;

const poolName = () =>
  z
    .string({ error: requiredOr('must be a string') })
    .min(1, 'must not be empty')
    .regex(
      POOL_NAME_PATTERN,
      "must be a ModelArts pool name (the pool's metadata.name: its label, a hyphen and the 32-character project id)",
    );

/** Largest capacity-unit count an event may carry: job units and snapshot counters alike. */
export const MAX_UNITS = 1_000_000;

/** Most nodes one job may span. */
export const MAX_JOB_NODES = 1_000;

const units = (min: 0 | 1) =>
  z
    .number({ error: requiredOr('must be a number') })
    .int('must be a whole number')
    .min(min, min === 1 ? 'must be at least 1' : 'must not be negative')
    .max(MAX_UNITS, `must be at most ${MAX_UNITS}`);

const timestamp = z.iso.datetime({
  offset: true,
  error: requiredOr('must be an ISO-8601 date-time with offset or Z'),
});

export const JOB_EVENT_TYPES = [
  'job.submitted',
  'job.started',
  'job.finished',
  'job.failed',
  'job.cancelled',
] as const;

export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

export const JobEventSchema = z.strictObject({
  type: z.enum(JOB_EVENT_TYPES),
  pool: poolName(),
  flavor: name(),
  jobId: name(),
  units: units(1),
  /**
   * Nodes the job spans, for a job spread over several (each takes a whole node, as the service places
   * multi-node workloads); a job without it needs its units on one node, or whole nodes when it has more units
   * than one node holds.
   */
  nodes: z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(MAX_JOB_NODES, `must be at most ${MAX_JOB_NODES}`)
    .optional(),
  at: timestamp,
});

export const DepthSnapshotEventSchema = z.strictObject({
  type: z.literal('depth.snapshot'),
  pool: poolName(),
  flavor: name(),
  pendingUnits: units(0),
  runningUnits: units(0),
  at: timestamp,
});

export const PoolEvaluateEventSchema = z.strictObject({
  type: z.literal('pool.evaluate'),
  pool: name(),
  reason: z.string().max(256).default('requested'),
  /** Optional: lets a caller force a dry run of one evaluation. */
  dryRun: z.boolean().optional(),
  /** Optional: carried into logs and activities, so a sweep can be followed end to end. */
  correlationId: z.string().max(128).optional(),
});

export const EVENT_TYPES = [...JOB_EVENT_TYPES, 'depth.snapshot', 'pool.evaluate'] as const;

export const PipelineEventSchema = z.discriminatedUnion(
  'type',
  [JobEventSchema, DepthSnapshotEventSchema, PoolEvaluateEventSchema],
  {
    error: (issue) =>
      issue.code === 'invalid_union' && (issue.input as { type?: unknown } | undefined)?.type !== undefined
        ? `must be one of ${EVENT_TYPES.join(', ')}`
        : undefined,
  },
);

export type JobEvent = z.infer<typeof JobEventSchema>;
export type DepthSnapshotEvent = z.infer<typeof DepthSnapshotEventSchema>;
export type PoolEvaluateEvent = z.infer<typeof PoolEvaluateEventSchema>;
export type PipelineEvent = z.infer<typeof PipelineEventSchema>;

/** A message that can never be processed: retrying it cannot help, so it belongs in the DLQ. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(field === '' ? reason : `${field}: ${reason}`);
  }

  /** Every problem of an event: `field` names the first, the message lists them all. */
  static fromIssues(issues: readonly FieldIssue[]): InvalidEventError {
    const [first, ...rest] = issues;
    if (first === undefined) return new InvalidEventError('', 'invalid event');
    const more = rest.length > 0 ? `; ${formatIssues(rest)}` : '';
    return new InvalidEventError(first.field, `${first.message}${more}`);
  }
}

/** Parses a queue message body. Throws `InvalidEventError` naming the offending fields. */
export function parseEvent(body: string): PipelineEvent {
  let json: unknown;
  try {
    json = parseJsonText(body);
  } catch (error) {
    throw new InvalidEventError('', `body is not JSON (${(error as Error).message})`);
  }
  const parsed = parseFields(PipelineEventSchema, json, '');
  if (parsed.success) return parsed.data;
  throw InvalidEventError.fromIssues(parsed.issues);
}

export function isJobEvent(event: PipelineEvent): event is JobEvent {
  return event.type.startsWith('job.');
}

/** How far an event's `at` may lie from the moment it is received. */
export interface EventTimeWindow {
  /**
   * Oldest accepted event, in seconds before its receipt: the time an ended job's record is kept. An older event
   * may belong to a job whose record is gone, so it could not be told from a new one.
   */
  maxAgeSeconds: number;
  /** Newest accepted event, in seconds after its receipt: producers' clock skew. */
  maxAheadSeconds: number;
}

/** Clock skew a producer may have: as much as the ModelArts gateway allows for signed requests. */
export const MAX_EVENT_AHEAD_SECONDS = 900;

function span(seconds: number): string {
  if (seconds >= 2 * 86_400) return `${Math.floor(seconds / 86_400)} days`;
  if (seconds >= 7_200) return `${Math.floor(seconds / 3_600)} h`;
  return `${Math.round(seconds)} s`;
}

/** Throws `InvalidEventError` naming `at` when a job event or snapshot is dated outside the window. */
export function checkEventTime(
  event: JobEvent | DepthSnapshotEvent,
  receivedAt: number,
  window: EventTimeWindow,
): void {
  const offsetSeconds = (Date.parse(event.at) - receivedAt) / 1000;
  if (offsetSeconds > window.maxAheadSeconds) {
    throw new InvalidEventError(
      'at',
      `${event.at} is ${span(offsetSeconds)} after the event was received; at most ${window.maxAheadSeconds} s ahead is accepted (producer clock skew)`,
    );
  }
  if (-offsetSeconds > window.maxAgeSeconds) {
    throw new InvalidEventError(
      'at',
      `${event.at} is ${span(-offsetSeconds)} before the event was received; events older than ${span(window.maxAgeSeconds)} are rejected (an ended job is remembered that long, so an older event could be counted twice)`,
    );
  }
}
