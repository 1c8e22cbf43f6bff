import { afterEach, describe, expect, it } from 'vitest';
import {
  PoolStatisticsSchema,
  WorkloadListSchema,
  WorkloadStatisticsSchema,
  type Workload,
} from '../../functions/shared/modelarts/schemas';
import {
  startModelArtsSimulator,
  type ModelArtsSimulator,
  type ModelArtsSimulatorOptions,
  type WorkloadRecord,
  type WorkloadTransition,
} from '../../simulator';
import { errorOf, sendJson } from './http';
import { AZ_A, AZ_B, CPU, GPU, NPU, poolRequest, thisHour, urls } from './pools';

const PROVISION = 300_000;
const DELETION = 60_000;

let sim: ModelArtsSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: ModelArtsSimulatorOptions = {}): Promise<ModelArtsSimulator> {
  const t0 = thisHour();
  sim = await startModelArtsSimulator({
    provisioningDelayMs: PROVISION,
    deletionDelayMs: DELETION,
    availabilityZones: [AZ_A, AZ_B],
    now: () => t0,
    ...options,
  });
  return sim;
}

function seed(
  s: ModelArtsSimulator,
  label: string,
  gpuNodes = 2,
  extra: { flavor: string; count: number }[] = [],
) {
  return s.seedPool(poolRequest(label, [{ flavor: GPU, count: gpuNodes }, ...extra])).metadata.name;
}

async function submit(s: ModelArtsSimulator, pool: string, body: unknown): Promise<WorkloadRecord> {
  const response = await sendJson(`${urls(s, pool).control}/workloads`, 'POST', body);
  expect(response.status, response.text).toBe(200);
  return response.json as WorkloadRecord;
}

async function list(s: ModelArtsSimulator, pool: string, query = ''): Promise<Workload[]> {
  const response = await sendJson(`${urls(s, pool).workloads}${query}`, 'GET');
  expect(response.status, response.text).toBe(200);
  return WorkloadListSchema.parse(response.json).items;
}

