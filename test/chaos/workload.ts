import type { JobEvent, JobEventType } from '../../functions/shared/events';
import type { JobState } from '../../functions/shared/store/job-transitions';
import { seededRandom } from '../../simulator/random';

export { seededRandom };

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** One job of the workload and the furthest state its events reach: the ground truth of the depth. */
export interface WorkloadJob {
  pool: string;
  flavor: string;
  jobId: string;
  units: number;
  finalState: JobState;
}

export interface Workload {
  jobs: WorkloadJob[];
  /** Distinct job events (before duplication). */
  events: JobEvent[];
  /** Message bodies in delivery order: every event, reordered, some twice, plus poison messages. */
  bodies: string[];
  duplicates: number;
  poison: number;
  /** Units per pool and flavor the depth table must end with. */
  expectedDepth: Map<string, { pendingUnits: number; runningUnits: number }>;
}

export const depthKey = (pool: string, flavor: string): string => `${pool}\u0000${flavor}`;

const TERMINAL: JobEventType[] = ['job.finished', 'job.failed', 'job.cancelled'];

/** Bodies that can never be processed; each must end in the dead-letter queue without hurting its batch. */
const POISON_BODIES = [
  'not json at all',
  '{"type":"job.submitted"}',
  '{"type":"job.exploded","pool":"p","flavor":"f","jobId":"j","units":1,"at":"2026-11-23T08:00:00Z"}',
  '{"type":"job.started","pool":"p","flavor":"f","jobId":"j","units":-4,"at":"2026-11-23T08:00:00Z"}',
];

/**
 * Jobs spread over the pools and flavors, each taken through a prefix of submitted → started → terminal (or
 * cancelled while pending), until `eventCount` events exist; then reordered and duplicated.
 */
export function generateWorkload(options: {
  eventCount: number;
  pools: string[];
  flavors: string[];
  seed: number;
  duplicateRate: number;
  poisonCount: number;
  /** How far a message may move from its place in the producers' order. */
  reorderWindow: number;
  start: number;
}): Workload {
  const random = seededRandom(options.seed);
  const jobs: WorkloadJob[] = [];
  const events: JobEvent[] = [];
  let n = 0;
  // Producers send in bursts per pool (a team submits a batch of jobs); the jobs of a burst interleave.
  while (events.length < options.eventCount) {
    const pool = pick(random, options.pools);
    const burst: JobEvent[][] = [];
    const jobsInBurst = 4 + Math.floor(random() * 12);
    for (
      let b = 0;
      b < jobsInBurst && events.length + burst.flat().length < options.eventCount;
      b += 1, n += 1
    ) {
      const flavor = pick(random, options.flavors);
      const jobId = `job-${n}`;
      const units = pick(random, [1, 2, 4, 8]);
      const roll = random();
      const types: JobEventType[] =
        roll < 0.25
          ? ['job.submitted']
          : roll < 0.5
            ? ['job.submitted', 'job.started']
            : roll < 0.6
              ? ['job.submitted', 'job.cancelled']
              : ['job.submitted', 'job.started', pick(random, TERMINAL)];
      const used = types.slice(0, options.eventCount - events.length - burst.flat().length);
      burst.push(
        used.map((type, index) => ({
          type,
          pool,
          flavor,
          jobId,
          units,
          at: new Date(options.start + n * 10 + index).toISOString(),
        })),
      );
      jobs.push({ pool, flavor, jobId, units, finalState: used[used.length - 1]!.slice(4) as JobState });
    }
    // Interleave: submissions first, then the rest in the jobs' order.
    for (let step = 0; step < 3; step += 1) {
      for (const job of burst) if (job[step]) events.push(job[step] as JobEvent);
    }
  }

  const expectedDepth = new Map<string, { pendingUnits: number; runningUnits: number }>();
  for (const pool of options.pools) {
    for (const flavor of options.flavors)
      expectedDepth.set(depthKey(pool, flavor), { pendingUnits: 0, runningUnits: 0 });
  }
  for (const job of jobs) {
    const depth = expectedDepth.get(depthKey(job.pool, job.flavor))!;
    if (job.finalState === 'submitted') depth.pendingUnits += job.units;
    if (job.finalState === 'started') depth.runningUnits += job.units;
  }

  const bodies = events.map((event) => JSON.stringify(event));
  // Reordering: every message may swap with one up to `reorderWindow` places later, so a job's events often
  // arrive backwards (finished before started before submitted).
  for (let i = 0; i < bodies.length; i += 1) {
    const j = Math.min(bodies.length - 1, i + Math.floor(random() * options.reorderWindow));
    [bodies[i], bodies[j]] = [bodies[j] as string, bodies[i] as string];
  }
  // Duplicates: a copy delivered again anywhere later in the stream.
  let duplicates = 0;
  for (const event of events) {
    if (random() < options.duplicateRate) {
      bodies.splice(Math.floor(random() * (bodies.length + 1)), 0, JSON.stringify(event));
      duplicates += 1;
    }
  }
  for (let i = 0; i < options.poisonCount; i += 1) {
    bodies.splice(Math.floor(random() * (bodies.length + 1)), 0, POISON_BODIES[i % POISON_BODIES.length]!);
  }
  return { jobs, events, bodies, duplicates, poison: options.poisonCount, expectedDepth };
}
