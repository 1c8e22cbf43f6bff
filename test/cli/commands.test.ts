/**
 * The table commands (`policy`, `activities`, `evaluate`) run as a user runs them: the bin in a child process,
 * its output a pipe (so TSV unless -o says otherwise), against DynamoDB Local and the ModelArts simulator.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTables } from '../../functions/shared/store/create-tables';
import { createDocumentClient } from '../../functions/shared/store/document-client';
import { ActivityRepository } from '../../functions/shared/store/activity-repository';
import { DepthRepository } from '../../functions/shared/store/depth-repository';
import { ScalerStateRepository } from '../../functions/shared/store/scaler-state-repository';
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
// The simulator below accepts any credentials; the ModelArts client still needs some.
const ENV = { HUAWEICLOUD_SDK_TOKEN: 'local-token' };
const cli = (args: string[], input?: string) => runCli(args, ENV, input === undefined ? {} : { input });

let simulator: ModelArtsSimulator;
let client: DynamoDBClient;
const store = () => ({ doc: createDocumentClient(client), tables: tableNamesWithPrefix(prefix) });
let pool: string;
/** A pool at its policy's maxCount for the GPU flavor. */
let fullPool: string;
let dir: string;
let policyFile: string;
let demo: Record<string, unknown>;

function tsv(text: string): string[][] {
  return text
    .replace(/\n+$/, '')
    .split('\n')
    .map((line) => line.split('\t'));
}

async function snapshot(target: string, flavor: string, pendingUnits: number, ageSeconds = 0): Promise<void> {
  const at = Date.now() - ageSeconds * 1000;
  await new DepthRepository(store(), { jobRetentionDays: 1 }).applySnapshot(
    {
      type: 'depth.snapshot',
      pool: target,
      flavor,
      pendingUnits,
      runningUnits: 0,
      at: new Date(at).toISOString(),
    },
    at,
  );
}

beforeAll(async () => {
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
  const full = demoPool();
  full.metadata!.labels!['os.modelarts/name'] = 'pool-full';
  full.spec.resources[0] = {
    ...full.spec.resources[0]!,
    count: 16,
    maxCount: 16,
    azs: [
      { az: 'cn-north-4a', count: 8 },
      { az: 'cn-north-4b', count: 8 },
    ],
  };
  fullPool = simulator.seedPool(full).metadata.name;
  // 32 GPU units waiting: the engine wants 4 GPU nodes where the pool has 2.
  await snapshot(pool, DEMO_FLAVORS.gpu, 32);
  dir = await mkdtemp(join(tmpdir(), 'cli-test-'));
  demo = JSON.parse(await readFile('local/demo-policy.json', 'utf8')) as Record<string, unknown>;
  policyFile = join(dir, 'policy.json');
  await writeFile(policyFile, JSON.stringify({ ...demo, pool, projectId: simulator.projectId }));
});