describe('workloads of a pool', () => {
  it('queues a workload that does not fit, with its place and wait, and runs it once a node frees up', async () => {
    const s = await start();
    const pool = seed(s, 'wl-queue', 1);
    const first = await submit(s, pool, {
      flavor: GPU,
      accelerators: 6,
      jobName: 'first',
      durationSeconds: 120,
    });
    const second = await submit(s, pool, { flavor: GPU, accelerators: 4, jobName: 'second' });
    expect([first.status, second.status]).toEqual(['Running', 'Queue']);
    s.advance(30_000);
    const [running, queued] = await list(s, pool);
    const ip = s.nodes(pool)[0]?.status.privateIp;
    expect(running).toMatchObject({
      apiVersion: 'v1',
      kind: 'Workload',
      type: 'train',
      name: 'first-worker-0',
      jobName: 'first',
      uid: first.uid,
      flavor: GPU,
      status: 'Running',
      resourceRequirement: { cpu: '48', memory: '384Gi', 'nvidia.com/gpu': '6' },
      runningDuration: 30,
      pendingDuration: 0,
      hostIps: ip,
      nodes: [{ hostIp: ip, resourceRequirement: { cpu: '48', memory: '384Gi', 'nvidia.com/gpu': '6' } }],
      gvk: 'batch.volcano.sh/v1alpha1, Kind=Job',
    });
    expect(running?.pendingPosition).toBeUndefined();
    expect(queued).toMatchObject({
      status: 'Queue',
      pendingPosition: 1,
      pendingDuration: 30,
      runningDuration: 0,
    });
    expect(queued?.hostIps).toBeUndefined();
    expect(queued?.nodes).toBeUndefined();

    s.advance(90_000);
    const [done, started] = await list(s, pool);
    expect(done).toMatchObject({ status: 'Completed', runningDuration: 120 });
    expect(started).toMatchObject({
      status: 'Running',
      pendingDuration: 120,
      runningDuration: 0,
      hostIps: ip,
    });
  });

  it('places first fit in queue order: a smaller workload starts past a larger one that waits', async () => {
    const s = await start();
    const pool = seed(s, 'wl-firstfit', 2);
    const a = await submit(s, pool, { flavor: GPU, accelerators: 6 });
    const b = await submit(s, pool, { flavor: GPU, accelerators: 6 });
    const big = await submit(s, pool, { flavor: GPU, nodeCount: 2 });
    const small = await submit(s, pool, { flavor: GPU, accelerators: 2 });
    const after = await submit(s, pool, { flavor: GPU, accelerators: 2 });
    expect([a.status, b.status, big.status, small.status, after.status]).toEqual([
      'Running',
      'Running',
      'Queue',
      'Running',
      'Running',
    ]);
    expect(small.nodes).toEqual(a.nodes);
    expect(after.nodes).toEqual(b.nodes);
    expect(big.units).toBe(16);
    const queuedList = await list(s, pool, '?status=Queue');
    expect(queuedList.map((w) => [w.uid, w.pendingPosition])).toEqual([[big.uid, 1]]);
  });

  it('a multi-node workload takes whole free nodes, and frees them all when it ends', async () => {
    const s = await start();
    const pool = seed(s, 'wl-multinode', 3);
    const busy = s.submitWorkload(pool, { flavor: GPU, accelerators: 1 });
    const big = s.submitWorkload(pool, { flavor: GPU, nodeCount: 2, acceleratorsPerNode: 8 });
    expect(big.status).toBe('Running');
    expect(big.nodes).toHaveLength(2);
    expect(big.nodes).not.toContain(busy.nodes[0]);
    const [shown] = await list(s, pool, `?hostip=${big.hostIps[0]}`);
    expect(shown?.uid).toBe(big.uid);
    expect(shown?.nodes?.map((n) => n.resourceRequirement?.['nvidia.com/gpu'])).toEqual(['8', '8']);
    expect(shown?.resourceRequirement?.['nvidia.com/gpu']).toBe('16');
    s.completeWorkload(pool, big.uid);
    const free = s.nodes(pool).map((node) => node.status.availableResources?.['nvidia.com/gpu']);
    expect(free.sort()).toEqual(['7', '8', '8']);
  });

  it('reports an NPU workload under the workload key of its cards, and a CPU workload as whole nodes', async () => {
    const s = await start();
    const pool = seed(s, 'wl-keys', 1, [
      { flavor: NPU, count: 1 },
      { flavor: CPU, count: 2 },
    ]);
    const npu = s.submitWorkload(pool, { flavor: NPU, accelerators: 4 });
    const cpu = s.submitWorkload(pool, { flavor: CPU, nodeCount: 2 });
    const byUid = new Map((await list(s, pool)).map((w) => [w.uid, w]));
    expect(byUid.get(npu.uid)?.resourceRequirement).toEqual({
      cpu: '32',
      memory: '256Gi',
      'huawei.com/ascend-1980': '4',
    });
    expect(byUid.get(cpu.uid)).toMatchObject({
      status: 'Running',
      resourceRequirement: { cpu: '16', memory: '64Gi' },
    });
    expect(
      s
        .nodes(pool)
        .filter((n) => n.spec.flavor === CPU)
        .map((n) => n.status.availableResources),
    ).toEqual([
      { cpu: '0', memory: '0Gi' },
      { cpu: '0', memory: '0Gi' },
    ]);
  });

  it('starts a workload only on Available nodes of its flavor', async () => {
    const s = await start();
    const pool = s.seedPool(poolRequest('wl-available', [{ flavor: GPU, count: 1 }]), { settled: false })
      .metadata.name;
    const waiting = s.submitWorkload(pool, { flavor: GPU, accelerators: 1, durationSeconds: 10 });
    expect(waiting.status).toBe('Queue');
    s.advance(PROVISION + 60_000);
    const [record] = s.workloads(pool);
    expect(record).toMatchObject({ status: 'Completed', startedAt: waiting.submittedAt + PROVISION });
    expect(record?.endedAt).toBe(waiting.submittedAt + PROVISION + 10_000);
  });

  it.each([
    ['a flavor the pool does not have', { flavor: NPU }, 'flavor: pool'],
    [
      'accelerators with nodeCount',
      { flavor: GPU, accelerators: 2, nodeCount: 1 },
      'accelerators: give either',
    ],
    [
      'more accelerators per node than a node has',
      { flavor: GPU, acceleratorsPerNode: 9 },
      'acceleratorsPerNode: a node',
    ],
    ['part of several nodes', { flavor: GPU, nodeCount: 2, acceleratorsPerNode: 4 }, 'takes whole nodes'],
    ['accelerators on a CPU flavor', { flavor: CPU, accelerators: 1 }, 'has no accelerators'],
    ['an unknown field', { flavor: GPU, gpus: 2 }, 'gpus: is not a submission field'],
    ['an unknown type', { flavor: GPU, type: 'batch' }, 'type:'],
    ['no flavor', {}, 'flavor: is mandatory'],
    ['a negative duration', { flavor: GPU, durationSeconds: -1 }, 'durationSeconds:'],
  ])('refuses a submission with %s (400 naming it)', async (_name, body, message) => {
    const s = await start();
    const pool = seed(s, 'wl-refuse', 1, [{ flavor: CPU, count: 1 }]);
    const response = await sendJson(`${urls(s, pool).control}/workloads`, 'POST', body);
    expect(response.status).toBe(400);
    expect(errorOf(response).error_code).toBe('ModelArts.50004000');
    expect(errorOf(response).error_msg).toContain(message);
    expect(s.workloads(pool)).toEqual([]);
  });

  it('refuses a uid already used (409) and an unknown pool (404)', async () => {
    const s = await start();
    const pool = seed(s, 'wl-uid');
    await submit(s, pool, { flavor: GPU, uid: 'fixed-uid' });
    const again = await sendJson(`${urls(s, pool).control}/workloads`, 'POST', {
      flavor: GPU,
      uid: 'fixed-uid',
    });
    expect(again.status).toBe(409);
    const unknown = await sendJson(`${urls(s, `nope-${s.projectId}`).control}/workloads`, 'POST', {
      flavor: GPU,
    });
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown).error_code).toBe('ModelArts.50015001');
  });

  it('completes, fails and terminates over HTTP, recording the reason; refuses what cannot be done', async () => {
    const s = await start();
    const pool = seed(s, 'wl-end', 1);
    const running = await submit(s, pool, { flavor: GPU, accelerators: 8 });
    const queued = await submit(s, pool, { flavor: GPU, accelerators: 8 });
    const other = await submit(s, pool, { flavor: GPU, accelerators: 8 });
    const act = (uid: string, action: string, body?: unknown) =>
      sendJson(`${urls(s, pool).control}/workloads/${uid}/${action}`, 'POST', body);

    const completeQueued = await act(queued.uid, 'complete');
    expect(completeQueued.status).toBe(409);
    expect(errorOf(completeQueued).error_msg).toContain('only a running workload completes');
    const terminated = await act(queued.uid, 'terminate', { reason: 'cancelled by its user' });
    expect(terminated.json).toMatchObject({ status: 'Terminated', reason: 'cancelled by its user' });
    const failed = await act(running.uid, 'fail', { reason: 'exit code 1' });
    expect(failed.json).toMatchObject({ status: 'Failed', reason: 'exit code 1', killed: false });
    expect((await act(running.uid, 'complete')).status).toBe(409);
    const shown = await sendJson(`${urls(s, pool).control}/workloads/${other.uid}`, 'GET');
    expect(shown.json).toMatchObject({ uid: other.uid, status: 'Running' });
    expect((await act(other.uid, 'complete')).json).toMatchObject({ status: 'Completed' });
    expect((await act('no-such-uid', 'fail')).status).toBe(404);
    expect(errorOf(await act(other.uid, 'fail', { because: 'x' })).error_msg).toContain('because');
    const all = await sendJson(`${urls(s, pool).control}/workloads`, 'GET');
    expect((all.json as { items: WorkloadRecord[] }).items.map((w) => w.status)).toEqual([
      'Failed',
      'Terminated',
      'Completed',
    ]);
    expect(s.killedWorkloads(pool)).toBe(0);
  });

  it('filters by type, status and hostip (repeated or comma-separated), sorts and pages', async () => {
    const s = await start();
    const pool = seed(s, 'wl-filter', 3);
    const made: WorkloadRecord[] = [];
    for (const [type, accelerators] of [
      ['train', 8],
      ['infer', 8],
      ['train', 8],
      ['notebook', 1],
    ] as const) {
      made.push(s.submitWorkload(pool, { flavor: GPU, type, accelerators }));
      s.advance(1_000);
    }
    const uids = (items: Workload[]) => items.map((w) => w.uid);
    const [t1, i1, t2, n1] = made as [WorkloadRecord, WorkloadRecord, WorkloadRecord, WorkloadRecord];
    expect(uids(await list(s, pool, '?type=train'))).toEqual([t1.uid, t2.uid]);
    expect(uids(await list(s, pool, '?status=Queue'))).toEqual([n1.uid]);
    expect(uids(await list(s, pool, '?type=infer&status=Running'))).toEqual([i1.uid]);
    expect(uids(await list(s, pool, `?hostip=${t1.hostIps[0]}&hostip=${t2.hostIps[0]}&limit=1`))).toEqual([
      t1.uid,
      t2.uid,
    ]);
    expect(uids(await list(s, pool, `?hostip=${t1.hostIps[0]},${i1.hostIps[0]}`))).toEqual([t1.uid, i1.uid]);
    expect(uids(await list(s, pool, '?hostip=10.0.0.1'))).toEqual([]);
    expect(uids(await list(s, pool, '?sort=create_time'))).toEqual(uids(await list(s, pool)).reverse());
    expect(uids(await list(s, pool, '?sort=create_time&ascend=true'))).toEqual([
      t1.uid,
      i1.uid,
      t2.uid,
      n1.uid,
    ]);
    expect(uids(await list(s, pool, '?offset=1&limit=2'))).toEqual([i1.uid, t2.uid]);
    expect(uids(await list(s, pool, '?offset=9'))).toEqual([]);
    expect(uids(await list(s, pool, '?limit=0'))).toEqual([]);
  });

  it.each([
    ['type=batch', 'type'],
    ['status=Done', 'status'],
    ['sort=name', 'sort'],
    ['ascend=yes', 'ascend'],
    ['offset=-1', 'offset'],
    ['limit=501', 'limit'],
    ['limit=ten', 'limit'],
  ])('refuses ?%s with 400 naming %s', async (query, field) => {
    const s = await start();
    const pool = seed(s, 'wl-badquery');
    const response = await sendJson(`${urls(s, pool).workloads}?${query}`, 'GET');
    expect(response.status).toBe(400);
    expect(errorOf(response).error_msg).toContain(`${field}:`);
  });

  it('counts workloads by type and status, and pools by creation state', async () => {
    const s = await start();
    const pool = seed(s, 'wl-stats', 1);
    const done = s.submitWorkload(pool, { flavor: GPU, accelerators: 8 });
    s.completeWorkload(pool, done.uid);
    s.submitWorkload(pool, { flavor: GPU, accelerators: 8 });
    s.submitWorkload(pool, { flavor: GPU, accelerators: 8 });
    s.submitWorkload(pool, { flavor: GPU, type: 'infer', accelerators: 1 });
    const stats = await sendJson(`${s.url}/v2/${s.projectId}/statistics/pools/${pool}/workloads`, 'GET');
    expect(WorkloadStatisticsSchema.parse(stats.json)).toEqual({
      statistics: {
        total: 4,
        items: [
          {
            type: 'train',
            total: 3,
            status: {
              Queue: 1,
              Pending: 0,
              Abnormal: 0,
              Terminating: 0,
              Creating: 0,
              Running: 1,
              Completed: 1,
              Terminated: 0,
              Failed: 0,
            },
          },
          {
            type: 'infer',
            total: 1,
            status: {
              Queue: 1,
              Pending: 0,
              Abnormal: 0,
              Terminating: 0,
              Creating: 0,
              Running: 0,
              Completed: 0,
              Terminated: 0,
              Failed: 0,
            },
          },
        ],
      },
    });
    const unknown = await sendJson(
      `${s.url}/v2/${s.projectId}/statistics/pools/nope-${s.projectId}/workloads`,
      'GET',
    );
    expect(errorOf(unknown).error_code).toBe('ModelArts.50015001');

    s.seedPool(poolRequest('wl-stats-new', [{ flavor: GPU, count: 1 }]), { settled: false });
    const gone = seed(s, 'wl-stats-gone', 1);
    await sendJson(urls(s, gone).pool, 'DELETE');
    const pools = await sendJson(`${s.url}/v2/${s.projectId}/statistics/pools`, 'GET');
    const parsed = PoolStatisticsSchema.parse(pools.json);
    expect(parsed.statistics.status).toEqual({ created: 1, creating: 1, deleting: 1, failed: 0, pending: 0 });
    expect(parsed.operationTime).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} \+0000 UTC$/);
  });

  it('a count-lowering PATCH that removes a busy node fails its workloads and counts them', async () => {
    const s = await start();
    const pool = seed(s, 'wl-patch-kill', 2);
    const a = s.submitWorkload(pool, { flavor: GPU, accelerators: 8 });
    const b = s.submitWorkload(pool, { flavor: GPU, accelerators: 8 });
    const response = await sendJson(
      urls(s, pool).pool,
      'PATCH',
      { spec: { resources: [{ flavor: GPU, count: 1, maxCount: 1 }] } },
      'application/merge-patch+json',
    );
    expect(response.status).toBe(200);
    const failed = s.workloads(pool).filter((w) => w.status === 'Failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      killed: true,
      reason: expect.stringMatching(/was removed: the pool was scaled in$/),
    });
    expect([a.uid, b.uid]).toContain(failed[0]?.uid);
    expect(s.killedWorkloads(pool)).toBe(1);
  });

  it('refuses a PATCH that would scale in yearly/monthly capacity', async () => {
    const s = await start();
    const pool = s.seedPool(
      poolRequest('wl-prepaid', [{ flavor: GPU, count: 2 }], { 'os.modelarts/billing.mode': '1' }),
    ).metadata.name;
    const response = await sendJson(
      urls(s, pool).pool,
      'PATCH',
      { spec: { resources: [{ flavor: GPU, count: 1, maxCount: 1 }] } },
      'application/merge-patch+json',
    );
    expect(response.status).toBe(400);
    expect(errorOf(response).error_msg).toContain('spec.resources[0].count: flavor');
    const grow = await sendJson(
      urls(s, pool).pool,
      'PATCH',
      { spec: { resources: [{ flavor: GPU, count: 3, maxCount: 3 }] } },
      'application/merge-patch+json',
    );
    expect(grow.status).toBe(200);
  });

  it('deleting the pool fails its running workloads (counted) and terminates the queued ones', async () => {
    const s = await start();
    const pool = seed(s, 'wl-pool-delete', 1);
    s.submitWorkload(pool, { flavor: GPU, accelerators: 8 });
    s.submitWorkload(pool, { flavor: GPU, accelerators: 8 });
    await sendJson(urls(s, pool).pool, 'DELETE');
    expect(s.workloads(pool).map((w) => [w.status, w.reason])).toEqual([
      ['Failed', expect.stringContaining('the pool was deleted')],
      ['Terminated', 'the pool was deleted'],
    ]);
    s.advance(DELETION);
    expect(s.pool(pool)).toBeUndefined();
    expect(s.killedWorkloads(pool)).toBe(1);
    const control = await sendJson(urls(s, pool).control, 'GET');
    expect(control.json).toEqual({ pool, exists: false, killedWorkloads: 1 });
  });

  it('keeps a bounded number of ended workloads', async () => {
    const s = await start({ endedWorkloadLimit: 2 });
    const pool = seed(s, 'wl-retention', 1);
    const uids = [0, 1, 2].map(() => {
      const record = s.submitWorkload(pool, { flavor: GPU, accelerators: 8 });
      s.completeWorkload(pool, record.uid);
      return record.uid;
    });
    expect(s.workloads(pool).map((w) => w.uid)).toEqual(uids.slice(1));
  });
});

