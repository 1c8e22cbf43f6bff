/**
 * The workload watcher: reaction in seconds for pools whose demand is their own workloads, with no job
 * producer. Each round polls the cheap workload statistics of every such pool (one request each, within the
 * shared request budget) and queues a `pool.evaluate` only for the pools whose counts changed since the last
 * round; the evaluation then reads the workloads themselves.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type Policy, PolicyValidationError, parsePolicy } from '../shared/engine';
import { errorFacts } from '../shared/pipeline/activity-records';
import { mapWithConcurrency } from '../shared/pipeline/concurrency';
import { sendPoolEvaluations } from '../shared/pipeline/fan-out';
import { RequestBudgetExhaustedError, tokenBeforeEachAttempt } from '../shared/pipeline/request-budget';
import { resolveTarget } from '../shared/pipeline/target';
import type { PipelineDependencies } from '../shared/pipeline/types';
import { PolicyRepository } from '../shared/store/policy-repository';
import { ScalerStateRepository } from '../shared/store/scaler-state-repository';
import { queueFingerprint } from './queue-fingerprint';

export type WatcherDependencies = Pick<
  PipelineDependencies,
  'store' | 'modelArts' | 'clock' | 'sleep' | 'logger' | 'settings'
>;

export interface WatchOptions {
  sqs: SQSClient;
  queueUrl: string;
  correlationId: string;
}

/** Why a watched pool was not polled this round; it is polled again the next. */
export interface SkippedPool {
  pool: string;
  reason: string;
}

export interface WatchRoundResult {
  /** Pools whose policy's demand is their workloads. */
  watched: string[];
  /** Pools whose workload counts changed: one `pool.evaluate` each. */
  changed: string[];
  skipped: SkippedPool[];
  /** `pool.evaluate` messages the queue accepted. */
  sent: number;
  /** HTTP attempts to ModelArts, retries included. */
  modelArtsRequests: number;
}

/** Why the watcher asks for an evaluation: the activities' `trigger`. */
export const WATCHER_REASON = 'workload queue changed';

const POLL_CONCURRENCY = 4;
/** A poll that has not answered by then is given up: the next round comes soon. */
const POLL_DEADLINE_MS = 15_000;

type Poll = { pool: string; fingerprint: string; changed: boolean } | { pool: string; skipped: string };

/** One round, in order: the pools to watch → poll each → queue the changed ones → remember what was seen. */
export async function watchWorkloadQueues(
  deps: WatcherDependencies,
  options: WatchOptions,
): Promise<WatchRoundResult> {
  const policies = await watchedPolicies(deps);
  let modelArtsRequests = 0;
  const polls = await mapWithConcurrency(policies, POLL_CONCURRENCY, (policy) =>
    pollPool(deps, policy, () => (modelArtsRequests += 1)),
  );
  const results: Poll[] = polls.map((settled, index) =>
    settled.status === 'fulfilled'
      ? settled.value
      : { pool: policies[index]!.pool, skipped: errorFacts(settled.reason).errorMessage },
  );
  const changed = results.flatMap((poll) => ('changed' in poll && poll.changed ? [poll] : []));
  const { sent, failed } = await sendPoolEvaluations(
    options.sqs,
    options.queueUrl,
    changed.map((poll) => poll.pool),
    { reason: WATCHER_REASON, correlationId: options.correlationId },
  );
  // Only what was handed to the queue counts as seen: a pool the queue refused is sent again next round.
  const states = new ScalerStateRepository(deps.store);
  const now = deps.clock();
  for (const poll of changed) {
    if (!failed.includes(poll.pool)) await states.saveWatchedQueue(poll.pool, poll.fingerprint, now);
  }
  const skipped = [
    ...results.flatMap((poll) => ('skipped' in poll ? [{ pool: poll.pool, reason: poll.skipped }] : [])),
    ...failed.map((pool) => ({ pool, reason: 'pool.evaluate could not be queued' })),
  ];
  for (const pool of skipped) deps.logger.warn('workload watch skipped a pool', { ...pool });
  return {
    watched: policies.map((policy) => policy.pool),
    changed: changed.filter((poll) => !failed.includes(poll.pool)).map((poll) => poll.pool),
    skipped,
    sent,
    modelArtsRequests,
  };
}

/** Enabled, valid policies whose demand is the pool's workloads. */
async function watchedPolicies(deps: WatcherDependencies): Promise<Policy[]> {
  const stored = await new PolicyRepository(deps.store).listEnabled();
  return stored.flatMap((item) => {
    try {
      const policy = parsePolicy(item.document, { endpointAllowlist: deps.settings.endpointAllowlist });
      return policy.demand === 'workloads' ? [policy] : [];
    } catch (error) {
      // The evaluation records an invalid policy; the watcher has nothing to add.
      if (error instanceof PolicyValidationError) return [];
      throw error;
    }
  });
}

/**
 * The pool's workload counts, compared with those last seen. The token comes from the bucket every function
 * shares, without waiting: when the budget is spent, evaluations come first and the pool waits for the next
 * round.
 */
async function pollPool(deps: WatcherDependencies, policy: Policy, onAttempt: () => void): Promise<Poll> {
  const { pool } = policy;
  const target = resolveTarget(policy, deps.settings);
  if (!target) return { pool, skipped: 'no endpoint and project id' };
  const client = await deps.modelArts(target, {
    onAttempt,
    beforeAttempt: tokenBeforeEachAttempt(
      { ...deps, settings: { ...deps.settings, maxTokenWaitMs: 0 } },
      target,
    ),
  });
  let statistics;
  try {
    statistics = await client.showWorkloadStatistics(pool, { signal: AbortSignal.timeout(POLL_DEADLINE_MS) });
  } catch (error) {
    if (error instanceof RequestBudgetExhaustedError) return { pool, skipped: 'request budget exhausted' };
    return { pool, skipped: `workload statistics failed: ${errorFacts(error).errorMessage}` };
  }
  const fingerprint = queueFingerprint(statistics, policy.workloadTypes);
  const seen = await new ScalerStateRepository(deps.store).get(pool);
  return { pool, fingerprint, changed: seen.watchedQueue !== fingerprint };
}

export interface WatchSummary {
  rounds: number;
  watched: number;
  /** Pools sent for evaluation, once per round they changed in. */
  evaluations: string[];
  sent: number;
  skipped: SkippedPool[];
  modelArtsRequests: number;
}

/**
 * The rounds of one invocation, `periodMs` apart, so that a one-minute schedule polls every 30 s. A round is
 * started only while the function has time left for it; without any pool to watch the invocation ends after
 * its first round.
 */
export async function watchRounds(
  deps: WatcherDependencies,
  options: WatchOptions & { rounds: number; periodMs: number; remainingMs: () => number },
): Promise<WatchSummary> {
  const summary: WatchSummary = {
    rounds: 0,
    watched: 0,
    evaluations: [],
    sent: 0,
    skipped: [],
    modelArtsRequests: 0,
  };
  const started = deps.clock();
  for (let round = 0; round < options.rounds; round += 1) {
    if (round > 0) {
      const wait = started + round * options.periodMs - deps.clock();
      if (options.remainingMs() - Math.max(0, wait) < POLL_DEADLINE_MS) break;
      if (wait > 0) await deps.sleep(wait);
    }
    const result = await watchWorkloadQueues(deps, options);
    summary.rounds += 1;
    summary.watched = result.watched.length;
    summary.evaluations.push(...result.changed);
    summary.sent += result.sent;
    summary.skipped.push(...result.skipped);
    summary.modelArtsRequests += result.modelArtsRequests;
    if (result.watched.length === 0) break;
  }
  return summary;
}
