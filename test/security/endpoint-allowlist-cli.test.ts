import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { ENV } from '../../functions/shared/config';
import { createTables } from '../../functions/shared/store/create-tables';
import { tableNamesWithPrefix } from '../../functions/shared/store/tables';
import { runCli, runCliInProcess } from '../cli/run-cli';

const endpoint = inject('dynamoDbEndpoint');
const prefix = `cli-allow-${randomUUID().slice(0, 8)}-`;
const tableArgs = ['--table-prefix', prefix, '--endpoint-url', endpoint];
let dir: string;

beforeAll(async () => {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await createTables(client, tableNamesWithPrefix(prefix));
  client.destroy();
  dir = await mkdtemp(join(tmpdir(), 'cli-allowlist-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

/** A policy file for `pool` aimed at `target`. */
async function policyFile(pool: string, target: string): Promise<string> {
  const file = join(dir, `${pool}.json`);
  await writeFile(
    file,
    JSON.stringify({
      pool,
      projectId: 'p1',
      endpoint: target,
      flavors: { 'modelarts.vm.gpu.8v100': { maxCount: 4 } },
    }),
  );
  return file;
}

describe('policy validate', () => {
  it.each([
    ['https://169.254.169.254', [], 'names the IP address 169.254.169.254 (link-local)'],
    ['http://127.0.0.1:9001', [], 'names the loopback host 127.0.0.1'],
    ['https://10.0.0.1', ['--allow-loopback'], 'names the IP address 10.0.0.1 (private)'],
    ['https://modelarts.example.com', [], 'host modelarts.example.com is not in the endpoint allowlist'],
    [
      'https://modelarts.cn-north-4.myhuaweicloud.com',
      ['--endpoint-hosts', 'modelarts.*.example.com'],
      'host modelarts.cn-north-4.myhuaweicloud.com is not in the endpoint allowlist (modelarts.*.example.com)',
    ],
  ])('refuses %s %j with exit 1, naming the endpoint field', async (target, flags, reason) => {
    const result = await runCliInProcess(['policy', 'validate', await policyFile('p', target), ...flags]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: \S+\.json: invalid policy: endpoint: /);
    expect(result.stderr).toContain(reason);
  });

  it.each([
    ['https://modelarts.cn-north-4.myhuaweicloud.com', []],
    ['https://modelarts.ap-southeast-1.myhuaweicloud.cn', []],
    ['http://127.0.0.1:9001', ['--allow-loopback']],
    [
      'https://modelarts.example.com',
      ['--endpoint-hosts', 'modelarts.example.com,modelarts.*.myhuaweicloud.com'],
    ],
  ])('accepts %s %j', async (target, flags) => {
    const result = await runCliInProcess(['policy', 'validate', await policyFile('p', target), ...flags]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^valid: pool p, 1 flavor/);
  });

  it('reads the allowlist from the variables the Lambdas read', async () => {
    const loopback = await policyFile('p', 'http://127.0.0.1:9001');
    const custom = await policyFile('q', 'https://modelarts.example.com');
    vi.stubEnv(ENV.modelArtsAllowLoopback, 'true');
    vi.stubEnv(ENV.modelArtsEndpointHosts, 'modelarts.example.com');
    expect((await runCliInProcess(['policy', 'validate', loopback])).code).toBe(0);
    expect((await runCliInProcess(['policy', 'validate', custom])).code).toBe(0);
    // A flag narrows what the environment allows.
    const narrowed = await runCliInProcess([
      'policy',
      'validate',
      custom,
      '--endpoint-hosts',
      'modelarts.*.myhuaweicloud.com',
    ]);
    expect(narrowed.code).toBe(1);
  });

  it('names a bad pattern in the flag or in the environment', async () => {
    const file = await policyFile('p', 'https://modelarts.cn-north-4.myhuaweicloud.com');
    const flag = await runCliInProcess(['policy', 'validate', file, '--endpoint-hosts', '*.com']);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain("option '--endpoint-hosts <patterns>' argument '*.com' is invalid");
    expect(flag.stderr).toContain('host pattern "*.com" the last two labels must be fixed');
    vi.stubEnv(ENV.modelArtsEndpointHosts, '169.254.169.254');
    const env = await runCliInProcess(['policy', 'validate', file]);
    expect(env).toMatchObject({ code: 1, stdout: '' });
    expect(env.stderr).toBe(
      'error: environment variable MODELARTS_ENDPOINT_HOSTS: host pattern "169.254.169.254" must be a DNS name, not an IP address\n',
    );
  });

  it('behaves the same in the installed binary', async () => {
    const file = await policyFile('p', 'http://127.0.0.1:2773');
    const [refused, allowed] = await Promise.all([
      runCli(['policy', 'validate', file]),
      runCli(['policy', 'validate', file], { [ENV.modelArtsAllowLoopback]: 'true' }),
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('.json: invalid policy: endpoint: names the loopback host 127.0.0.1');
    expect(allowed.code).toBe(0);
  });
});

describe('policy put', () => {
  it('writes nothing for a policy outside the allowlist', async () => {
    const pool = `pool-${randomUUID().slice(0, 8)}`;
    const put = await runCliInProcess([
      'policy',
      'put',
      await policyFile(pool, 'https://169.254.169.254'),
      ...tableArgs,
    ]);
    expect(put.code).toBe(1);
    expect(put.stderr).toContain('.json: invalid policy: endpoint: names the IP address 169.254.169.254');
    const get = await runCliInProcess(['policy', 'get', pool, ...tableArgs]);
    expect(get.code).toBe(4);
  });

  it('writes a policy the allowlist admits, from the flags or the environment', async () => {
    const pool = `pool-${randomUUID().slice(0, 8)}`;
    const file = await policyFile(pool, 'https://modelarts.example.com');
    const refused = await runCliInProcess(['policy', 'put', file, ...tableArgs]);
    expect(refused.code).toBe(1);
    const put = await runCliInProcess([
      'policy',
      'put',
      file,
      '--endpoint-hosts',
      'modelarts.example.com',
      ...tableArgs,
    ]);
    expect(put).toMatchObject({ code: 0, stdout: `policy for pool ${pool} written at version 1\n` });

    const local = `pool-${randomUUID().slice(0, 8)}`;
    vi.stubEnv(ENV.modelArtsAllowLoopback, 'true');
    const loopback = await runCliInProcess([
      'policy',
      'put',
      await policyFile(local, 'http://127.0.0.1:8080'),
      ...tableArgs,
    ]);
    expect(loopback).toMatchObject({ code: 0, stdout: `policy for pool ${local} written at version 1\n` });
  });
});
