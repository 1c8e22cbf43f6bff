import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFlavorResources, simulatorCredentials } from '../../bin/commands/sim';
import { PoolListSchema } from '../../functions/shared/modelarts/schemas';
import { DEMO_FLAVORS, seedCreatePhysicalPoolRequest } from '../../simulator';
import { errorOf, referenceSignedHeaders, send } from './http';

const AK = 'AKCLITEST00000000001';
const SK = 'SKcliTestSecret00000000000000000000000000';

/** Starts `npx tsx bin/cli.ts sim ...` in its own process group and resolves with the printed URL once it is ready. */
function startCli(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn('npx', ['tsx', 'bin/cli.ts', 'sim', ...args], {
    cwd: process.cwd(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HUAWEICLOUD_SDK_AK: '', HUAWEICLOUD_SDK_SK: '' },
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1] && output.includes('Press Ctrl-C'))
        resolve({ child, url: match[1], output: () => output });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`sim exited with ${code}: ${output}`)));
  });
}

describe('npm run cli -- sim', () => {
  let cli: Awaited<ReturnType<typeof startCli>>;
  let pools: string;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-cli-'));
    const seedFile = join(dir, 'pool.json');
    await writeFile(seedFile, JSON.stringify(seedCreatePhysicalPoolRequest()));
    const flavorFile = join(dir, 'flavors.json');
    await writeFile(flavorFile, JSON.stringify({ [DEMO_FLAVORS.gpu]: { accelerators: 4 } }));
    cli = await startCli([
      '--port',
      '0',
      '--ak',
      AK,
      '--sk',
      SK,
      '--demo',
      '--provision-delay',
      '0',
      '--seed-pool',
      seedFile,
      '--flavor-resources',
      flavorFile,
    ]);
    pools = `${cli.url}/v2/6f5da086876d4cd084d36f8bd3346036/pools`;
  }, 90_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    if (cli.child.exitCode !== null || cli.child.pid === undefined) return;
    const exited = once(cli.child, 'exit');
    process.kill(-cli.child.pid, 'SIGINT');
    await exited;
  });

  it('prints the endpoint, the pool preloaded from --seed-pool and the demo pool', () => {
    expect(cli.output()).toContain(`endpoint: ${pools}`);
    expect(cli.output()).toContain('pool:     pool-ae01-6f5da086876d4cd084d36f8bd3346036');
    expect(cli.output()).toContain('pool:     pool-demo-6f5da086876d4cd084d36f8bd3346036');
  });

  it("accepts a request signed by Huawei's reference signer", async () => {
    const headers = referenceSignedHeaders({ method: 'GET', url: pools, headers: {}, ak: AK, sk: SK });
    const response = await send(pools, { headers });
    expect(response.status).toBe(200);
    const items = PoolListSchema.parse(response.json).items;
    expect(items.map((p) => p.metadata.labels?.['os.modelarts/name'])).toEqual(['pool-ae01', 'pool-demo']);
    const demo = items[1];
    expect(demo?.spec.resources.map((r) => r.flavor)).toEqual([DEMO_FLAVORS.gpu, DEMO_FLAVORS.npu]);
    expect(demo?.status.phase).toBe('Running');
  });

  it('rejects with 401 a reference-signed PATCH whose body was altered after signing', async () => {
    const url = `${pools}/pool-demo-6f5da086876d4cd084d36f8bd3346036`;
    const data = { metadata: { annotations: { 'os.modelarts/description': 'signed' } } };
    const headers = referenceSignedHeaders({
      method: 'PATCH',
      url,
      headers: { 'Content-Type': 'application/merge-patch+json' },
      data,
      ak: AK,
      sk: SK,
    });
    const altered = await send(url, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ ...data, spec: {} }),
    });
    expect(altered.status).toBe(401);
    expect(errorOf(altered).error_code).toBe('APIG.0301');
    const intact = await send(url, { method: 'PATCH', headers, body: JSON.stringify(data) });
    expect(intact.status).toBe(200);
  });

  it('rejects an unsigned request', async () => {
    expect((await send(pools)).status).toBe(401);
  });

  it('serves the nodes, the workloads and the signed control API, with the flavor resources given', async () => {
    const demo = `${pools}/pool-demo-6f5da086876d4cd084d36f8bd3346036`;
    const control = `${cli.url}/_sim/v2/6f5da086876d4cd084d36f8bd3346036/pools/pool-demo-6f5da086876d4cd084d36f8bd3346036/workloads`;
    expect(cli.output()).toContain(`control:  ${cli.url}/_sim/v2/`);
    const data = { flavor: DEMO_FLAVORS.gpu, accelerators: 4, jobName: 'from-cli' };
    const submitHeaders = referenceSignedHeaders({
      method: 'POST',
      url: control,
      headers: { 'Content-Type': 'application/json' },
      data,
      ak: AK,
      sk: SK,
    });
    const submitted = await send(control, {
      method: 'POST',
      headers: submitHeaders,
      body: JSON.stringify(data),
    });
    expect(submitted.status).toBe(200);
    expect(submitted.json).toMatchObject({ status: 'Running', jobName: 'from-cli' });

    const nodesUrl = `${demo}/nodes`;
    const nodes = await send(nodesUrl, {
      headers: referenceSignedHeaders({ method: 'GET', url: nodesUrl, headers: {}, ak: AK, sk: SK }),
    });
    const gpuNodes = (
      nodes.json as { items: { spec: { flavor: string }; status: Record<string, unknown> }[] }
    ).items
      .filter((node) => node.spec.flavor === DEMO_FLAVORS.gpu)
      .map((node) => node.status.availableResources);
    expect(gpuNodes).toContainEqual(expect.objectContaining({ 'nvidia.com/gpu': '0' }));
    const workloadsUrl = `${demo}/workloads`;
    const workloads = await send(workloadsUrl, {
      headers: referenceSignedHeaders({ method: 'GET', url: workloadsUrl, headers: {}, ak: AK, sk: SK }),
    });
    expect(workloads.status).toBe(200);
    expect(await send(control)).toMatchObject({ status: 401 });
  });
});