afterAll(async () => {
  await simulator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('policy validate', () => {
  it('accepts the shipped examples, which point editors at the JSON Schema with "$schema"', async () => {
    const result = await cli([
      'policy',
      'validate',
      'examples/policy.json',
      'examples/traces/steady.policy.json',
    ]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(
      /^valid: pool pool-ae01-\w+, 1 flavor \(modelarts\.vm\.gpu\.8v100\) {2}examples\/policy\.json$/m,
    );
    expect(result.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('names every bad field of a broken policy, with the floor of minCount and the field a typo meant (exit 1)', async () => {
    const broken = join(dir, 'broken.json');
    await writeFile(
      broken,
      JSON.stringify({
        pool: 'p',
        cooldownSecond: 30,
        flavors: { [DEMO_FLAVORS.gpu]: { minCount: -1, maxcount: 4, unitsPerNode: 8 } },
      }),
    );
    const result = await cli(['policy', 'validate', broken]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      [
        `error: ${broken}: invalid policy:`,
        `  flavors.${DEMO_FLAVORS.gpu}.minCount: must be at least 1 (0 only with allowZero: true)`,
        `  flavors.${DEMO_FLAVORS.gpu}.maxCount: is required`,
        `  flavors.${DEMO_FLAVORS.gpu}.maxcount: unknown field (did you mean maxCount?)`,
        '  cooldownSecond: unknown field (did you mean cooldownSeconds?)',
        '',
      ].join('\n'),
    );
  });

  it("reads standard input for '-', and places a JSON syntax error by line and column", async () => {
    const good = await cli(['policy', 'validate', '-'], JSON.stringify({ ...demo, pool }));
    expect(good).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(new RegExp(`^valid: pool ${pool}, 2 flavors`)),
    });
    const bad = await cli(['policy', 'validate', '-'], '{\n  "pool": "p",\n  "flavors": {,}\n}\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      "error: standard input: not valid JSON: line 3, column 15: expected a property name in double quotes, found ','\n",
    );
  });
});

describe('policy put, get, list, pause, resume, delete against DynamoDB Local', () => {
  it('writes version 1, refuses a stale write with exit 3, and round-trips through get with ISO times', async () => {
    const put = await cli(['policy', 'put', policyFile, ...tableArgs]);
    expect(put).toMatchObject({ code: 0, stdout: `policy for pool ${pool} written at version 1\n` });

    const stale = await cli(['policy', 'put', policyFile, '--expected-version', '0', ...tableArgs]);
    expect(stale.code).toBe(3);
    expect(stale.stderr).toContain(`policy for pool ${pool} already exists`);

    // A policy is a document to edit: JSON even through a pipe.
    const get = await cli(['policy', 'get', '--pool', pool, ...tableArgs]);
    expect(get.code).toBe(0);
    const item = JSON.parse(get.stdout) as Record<string, unknown>;
    expect(item).toMatchObject({ pool, version: 1, enabled: true });
    expect(item.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    // The printed item (with its version) is a valid input for the next put: an edit based on version 1.
    const edited = join(dir, 'edited.json');
    await writeFile(edited, JSON.stringify({ ...item, cooldownSeconds: 30 }));
    const first = await cli(['policy', 'put', edited, ...tableArgs]);
    const second = await cli(['policy', 'put', edited, ...tableArgs]);
    expect(first).toMatchObject({ code: 0, stdout: `policy for pool ${pool} written at version 2\n` });
    expect(second.code).toBe(3);
    expect(second.stderr).toContain('is no longer at version 1');
    // The pool as the first argument still works.
    expect(JSON.parse((await cli(['policy', 'get', pool, ...tableArgs])).stdout)).toMatchObject({
      version: 2,
    });
  });

  it('pauses once however often it is asked, shown by list as TSV with a header and as a JSON array', async () => {
    const pause = await cli(['policy', 'pause', '--pool', pool, ...tableArgs]);
    const again = await cli(['policy', 'pause', pool, ...tableArgs]);
    const json = await cli(['policy', 'pause', pool, '-o', 'json', ...tableArgs]);
    expect(pause).toMatchObject({ code: 0, stdout: `pool ${pool} paused (version 3)\n` });
    expect(again).toMatchObject({ code: 0, stdout: `pool ${pool} already paused (version 3)\n` });
    expect(JSON.parse(json.stdout)).toEqual({ pool, enabled: false, changed: false, version: 3 });
    const [listed, plain] = await Promise.all([
      cli(['policy', 'list', '-o', 'json', ...tableArgs]),
      cli(['policy', 'list', ...tableArgs]),
    ]);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ pool, enabled: false, version: 3 }),
    ]);
    const rows = tsv(plain.stdout);
    expect(rows[0]).toEqual(['pool', 'state', 'mode', 'flavors (min..max)', 'version', 'updated']);
    expect(rows[1]?.slice(0, 3)).toEqual([pool, 'paused', 'live']);
    expect(rows[1]?.[5]).toMatch(/^\d{4}-\d\d-\d\dT/);
    const resume = await cli(['policy', 'resume', pool, ...tableArgs]);
    expect(resume).toMatchObject({ code: 0, stdout: `pool ${pool} resumed (version 4)\n` });
  });
});

describe('policy apply', () => {
  it('shows what differs field by field, writes only with no --dry-run, and leaves unchanged policies alone', async () => {
    const policies = join(dir, 'policies');
    await mkdir(policies);
    const stored = JSON.parse((await cli(['policy', 'get', pool, ...tableArgs])).stdout) as Record<
      string,
      unknown
    >;
    const { version: _version, updatedAt: _updatedAt, cooldownSeconds: _cooldown, ...current } = stored;
    const flavors = current.flavors as Record<string, Record<string, unknown>>;
    // Changes are listed in the order of the file applied.
    await writeFile(
      join(policies, 'a.json'),
      JSON.stringify({
        $schema: '../policy.schema.json',
        cooldownSeconds: 45,
        ...current,
        flavors: { ...flavors, [DEMO_FLAVORS.gpu]: { ...flavors[DEMO_FLAVORS.gpu], maxCount: 24 } },
      }),
    );
    await writeFile(
      join(policies, 'b.json'),
      JSON.stringify({ ...demo, pool: fullPool, projectId: simulator.projectId }),
    );
    await writeFile(join(policies, 'policy.schema.json'), '{}');

    const dryRun = await cli(['policy', 'apply', policies, '--dry-run', '-o', 'table', ...tableArgs]);
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toContain(
      `policy ${pool} would be configured (version 5)  ${join(policies, 'a.json')}`,
    );
    expect(dryRun.stdout).toContain('    ~ cooldownSeconds: 30 → 45');
    expect(dryRun.stdout).toContain(`    ~ flavors.${DEMO_FLAVORS.gpu}.maxCount: 16 → 24`);
    expect(dryRun.stdout).toContain(`policy ${fullPool} would be created (version 1)`);
    expect((await cli(['policy', 'get', fullPool, ...tableArgs])).code).toBe(4);

    const applied = await cli(['policy', 'apply', policies, ...tableArgs]);
    expect(applied.code).toBe(0);
    expect(tsv(applied.stdout)).toEqual([
      ['file', 'pool', 'action', 'version', 'change'],
      [join(policies, 'a.json'), pool, 'configured', '5', '~ cooldownSeconds: 30 → 45'],
      [join(policies, 'a.json'), pool, 'configured', '5', `~ flavors.${DEMO_FLAVORS.gpu}.maxCount: 16 → 24`],
      [join(policies, 'b.json'), fullPool, 'created', '1', ''],
    ]);
    const again = await cli(['policy', 'apply', policies, '-o', 'json', ...tableArgs]);
    expect(
      (JSON.parse(again.stdout) as Array<{ action: string; version: number }>).map((r) => [
        r.action,
        r.version,
      ]),
    ).toEqual([
      ['unchanged', 5],
      ['unchanged', 1],
    ]);
    // What is stored carries no "$schema": it only points an editor at the schema.
    expect(JSON.parse((await cli(['policy', 'get', pool, ...tableArgs])).stdout)).not.toHaveProperty(
      '$schema',
    );
  });

  it('writes nothing when any file is bad, and says what is wrong with each', async () => {
    const policies = join(dir, 'bad-policies');
    await mkdir(policies);
    await writeFile(join(policies, 'good.json'), JSON.stringify({ ...demo, pool, cooldownSeconds: 5 }));
    await writeFile(join(policies, 'typo.json'), JSON.stringify({ pool: 'p', flavor: {} }));
    const result = await cli(['policy', 'apply', policies, ...tableArgs]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('nothing was written');
    expect(result.stderr).toContain(`${join(policies, 'typo.json')}: invalid policy:`);
    expect(result.stderr).toContain('flavor: unknown field (did you mean flavors?)');
    expect(JSON.parse((await cli(['policy', 'get', pool, ...tableArgs])).stdout)).toMatchObject({
      version: 5,
    });
  });
});

/** `evaluate --dry-run` of a pool against the simulator. */
function evaluateDryRun(target: string, ...more: string[]) {
  return cli(['evaluate', '--pool', target, '--dry-run', '--endpoint', simulator.url, ...more, ...tableArgs]);
}

describe('evaluate and activities', () => {
  it('explains a dry-run decision with its reason trail, sends no PATCH, and records it as an activity', async () => {
    const result = await evaluateDryRun(pool, '-o', 'table');
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
    expect(result.stdout).toMatch(/ {4}decided by: demand 32 units/);
    expect(result.stdout).toMatch(/ {4}- demand 32 units/);
    expect(result.stdout).toContain('PATCH not sent:');
    expect(simulator.requestLog.filter((entry) => entry.method === 'PATCH')).toEqual([]);

    const [json, plain] = await Promise.all([
      cli(['activities', '--pool', pool, '-o', 'json', ...tableArgs]),
      cli(['activities', '--pool', pool, '--since', '1h', ...tableArgs]),
    ]);
    const records = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(records).toContainEqual(
      expect.objectContaining({
        pool,
        flavor: DEMO_FLAVORS.gpu,
        status: 'DryRun',
        after: expect.objectContaining({ count: 4 }),
        reason: 'demand 32 units (32 pending + 0 running) / 8 per node → 4 nodes',
      }),
    );
    expect(records.every((record) => !('sk' in record))).toBe(true);
    const rows = tsv(plain.stdout);
    expect(rows[0]).toEqual(['at', 'pool', 'flavor', 'status', 'nodes', 'demand', 'reason']);
    expect(rows.find((row) => row[2] === DEMO_FLAVORS.gpu)?.slice(1)).toEqual([
      pool,
      DEMO_FLAVORS.gpu,
      'DryRun',
      '2 (cn-north-4a:1 cn-north-4b:1) → 4 (cn-north-4a:2 cn-north-4b:2)',
      '32',
      'demand 32 units (32 pending + 0 running) / 8 per node → 4 nodes',
    ]);
  });

  it('shows the rule that decided, not the no-op summary: a clamp to maxCount, a hold on stale depth', async () => {
    await snapshot(fullPool, DEMO_FLAVORS.gpu, 200);
    await snapshot(fullPool, DEMO_FLAVORS.npu, 0, 20_000);
    const evaluated = await evaluateDryRun(fullPool);
    expect(evaluated.code).toBe(0);
    const decided = tsv(evaluated.stdout);
    expect(decided[0]).toEqual([
      'pool',
      'status',
      'flavor',
      'outcome',
      'before',
      'after',
      'desired',
      'demand',
      'reason',
    ]);
    const activities = tsv((await cli(['activities', '--pool', fullPool, ...tableArgs])).stdout);
    for (const rows of [decided, activities]) {
      const reasonOf = (flavor: string) => rows.find((row) => row.includes(flavor))?.at(-1);
      expect(reasonOf(DEMO_FLAVORS.gpu)).toBe('clamped to maxCount 16');
      expect(reasonOf(DEMO_FLAVORS.npu)).toMatch(
        /^depth is 2000\d s old \(staleAfterSeconds 600\): holding, no scale-down$/,
      );
    }
  });

  it('says when there is nothing: "No activities found" on stderr, the header alone on stdout, [] in JSON', async () => {
    const [plain, json] = await Promise.all([
      cli(['activities', '--pool', `pool-none-${simulator.projectId}`, ...tableArgs]),
      cli(['activities', '--pool', `pool-none-${simulator.projectId}`, '--json', ...tableArgs]),
    ]);
    expect(plain).toMatchObject({
      code: 0,
      stdout: 'at\tpool\tflavor\tstatus\tnodes\tdemand\treason\n',
      stderr: 'No activities found\n',
    });
    expect(json).toMatchObject({ code: 0, stdout: '[]\n', stderr: '' });
  });

  it('refuses a --limit it cannot serve in one plain line, not a validation dump', async () => {
    const result = await cli(['activities', '--limit', '99999999999', ...tableArgs]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "error: --limit: at most 10000 activities are read at once (use --since to go further back)\n(see 'pool-autoscaler activities --help')\n",
    );
  });

  it('a failed dry run records its failure but leaves the pool out of failure back-off; a real one backs off', async () => {
    const missing = `pool-gone-${simulator.projectId}`;
    await writeFile(
      join(dir, 'gone.json'),
      JSON.stringify({ ...demo, pool: missing, projectId: simulator.projectId }),
    );
    expect((await cli(['policy', 'put', join(dir, 'gone.json'), ...tableArgs])).code).toBe(0);
    const states = new ScalerStateRepository(store());

    const dryRun = await evaluateDryRun(missing);
    expect(dryRun.code).toBe(1);
    expect(dryRun.stderr).toContain('evaluation ended Failed');
    expect(await states.get(missing)).toMatchObject({ failures: 0, backoffUntil: 0 });

    const real = await cli(['evaluate', '--pool', missing, '--endpoint', simulator.url, ...tableArgs]);
    expect(real.code).toBe(1);
    expect((await states.get(missing)).failures).toBe(1);
  });

  it('exits 4 for a pool without a policy, and after delete', async () => {
    const del = await cli(['policy', 'delete', '--pool', pool, ...tableArgs]);
    expect(del).toMatchObject({ code: 0, stdout: `policy for pool ${pool} deleted\n` });
    const [get, evaluate] = await Promise.all([
      cli(['policy', 'get', pool, ...tableArgs]),
      evaluateDryRun(pool),
    ]);
    expect(get).toMatchObject({ code: 4, stderr: `error: no policy for pool ${pool}\n` });
    expect(evaluate.code).toBe(4);
  });

  it('activities --follow prints what is recorded, one JSON object per line, until SIGINT', async () => {
    const following = runCliInProcess([
      'activities',
      '--follow',
      '--json',
      '--interval',
      '0.2',
      ...tableArgs,
    ]);
    let done = false;
    void following.finally(() => (done = true));
    await new ActivityRepository(store(), { retentionDays: 1 }).put([
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
    // Printed in the first read or a later one; then Ctrl-C, repeated until the command has its handler.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    while (!done) {
      process.emit('SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
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
