import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTables } from '../../functions/shared/store/create-tables';
import { createDocumentClient } from '../../functions/shared/store/document-client';
import { ActivityRepository } from '../../functions/shared/store/activity-repository';
import { DepthRepository } from '../../functions/shared/store/depth-repository';
import { tableNamesWithPrefix } from '../../functions/shared/store/tables';
import {
  DEMO_FLAVORS,
  type ModelArtsSimulator,
  demoPool,
  startModelArtsSimulator,
} from '../../simulator/index';
import { runCli, runCliInProcess } from './run-cli';

const endpoint = inject('dynamoDbEndpoint');
const prefix = `cli-${randomUUID().slice(0, 8)}-`;
const tableArgs = ['--table-prefix', prefix, '--endpoint-url', endpoint];

let simulator: ModelArtsSimulator;
let client: DynamoDBClient;
const store = () => ({ doc: createDocumentClient(client), tables: tableNamesWithPrefix(prefix) });
let pool: string;
let dir: string;
let policyFile: string;

beforeAll(async () => {
  // The simulator below accepts any credentials; the ModelArts client still needs some.
  process.env.HUAWEICLOUD_SDK_TOKEN = 'local-token';
  client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await createTables(client, tableNamesWithPrefix(prefix));
  simulator = await startModelArtsSimulator({
    port: 0,
    host: '127.0.0.1',
    auth: false,
    provisioningDelayMs: 60_000,
  });
  pool = simulator.seedPool(demoPool()).metadata.name;
  // 32 GPU units waiting: the engine wants 4 GPU nodes where the pool has 2.
  await new DepthRepository(store(), { jobRetentionDays: 1 }).applySnapshot(
    {
      type: 'depth.snapshot',
      pool,
      flavor: DEMO_FLAVORS.gpu,
      pendingUnits: 32,
      runningUnits: 0,
      at: new Date().toISOString(),
    },
    Date.now(),
  );
  dir = await mkdtemp(join(tmpdir(), 'cli-test-'));
  const demo = JSON.parse(await readFile('local/demo-policy.json', 'utf8')) as Record<string, unknown>;
  policyFile = join(dir, 'policy.json');
  await writeFile(policyFile, JSON.stringify({ ...demo, pool, projectId: simulator.projectId }));
});

