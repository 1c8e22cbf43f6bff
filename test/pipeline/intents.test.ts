import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScalerState } from '../../functions/shared/engine';
import { PoolEvaluator, type PipelineDependencies } from '../../functions/shared/pipeline';
import type { StoreContext } from '../../functions/shared/store/document-client';
import { DepthRepository } from '../../functions/shared/store/depth-repository';
import { ScalerStateRepository } from '../../functions/shared/store/scaler-state-repository';
import { GPU, type Harness, gpuEntry, gpuPolicy, jobEvent, startHarness, testClientFactory } from './harness';

/*
 * No scale change without a record (invariant 6): a PATCH is recorded as an intent before it is sent, and a
 * change whose outcome never got recorded (the store failed after it was sent, its answer was lost) is found
 * and recorded exactly once by the next evaluation, in the activities and in the scaling history.
 */

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness('intents');
});
afterAll(() => harness?.stop());

const LEASE_MS = 60_000;

class StoreDown extends Error {
  override readonly name = 'StoreDown';
}

/** The dependencies of a Lambda whose DynamoDB becomes unreachable once `down()` is called. */
function failingStore(deps: PipelineDependencies): { deps: PipelineDependencies; down(): void } {
  let unreachable = false;
  const doc = new Proxy(deps.store.doc, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (command: never) => {
        if (unreachable) throw new StoreDown('DynamoDB is unreachable');
        return target.send(command);
      };
    },
  });
  const store: StoreContext = { doc, tables: deps.store.tables };
  return { deps: { ...deps, store }, down: () => (unreachable = true) };
}

/** Successful scale records of the GPU flavor: one per change, under the correlation id that sent it. */
async function gpuChanges(on: Harness = harness): Promise<string[]> {
  const records = await on.activities().listByPool(on.pool, { limit: 500 });
  return records
    .filter((record) => record.flavor === GPU && record.action === 'scale' && record.status === 'Successful')
    .map((record) => record.correlationId);
}

async function queueJobs(prefix: string, count: number, on: Harness = harness): Promise<void> {
  const { store, settings } = on.dependencies();
  const depth = new DepthRepository(store, settings);
  for (let i = 0; i < count; i += 1)
    await depth.applyJobEvent(jobEvent('job.submitted', on.pool, `${prefix}-${i}`), on.clock.now());
}

/** After the failure back-off, the next evaluation finds the open intent and records its change once. */
async function expectRecordedByNextEvaluation(
  on: Harness,
  correlationId: string,
  counts: { before: number; grown: number },
): Promise<void> {
  on.clock.advance(20 * 60_000);
  const next = await new PoolEvaluator(on.dependencies()).evaluate({ pool: on.pool, trigger: 'next' });
  expect(next.activities[0]).toMatchObject({
    flavor: GPU,
    status: 'Successful',
    before: { count: counts.before },
    after: { count: counts.grown },
    correlationId,
  });
  expect((await gpuChanges(on)).filter((id) => id === correlationId)).toHaveLength(1);
}