describe('the workload transition feed', () => {
  it('records submission, start and end, timed on the simulation clock however late it is read', async () => {
    const s = await start();
    const pool = s.seedPool(poolRequest('tr-feed', [{ flavor: GPU, count: 1 }]), { settled: false }).metadata
      .name;
    const heard: WorkloadTransition[] = [];
    const stop = s.onWorkloadTransition((t) => heard.push(t));
    const submitted = s.submitWorkload(pool, {
      flavor: GPU,
      accelerators: 8,
      durationSeconds: 60,
      jobName: 'j',
    });
    s.advance(3_600_000);
    const page = s.workloadTransitions();
    const t0 = submitted.submittedAt;
    expect(page.transitions.map((t) => [t.seq, t.at - t0, t.from, t.to])).toEqual([
      [1, 0, undefined, 'Queue'],
      [2, PROVISION, 'Queue', 'Running'],
      [3, PROVISION + 60_000, 'Running', 'Completed'],
    ]);
    expect(page.transitions[1]).toMatchObject({
      pool,
      projectId: s.projectId,
      uid: submitted.uid,
      jobName: 'j',
      flavor: GPU,
      units: 8,
      type: 'train',
      nodes: [s.nodes(pool)[0]?.metadata.name],
    });
    expect(page).toMatchObject({ cursor: 3, missed: 0 });
    expect(heard).toEqual(page.transitions);
    stop();
    s.submitWorkload(pool, { flavor: GPU });
    expect(heard).toHaveLength(3);
    expect(s.workloadTransitions(page.cursor).transitions.map((t) => t.seq)).toEqual([4, 5]);
  });

  it('serves the feed over HTTP from a cursor, and says how many a bounded feed dropped', async () => {
    const s = await start({ transitionLogLimit: 2 });
    const pool = seed(s, 'tr-http', 1);
    s.submitWorkload(pool, { flavor: GPU, accelerators: 8 });
    s.submitWorkload(pool, { flavor: GPU, accelerators: 8 });
    const read = await sendJson(`${s.url}/_sim/transitions?since=0`, 'GET');
    expect(read.json).toMatchObject({ cursor: 3, missed: 1 });
    expect((read.json as { transitions: WorkloadTransition[] }).transitions.map((t) => t.seq)).toEqual([
      2, 3,
    ]);
    const caughtUp = await sendJson(`${s.url}/_sim/transitions?since=1`, 'GET');
    expect(caughtUp.json).toMatchObject({ cursor: 3, missed: 0 });
    const bad = await sendJson(`${s.url}/_sim/transitions?since=x`, 'GET');
    expect(bad.status).toBe(400);
  });

  it('a killed workload carries killed and the reason', () =>
    start().then(async (s) => {
      const pool = seed(s, 'tr-killed', 2);
      const record = s.submitWorkload(pool, { flavor: GPU, accelerators: 8 });
      await sendJson(`${urls(s, pool).nodes}/batch-delete`, 'POST', { deleteNodeNames: record.nodes });
      expect(s.workloadTransitions().transitions.at(-1)).toMatchObject({
        from: 'Running',
        to: 'Failed',
        killed: true,
        reason: expect.stringContaining('nodes/batch-delete'),
        nodes: record.nodes,
      });
    }));
});

