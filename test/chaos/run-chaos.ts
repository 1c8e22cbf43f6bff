import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { ScheduledEvent } from 'aws-lambda';
import { createConsumerHandler } from '../../functions/consumer/handler';
import { createEvaluatorHandler } from '../../functions/evaluator/handler';
import { ModelArtsClient } from '../../functions/shared/modelarts';
import { type HandlerDependencies, dependenciesFromEnv } from '../../functions/shared/pipeline/dependencies';
import { RecordingTelemetry } from '../../functions/shared/pipeline/telemetry';
import type { ModelArtsClientFactory } from '../../functions/shared/pipeline/types';
import type { StoredActivity } from '../../functions/shared/store/activity-repository';
import { DepthRepository } from '../../functions/shared/store/depth-repository';
import { ScalerStateRepository } from '../../functions/shared/store/scaler-state-repository';
import { PoolEvaluator } from '../../functions/shared/pipeline/evaluate-pool';
import { PolicyRepository } from '../../functions/shared/store/policy-repository';
import { localLambdaContext, pollQueueOnce } from '../../local/sqs-lambda-poller';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { DEMO_FLAVORS, type FaultRule, type RequestLogEntry, demoPool } from '../../simulator/index';
import {
  type FlavorBounds,
  checkPatches,
  fixedFields,
  rateViolations,
  unrecordedChangeAttempts,
  unrecordedChanges,
} from './invariants';
import { JOB_STATE_OF, MessageStream, WorkloadScript, depthKey, seededRandom } from './workload';
import { localScheduledEvent } from '../../local/lambda-events';

export interface ChaosOptions {
  /**
   * Job events the workload script produces before it stops submitting (duplicates come on top); what the
   * simulator does after (runs completing, workloads failed by scale-ins) adds to them.
   */
  events: number;
  pools: number;
  consumers: number;
  evaluators: number;
  /** Request budget the pipeline is configured with, and that the simulator's log is held to. */
  requestsPerSecond: number;
  burst: number;
  seed: number;
  /** Reuse a running DynamoDB Local (the test run's); else one is started. */
  dynamoDbEndpoint?: string;
  /** Called with progress lines (the bench prints them). */
  progress?: (line: string) => void;
}

export interface ChaosReport {
  events: number;
  messages: number;
  duplicates: number;
  poison: number;
  pools: number;
  requests: number;
  faults: number;
  patches: number;
  successfulPatches: number;
  lost: number;
  /** Workloads failed because the autoscaler's scale-in removed a node under them (the simulator's count). */
  preempted: number;
  boundViolations: number;
  droppedFields: number;
  concurrentPatches: number;
  rateViolations: number;
  unrecorded: number;
  /** Real changes of the pools (the simulator's log) that no activity records, or that activities record twice. */
  unrecordedChanges: number;
  /** Changes whose outcome their evaluation could not record, recorded by a later one that reconciled them. */
  reconciledChanges: number;
  /** Changes not started because the invocation had too little time left to send and record them. */
  deadlineSkips: number;
  /** Requests that reached the signature check with a valid signature, and those that did not. */
  signedValid: number;
  signedInvalid: number;
  deadLettered: number;
  /** Handler invocations that threw (their messages came back after the visibility timeout). */
  invocationErrors: number;
  durationMs: number;
  details: string[];
}

export const CHAOS_CREDENTIALS = { ak: 'CHAOSAK7Q2M9X4L1', sk: 'chaos-sk-Zt8pW3vR6yN1' };
const FLAVORS = [DEMO_FLAVORS.gpu, DEMO_FLAVORS.npu];
/** Between two bursts of jobs: long enough for nodes to come and go (300 ms, 200 ms) while the script runs. */
const BURST_INTERVAL_MS = 40;

/** More than a fifth of requests hit: 429 (some with Retry-After), 500/503, added latency, dropped sockets. */
export const CHAOS_FAULTS: FaultRule[] = [
  // Changes whose answer is lost after they took effect: reconciled by a later evaluation.
  { method: 'PATCH', probability: 0.04, action: { type: 'lose-response' } },
  {
    method: 'POST',
    path: '/v2/*/pools/*/nodes/batch-delete',
    probability: 0.08,
    action: { type: 'lose-response' },
  },
  { probability: 0.1, action: { type: 'latency', ms: 40 } },
  { probability: 0.07, action: { type: 'throttle' } },
  { probability: 0.02, action: { type: 'throttle', retryAfterSeconds: 0.05 } },
  { probability: 0.05, action: { type: 'error', status: 500 } },
  { probability: 0.02, action: { type: 'error', status: 503 } },
  { probability: 0.04, action: { type: 'drop' } },
];

