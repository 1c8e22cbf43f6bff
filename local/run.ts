import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createConsumerHandler } from '../functions/consumer/handler';
import { ENV } from '../functions/shared/config';
import { parsePolicy, type Policy } from '../functions/shared/engine';
import { createEvaluatorHandler } from '../functions/evaluator/handler';
import { RECONCILED_REASON } from '../functions/shared/pipeline/workload-demand';
import { createWatcherHandler } from '../functions/watcher/handler';
import { DEFAULT_WATCH_PERIOD_SECONDS } from '../functions/watcher/settings';
import { CredentialEnv, ModelArtsClient, credentialsFromEnv } from '../functions/shared/modelarts';
import { dependenciesFromEnv } from '../functions/shared/pipeline/dependencies';
import { ActivityRepository } from '../functions/shared/store/activity-repository';
import { DepthRepository } from '../functions/shared/store/depth-repository';
import { PolicyRepository } from '../functions/shared/store/policy-repository';
import type { AzCapacity, ModelArtsSimulator } from '../simulator';
import { type LocalStack, startLocalStack } from './stack';
import { checkTraceAgainstFlavors, flavorSetupsFromPolicy } from '../policy-sim/flavor-setup';
import { loadTraceFile } from '../policy-sim/input-files';
import { oracleFlavor, traceEndS } from '../policy-sim/strategies/oracle';
import type { TraceJob } from '../policy-sim/trace';
import type { FlavorSetup } from '../policy-sim/types';
import { writeSimulationOutputs } from '../policy-sim/outputs/write-outputs';
import type { SimulationResult } from '../policy-sim/results';
import type { SummaryContext } from '../policy-sim/outputs/summary-json';
import { JobEventFeed } from './event-loss';
import { publishEvents } from './event-publisher';
import { MessageTally } from './message-tally';
import { EvaluatorSchedule, type QueueCounters, QueuePoller } from './lambda-runtime';
import type { LocalRunOptions } from './options';
import {
  endpointPoolSource,
  flavorStates,
  type FlavorState,
  type PoolSource,
  simulatorPoolSource,
} from './pool-state';
import { createProgressView } from './progress-view';
import { RunRecorder, type ScaleMoves } from './run-recorder';
import { ScaledClock } from './scaled-clock';
import { type PoolMirror, startPoolMirror } from './pool-mirror';
import { simulatedPoolRequest } from './simulated-pool';
import { WorkloadReplay, simulatorFlavors } from './workload-replay';

export type StopReason = 'finished' | 'duration' | 'signal';

export interface LocalRunReport {
  outDir: string;
  files: string[];
  result: SimulationResult;
  stopReason: StopReason;
  pool: string;
  /** No PATCH was sent: `patches` counts the ones a live run would have sent. */
  dryRun: boolean;
  moves: Record<string, ScaleMoves>;
  /** Workloads the simulator failed because a node under them was removed: the preempted jobs, counted there. */
  killedWorkloads: number;
  /** `byType`: the messages the consumer received by type; in `workloads` mode no `job.*` type appears. */
  queue: QueueCounters & { deadLetters: number; byType: Record<string, number> };
  evaluatorInvocations: number;
  /** Where the autoscaler read demand, and what became of the job events. */
  demand: Policy['demand'];
  jobEvents: { published: number; dropped: number; withheld: number };
  /** Reconciliations against the workloads that found the counters off, and by how many units in all. */
  reconciliations: { repaired: number; driftUnits: number };
  watcherInvocations: number;
  realSeconds: number;
  traceSeconds: number;
}

export interface LocalRunIo {
  write: (text: string) => void;
  tty: boolean;
  /** Aborting ends the run early; the report is still written. */
  signal?: AbortSignal;
}

export class LocalRunInputError extends Error {
  override readonly name = 'LocalRunInputError';
}

const TICK_MS = 100;
/** After the last job ended, the run ends once no target has moved for this long (virtual seconds), at minimum. */
const SETTLE_S = 600;

/**
 * How long after the trace no target may move before the run ends: at least SETTLE_S, and longer than the slowest
 * flavor's way down (its scale-down window, plus the time an idle node is kept, or kept for reuse, plus two
 * sweeps), so a run never ends just before the scale-in it is waiting for.
 */
