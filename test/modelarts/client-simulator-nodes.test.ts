/** The client's node, workload and statistics calls against the ModelArts simulator over real HTTP, signed. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  acceleratorsOf,
  ModelArtsApiError,
  ModelArtsClient,
  ModelArtsOutcomeUnknownError,
  type AttemptInfo,
} from '../../functions/shared/modelarts';
import { startModelArtsSimulator, type ModelArtsSimulator } from '../../simulator';
import { AZ_A, AZ_B, GPU, NPU, poolRequest, thisHour } from '../simulator/pools';

const PROJECT = '6f5da086876d4cd084d36f8bd3346036';
const KEYS = { ak: 'AKSIMULATOR000000000', sk: 'SKsimulatorsecret000000000000000000000000' };

let simulator: ModelArtsSimulator;
let attempts: AttemptInfo[];
let run = 0;

beforeAll(async () => {
  const t0 = thisHour();
  simulator = await startModelArtsSimulator({
    auth: KEYS,
    projectId: PROJECT,
    availabilityZones: [AZ_A, AZ_B],
    now: () => t0,
  });
});
afterAll(() => simulator.close());
beforeEach(() => {
  simulator.setFaults([]);
  attempts = [];
});

function client(): ModelArtsClient {
  return new ModelArtsClient({
    endpoint: simulator.url,
    projectId: PROJECT,
    credentials: KEYS,
    timeoutMs: 1_000,
    maxRetries: 2,
    baseDelayMs: 1,
    sleep: async () => {},
    onAttempt: (info) => attempts.push(info),
  });
}

function seed(gpuNodes: number): string {
  run += 1;
  return simulator.seedPool(
    poolRequest(`client-nodes-${run}`, [
      { flavor: GPU, count: gpuNodes },
      { flavor: NPU, count: 1 },
    ]),
  ).metadata.name;
}

describe('nodes, workloads and statistics through the client', () => {
  it('lists every node across pages, shows one, and reads free accelerators whatever the key', async () => {
    const pool = seed(6);
    simulator.submitWorkload(pool, { flavor: GPU, accelerators: 3 });
    const c = client();
    const list = await c.listPoolNodes(pool, { limit: 2 });
    expect(list.items).toHaveLength(7);
    expect(attempts.filter((a) => a.method === 'GET')).toHaveLength(4);
    const free = list.items
      .map((node) => acceleratorsOf(node.status.availableResources))
      .sort((a, b) => a - b);
    expect(free).toEqual([5, 8, 8, 8, 8, 8, 8]);
    const npu = list.items.find((node) => node.spec.flavor === NPU)!;
    expect((await c.showPoolNode(pool, npu.metadata.name)).status.resources?.['huawei.com/ascend-snt9']).toBe(
      '8',
    );
    const missing = await c.showPoolNode(pool, 'os-node-created-nope0').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(ModelArtsApiError);
    expect((missing as ModelArtsApiError).status).toBe(404);
    expect((missing as ModelArtsApiError).poolNotFound).toBe(false);
  });

  it('batch-deletes idle nodes, the entry count going down with them', async () => {
    const pool = seed(3);
    const c = client();
    const running = simulator.submitWorkload(pool, { flavor: GPU, accelerators: 8 });
    const idle = (await c.listPoolNodes(pool)).items.filter(
      (node) =>
        node.spec.flavor === GPU &&
        acceleratorsOf(node.status.availableResources) === acceleratorsOf(node.status.resources),
    );
    expect(idle).toHaveLength(2);
    await c.batchDeletePoolNodes(pool, [idle[0]!.metadata.name]);
    expect((await c.showPool(pool)).spec.resources.find((entry) => entry.flavor === GPU)?.count).toBe(2);
    expect(simulator.killedWorkloads(pool)).toBe(0);
    expect(simulator.workloads(pool).find((w) => w.uid === running.uid)?.status).toBe('Running');
    const refused = await c
      .batchDeletePoolNodes(pool, ['os-node-created-nope0'])
      .catch((error: unknown) => error);
    expect((refused as ModelArtsApiError).status).toBe(400);
  });

  it('a batch-delete whose connection drops is not repeated: the outcome is unknown, the nodes say what happened', async () => {
    const pool = seed(3);
    const c = client();
    const [victim] = (await c.listPoolNodes(pool)).items;
    simulator.setFaults([{ method: 'POST', path: /batch-delete$/, action: { type: 'drop' }, times: 1 }]);
    const error = await c.batchDeletePoolNodes(pool, [victim!.metadata.name]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelArtsOutcomeUnknownError);
    expect(
      simulator.requestLog.filter((entry) => entry.pool === pool && entry.path.endsWith('batch-delete')),
    ).toHaveLength(1);
    // The listing tells: this fault dropped the request before the simulator applied it.
    const after = (await c.listPoolNodes(pool)).items.find(
      (node) => node.metadata.name === victim!.metadata.name,
    );
    expect(after?.status.phase).toBe('Available');
  });

  it('a throttled batch-delete is retried and applied once', async () => {
    const pool = seed(3);
    const c = client();
    const [victim] = (await c.listPoolNodes(pool)).items.filter((node) => node.spec.flavor === GPU);
    simulator.setFaults([{ method: 'POST', path: /batch-delete$/, action: { type: 'throttle' }, times: 1 }]);
    await c.batchDeletePoolNodes(pool, [victim!.metadata.name]);
    expect((await c.showPool(pool)).spec.resources.find((entry) => entry.flavor === GPU)?.count).toBe(2);
  });

  it('lists workloads with filters and every page, and reads both statistics', async () => {
    const pool = seed(1);
    const c = client();
    for (let i = 0; i < 5; i++)
      simulator.submitWorkload(pool, { flavor: GPU, accelerators: 4, jobName: `j${i}` });
    simulator.submitWorkload(pool, { flavor: NPU, type: 'infer', accelerators: 1 });
    const all = await c.listPoolWorkloads(pool, { limit: 2 });
    expect(all.items.map((w) => w.jobName)).toEqual(['j0', 'j1', 'j2', 'j3', 'j4', expect.any(String)]);
    const queued = await c.listPoolWorkloads(pool, { status: 'Queue', type: 'train' });
    expect(queued.items.map((w) => [w.jobName, w.pendingPosition])).toEqual([
      ['j2', 1],
      ['j3', 2],
      ['j4', 3],
    ]);
    const gpuIp = simulator.nodes(pool).find((node) => node.spec.flavor === GPU)?.status.privateIp ?? '';
    const onNode = await c.listPoolWorkloads(pool, { hostip: [gpuIp, '10.9.9.9'] });
    expect(onNode.items.map((w) => w.jobName)).toEqual(['j0', 'j1']);
    const stats = await c.showWorkloadStatistics(pool);
    expect(stats.statistics.items.map((item) => [item.type, item.status.Queue, item.status.Running])).toEqual(
      [
        ['train', 3, 2],
        ['infer', 0, 1],
      ],
    );
    expect((await c.showPoolStatistics()).statistics.status.created).toBeGreaterThanOrEqual(1);
  });

  it('the simulator verified the signature of every call', () => {
    const answered = simulator.requestLog.filter((entry) => entry.fault === undefined);
    expect(answered.length).toBeGreaterThan(10);
    expect(answered.filter((entry) => entry.signatureValid !== true)).toEqual([]);
  });
});
