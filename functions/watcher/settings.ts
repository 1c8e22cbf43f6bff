import { z } from 'zod';

/** Environment variables of the workload watcher; the CDK construct sets them. */
export const WATCHER_ENV = {
  /** Seconds between two polls of the pools' workload statistics. */
  periodSeconds: 'WATCH_PERIOD_SECONDS',
  /** Polls per invocation, `periodSeconds` apart: a one-minute schedule with a 30 s period makes two. */
  rounds: 'WATCH_ROUNDS',
} as const;

export const DEFAULT_WATCH_PERIOD_SECONDS = 30;

/** EventBridge schedules go down to one minute: shorter periods poll several times per invocation. */
export const SCHEDULE_SECONDS = 60;

export interface WatcherSettings {
  periodMs: number;
  rounds: number;
}

const WatcherEnvSchema = z.object({
  [WATCHER_ENV.periodSeconds]: z.coerce
    .number()
    .int('must be a whole number of seconds')
    .min(10, 'must be at least 10')
    .max(3600, 'must be at most 3600')
    .default(DEFAULT_WATCH_PERIOD_SECONDS),
  [WATCHER_ENV.rounds]: z.coerce
    .number()
    .int()
    .min(1, 'must be at least 1')
    .max(6, 'must be at most 6')
    .optional(),
});

/** Polls one invocation of a one-minute schedule makes at this period: 60 / period, at least one. */
export function roundsPerMinute(periodSeconds: number): number {
  return Math.max(1, Math.floor(SCHEDULE_SECONDS / periodSeconds));
}

export class WatcherConfigError extends Error {
  override readonly name = 'WatcherConfigError';
}

/** The watcher's settings from its environment; errors name the variable. */
export function watcherSettingsFromEnv(
  env: Record<string, string | undefined> = process.env,
): WatcherSettings {
  const parsed = WatcherEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WatcherConfigError(
      `environment variable ${String(issue?.path[0])}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const periodSeconds = parsed.data[WATCHER_ENV.periodSeconds];
  return {
    periodMs: periodSeconds * 1000,
    rounds: parsed.data[WATCHER_ENV.rounds] ?? roundsPerMinute(periodSeconds),
  };
}