function settleSeconds(policy: Policy, sweepS: number): number {
  const waysDown = Object.values(policy.flavors).map(
    (rules) =>
      rules.scaleDown.stabilizationSeconds +
      rules.idleNodes.keepSeconds +
      (rules.idleNodes.reuseLeadSeconds > 0 ? rules.idleNodes.reuseWindowSeconds : 0) +
      2 * sweepS,
  );
  return Math.max(SETTLE_S, ...waysDown);
}

async function readPolicyDocument(
  path: string,
): Promise<{ document: Record<string, unknown>; policy: Policy }> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new LocalRunInputError(`--policy ${path}: ${(error as Error).message}`);
  }
  try {
    return { document: json as Record<string, unknown>, policy: parsePolicy(json) };
  } catch (error) {
    throw new LocalRunInputError(`--policy ${path}: ${(error as Error).message}`);
  }
}

/** The flavors' AZs in the policy's order, for the simulator's region and the progress lines. */
function policyAzs(policy: Policy): string[] {
  const azs = new Set<string>();
  for (const rules of Object.values(policy.flavors))
    for (const az of Object.keys(rules.azs ?? {})) azs.add(az);
  if (azs.size < 2) for (const az of ['cn-north-4a', 'cn-north-4b']) azs.add(az);
  return [...azs];
}

function atRest(states: readonly FlavorState[], policy: Policy): boolean {
  return states.every(
    (state) =>
      state.target <= (policy.flavors[state.flavor]?.minCount ?? 1) &&
      state.creating === 0 &&
      state.deleting === 0,
  );
}

/**
 * The whole system on one machine: DynamoDB Local, the SQS emulator and the ModelArts simulator (or a real
 * endpoint), the real consumer and evaluator handlers on a scaled clock, and the trace's jobs run as simulator
 * workloads whose transitions are sent as job events.
 */
