import { readFile } from 'node:fs/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createConsumerHandler } from '../functions/consumer/handler';
import { createEvaluatorHandler } from '../functions/evaluator/handler';
import { parsePolicy } from '../functions/shared/engine';
import { CredentialEnv } from '../functions/shared/modelarts';
import { dependenciesFromEnv } from '../functions/shared/pipeline/dependencies';
import { RecordingTelemetry } from '../functions/shared/pipeline/telemetry';
import { DepthRepository } from '../functions/shared/store/depth-repository';
import { PolicyRepository } from '../functions/shared/store/policy-repository';
import { createWatcherHandler } from '../functions/watcher/handler';
import { DEFAULT_WATCH_PERIOD_SECONDS } from '../functions/watcher/settings';
import { publishEvents } from '../local/event-publisher';
import { localScheduledEvent } from '../local/lambda-events';
import type { ScheduledHandler } from '../local/lambda-runtime';
import { DEFAULT_POLICY, DEFAULT_TRACE } from '../local/options';
import { simulatedPoolRequest } from '../local/simulated-pool';
import { localLambdaContext, pollQueueOnce } from '../local/sqs-lambda-poller';
import { type LocalStack, startLocalStack } from '../local/stack';
import { WorkloadReplay, simulatorFlavors } from '../local/workload-replay';
import { flavorSetupsFromPolicy } from '../policy-sim/flavor-setup';
import { loadTraceFile } from '../policy-sim/input-files';
import { benchLine, benchNote } from './format';

/*
 * ModelArts API requests per pool per minute for each demand mode: the demo trace replayed as simulator workloads
 * on a virtual clock through the real consumer, evaluator (sweep every minute) and, for `workloads`, the watcher
 * (every 30 s), counted from the simulator's request log. Every mode gets its own pool, the same trace and the
 * same horizon, one after the other, so no mode spends another's request budget.
 */

const CREDENTIALS = { ak: 'AKBENCHDEMAND00000001', sk: 'bench-demand-secret' };
const MODES = ['events', 'workloads', 'events+workloads'] as const;
type DemandMode = (typeof MODES)[number];
const AZS = ['cn-north-4a', 'cn-north-4b'];
/** Virtual seconds between two steps of the replay: job events reach the queue at most this late. */
const STEP_S = 5;
const SWEEP_S = 60;
/** The demo trace ends within an hour; the last quarter hour is idle, all modes alike. */
const HORIZON_S = 90 * 60;
const IDLE_FROM_S = 75 * 60;
const LABELS: Record<DemandMode, string> = {
  events: 'bench-events',
  workloads: 'bench-workloads',
  'events+workloads': 'bench-reconciled',
};

interface ModeFigures {
  mode: DemandMode;
  pool: string;
  /** Requests over the whole horizon, and over its idle end. */
  requests: number;
  idleRequests: number;
  jobEvents: number;
  /** Each flavor's count at the end: the pool is back at rest. */
  endCounts: Record<string, number>;
  byKind: Record<string, number>;
}

/** `GET /pools/{pool}`, `GET .../workloads?status=Queue`, ...: the request without its pool prefix. */
function requestKind(entry: { method: string; path: string; query: Record<string, string> }): string {
  const path = entry.path.replace(/^.*\/pools\/[^/]+/, '').replace(/\/$/, '') || '';
  const status = entry.query.status ? `?status=${entry.query.status}` : '';
  const statistics = entry.path.includes('/statistics/') ? 'statistics ' : '';
  return `${entry.method} ${statistics}pool${path}${status}`;
}

export default async function (): Promise<void> {
  const jobs = await loadTraceFile(DEFAULT_TRACE);
  const demo = JSON.parse(await readFile(DEFAULT_POLICY, 'utf8')) as Record<string, unknown>;
  const setups = flavorSetupsFromPolicy(parsePolicy(demo));
  // Today's hour: DynamoDB Local expires records on the real clock.
  let clock = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const stack = await startLocalStack({
    tablePrefix: 'bench-demand-',
    visibilityTimeoutSeconds: 5,
    simulator: {
      auth: CREDENTIALS,
      provisioningDelayMs: 300_000,
      deletionDelayMs: 60_000,
      availabilityZones: AZS,
      flavors: simulatorFlavors(setups),
      now: () => clock,
    },
  });
  try {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const logger = new Logger({ logLevel: 'SILENT' });
    const deps = dependenciesFromEnv(
      { ...stack.env, [CredentialEnv.ak]: CREDENTIALS.ak, [CredentialEnv.sk]: CREDENTIALS.sk },
      {
        store: stack.store,
        sqs: stack.sqs.client,
        clock: () => clock,
        // Waits (retries, the watcher's rounds) pass on the virtual clock, not the machine's.
        sleep: async (ms) => {
          clock += ms;
        },
        logger,
        metrics: new Metrics({ namespace: 'Bench', logger }),
        telemetry: new RecordingTelemetry(),
      },
    );
    const figures: ModeFigures[] = [];
    let previous: (Record<string, unknown> & { pool: string }) | undefined;
    for (const mode of MODES) {
      // Only one pool is enabled at a time: the sweep evaluates every enabled pool.
      if (previous)
        await new PolicyRepository(stack.store).put({ ...previous, enabled: false }, { now: clock });
      const run = await replayMode(stack, deps, {
        mode,
        demo,
        jobs,
        setups,
        clock: () => clock,
        advance: (ms) => (clock += ms),
      });
      previous = run.policy;
      figures.push(run.figures);
    }
    report(figures);
  } finally {
    await stack.stop();
  }
}

