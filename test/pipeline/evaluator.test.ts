import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvaluatorHandler } from '../../functions/evaluator/handler';
import { parseEvent } from '../../functions/shared/events';
import { PolicyRepository } from '../../functions/shared/store/policy-repository';
import { localLambdaContext } from '../../local/sqs-lambda-poller';
import { type Harness, START, gpuPolicy, startHarness } from './harness';
import { localScheduledEvent } from '../../local/lambda-events';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness('evaluator');
});
afterAll(() => harness?.stop());

const scheduled = localScheduledEvent('sweep-1', START);

describe('scheduled sweep', () => {
  it('fans out one pool.evaluate per enabled pool in batches of ten', async () => {
    const pools = Array.from({ length: 12 }, (_, i) => `sweep-pool-${String(i).padStart(2, '0')}`);
    for (const pool of pools) await harness.putPolicy(gpuPolicy(pool));
    await harness.putPolicy(gpuPolicy('sweep-paused', { enabled: false }));

    const summary = await harness.evaluator(scheduled, localLambdaContext('evaluator', 'req-1'));
    expect(summary).toMatchObject({ pools: 12, sent: 12 });

    const bodies: string[] = [];
    for (let i = 0; i < 5 && bodies.length < 12; i += 1) {
      const received = await harness.stack.sqs.client.send(
        new ReceiveMessageCommand({
          QueueUrl: harness.stack.sqs.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      bodies.push(...(received.Messages ?? []).map((message) => message.Body ?? ''));
    }
    const events = bodies.map((body) => parseEvent(body));
    expect(events.map((event) => event.pool).sort()).toEqual(pools);
    expect(events[0]).toMatchObject({ type: 'pool.evaluate', reason: 'schedule', correlationId: 'sweep-1' });
  });

  it('evaluates in process when configured to', async () => {
    const deps = { ...harness.dependencies(), evaluateInProcess: true };
    const policies = new PolicyRepository(deps.store);
    for (const policy of await policies.listEnabled())
      await policies.setEnabled(policy.pool, false, harness.clock.now());
    const pools = [harness.pool];
    await harness.putPolicy(gpuPolicy(harness.pool));
    const summary = await createEvaluatorHandler(deps)(scheduled, localLambdaContext('evaluator', 'req-2'));
    expect(summary).toMatchObject({ pools: 1, sent: 0 });
    // No demand was ever reported, so every pool is evaluated and left as it is.
    expect(summary.evaluated[pools[0]!]).toBe('NoChange');
    const activities = await harness.activities().listByPool(harness.pool);
    expect(activities[0]).toMatchObject({ trigger: 'schedule', correlationId: 'sweep-1' });
  });
});