export async function runLocal(options: LocalRunOptions, io: LocalRunIo): Promise<LocalRunReport> {
  const jobs = await loadTraceFile(options.trace).catch((error: unknown) => {
    throw new LocalRunInputError(`--trace ${options.trace}: ${(error as Error).message}`);
  });
  const { document, policy } = await readPolicyDocument(options.policy);
  const setups = flavorSetupsFromPolicy(policy);
  try {
    checkTraceAgainstFlavors(jobs, setups);
  } catch (error) {
    throw new LocalRunInputError(`--trace ${options.trace}: ${(error as Error).message}`);
  }
  const flavors = setups.map((setup) => setup.flavor);
  const azs = policyAzs(policy);
  const clock = new ScaledClock(options.speed);

  let projectId = policy.projectId;
  if (options.endpoint) {
    credentialsFromEnv(process.env);
    projectId = process.env[CredentialEnv.projectId] ?? policy.projectId;
    if (!projectId) {
      throw new LocalRunInputError(`--endpoint needs the policy's projectId or ${CredentialEnv.projectId}`);
    }
  }
  const localKeys = { ak: 'LOCALRUNAK', sk: randomBytes(16).toString('hex') };
  const simulatedFlavors = simulatorFlavors(setups);
  const stack: LocalStack = await startLocalStack({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    tablePrefix: 'local-',
    visibilityTimeoutSeconds: 5,
    maxReceiveCount: 3,
    simulator: options.endpoint
      ? false
      : {
          auth: localKeys,
          provisioningDelayMs: options.provisionDelay * 1000,
          deletionDelayMs: 60_000,
          availabilityZones: azs,
          flavors: simulatedFlavors,
          ...(options.azCapacity !== undefined ? { azCapacity: options.azCapacity } : {}),
          now: clock.now,
        },
  });
  let mirror: PoolMirror | undefined;
  const progressHolder: { stop(): void } = { stop: () => undefined };
  try {
    let poolName = policy.pool;
    let source: PoolSource;
    /** Where the trace's jobs run as workloads: the autoscaler's simulated pool, or the mirror of a real one. */
    let jobsRunIn: { simulator: ModelArtsSimulator; pool: string };
    const env: Record<string, string | undefined> = {
      ...stack.env,
      // A lease must outlive one evaluation in real time, whatever the speed.
      [ENV.leaseSeconds]: String(Math.max(60, 30 * options.speed)),
    };
    if (stack.simulator) {
      poolName = stack.simulator.seedPool(simulatedPoolRequest(policy, azs)).metadata.name;
      projectId = stack.simulator.projectId;
      source = simulatorPoolSource(stack.simulator, poolName);
      jobsRunIn = { simulator: stack.simulator, pool: poolName };
      env[CredentialEnv.ak] = localKeys.ak;
      env[CredentialEnv.sk] = localKeys.sk;
    } else {
      env[ENV.modelArtsEndpoint] = options.endpoint;
      env[ENV.modelArtsEndpointHosts] = process.env[ENV.modelArtsEndpointHosts];
      env[ENV.modelArtsProjectId] = projectId;
      for (const key of Object.values(CredentialEnv)) env[key] = process.env[key];
      const client = new ModelArtsClient({
        endpoint: options.endpoint!,
        projectId: projectId!,
        credentials: credentialsFromEnv(process.env).credentials,
      });
      source = endpointPoolSource(client, poolName, 2000);
      mirror = await startPoolMirror({ setups, flavors: simulatedFlavors, now: clock.now });
      jobsRunIn = { simulator: mirror.simulator, pool: mirror.pool };
    }

    // A kept database holds earlier runs' times: start after them, so windows and history stay in order.
    const activities = new ActivityRepository(stack.store, { retentionDays: 30 });
    const latest = (await activities.listByPool(poolName, { limit: 1 }))[0];
    clock.startAt(Math.max(Date.now(), latest ? Date.parse(latest.at) + 3_600_000 : 0));

    const demandMode = options.demand ?? policy.demand;
    const stored = {
      ...document,
      pool: poolName,
      ...(projectId ? { projectId } : {}),
      ...(options.demand ? { demand: options.demand } : {}),
      dryRun: options.endpoint ? !options.apply || policy.dryRun : policy.dryRun,
    };
    await new PolicyRepository(stack.store).put(stored, { now: clock.now() });
    const depth = new DepthRepository(stack.store, { jobRetentionDays: 1 });
    for (const flavor of flavors) {
      await depth.applySnapshot(
        {
          type: 'depth.snapshot',
          pool: poolName,
          flavor,
          pendingUnits: 0,
          runningUnits: 0,
          at: new Date(clock.now()).toISOString(),
        },
        clock.now(),
      );
    }

    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    // The handlers' logs and warnings would tear through the live view: they go where --log-level says.
    const logger = new Logger({ serviceName: 'pool-autoscaler', logLevel: options.logLevel });
    const deps = dependenciesFromEnv(env, {
      store: stack.store,
      sqs: stack.sqs.client,
      clock: clock.now,
      sleep: (ms) => sleep(clock.realMs(ms)),
      logger,
      metrics: new Metrics({ namespace: 'PoolAutoscaler', serviceName: 'pool-autoscaler', logger }),
    });
    const consumer = createConsumerHandler(deps);
    const evaluator = createEvaluatorHandler(deps);
    const consumed = new MessageTally();
    const poller = new QueuePoller({
      sqs: stack.sqs.client,
      queueUrl: stack.sqs.queueUrl,
      handler: consumed.counting(consumer),
    });
    const schedule = new EvaluatorSchedule({
      handler: evaluator,
      intervalMs: clock.realMs(options.sweep * 1000),
      now: clock.now,
    });

    // Without a producer the watcher polls the pool's workload statistics, beside the evaluator's schedule.
    const watch =
      demandMode === 'workloads'
        ? new EvaluatorSchedule({
            handler: createWatcherHandler(deps, { periodMs: DEFAULT_WATCH_PERIOD_SECONDS * 1000, rounds: 1 }),
            intervalMs: clock.realMs(DEFAULT_WATCH_PERIOD_SECONDS * 1000),
            now: clock.now,
            functionName: 'pool-autoscaler-watcher',
          })
        : undefined;
    const feed = new JobEventFeed({ send: demandMode !== 'workloads', dropShare: options.dropEvents });
    const reconciliations = reconciliationNotes(
      activities,
      poolName,
      clock,
      demandMode === 'events+workloads',
    );

    const runId = `run${clock.startEpochMs.toString(36)}`;
    const replay = new WorkloadReplay(jobs, setups, jobsRunIn.simulator, {
      pool: poolName,
      workloadPool: jobsRunIn.pool,
      runId,
      startEpochMs: clock.startEpochMs,
    });
    const recorder = new RunRecorder(setups);
    const lineCount = flavors.length * (1 + azs.length);
    const progress = createProgressView({ tty: io.tty, totalJobs: jobs.length, lineCount, write: io.write });
    progressHolder.stop = () => progress.stop();
    progress.note(
      `pool ${poolName} on ${stack.simulator ? `the ModelArts simulator at ${stack.simulator.url}` : options.endpoint}${stored.dryRun ? ' (dry run: no PATCH is sent)' : ''}`,
    );
    progress.note(
      `trace ${basename(options.trace)}: ${jobs.length} jobs at ${options.speed}x (1 s = ${options.speed} s of trace), ending within ${options.duration} s`,
    );
    progress.note(policyNote(options));
    for (const warning of maxCountWarnings(jobs, setups)) progress.note(`warning: ${warning}`);
    if (mirror) progress.note(`the jobs run as workloads in a local mirror of the pool's available nodes`);
    progress.note(demandNote(demandMode, options.dropEvents));

    const countPatches = patchCounter(stack, activities, poolName, clock);
    // Virtual time starts with the handlers, so the trace's first seconds are not spent on setup.
    clock.begin();
    poller.start();
    schedule.start();
    watch?.start();
    let stopReason: StopReason = 'duration';
    let lastTargets = '';
    let lastChangeS = 0;
    const settle = settleSeconds(policy, options.sweep);
    let doneAtS: number | undefined;
    let states: FlavorState[] = [];
    for (;;) {
      const tS = clock.elapsedS();
      const pool = await source.read().catch((error: unknown) => {
        progress.note(`pool could not be read: ${(error as Error).message}`);
        return undefined;
      });
      if (pool) {
        states = flavorStates(pool, flavors, azs);
        mirror?.follow(pool);
      }
      await publishEvents(stack.sqs.client, stack.sqs.queueUrl, feed.pass(replay.step(tS)));
      for (const line of await reconciliations.read()) progress.note(`[${Math.round(tS)} s] ${line}`);
      const demand = Object.fromEntries(
        flavors.map((flavor) => {
          const units = replay.demand(flavor);
          return [flavor, units.pendingUnits + units.runningUnits];
        }),
      );
      recorder.observe(tS, states, demand);
      Object.assign(recorder, await countPatches());
      const targets = states.map((state) => state.target).join(',');
      if (targets !== lastTargets) {
        lastTargets = targets;
        lastChangeS = tS;
      }
      progress.update({
        tS,
        realS: clock.realElapsedMs() / 1000,
        jobs: replay.progress(),
        patches: recorder.patches,
        flavors: states.map((state) => ({ ...state, demandUnits: demand[state.flavor] ?? 0 })),
        messages: { received: poller.counters.received, failed: poller.counters.failed },
      });
      if (io.signal?.aborted) {
        stopReason = 'signal';
        break;
      }
      if (clock.realElapsedMs() >= options.duration * 1000) break;
      // Once every job has ended, the pool gets its whole way down before the run ends without reaching rest.
      if (replay.done()) doneAtS ??= tS;
      if (
        doneAtS !== undefined &&
        (atRest(states, policy) || tS - Math.max(lastChangeS, doneAtS) >= settle)
      ) {
        stopReason = 'finished';
        break;
      }
      await sleep(TICK_MS);
    }

    await schedule.stop();
    await watch?.stop();
    await poller.stop();
    for (const line of await reconciliations.read(true)) progress.note(line);
    const repaired =
      demandMode === 'events+workloads'
        ? `; reconciliation against the workloads repaired ${reconciliations.driftUnits} units of drift (${reconciliations.repaired} times)`
        : '';
    progress.note(
      `job events: ${feed.published} sent, ${feed.dropped} dropped, ${feed.withheld} never sent, ${consumed.jobEvents()} consumed (demand: ${demandMode})${repaired}`,
    );
    const traceSeconds = clock.elapsedS();
    Object.assign(recorder, await countPatches());
    recorder.recordActivities(
      await activities.listByPool(poolName, {
        since: new Date(clock.startEpochMs).toISOString(),
        limit: 100_000,
      }),
      clock.startEpochMs,
    );
    const preempted = Object.fromEntries(flavors.map((flavor) => [flavor, replay.preempted(flavor)]));
    const result = recorder.result({
      pool: poolName,
      jobs,
      outcomes: replay.jobOutcomes(),
      preempted,
      settings: {
        provision_delay_s: options.provisionDelay,
        provision_jitter_s: 0,
        sweep_seconds: options.sweep,
        event_latency_s: 0,
        seed: 0,
        start: new Date(clock.startEpochMs).toISOString(),
        policy_scale_in: 'patch',
      },
    });
    const deadLetters = await stack.sqs.client
      .send(
        new GetQueueAttributesCommand({
          QueueUrl: stack.sqs.dlqUrl,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      )
      .then((answer) => Number(answer.Attributes?.ApproximateNumberOfMessages ?? 0));
    progress.stop();
    progressHolder.stop = () => undefined;

    const realSeconds = Math.round(clock.realElapsedMs()) / 1000;
    const context: SummaryContext = {
      traceName: basename(options.trace),
      policyName: basename(options.policy),
      localRun: {
        pool: stack.simulator ? 'the ModelArts simulator' : options.endpoint!,
        dryRun: stored.dryRun,
        speed: options.speed,
        sweepSeconds: options.sweep,
        ...(stack.simulator ? { provisionDelaySeconds: options.provisionDelay } : {}),
        demand: demandMode,
        dropEvents: options.dropEvents,
        ...(options.azCapacity !== undefined ? { azCapacity: azCapacityText(options.azCapacity) } : {}),
        durationLimitSeconds: options.duration,
        stopReason,
        realSeconds,
      },
    };
    const files = await writeSimulationOutputs(options.out, result, context);
    const report: LocalRunReport = {
      outDir: options.out,
      files,
      result,
      stopReason,
      pool: poolName,
      dryRun: stored.dryRun,
      moves: recorder.moves(),
      killedWorkloads: jobsRunIn.simulator.killedWorkloads(jobsRunIn.pool),
      queue: { ...poller.counters, deadLetters, byType: { ...consumed.byType } },
      evaluatorInvocations: schedule.invocations,
      demand: demandMode,
      jobEvents: { published: feed.published, dropped: feed.dropped, withheld: feed.withheld },
      reconciliations: { repaired: reconciliations.repaired, driftUnits: reconciliations.driftUnits },
      watcherInvocations: watch?.invocations ?? 0,
      realSeconds,
      traceSeconds: Math.round(traceSeconds),
    };
    const runFile = join(options.out, 'run.json');
    await mkdir(options.out, { recursive: true });
    await writeFile(
      runFile,
      `${JSON.stringify(
        {
          stop_reason: stopReason,
          pool: poolName,
          speed: options.speed,
          real_s: report.realSeconds,
          trace_s: report.traceSeconds,
          endpoint: options.endpoint ?? null,
          dry_run: stored.dryRun,
          moves: report.moves,
          killed_workloads: report.killedWorkloads,
          az_capacity: options.azCapacity ?? null,
          queue: report.queue,
          evaluator_invocations: report.evaluatorInvocations,
          demand: report.demand,
          job_events: report.jobEvents,
          reconciliations: {
            repaired: report.reconciliations.repaired,
            drift_units: report.reconciliations.driftUnits,
          },
          watcher_invocations: report.watcherInvocations,
        },
        null,
        2,
      )}\n`,
    );
    report.files.push(runFile);
    return report;
  } finally {
    progressHolder.stop();
    await mirror?.close();
    await stack.stop();
  }
}

/** `--az-capacity` as typed: `cn-north-4a=2, cn-north-4b/modelarts.vm.gpu.8v100=1`. */
function azCapacityText(capacity: AzCapacity): string {
  return Object.entries(capacity)
    .flatMap(([az, limit]) =>
      typeof limit === 'number'
        ? [`${az}=${limit}`]
        : Object.entries(limit).map(([flavor, count]) => `${az}/${flavor}=${count}`),
    )
    .join(', ');
}

/** Requests that changed the pool's size: PATCHes, and batch-deletes of chosen nodes. */
interface ScaleRequests {
  patches: number;
  scaleOperations: number;
}

/**
 * Requests that changed the pool: the simulator's request log when it runs, otherwise the activities that
 * record a sent (or, in a dry run, a would-be) PATCH or batch-delete, read at most every 2 s.
 */
function patchCounter(
  stack: LocalStack,
  activities: ActivityRepository,
  pool: string,
  clock: ScaledClock,
): () => Promise<ScaleRequests> {
  const simulator = stack.simulator;
  if (simulator) {
    return async () => {
      const accepted = simulator.requestLog.filter((entry) => entry.status < 300);
      const patches = accepted.filter((entry) => entry.method === 'PATCH').length;
      const deletes = accepted.filter(
        (entry) => entry.method === 'POST' && entry.path.endsWith('/nodes/batch-delete'),
      ).length;
      return { patches, scaleOperations: patches + deletes };
    };
  }
  const since = new Date(clock.startEpochMs).toISOString();
  let last: ScaleRequests = { patches: 0, scaleOperations: 0 };
  let readAt = -Infinity;
  return async () => {
    if (performance.now() - readAt < 2000) return last;
    readAt = performance.now();
    const records = await activities.listByPool(pool, { since, limit: 10_000 });
    const changes = records
      .filter((record) => record.status === 'Successful' || record.status === 'DryRun')
      .filter((record) => record.action === 'scale' || record.action === 'dry-run');
    const requests = (list: typeof changes) =>
      new Set(list.map((record) => record.correlationId + record.at)).size;
    last = {
      patches: requests(changes.filter((record) => record.nodes === undefined)),
      scaleOperations: requests(changes),
    };
    return last;
  };
}

/** Which policy the run uses, and why that one. */
function policyNote(options: LocalRunOptions): string {
  const origin =
    options.policyOrigin === 'trace'
      ? " (the trace's own; --policy to use another)"
      : options.policyOrigin === 'demo'
        ? ' (the demo policy; --policy to use another)'
        : '';
  return `policy ${basename(options.policy)}${origin}`;
}

/**
 * Flavors whose trace asks for more nodes at once than the policy's maxCount allows (the zero-wait peak):
 * said before the run, since their jobs will wait whatever the autoscaler does.
 */
function maxCountWarnings(jobs: readonly TraceJob[], setups: readonly FlavorSetup[]): string[] {
  const endS = traceEndS(jobs);
  return setups.flatMap((setup) => {
    const peak = oracleFlavor(jobs, setup, endS).peakNodes;
    return peak > setup.maxCount
      ? [
          `${setup.flavor}: the trace's demand needs up to ${peak} nodes at once, above maxCount ${setup.maxCount}: it will be clamped to maxCount ${setup.maxCount} and jobs will wait`,
        ]
      : [];
  });
}

/** What the run says about where demand comes from, before it starts. */
function demandNote(demand: Policy['demand'], dropShare: number): string {
  const lost =
    dropShare > 0 ? `, ${Math.round(dropShare * 100)} % of them lost on the way (--drop-events)` : '';
  if (demand === 'workloads') {
    return `demand: the pool's workloads, read at every evaluation; no job event is sent, the watcher polls the workload statistics every ${DEFAULT_WATCH_PERIOD_SECONDS} s`;
  }
  if (demand === 'events+workloads') {
    return `demand: job events${lost}, reconciled against the pool's workloads every reconcileSeconds`;
  }
  return `demand: job events${lost}`;
}

/**
 * The reconciliations that found the counters off, read from the activities at most every 2 s: one line per
 * repaired flavor, and the drift repaired in all.
 */
function reconciliationNotes(
  activities: ActivityRepository,
  pool: string,
  clock: ScaledClock,
  reconciling: boolean,
): { read(force?: boolean): Promise<string[]>; repaired: number; driftUnits: number } {
  let since = new Date(clock.startEpochMs).toISOString();
  const seen = new Set<string>();
  let readAt = -Infinity;
  const notes = {
    repaired: 0,
    driftUnits: 0,
    async read(force = false): Promise<string[]> {
      if (!reconciling || (!force && performance.now() - readAt < 2000)) return [];
      readAt = performance.now();
      const records = await activities.listByPool(pool, { since, limit: 10_000 });
      const lines: string[] = [];
      for (const record of records.reverse()) {
        if (seen.has(record.id)) continue;
        seen.add(record.id);
        if (record.at > since) since = record.at;
        const repair = record.reasons.find(
          (reason) => reason.startsWith(RECONCILED_REASON) && !reason.includes(': no drift'),
        );
        const off = repair === undefined ? undefined : /off by (\d+(?:\.\d+)?) units/.exec(repair);
        if (repair === undefined || off === null || off === undefined) continue;
        notes.repaired += 1;
        notes.driftUnits += Number(off[1]);
        lines.push(`${record.flavor}: ${repair}`);
      }
      return lines;
    },
  };
  return notes;
}