interface ReplayInput {
  mode: DemandMode;
  demo: Record<string, unknown>;
  jobs: Awaited<ReturnType<typeof loadTraceFile>>;
  setups: ReturnType<typeof flavorSetupsFromPolicy>;
  clock: () => number;
  advance: (ms: number) => void;
}

async function replayMode(
  stack: LocalStack,
  deps: ReturnType<typeof dependenciesFromEnv>,
  input: ReplayInput,
): Promise<{ figures: ModeFigures; policy: Record<string, unknown> & { pool: string } }> {
  const simulator = stack.simulator!;
  const { mode, clock } = input;
  const request = simulatedPoolRequest(parsePolicy(input.demo), AZS);
  request.metadata.labels['os.modelarts/name'] = LABELS[mode];
  const pool = simulator.seedPool(request).metadata.name;
  const policy = { ...input.demo, pool, projectId: simulator.projectId, demand: mode };
  await new PolicyRepository(stack.store).put(policy, { now: clock() });
  // As the local run does: every flavor starts from a known zero depth, whatever the mode.
  const depth = new DepthRepository(stack.store, { jobRetentionDays: 1 });
  for (const setup of input.setups) {
    const at = new Date(clock()).toISOString();
    await depth.applySnapshot(
      { type: 'depth.snapshot', pool, flavor: setup.flavor, pendingUnits: 0, runningUnits: 0, at },
      clock(),
    );
  }

  const consumer = createConsumerHandler(deps);
  const evaluator = createEvaluatorHandler(deps);
  const watcher = createWatcherHandler(deps, { periodMs: DEFAULT_WATCH_PERIOD_SECONDS * 1000, rounds: 1 });
  const drain = async () => {
    for (;;) {
      const polled = await pollQueueOnce({
        sqs: stack.sqs.client,
        queueUrl: stack.sqs.queueUrl,
        handler: consumer,
      });
      if (polled.received === 0) return;
    }
  };
  const scheduled = async (handler: ScheduledHandler, name: string) => {
    const id = `${name}-${clock()}`;
    await handler(localScheduledEvent(id, clock()), localLambdaContext(name, id));
    await drain();
  };

  const start = clock();
  const firstRequest = simulator.requestLog.length;
  const replay = new WorkloadReplay(input.jobs, input.setups, simulator, {
    pool,
    workloadPool: pool,
    runId: LABELS[mode],
    startEpochMs: start,
  });
  let jobEvents = 0;
  for (let tS = 0; tS < HORIZON_S; tS += STEP_S) {
    const at = start + tS * 1000;
    // A wait on the virtual clock may have carried it past this step already.
    if (clock() < at) input.advance(at - clock());
    const events = replay.step(tS);
    if (mode !== 'workloads' && events.length > 0) {
      jobEvents += events.length;
      await publishEvents(stack.sqs.client, stack.sqs.queueUrl, events);
      await drain();
    }
    if (tS % SWEEP_S === 0) await scheduled(evaluator, 'pool-autoscaler-evaluator');
    if (mode === 'workloads' && tS % DEFAULT_WATCH_PERIOD_SECONDS === 0) {
      await scheduled(watcher, 'pool-autoscaler-watcher');
    }
  }
  const requests = simulator.requestLog.slice(firstRequest).filter((entry) => entry.path.includes(pool));
  const byKind: Record<string, number> = {};
  for (const entry of requests) byKind[requestKind(entry)] = (byKind[requestKind(entry)] ?? 0) + 1;
  const endCounts = Object.fromEntries(
    (simulator.pool(pool)?.spec?.resources ?? []).map((entry) => [entry.flavor, entry.count]),
  );
  return {
    policy,
    figures: {
      mode,
      pool,
      requests: requests.length,
      idleRequests: requests.filter((entry) => entry.at >= start + IDLE_FROM_S * 1000).length,
      jobEvents,
      endCounts,
      byKind,
    },
  };
}

function report(figures: readonly ModeFigures[]): void {
  const minutes = HORIZON_S / 60;
  const idleMinutes = (HORIZON_S - IDLE_FROM_S) / 60;
  const events = figures.find((entry) => entry.mode === 'events')!;
  benchNote(
    `demo trace (${minutes} virtual minutes, the last ${idleMinutes} idle), sweep every ${SWEEP_S} s, watcher every ${DEFAULT_WATCH_PERIOD_SECONDS} s (workloads only); requests from the simulator's log`,
  );
  for (const entry of figures) {
    const name = entry.mode.replace('+', '_');
    const kinds = Object.entries(entry.byKind)
      .sort(([, a], [, b]) => b - a)
      .map(([kind, count]) => `${kind} ${count}`)
      .join(', ');
    benchNote(
      `${entry.mode}: ${entry.requests} requests, ${entry.jobEvents} job events, counts at the end ${JSON.stringify(entry.endCounts)}; ${kinds}`,
    );
    benchLine(`demand.modelarts_requests_per_pool_minute.${name}`, entry.requests / minutes, 'requests/min');
    benchLine(
      `demand.modelarts_requests_per_pool_minute_idle.${name}`,
      entry.idleRequests / idleMinutes,
      'requests/min',
    );
    if (entry.mode !== 'events') {
      benchLine(`demand.requests_ratio.${name}_vs_events`, entry.requests / events.requests, 'x');
    }
  }
}
