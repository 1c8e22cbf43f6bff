/**
 * Conformance with a client nobody here wrote: Huawei's official Python SDK drives the simulator through its
 * own request and response models (test/conformance/huawei_sdk_check.py), and the results are compared with
 * the simulator's state. The SDK is never copied into the repository: it is found through
 * HUAWEICLOUD_SDK_PYTHON, else ../shared/reference-clients/huaweicloud-sdk-python beside the repository, else
 * /work/shared/reference-clients/huaweicloud-sdk-python, and run with Debian's python3 and libraries
 * (.ci/run installs them; HUAWEICLOUD_SDK_PYTHON_BIN names another interpreter). Where the SDK is not on the
 * machine at all the test is skipped with the reason printed; where it is but cannot run, the test fails under
 * CI=true (which installs what it needs) and is skipped elsewhere.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelArtsSimulator, type ModelArtsSimulator } from '../../simulator';

const run = promisify(execFile);
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = join(REPO, 'test/conformance/huawei_sdk_check.py');
const KEYS = { ak: 'AKSDKCONFORMANCE0001', sk: 'SKsdkconformance000000000000000000000000' };
const GPU = 'modelarts.vm.gpu.8v100';
const NPU = 'modelarts.vm.npu.8snt9b';
const PYTHON_MODULES =
  'requests, requests_toolbelt, simplejson, yaml, pyasn1, defusedxml, six, bson, dateutil, urllib3';

function locateSdk(): string | undefined {
  const candidates = [
    process.env.HUAWEICLOUD_SDK_PYTHON,
    resolve(REPO, '../shared/reference-clients/huaweicloud-sdk-python'),
    '/work/shared/reference-clients/huaweicloud-sdk-python',
  ];
  return candidates.find(
    (dir): dir is string =>
      dir !== undefined &&
      dir !== '' &&
      existsSync(join(dir, 'huaweicloud-sdk-core/huaweicloudsdkcore')) &&
      existsSync(join(dir, 'huaweicloud-sdk-modelarts/huaweicloudsdkmodelarts')),
  );
}

/**
 * HUAWEICLOUD_SDK_PYTHON_BIN when set, else Debian's python3 (its requests-toolbelt fails under another
 * Python with urllib3 2.x), else whatever python3 is on PATH.
 */