describe('a change whose outcome was not recorded', () => {
  it('is found and recorded once when the store failed after the PATCH was sent', async () => {
    await harness.putPolicy(gpuPolicy(harness.pool, { cooldownSeconds: 0 }));
    await queueJobs('outage', 6);
    const simulator = harness.stack.simulator!;
    const before = gpuEntry(harness).count;
    const patchesBefore = harness.patches();

    // The PATCH goes through; then DynamoDB is unreachable, so nothing of it can be saved.
    const failing = failingStore(harness.dependencies());
    simulator.setFaults([]);
    const sentOnce = new Proxy(failing.deps.modelArts, {
      apply: async (factory, self, args: Parameters<PipelineDependencies['modelArts']>) => {
        const client = await Reflect.apply(factory, self, args);
        const updatePool = client.updatePool.bind(client);
        client.updatePool = async (...call) => {
          const pool = await updatePool(...call);
          failing.down();
          return pool;
        };
        return client;
      },
    });
    await expect(
      new PoolEvaluator({ ...failing.deps, modelArts: sentOnce }).evaluate({
        pool: harness.pool,
        trigger: 'outage',
      }),
    ).rejects.toThrow(StoreDown);
    expect(harness.patches()).toBe(patchesBefore + 1);
    const grown = gpuEntry(harness).count;
    expect(grown).toBeGreaterThan(before);
    const open = await new ScalerStateRepository(harness.dependencies().store).get(harness.pool);
    expect(open.intent).toMatchObject({
      kind: 'patch',
      flavors: [{ flavor: GPU, before: { count: before } }],
    });
    expect(await gpuChanges()).toEqual([]);

    // Once the lease has expired, the next evaluation reconciles it: recorded once, counted in the history.
    harness.clock.advance(LEASE_MS + 1);
    const next = await new PoolEvaluator(harness.dependencies()).evaluate({
      pool: harness.pool,
      trigger: 'next',
    });
    expect(harness.patches()).toBe(patchesBefore + 1);
    const reconciled = next.activities.find((activity) => activity.reasons[0]?.startsWith('reconciled'));
    expect(reconciled).toMatchObject({
      flavor: GPU,
      status: 'Successful',
      before: { count: before },
      after: { count: grown },
      correlationId: open.intent?.id,
    });
    const state = await new ScalerStateRepository(harness.dependencies().store).get(harness.pool);
    expect(state.intent).toBeUndefined();
    const history = parseScalerState(state.engineState).flavors[GPU];
    expect(history?.scaleUpEvents).toContainEqual({ at: open.intent?.openedAt, change: grown - before });

    harness.clock.advance(60_000);
    await new PoolEvaluator(harness.dependencies()).evaluate({ pool: harness.pool, trigger: 'later' });
    expect((await gpuChanges()).filter((id) => id === open.intent?.id)).toHaveLength(1);
  });

  it('is found and recorded once when its answer was lost and the client does not retry', async () => {
    harness.clock.advance(10 * 60_000);
    await queueJobs('lost', 6);
    const simulator = harness.stack.simulator!;
    const before = gpuEntry(harness).count;
    const patchesBefore = harness.patches();
    simulator.setFaults([{ method: 'PATCH', times: 1, action: { type: 'lose-response' } }]);
    const noRetries = { ...harness.dependencies(), modelArts: testClientFactory({ maxRetries: 0 }) };
    const lost = await new PoolEvaluator(noRetries).evaluate({ pool: harness.pool, trigger: 'lost' });
    simulator.setFaults([]);
    // The pool changed; the evaluation could not know: it says so, and counts nothing yet.
    expect(harness.patches()).toBe(patchesBefore + 1);
    const grown = gpuEntry(harness).count;
    expect(grown).toBeGreaterThan(before);
    const failed = lost.activities.find((activity) => activity.flavor === GPU);
    expect(failed).toMatchObject({ status: 'Failed', before: { count: before }, after: { count: before } });
    expect(failed?.reasons.join(' | ')).toMatch(/outcome unknown: the PATCH may have taken effect/);
    expect(await gpuChanges()).not.toContain(lost.correlationId);

    // After the failure back-off, the next evaluation finds the intent open and records the change.
    await expectRecordedByNextEvaluation(harness, lost.correlationId, { before, grown });
  });
});

describe('the invocation deadline', () => {
  it('starts no change that the time left cannot send and record', async () => {
    harness.clock.advance(10 * 60_000);
    await queueJobs('deadline', 8);
    const patchesBefore = harness.patches();
    const result = await new PoolEvaluator(harness.dependencies()).evaluate({
      pool: harness.pool,
      trigger: 'deadline',
      remainingTimeMs: () => 3_000,
    });
    expect(harness.patches()).toBe(patchesBefore);
    expect(result.status).toBe('Skipped');
    const record = result.activities.find((activity) => activity.flavor === GPU);
    expect(record?.reasons.join(' | ')).toMatch(
      /the Lambda has \d+ ms left, less than the 15000 ms a change needs to be sent and recorded/,
    );
    const state = await new ScalerStateRepository(harness.dependencies().store).get(harness.pool);
    expect(state.intent).toBeUndefined();

    // With time enough, the same decision goes out.
    const sent = await new PoolEvaluator(harness.dependencies()).evaluate({
      pool: harness.pool,
      trigger: 'deadline',
      remainingTimeMs: () => 60_000,
    });
    expect(sent.status).toBe('Successful');
    expect(harness.patches()).toBe(patchesBefore + 1);
  });
});

describe('a change whose answer was lost and whose retry was refused', () => {
  // A pool of its own: the tests above leave the shared one at its maxCount.
  let own: Harness;
  beforeAll(async () => {
    own = await startHarness('intents-refused-retry');
  });
  afterAll(() => own?.stop());

  it('is found and recorded once when its answer was lost and the retry was throttled', async () => {
    await own.putPolicy(gpuPolicy(own.pool, { cooldownSeconds: 0 }));
    await queueJobs('throttled', 6, own);
    const simulator = own.stack.simulator!;
    const before = gpuEntry(own).count;
    // The first PATCH takes effect and its answer is lost; the retry is refused with a 429 (the second rule sees
    // only the requests the first one let through).
    simulator.setFaults([
      { method: 'PATCH', nth: [1], action: { type: 'lose-response' } },
      { method: 'PATCH', nth: [1], action: { type: 'throttle' } },
    ]);
    const oneRetry = { ...own.dependencies(), modelArts: testClientFactory({ maxRetries: 1 }) };
    const lost = await new PoolEvaluator(oneRetry).evaluate({ pool: own.pool, trigger: 'throttled' });
    simulator.setFaults([]);
    const grown = gpuEntry(own).count;
    expect(grown).toBeGreaterThan(before);
    const failed = lost.activities.find((activity) => activity.flavor === GPU);
    expect(failed?.reasons.join(' | ')).toMatch(/outcome unknown: the PATCH may have taken effect/);

    await expectRecordedByNextEvaluation(own, lost.correlationId, { before, grown });
  });
});