afterAll(async () => {
  await simulator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('policy validate', () => {
  it('accepts a valid policy and names the first bad field of a broken one (exit 1)', async () => {
    const broken = join(dir, 'broken.json');
    await writeFile(
      broken,
      JSON.stringify({
        pool: 'p',
        flavors: { 'modelarts.vm.gpu.8v100': { minCount: 2, maxCount: 1, unitsPerNode: 8 } },
      }),
    );
    const [good, bad] = await Promise.all([
      runCli(['policy', 'validate', policyFile]),
      runCli(['policy', 'validate', broken]),
    ]);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(new RegExp(`^valid: pool ${pool}, 2 flavors`));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: invalid policy: flavors\.modelarts\.vm\.gpu\.8v100\.\w+: /);
  });
});

describe('policy put, get, list, pause, resume, delete against DynamoDB Local', () => {
  it('writes version 1, refuses a stale write with exit 3, and round-trips through get', async () => {
    const put = await runCliInProcess(['policy', 'put', policyFile, ...tableArgs]);
    expect(put).toMatchObject({ code: 0, stdout: `policy for pool ${pool} written at version 1\n` });

    const stale = await runCliInProcess([
      'policy',
      'put',
      policyFile,
      '--expected-version',
      '0',
      ...tableArgs,
    ]);
    expect(stale.code).toBe(3);
    expect(stale.stderr).toContain(`policy for pool ${pool} already exists`);

    const get = await runCliInProcess(['policy', 'get', pool, ...tableArgs]);
    expect(get.code).toBe(0);
    const item = JSON.parse(get.stdout) as Record<string, unknown>;
    expect(item).toMatchObject({ pool, version: 1, enabled: true });

    // The printed item (with its version) is a valid input for the next put: an edit based on version 1.
    const edited = join(dir, 'edited.json');
    await writeFile(edited, JSON.stringify({ ...item, cooldownSeconds: 30 }));
    const first = await runCliInProcess(['policy', 'put', edited, ...tableArgs]);
    const second = await runCliInProcess(['policy', 'put', edited, ...tableArgs]);
    expect(first).toMatchObject({ code: 0, stdout: `policy for pool ${pool} written at version 2\n` });
    expect(second.code).toBe(3);
    expect(second.stderr).toContain('is no longer at version 1');
  });

  it('pauses and resumes a pool, shown by list as JSON lines and as plain rows', async () => {
    const pause = await runCliInProcess(['policy', 'pause', pool, ...tableArgs]);
    expect(pause).toMatchObject({ code: 0, stdout: `pool ${pool} paused (version 3)\n` });
    const json = await runCliInProcess(['policy', 'list', '--json', ...tableArgs]);
    const plain = await runCliInProcess(['policy', 'list', ...tableArgs]);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([expect.objectContaining({ pool, enabled: false, version: 3 })]);
    const rows = plain.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t'));
    expect(rows[0]).toEqual(['pool', 'state', 'mode', 'flavors (min..max)', 'version', 'updated']);
    expect(rows[1]?.slice(0, 3)).toEqual([pool, 'paused', 'live']);
    const resume = await runCliInProcess(['policy', 'resume', pool, ...tableArgs]);
    expect(resume).toMatchObject({ code: 0, stdout: `pool ${pool} resumed (version 4)\n` });
  });
});

/** `evaluate --dry-run` of the seeded pool against the simulator. */
function evaluateDryRun() {
  return runCliInProcess([
    'evaluate',
    '--pool',
    pool,
    '--dry-run',
    '--modelarts-endpoint',
    simulator.url,
    ...tableArgs,
  ]);
}

describe('evaluate and activities', () => {
  it('explains a dry-run decision with its reason trail, sends no PATCH, and records it as an activity', async () => {
    const result = await evaluateDryRun();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    // Jobs are queued, so the decision reads the nodes and running workloads too: GET, two listings.
    expect(lines[0]).toMatch(
      new RegExp(`^pool ${pool}: DryRun \\(engine action: dry-run\\), 3 ModelArts request\\(s\\), dry run$`),
    );
    expect(result.stdout).toContain(
      `${DEMO_FLAVORS.gpu}: 2 (cn-north-4a:1 cn-north-4b:1) → 4 (cn-north-4a:2 cn-north-4b:2)  [scale]`,
    );
    expect(result.stdout).toMatch(/ {4}- demand 32 units/);
    expect(result.stdout).toContain('PATCH not sent:');
    expect(simulator.requestLog.filter((entry) => entry.method === 'PATCH')).toEqual([]);

    const json = await runCliInProcess(['activities', '--pool', pool, '--json', ...tableArgs]);
    const plain = await runCliInProcess(['activities', '--pool', pool, '--since', '1h', ...tableArgs]);
    expect(json.code).toBe(0);
    const records = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toContainEqual(
      expect.objectContaining({
        pool,
        flavor: DEMO_FLAVORS.gpu,
        status: 'DryRun',
        after: expect.objectContaining({ count: 4 }),
      }),
    );
    expect(records.every((record) => !('sk' in record))).toBe(true);
    const gpuRow = plain.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t'))
      .find((row) => row[2] === DEMO_FLAVORS.gpu);
    expect(gpuRow?.slice(1, 6)).toEqual([
      pool,
      DEMO_FLAVORS.gpu,
      'DryRun',
      '2 (cn-north-4a:1 cn-north-4b:1) → 4 (cn-north-4a:2 cn-north-4b:2)',
      '32',
    ]);
  });

  it('exits 4 for a pool without a policy, and after delete', async () => {
    const del = await runCliInProcess(['policy', 'delete', pool, ...tableArgs]);
    expect(del).toMatchObject({ code: 0, stdout: `policy for pool ${pool} deleted\n` });
    const get = await runCliInProcess(['policy', 'get', pool, ...tableArgs]);
    const evaluate = await evaluateDryRun();
    expect(get).toMatchObject({ code: 4, stderr: `error: no policy for pool ${pool}\n` });
    expect(evaluate.code).toBe(4);
  });

  it('prints help for every command', async () => {
    for (const command of [['policy', 'put'], ['activities'], ['evaluate']]) {
      const help = await runCliInProcess([...command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('--table-prefix <prefix>');
    }
  });

  it('activities --follow prints activities recorded after it started, until SIGINT', async () => {
    const following = runCliInProcess([
      'activities',
      '--follow',
      '--json',
      '--interval',
      '0.2',
      ...tableArgs,
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const activities = new ActivityRepository(store(), { retentionDays: 1 });
    await activities.put([
      {
        pool: 'pool-followed',
        id: randomUUID(),
        at: new Date().toISOString(),
        flavor: '*',
        status: 'Skipped',
        reasons: ['policy disabled (enabled: false): nothing is changed'],
        latencyMs: 3,
        correlationId: 'c-follow',
      },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 800));
    process.emit('SIGINT');
    const result = await following;
    expect(result.code).toBe(0);
    const followed = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((record) => record.pool === 'pool-followed');
    expect(followed).toEqual([expect.objectContaining({ status: 'Skipped', correlationId: 'c-follow' })]);
  });
});