describe('the control API', () => {
  it('reads and advances the clock', async () => {
    const s = await start();
    const before = (await sendJson(`${s.url}/_sim/clock`, 'GET')).json as { now: number };
    const after = await sendJson(`${s.url}/_sim/clock/advance`, 'POST', { ms: 5_000 });
    expect(after.json).toEqual({ now: before.now + 5_000 });
    expect((await sendJson(`${s.url}/_sim/clock/advance`, 'POST', { ms: -1 })).status).toBe(400);
  });

  it('stays out of the request log and out of fault injection', async () => {
    const s = await start({ faults: [{ action: { type: 'error', status: 500 } }] });
    const pool = seed(s, 'ctl-quiet');
    const response = await sendJson(`${urls(s, pool).control}/workloads`, 'POST', { flavor: GPU });
    expect(response.status).toBe(200);
    expect(s.requestLog).toHaveLength(0);
  });

  it.each([
    ['GET', '/_sim/nothing'],
    ['DELETE', '/_sim/clock'],
    ['PUT', '/_sim/v2/PROJECT/pools/POOL/workloads'],
    ['POST', '/_sim/v2/PROJECT/pools/POOL/workloads/uid/restart'],
  ])('%s %s is 404 APIGW.0101', async (method, path) => {
    const s = await start();
    const pool = seed(s, 'ctl-404');
    const response = await sendJson(
      `${s.url}${path.replace('PROJECT', s.projectId).replace('POOL', pool)}`,
      method,
    );
    expect(response.status).toBe(404);
    expect(errorOf(response).error_code).toBe('APIGW.0101');
  });

  it('is off with controlApi: false', async () => {
    const s = await start({ controlApi: false });
    const response = await sendJson(`${s.url}/_sim/clock`, 'GET');
    expect(response.status).toBe(404);
  });

  it('authenticates as the API does when a token is configured', async () => {
    const s = await start({ token: 'sim-token', auth: { ak: 'AK', sk: 'SK' } });
    const pool = seed(s, 'ctl-auth');
    const url = `${urls(s, pool).control}/workloads`;
    const anonymous = await sendJson(url, 'GET');
    expect(anonymous.status).toBe(401);
    const withToken = await fetch(url, { headers: { 'X-Auth-Token': 'sim-token' } });
    expect(withToken.status).toBe(200);
    const otherProject = await fetch(`${s.url}/_sim/v2/${s.projectId}/pools/${pool}/workloads`, {
      headers: { 'X-Auth-Token': 'sim-token', 'X-Project-Id': 'another' },
    });
    expect(otherProject.status).toBe(403);
  });
});

describe('PATCH media types', () => {
  it('applies application/json as a merge patch, as Huawei SDK sends it', async () => {
    const s = await start();
    const pool = seed(s, 'ct-json', 1);
    const response = await sendJson(
      urls(s, pool).pool,
      'PATCH',
      {
        metadata: { annotations: { 'os.modelarts/description': null } },
        spec: { resources: [{ flavor: GPU, count: 2, maxCount: 2 }] },
      },
      'application/json',
    );
    expect(response.status).toBe(200);
    expect(s.pool(pool)?.spec.resources).toEqual([{ flavor: GPU, count: 2, maxCount: 2 }]);
  });

  it('refuses application/json with acceptJsonPatch: false', async () => {
    const s = await start({ acceptJsonPatch: false });
    const pool = seed(s, 'ct-strict', 1);
    const response = await sendJson(urls(s, pool).pool, 'PATCH', { spec: {} }, 'application/json');
    expect(response.status).toBe(400);
    expect(errorOf(response).error_code).toBe('ModelArts.50004100');
  });
});
