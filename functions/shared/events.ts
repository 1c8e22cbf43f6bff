import { z } from 'zod';

/** Events on the queue (ARCHITECTURE 3.2). Delivery is at least once and unordered. */

const name = () =>
  z
    .string({ error: 'must be a string' })
    .min(1, 'must not be empty')
    .max(256, 'is longer than 256 characters');

const timestamp = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time with offset or Z' });

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
  pool: name(),
  flavor: name(),
  jobId: name(),
  units: z.number().int().positive().max(1_000_000),
  at: timestamp,
});

export const DepthSnapshotEventSchema = z.strictObject({
  type: z.literal('depth.snapshot'),
  pool: name(),
  flavor: name(),
  pendingUnits: z.number().int().min(0),
  runningUnits: z.number().int().min(0),
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

export const PipelineEventSchema = z.discriminatedUnion('type', [
  JobEventSchema,
  DepthSnapshotEventSchema,
  PoolEvaluateEventSchema,
]);

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
}

/** Parses a queue message body. Throws `InvalidEventError` naming the offending field. */
export function parseEvent(body: string): PipelineEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new InvalidEventError('', `body is not JSON (${(error as Error).message})`);
  }
  const parsed = PipelineEventSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    throw new InvalidEventError(issue.keys.join(', '), 'unknown field');
  }
  const field = issue?.path.join('.') ?? '';
  if (issue?.code === 'invalid_union' && field === 'type') {
    throw new InvalidEventError(
      'type',
      `must be one of ${[...JOB_EVENT_TYPES, 'depth.snapshot', 'pool.evaluate'].join(', ')}`,
    );
  }
  throw new InvalidEventError(field, issue?.message ?? 'invalid event');
}

export function isJobEvent(event: PipelineEvent): event is JobEvent {
  return event.type.startsWith('job.');
}