function quietPowertools(): { logger: Logger; metrics: Metrics } {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const logger = new Logger({ serviceName: 'pool-autoscaler-chaos', logLevel: 'SILENT' });
  return {
    logger,
    metrics: new Metrics({ namespace: 'PoolAutoscalerChaos', serviceName: 'pool-autoscaler-chaos', logger }),
  };
}

/**
 * The client as the Lambdas build it (every attempt, retries included, first takes a token from the shared
 * bucket), with short backoff so retries take milliseconds instead of seconds.
 */
function chaosClientFactory(maxRetries = 4): ModelArtsClientFactory {
  return async (target, hooks) =>
    new ModelArtsClient({
      endpoint: target.endpoint,
      projectId: target.projectId,
      credentials: CHAOS_CREDENTIALS,
      maxRetries,
      baseDelayMs: 10,
      maxDelayMs: 100,
      timeoutMs: 10_000,
      ...hooks,
    });
}

/**
 * A container whose DynamoDB becomes unreachable, for the next few requests, right after some of its PATCHes
 * and batch-deletes were answered: the change took effect and cannot be saved, so its intent stays open.
 */
function withStoreOutageAfterChanges(deps: HandlerDependencies, random: () => number): HandlerDependencies {
  let failing = 0;
  const doc = new Proxy(deps.store.doc, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (command: never) => {
        if (failing > 0) {
          failing -= 1;
          throw new Error('DynamoDB unreachable (injected)');
        }
        return target.send(command);
      };
    },
  });
  const modelArts: ModelArtsClientFactory = async (target, hooks) => {
    const client = await deps.modelArts(target, hooks);
    const outage = <T>(answer: T): T => {
      if (random() < 0.3) failing = 3;
      return answer;
    };
    const updatePool = client.updatePool.bind(client);
    const batchDelete = client.batchDeletePoolNodes.bind(client);
    client.updatePool = async (...args) => outage(await updatePool(...args));
    client.batchDeletePoolNodes = async (...args) => outage(await batchDelete(...args));
    return client;
  };
  return { ...deps, store: { ...deps.store, doc }, modelArts };
}

function policyFor(
  pool: string,
  random: () => number,
): { document: Record<string, unknown>; bounds: Record<string, FlavorBounds> } {
  const bounds: Record<string, FlavorBounds> = {};
  const flavors: Record<string, unknown> = {};
  for (const flavor of FLAVORS) {
    const maxCount = 4 + Math.floor(random() * 8);
    bounds[flavor] = { minCount: 1, maxCount };
    flavors[flavor] = {
      minCount: 1,
      maxCount,
      unitsPerNode: 8,
      targetUtilization: 1,
      activationUnits: 1,
      scaleUp: {
        stabilizationSeconds: 0,
        policies: [{ type: 'Nodes', value: 4, periodSeconds: 1 }],
        select: 'Max',
      },
      scaleDown: {
        stabilizationSeconds: 1,
        policies: [{ type: 'Percent', value: 50, periodSeconds: 1 }],
        select: 'Max',
      },
    };
  }
  return {
    document: { pool, enabled: true, dryRun: false, cooldownSeconds: 0, staleAfterSeconds: 3600, flavors },
    bounds,
  };
}

function scheduledEvent(id: string): ScheduledEvent {
  return localScheduledEvent(id, Date.now());
}

