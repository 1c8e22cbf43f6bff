/** `pool show` and `pool list` run as a user would, against the simulator over HTTP. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  clientFromOptions,
  registerPoolCommand,
  renderNodes,
  renderPool,
  renderPoolList,
  renderWorkloads,
} from '../../bin/commands/pool';
import {
  ModelArtsClient,
  ModelArtsCredentialsError,
  NodeListSchema,
  NodeSchema,
  PoolListSchema,
  PoolSchema,
  WorkloadListSchema,
  WorkloadSchema,
} from '../../functions/shared/modelarts';
import { DEMO_FLAVORS, demoPool, startModelArtsSimulator, type ModelArtsSimulator } from '../../simulator';

const run = promisify(execFile);
const PROJECT = '6f5da086876d4cd084d36f8bd3346036';
const KEYS = { ak: 'AKCLI000000000000000', sk: 'SKclisecret00000000000000000000000000000' };

let simulator: ModelArtsSimulator;
let poolName: string;

beforeAll(async () => {
  simulator = await startModelArtsSimulator({ auth: KEYS, projectId: PROJECT });
  poolName = simulator.seedPool(demoPool()).metadata.name;
});

afterAll(async () => {
  await simulator.close();
});

async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  const childEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NO_COLOR: '1',
    ...env,
  };
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'bin/cli.ts', ...args], {
      env: childEnv,
      timeout: 60_000,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

const envKeys = { HUAWEICLOUD_SDK_AK: KEYS.ak, HUAWEICLOUD_SDK_SK: KEYS.sk };

describe('pool command', () => {
  it('pool list --json prints the list from a signed request', async () => {
    const result = await cli(
      ['pool', 'list', '--endpoint', simulator.url, '--project-id', PROJECT, '--json'],
      envKeys,
    );
    expect(result.code).toBe(0);
    const list = PoolListSchema.parse(JSON.parse(result.stdout));
    expect(list.items.map((pool) => pool.metadata.name)).toEqual([poolName]);
    expect(simulator.requestLog.at(-1)).toMatchObject({ method: 'GET', status: 200, signatureValid: true });
  });

  it('pool show fails with the API error and exit code 1 for an unknown pool', async () => {
    const missing = await cli(
      ['pool', 'show', '--endpoint', simulator.url, '--project-id', PROJECT, '--pool', `nope-${PROJECT}`],
      envKeys,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/HTTP 404 ModelArts\.50015001/);
  });

  it('pool show prints a table per flavor, with the project id from the environment', async () => {
    vi.stubEnv('HUAWEICLOUD_SDK_AK', KEYS.ak);
    vi.stubEnv('HUAWEICLOUD_SDK_SK', KEYS.sk);
    vi.stubEnv('HUAWEICLOUD_SDK_PROJECT_ID', PROJECT);
    const printed: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      const program = new Command().exitOverride();
      registerPoolCommand(program);
      await program.parseAsync(
        ['pool', 'show', '--endpoint', simulator.url, '--pool', poolName, '-o', 'table'],
        {
          from: 'user',
        },
      );
    } finally {
      write.mockRestore();
      vi.unstubAllEnvs();
    }
    const text = printed.join('');
    expect(text).toContain(poolName);
    expect(text).toContain('Running');
    expect(text).toMatch(new RegExp(`${DEMO_FLAVORS.gpu.replace(/\./g, '\\.')}\\s*│\\s*2\\s*│\\s*2`));
    expect(text).not.toContain(KEYS.sk);
  });

  it('needs credentials and a project id', () => {
    const options = { endpoint: simulator.url, projectId: PROJECT, timeoutMs: 1_000, json: false };
    expect(() => clientFromOptions(options, {})).toThrow(ModelArtsCredentialsError);
    expect(() => clientFromOptions({ ...options, projectId: undefined }, { ...envKeys })).toThrow(
      /--project-id/,
    );
    expect(clientFromOptions({ ...options, token: 'tok' }, {})).toBeInstanceOf(ModelArtsClient);
  });
});

describe('pool nodes and pool workloads', () => {
  it('pool nodes --json prints every node as the API returns them', async () => {
    const result = await cli(
      ['pool', 'nodes', '--endpoint', simulator.url, '--project-id', PROJECT, '--pool', poolName, '--json'],
      envKeys,
    );
    expect(result.code).toBe(0);
    const list = NodeListSchema.parse(JSON.parse(result.stdout));
    expect(list.items).toHaveLength(4);
    expect(list.items.map((node) => node.metadata.name).sort()).toEqual(
      simulator
        .nodes(poolName)
        .map((node) => node.metadata.name)
        .sort(),
    );
  });

  it('pool nodes prints phase, AZ, billing, free/total accelerators and the workloads on each node', async () => {
    const running = simulator.submitWorkload(poolName, {
      flavor: DEMO_FLAVORS.gpu,
      accelerators: 3,
      jobName: 'cli-job',
    });
    const result = await cli(
      [
        'pool',
        'nodes',
        '--endpoint',
        simulator.url,
        '--project-id',
        PROJECT,
        '--pool',
        poolName,
        '-o',
        'table',
      ],
      envKeys,
    );
    simulator.completeWorkload(poolName, running.uid);
    expect(result.code).toBe(0);
    const busy = simulator.nodes(poolName).find((node) => node.metadata.name === running.nodes[0])!;
    expect(result.stdout).toMatch(
      new RegExp(
        `${busy.metadata.name}\\s*│[^\\n]*Available\\s*│\\s*${busy.status.az}[^\\n]*pay-per-use\\s*│\\s*5/8\\s*│\\s*cli-job-worker-0`,
      ),
    );
    expect(result.stdout).not.toContain(KEYS.sk);
  });

  it('pool workloads filters by status and prints queue places, or the API list with --json', async () => {
    const first = simulator.submitWorkload(poolName, {
      flavor: DEMO_FLAVORS.npu,
      nodeCount: 2,
      jobName: 'wide',
    });
    const waiting = simulator.submitWorkload(poolName, {
      flavor: DEMO_FLAVORS.npu,
      accelerators: 8,
      jobName: 'late',
    });
    try {
      const table = await cli(
        [
          'pool',
          'workloads',
          '--endpoint',
          simulator.url,
          '--project-id',
          PROJECT,
          '--pool',
          poolName,
          '--status',
          'Queue',
          '-o',
          'table',
        ],
        envKeys,
      );
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/late-worker-0\s*│\s*late\s*│\s*train\s*│[^\n]*Queue\s*│\s*8\s*│\s*1\s*│/);
      expect(table.stdout).not.toContain('wide-worker-0');
      const json = await cli(
        [
          'pool',
          'workloads',
          '--endpoint',
          simulator.url,
          '--project-id',
          PROJECT,
          '--pool',
          poolName,
          '--json',
        ],
        envKeys,
      );
      const list = WorkloadListSchema.parse(JSON.parse(json.stdout));
      expect(list.items.filter((w) => w.status !== 'Completed').map((w) => w.jobName)).toEqual([
        'wide',
        'late',
      ]);
      const bad = await cli(
        [
          'pool',
          'workloads',
          '--endpoint',
          simulator.url,
          '--project-id',
          PROJECT,
          '--pool',
          poolName,
          '--status',
          'Done',
        ],
        envKeys,
      );
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/Allowed choices are Queue/);
    } finally {
      simulator.completeWorkload(poolName, first.uid);
      simulator.completeWorkload(poolName, waiting.uid);
    }
  });
});

describe('pool tables', () => {
  it('node rows: a yearly/monthly node, a node without accelerators, a multi-node workload on two nodes', () => {
    const node = (name: string, ip: string, extra: Record<string, unknown> = {}) =>
      NodeSchema.parse({
        metadata: { name, annotations: extra.annotations ?? {} },
        spec: { flavor: extra.flavor ?? 'gpu' },
        status: {
          phase: 'Available',
          az: 'az1',
          privateIp: ip,
          resources: extra.resources ?? { 'huawei.com/ascend-snt9': '8' },
          availableResources: extra.free ?? { 'huawei.com/ascend-snt9': '0' },
        },
      });
    const nodes = [
      node('n1', '10.0.0.1', { annotations: { 'os.modelarts/billing.mode': '1' } }),
      node('n2', '10.0.0.2'),
      node('n3', '10.0.0.3', { flavor: 'cpu', resources: { cpu: '8' }, free: { cpu: '8' } }),
    ];
    const workloads = [
      WorkloadSchema.parse({ name: 'wide', status: 'Running', hostIps: '10.0.0.1,10.0.0.2' }),
      WorkloadSchema.parse({ name: 'done', status: 'Completed', hostIps: '10.0.0.2' }),
    ];
    const text = renderNodes(nodes, workloads);
    expect(text).toMatch(/n1\s*│[^\n]*yearly\/monthly\s*│\s*0\/8\s*│\s*wide/);
    expect(text).toMatch(/n2\s*│[^\n]*pay-per-use\s*│\s*0\/8\s*│\s*wide\s*│/);
    expect(text).toMatch(/n3\s*│[^\n]*pay-per-use\s*│\s*-\s*│\s*│/);
    expect(renderNodes([], [])).toBe('No nodes found');
    expect(renderWorkloads([])).toBe('No workloads found');
    expect(
      renderWorkloads([WorkloadSchema.parse({ name: 'w', pendingDuration: 7200, runningDuration: 90 })]),
    ).toMatch(/w\s*│[^\n]*│\s*2h\s*│\s*90s\s*│/);
  });

  it('show target, AZ split and node states per flavor', () => {
    const pool = PoolSchema.parse({
      apiVersion: 'v2',
      kind: 'Pool',
      metadata: { name: 'p-1', labels: { 'os.modelarts/name': 'p' } },
      spec: {
        type: 'Dedicate',
        resources: [{ flavor: 'gpu', count: 3, maxCount: 3, azs: [{ az: 'az1', count: 3 }] }],
      },
      status: {
        phase: 'Running',
        resources: {
          available: [{ flavor: 'gpu', count: 2, azs: [{ az: 'az1', count: 2 }] }],
          creating: [{ flavor: 'gpu', count: 1, azs: [{ az: 'az1', count: 1 }] }],
          deleting: [{ flavor: 'old', count: 1 }],
        },
      },
    });
    const text = renderPool(pool);
    expect(text).toMatch(
      /gpu\s*│\s*3\s*│\s*3\s*│\s*az1:3\s*│\s*2 \(az1:2\)\s*│\s*1 \(az1:1\)\s*│\s*0\s*│\s*0/,
    );
    // A flavor only in status (being removed) still shows.
    expect(text).toMatch(/old\s*│\s*-\s*│\s*-/);
    expect(renderPoolList([pool])).toMatch(/p-1\s*│\s*p\s*│\s*Dedicate/);
    expect(renderPoolList([])).toBe('No pools found');
  });
});