const PYTHON =
  process.env.HUAWEICLOUD_SDK_PYTHON_BIN || (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

const sdk = locateSdk();
const pythonPath = sdk
  ? `${join(sdk, 'huaweicloud-sdk-core')}:${join(sdk, 'huaweicloud-sdk-modelarts')}`
  : '';

function unavailable(): string | undefined {
  if (!sdk)
    return 'Huawei Python SDK not found: set HUAWEICLOUD_SDK_PYTHON, or put it at ../shared/reference-clients/huaweicloud-sdk-python';
  const probe = spawnSync(PYTHON, ['-c', `import ${PYTHON_MODULES}; import huaweicloudsdkmodelarts.v1`], {
    cwd: REPO,
    env: { ...process.env, PYTHONPATH: pythonPath },
    encoding: 'utf8',
  });
  if (probe.error) return `${PYTHON} cannot run: ${probe.error.message}`;
  if (probe.status !== 0)
    return `${PYTHON} cannot import the SDK or its libraries (install Debian's python3-requests python3-requests-toolbelt python3-simplejson python3-yaml python3-pyasn1 python3-defusedxml python3-six python3-bson python3-dateutil python3-urllib3): ${probe.stderr.trim().split('\n').at(-1) ?? ''}`;
  return undefined;
}

const reason = unavailable();
const mustRun = process.env.CI === 'true' && sdk !== undefined;
if (reason && !mustRun) process.stdout.write(`skipping the Huawei SDK conformance test: ${reason}\n`);

interface SeenRequest {
  method: string;
  url: string;
  status: number;
  contentType: string | null;
  signed: boolean;
}

interface NodeFacts {
  name: string;
  flavor: string;
  phase: string;
  az: string;
  ip: string;
  nodePool: string;
  gpu: string | null;
  freeGpu: string | null;
  snt9: string | null;
}

async function sdkPhase<T>(
  simulator: ModelArtsSimulator,
  phase: string,
  pool?: string,
): Promise<T & { requests: SeenRequest[] }> {
  const args = [SCRIPT, '--endpoint', simulator.url, '--project-id', simulator.projectId, '--phase', phase];
  if (pool) args.push('--pool', pool);
  try {
    const { stdout } = await run(PYTHON, args, {
      cwd: REPO,
      env: {
        ...process.env,
        PYTHONPATH: pythonPath,
        HUAWEICLOUD_SDK_AK: KEYS.ak,
        HUAWEICLOUD_SDK_SK: KEYS.sk,
      },
      timeout: 60_000,
    });
    return JSON.parse(stdout) as T & { requests: SeenRequest[] };
  } catch (error) {
    const failed = error as { stderr?: string; message: string };
    throw new Error(`the SDK check (${phase}) failed: ${failed.stderr?.trim() || failed.message}`);
  }
}

if (reason && mustRun) {
  describe("Huawei's official SDK against the simulator", () => {
    it('finds the SDK and a python that runs it', () => {
      throw new Error(`the Huawei SDK is here, so its conformance test must run under CI, but ${reason}`);
    });
  });
} else {
  describe.skipIf(reason !== undefined)("Huawei's official SDK against the simulator", () => {
    let simulator: ModelArtsSimulator;
    beforeAll(async () => {
      simulator = await startModelArtsSimulator({ auth: KEYS, provisioningDelayMs: 0 });
    });
    afterAll(() => simulator.close());

    it('creates, shows, lists, PATCHes, lists nodes, batch-deletes, lists workloads, reads both statistics, deletes', async () => {
      const first = await sdkPhase<{
        pool: string;
        shownPhase: string;
        listed: string[];
        patchedCounts: Record<string, number>;
        nodes: NodeFacts[];
        nodePages: number;
        shownNode: { name: string; ip: string };
      }>(simulator, 'pool');
      const pool = first.pool;
      expect(first.listed).toEqual([pool]);
      expect(first.patchedCounts).toEqual({ [GPU]: 3, [NPU]: 1 });

      // The SDK sends its PATCH as application/json; the simulator applies it as a merge patch.
      const patch = first.requests.find((request) => request.method === 'PATCH');
      expect(patch).toMatchObject({ status: 200, contentType: 'application/json' });
      expect(simulator.pool(pool)?.spec.resources.map((entry) => [entry.flavor, entry.count])).toEqual([
        [GPU, 3],
        [NPU, 1],
      ]);

      // Every node, read page by page through the SDK's models, is the node the simulator holds.
      expect(first.nodePages).toBe(2);
      const held = simulator.nodes(pool);
      expect(first.nodes.map((node) => [node.name, node.flavor, node.phase, node.az, node.ip])).toEqual(
        held.map((node) => [
          node.metadata.name,
          node.spec.flavor,
          node.status.phase,
          node.status.az,
          node.status.privateIp,
        ]),
      );
      expect(
        first.nodes.filter((node) => node.flavor === GPU).map((node) => [node.gpu, node.freeGpu]),
      ).toEqual([
        ['8', '8'],
        ['8', '8'],
        ['8', '8'],
      ]);
      expect(first.nodes.find((node) => node.flavor === NPU)?.snt9).toBe('8');
      expect(first.shownNode).toEqual({
        name: first.nodes[0]?.name,
        ip: first.nodes[0]?.ip,
        phase: 'Available',
      });

      const busy = simulator.submitWorkload(pool, { flavor: GPU, accelerators: 8, jobName: 'busy' });
      const shared = simulator.submitWorkload(pool, { flavor: GPU, accelerators: 4, jobName: 'shared' });
      const wide = simulator.submitWorkload(pool, { flavor: GPU, nodeCount: 2, jobName: 'wide' });

      const second = await sdkPhase<{
        workloads: {
          uid: string;
          status: string;
          hostIps: string | null;
          gpu: string;
          pendingPosition: number | null;
        }[];
        running: string[];
        onFirstTwoIps: { ips: string[]; uids: string[] };
        secondBySubmission: string[];
        workloadStatistics: {
          total: number;
          items: { type: string; total: number; queue: number; running: number }[];
        };
        poolStatistics: Record<string, number>;
        batchDeleted: string;
        batchDeleteRefused: { status: number; errorCode: string; errorMsg: string };
        countsAfterBatchDelete: Record<string, number>;
        deleted: string;
      }>(simulator, 'workloads', pool);

      expect(second.workloads.map((w) => [w.uid, w.status, w.gpu, w.pendingPosition])).toEqual([
        [busy.uid, 'Running', '8', null],
        [shared.uid, 'Running', '4', null],
        [wide.uid, 'Queue', '16', 1],
      ]);
      expect(second.workloads[0]?.hostIps).toBe(busy.hostIps.join(','));
      expect(second.running).toEqual([busy.uid, shared.uid]);
      expect(second.onFirstTwoIps.uids.sort()).toEqual([busy.uid, shared.uid].sort());
      expect(second.secondBySubmission).toEqual([shared.uid]);
      expect(second.workloadStatistics).toEqual({
        total: 3,
        items: [{ type: 'train', total: 3, queue: 1, running: 2, completed: 0 }],
      });
      expect(second.poolStatistics).toEqual({ created: 1, creating: 0, failed: 0, pending: 0 });

      // The SDK chose an idle node from its own models; the simulator deleted exactly it and killed nothing.
      expect([...busy.nodes, ...shared.nodes]).not.toContain(second.batchDeleted);
      expect(second.countsAfterBatchDelete).toEqual({ [GPU]: 2, [NPU]: 1 });
      expect(second.batchDeleteRefused).toEqual({
        status: 400,
        errorCode: 'ModelArts.50004000',
        errorMsg: 'Bad request. node os-node-created-nope0 not found in the pool',
      });
      expect(second.deleted).toBe(pool);
      // Only the pool's deletion, last, failed the two running workloads.
      expect(simulator.killedWorkloads(pool)).toBe(2);

      // Every request was signed by the SDK and verified by the simulator.
      const seen = [...first.requests, ...second.requests];
      expect(seen.length).toBe(simulator.requestLog.length);
      expect(seen.every((request) => request.signed)).toBe(true);
      expect(simulator.requestLog.filter((entry) => entry.signatureValid !== true)).toEqual([]);
      expect(
        simulator.requestLog.filter((entry) => entry.status >= 400).map((entry) => entry.status),
      ).toEqual([400]);
    });
  });
}