/** Messages on a queue, visible or in flight. */
export async function queueCounts(stack: LocalStack, queueUrl: string): Promise<number> {
  const result = await stack.sqs.client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(result.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(result.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

async function scanAll(stack: LocalStack, table: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await stack.store.doc.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** The queue's visibility timeout: at least every consumer's function timeout, as Lambda requires. */
const VISIBILITY_TIMEOUT_SECONDS = 30;
const CONSUMER_TIMEOUT_MS = VISIBILITY_TIMEOUT_SECONDS * 1000;
/** Consumer 3's function timeout: often too little left to send a change and record it. */
const SHORT_CONSUMER_TIMEOUT_MS = 12_000;

/**
 * The fault and load run: job events with duplicates, reordering and poison messages go through fauxqs to
 * concurrent consumer handlers while concurrent evaluator handlers sweep, all against DynamoDB Local and a
 * simulator that verifies signatures and injects faults. Then every invariant is checked against ground truth.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const progress = options.progress ?? (() => undefined);
  const random = seededRandom(options.seed);
  const stack = await startLocalStack({
    ...(options.dynamoDbEndpoint ? { dynamoDbEndpoint: options.dynamoDbEndpoint } : {}),
    tablePrefix: `chaos-${randomUUID().slice(0, 8)}-`,
    queueName: `chaos-${randomUUID().slice(0, 8)}`,
    // As Lambda requires of an SQS event source, no function timeout exceeds the visibility timeout: a message
    // comes back when the invocation that had it failed or timed out, not while that invocation may still run.
    visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
    maxReceiveCount: 3,
    simulator: {
      auth: CHAOS_CREDENTIALS,
      provisioningDelayMs: 300,
      deletionDelayMs: 200,
      seed: options.seed,
      // cn-north-4b runs out of GPU capacity: new nodes there wait, then turn abnormal.
      azCapacity: { 'cn-north-4b': { [DEMO_FLAVORS.gpu]: options.pools + 4 } },
      abnormalAfterMs: 1_500,
    },
  });
  const stopped = { value: false };
  try {
    const simulator = stack.simulator!;
    const pools: string[] = [];
    const initial = new Map<string, Array<Record<string, unknown>>>();
    const bounds = new Map<string, Record<string, FlavorBounds>>();
    const policies = new PolicyRepository(stack.store);
    for (let i = 0; i < options.pools; i += 1) {
      const request = demoPool();
      request.metadata.labels = { ...request.metadata.labels, 'os.modelarts/name': `chaos-${i}` };
      const seeded = simulator.seedPool(request);
      const pool = seeded.metadata.name;
      pools.push(pool);
      initial.set(pool, structuredClone(seeded.spec.resources) as Array<Record<string, unknown>>);
      const policy = policyFor(pool, random);
      bounds.set(pool, policy.bounds);
      await policies.put(policy.document as Record<string, unknown> & { pool: string }, { now: Date.now() });
    }
    const script = new WorkloadScript(simulator, {
      eventCount: options.events,
      pools,
      flavors: FLAVORS,
      seed: options.seed,
    });
    const poisonCount = Math.max(4, Math.round(options.events / 1000));
    const stream = new MessageStream({
      seed: options.seed + 1,
      duplicateRate: 0.15,
      reorderWindow: 40,
      poisonCount,
      poisonWithin: options.events,
    });
    simulator.setFaults(CHAOS_FAULTS);

    const env = {
      ...stack.env,
      HUAWEICLOUD_SDK_AK: CHAOS_CREDENTIALS.ak,
      HUAWEICLOUD_SDK_SK: CHAOS_CREDENTIALS.sk,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    };
    const settingsOverride = (deps: HandlerDependencies): HandlerDependencies => ({
      ...deps,
      settings: {
        ...deps.settings,
        requestsPerSecond: options.requestsPerSecond,
        burst: options.burst,
        maxTokenWaitMs: 250,
        leaseMs: 30_000,
        failureBackoffBaseMs: 500,
        failureBackoffMaxMs: 2_000,
      },
    });
    const telemetry = new RecordingTelemetry();
    const container = (
      evaluateInProcess: boolean,
      faults: { maxRetries?: number; storeOutageAfterChange?: boolean } = {},
    ): HandlerDependencies => {
      const deps = settingsOverride(
        dependenciesFromEnv(env, {
          ...quietPowertools(),
          modelArts: chaosClientFactory(faults.maxRetries),
          telemetry,
          sqs: stack.sqs.client,
          evaluateInProcess,
        }),
      );
      return faults.storeOutageAfterChange ? withStoreOutageAfterChanges(deps, random) : deps;
    };

    const started = performance.now();
    // Producers: the bodies in batches of ten, two senders at once, while the script makes more.
    const outbox: string[] = [];
    let messages = 0;
    const emit = (bodies: readonly string[]): void => {
      outbox.push(...bodies);
      messages += bodies.length;
    };
    const sending = { value: true };
    const producer = async (): Promise<void> => {
      while (sending.value || outbox.length > 0) {
        const batch = outbox.splice(0, 10);
        if (batch.length === 0) {
          await sleep(5);
          continue;
        }
        await stack.sqs.client.send(
          new SendMessageBatchCommand({
            QueueUrl: stack.sqs.queueUrl,
            Entries: batch.map((body, index) => ({ Id: String(index), MessageBody: body })),
          }),
        );
      }
    };
    const producing = Promise.all(Array.from({ length: 2 }, producer));

    let consumed = 0;
    const invocationErrors: string[] = [];
    const consumerLoop = async (n: number): Promise<void> => {
      // Consumer 1 sends changes without retries, consumer 2's store fails right after some changes, consumer
      // 3 runs with so little time left that it starts no change: every one of them must still be recorded.
      const handler = createConsumerHandler(
        container(false, { ...(n === 1 ? { maxRetries: 0 } : {}), storeOutageAfterChange: n === 2 }),
      );
      while (!stopped.value) {
        // A failed invocation leaves its whole batch on the queue, as Lambda does; the run goes on.
        const result = await pollQueueOnce({
          sqs: stack.sqs.client,
          queueUrl: stack.sqs.queueUrl,
          handler,
          functionName: `consumer-${n}`,
          timeoutMs: n === 3 ? SHORT_CONSUMER_TIMEOUT_MS : CONSUMER_TIMEOUT_MS,
        }).catch((error: unknown) => {
          invocationErrors.push(`consumer-${n}: ${(error as Error).message}`);
          return { received: 0, failed: [] };
        });
        consumed += result.received;
        if (result.received === 0) await sleep(25);
      }
    };
    let sweeps = 0;
    const stopEvaluators = { value: false };
    const evaluatorLoop = async (n: number): Promise<void> => {
      // One evaluator fans out through the queue, the others evaluate in process: both paths compete for leases.
      const handler = createEvaluatorHandler(container(n !== 0));
      while (!stopEvaluators.value && !stopped.value) {
        await handler(
          scheduledEvent(`sweep-${n}-${sweeps}`),
          localLambdaContext(`evaluator-${n}`, `sweep-${n}-${sweeps}`),
        ).catch((error: unknown) => {
          invocationErrors.push(`evaluator-${n}: ${(error as Error).message}`);
        });
        sweeps += 1;
        await sleep(2500 + Math.floor(random() * 1000));
      }
    };
    const consumers = Array.from({ length: options.consumers }, (_, n) => consumerLoop(n));
    const evaluators = Array.from({ length: options.evaluators }, (_, n) => evaluatorLoop(n));

    // The script: bursts of jobs, far enough apart for the autoscaler to follow them.
    while (!script.done()) {
      script.step();
      emit(stream.push(script.take()));
      await sleep(BURST_INTERVAL_MS);
    }
    script.finish();
    progress(
      `chaos: ${script.events} job events from the script in ${Math.round(performance.now() - started)} ms`,
    );
    // Settled: the last runs completed, the pools at the size the autoscaler wants, every event sent and
    // consumed, twice in a row; first with the evaluators sweeping, then with the consumers alone (their
    // evaluations of job events may still move a pool, and its workloads with it).
    const settle = async (): Promise<void> => {
      let quiet = 0;
      while (quiet < 2) {
        await sleep(500);
        const events = script.take();
        emit(stream.push(events));
        const settled = script.settled();
        if (settled) emit(stream.flush());
        const left = outbox.length + (await queueCounts(stack, stack.sqs.queueUrl));
        quiet = settled && events.length === 0 && left === 0 ? quiet + 1 : 0;
        progress(
          `chaos: ${left} messages left, ${consumed} receives, ${sweeps} sweeps, ${simulator.requestLog.length} requests`,
        );
      }
    };
    await settle();
    stopEvaluators.value = true;
    await Promise.all(evaluators);
    await settle();
    stopped.value = true;
    sending.value = false;
    await Promise.all([producing, ...consumers]);
    // In service the sweep comes back: a change an evaluation could not record (its intent still open) is
    // reconciled by a later evaluation of the pool, once its lease and back-off have run out. The network has
    // calmed down by then.
    simulator.setFaults([]);
    const states = new ScalerStateRepository(stack.store);
    for (let round = 0; round < 5; round += 1) {
      const open = (await Promise.all(pools.map((pool) => states.get(pool)))).filter(
        (record) => record.intent,
      );
      if (open.length === 0) break;
      const until = Math.max(
        ...open.map((record) => Math.max(record.leaseExpiresAt ?? 0, record.backoffUntil)),
      );
      await sleep(Math.max(0, until - Date.now()) + 100);
      const evaluator = new PoolEvaluator(container(true));
      for (const record of open) await evaluator.evaluate({ pool: record.pool, trigger: 'final sweep' });
    }
    const durationMs = performance.now() - started;
    progress(`chaos: drained after ${Math.round(durationMs)} ms, ${consumed} receives, ${sweeps} sweeps`);

    // Ground truth 1: depth per pool and flavor, and each job's recorded state, from the simulator's workloads
    // as their transitions, all of them sent, left them.
    const details: string[] = invocationErrors.slice(0, 10).map((error) => `invocation failed: ${error}`);
    const stale = script.stale();
    if (stale.length > 0)
      details.push(`workloads changed after the last transition was read: ${stale.slice(0, 5).join(', ')}`);
    let lost = 0;
    const expectedDepth = script.expectedDepth();
    const depth = new DepthRepository(stack.store, { jobRetentionDays: 16 });
    for (const pool of pools) {
      const stored = await depth.getPoolDepth(pool);
      for (const flavor of FLAVORS) {
        const expected = expectedDepth.get(depthKey(pool, flavor))!;
        const actual = stored[flavor] ?? { pendingUnits: 0, runningUnits: 0 };
        if (actual.pendingUnits !== expected.pendingUnits || actual.runningUnits !== expected.runningUnits) {
          lost += 1;
          details.push(
            `depth ${pool} ${flavor}: ${actual.pendingUnits}/${actual.runningUnits}, expected ${expected.pendingUnits}/${expected.runningUnits}`,
          );
        }
      }
    }
    const jobStates = new Map(
      (await scanAll(stack, stack.tables.jobs)).map((item) => [
        `${String(item.pool)}\u0000${String(item.jobId)}`,
        item.state,
      ]),
    );
    for (const job of script.jobs()) {
      const state = jobStates.get(`${job.pool}\u0000${job.jobId}`);
      if (state !== JOB_STATE_OF[job.status]) {
        lost += 1;
        if (details.length < 20)
          details.push(`job ${job.jobId}: state ${String(state)}, expected ${JOB_STATE_OF[job.status]}`);
      }
    }
    // Every kill the feed carried is one the simulator counted.
    const preempted = pools.reduce((sum, pool) => sum + simulator.killedWorkloads(pool), 0);
    if (preempted !== script.killed) {
      lost += Math.abs(preempted - script.killed);
      details.push(`the simulator counted ${preempted} killed workloads, the transitions ${script.killed}`);
    }
    // Only poison may reach the dead-letter queue.
    let deadLettered = 0;
    for (;;) {
      const page = await stack.sqs.client.send(
        new ReceiveMessageCommand({
          QueueUrl: stack.sqs.dlqUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 60,
        }),
      );
      const messages = page.Messages ?? [];
      if (messages.length === 0) break;
      deadLettered += messages.length;
      for (const message of messages) {
        try {
          const parsed = JSON.parse(message.Body ?? '') as {
            jobId?: unknown;
            units?: unknown;
            pool?: unknown;
          };
          if (typeof parsed.pool === 'string' && pools.includes(parsed.pool)) {
            lost += 1;
            details.push(`valid message dead-lettered: ${message.Body ?? ''}`);
          }
        } catch {
          // Not JSON: poison, as intended.
        }
      }
    }

    // Ground truth 2: the simulator's request log.
    const log = simulator.requestLog;
    const patchFindings = checkPatches(log, initial, bounds);
    details.push(...patchFindings.boundViolations.slice(0, 10), ...patchFindings.droppedFields.slice(0, 10));
    for (const pool of pools) {
      // Batch-deletes lower counts without a PATCH: the replay must match on everything else.
      const replayed = fixedFields(patchFindings.replayed.get(pool));
      const actual = fixedFields(simulator.pool(pool)?.spec.resources as never);
      if (JSON.stringify(replayed) !== JSON.stringify(actual)) {
        details.push(`replay of ${pool} differs from the simulator's pool`);
        patchFindings.droppedFields.push(`${pool}: replay mismatch`);
      }
      for (const resource of simulator.pool(pool)?.spec.resources ?? []) {
        const flavorBounds = bounds.get(pool)?.[resource.flavor];
        if (flavorBounds && (resource.count < 1 || resource.count > flavorBounds.maxCount)) {
          patchFindings.boundViolations.push(`${pool} ${resource.flavor}: ends at count ${resource.count}`);
        }
      }
    }
    const concurrentPatches = pools.reduce(
      (sum, pool) => sum + Math.max(0, simulator.maxConcurrentPatches(pool) - 1),
      0,
    );
    const rate = rateViolations(log, options.requestsPerSecond, options.burst);
    if (rate.length > 0)
      details.push(
        `rate: ${rate.length} windows above ${rate[0]?.allowed}, max ${Math.max(...rate.map((v) => v.requests))}`,
      );

    // Ground truth 3: activities, scanned from the table.
    const activities = new Map<string, StoredActivity[]>();
    for (const item of (await scanAll(stack, stack.tables.activities)) as unknown as StoredActivity[]) {
      const list = activities.get(item.pool) ?? [];
      list.push(item);
      activities.set(item.pool, list);
    }
    const missing = unrecordedChangeAttempts(log, activities);
    const unrecorded = [...missing.values()].reduce((sum, n) => sum + Math.abs(n), 0);
    for (const [pool, n] of missing) details.push(`unrecorded PATCH or batch-delete attempts ${pool}: ${n}`);
    const changesMissing = unrecordedChanges(log, activities);
    const unrecordedChangeCount = [...changesMissing.values()].reduce((sum, n) => sum + Math.abs(n), 0);
    for (const [pool, n] of changesMissing) {
      details.push(`changes of ${pool} not recorded exactly once: ${n}`);
      details.push(...changeTrail(pool, log, activities.get(pool) ?? []));
    }

    return {
      events: script.events,
      messages,
      duplicates: stream.duplicates,
      poison: stream.poison,
      pools: pools.length,
      requests: log.length,
      faults: log.filter((entry) => entry.fault !== undefined).length,
      patches: patchFindings.patches,
      successfulPatches: log.filter((entry) => entry.method === 'PATCH' && entry.status === 200).length,
      lost,
      preempted,
      boundViolations: patchFindings.boundViolations.length,
      droppedFields: patchFindings.droppedFields.length,
      concurrentPatches,
      rateViolations: rate.length,
      unrecorded,
      unrecordedChanges: unrecordedChangeCount,
      reconciledChanges: new Set(
        [...activities.values()]
          .flat()
          .filter((activity) => activity.reasons[0]?.startsWith('reconciled:'))
          .map((activity) => activity.correlationId),
      ).size,
      deadlineSkips: [...activities.values()]
        .flat()
        .filter((activity) =>
          activity.reasons.some((reason) => reason.includes('a change needs to be sent and recorded')),
        ).length,
      signedValid: log.filter((entry) => entry.signatureValid === true).length,
      signedInvalid: log.filter((entry) => entry.fault === undefined && entry.signatureValid !== true).length,
      deadLettered,
      invocationErrors: invocationErrors.length,
      durationMs,
      details,
    };
  } finally {
    stopped.value = true;
    await stack.stop();
  }
}

/** The closing line of a chaos run. */
export function closingLine(report: ChaosReport): string {
  return (
    `events=${report.events} faults=${report.faults} lost=${report.lost} preempted=${report.preempted} ` +
    `bound_violations=${report.boundViolations} ` +
    `dropped_fields=${report.droppedFields} concurrent_patches=${report.concurrentPatches} ` +
    `rate_violations=${report.rateViolations} unrecorded=${report.unrecorded} ` +
    `unrecorded_changes=${report.unrecordedChanges}`
  );
}

/**
 * What a pool whose changes do not match its records went through, for the run's details: every accepted or
 * failed change request (time, method, status, fault, body) and every scale activity (time, flavor, status,
 * correlation id, first reason), in time order.
 */
function changeTrail(
  pool: string,
  log: readonly RequestLogEntry[],
  activities: readonly StoredActivity[],
): string[] {
  const requests = log
    .filter(
      (entry) => entry.pool === pool && (entry.method === 'PATCH' || entry.path.endsWith('batch-delete')),
    )
    .map((entry) => ({
      at: entry.at,
      line: `  request ${new Date(entry.at).toISOString()} ${entry.method} ${entry.status}${entry.fault ? ` (${entry.fault})` : ''} ${JSON.stringify(entry.patch ?? entry.body)}`,
    }));
  const records = activities
    .filter((activity) => activity.action === 'scale' || activity.reasons[0]?.startsWith('reconciled:'))
    .map((activity) => ({
      at: Date.parse(activity.at),
      line: `  activity ${activity.at} ${activity.flavor} ${activity.action} ${activity.status} ${activity.correlationId} ${activity.reasons[0] ?? ''}`,
    }));
  return [...requests, ...records].sort((a, b) => a.at - b.at).map((entry) => entry.line);
}