describe('sim credentials', () => {
  const env = { HUAWEICLOUD_SDK_AK: 'ENV-AK', HUAWEICLOUD_SDK_SK: 'ENV-SK' };

  it.each([
    ['flags win over the environment', { auth: true, ak: 'A', sk: 'S' }, env, { ak: 'A', sk: 'S' }],
    ['the environment is the default', { auth: true }, env, { ak: 'ENV-AK', sk: 'ENV-SK' }],
    ['--no-auth turns checks off', { auth: false, ak: 'A', sk: 'S' }, env, false],
    ['a token alone is enough', { auth: true, token: 'T' }, {}, false],
  ] as const)('%s', (_name, options, environment, expected) => {
    expect(simulatorCredentials(options, environment)).toEqual(expected);
  });

  it('refuses to start open by accident, or with half a key pair', () => {
    expect(() => simulatorCredentials({ auth: true }, {})).toThrow(/--no-auth/);
    expect(() => simulatorCredentials({ auth: true, ak: 'A' }, {})).toThrow(/both --ak and --sk/);
  });
});

describe('sim --flavor-resources', () => {
  it('reads a flavor file and names the field it refuses', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-flavors-'));
    try {
      const good = join(dir, 'good.json');
      await writeFile(
        good,
        JSON.stringify({ 'modelarts.vm.gpu.tnt004': { accelerators: 1, memory: '32Gi' } }),
      );
      expect(await readFlavorResources(good)).toEqual({
        'modelarts.vm.gpu.tnt004': { accelerators: 1, memory: '32Gi' },
      });
      const bad = join(dir, 'bad.json');
      await writeFile(bad, JSON.stringify({ 'modelarts.vm.gpu.tnt004': { gpus: 1 } }));
      await expect(readFlavorResources(bad)).rejects.toThrow(
        /bad\.json: invalid flavor resources: modelarts\.vm\.gpu\.tnt004\.gpus: unknown field/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
