/**
 * `pool-autoscaler local up` as an operator uses it: started in one shell, its environment used by the other
 * commands from another, stopped with Ctrl-C.
 */
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_FLAVORS } from '../../simulator/index';
import { runCli, startCli } from './run-cli';

let dir: string | undefined;

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** `export NAME=value` lines as a shell would read them. */
function exportsOf(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const match of text.matchAll(/^export (\w+)=(.*)$/gm)) {
    const value = match[2]!;
    env[match[1]!] = value.startsWith("'") ? value.slice(1, -1).replace(/'\\''/g, "'") : value;
  }
  return env;
}

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

describe('local up', () => {
  it('keeps the tables, the queue and its consumer and the simulator running until Ctrl-C, for the other commands', async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-session-'));
    const envFile = join(dir, 'session.env');
    const child = startCli(['local', 'up', '--write-env', envFile, '--sweep', '0', '--provision-delay', '0']);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit');
    try {
      const text = await until(
        'the environment file',
        async () => {
          if (child.exitCode !== null) throw new Error(`local up exited ${child.exitCode}: ${stderr}`);
          return readFile(envFile, 'utf8').catch(() => undefined);
        },
        120_000,
      );
      // The file holds what stdout printed: paste the lines, or source the file.
      expect(stdout).toContain(text);
      expect(stderr).toContain('Ready. Ctrl-C stops everything.');
      const env = exportsOf(text);
      expect(Object.keys(env)).toEqual(
        expect.arrayContaining([
          'DYNAMODB_ENDPOINT',
          'MODELARTS_ENDPOINT',
          'POLICIES_TABLE',
          'QUEUE_URL',
          'SQS_ENDPOINT',
        ]),
      );

      const list = await runCli(['policy', 'list', '-o', 'json'], env);
      expect(list.code).toBe(0);
      const [policy] = JSON.parse(list.stdout) as Array<{ pool: string; version: number }>;
      const pool = policy!.pool;
      expect(policy).toMatchObject({ pool: expect.stringMatching(/^pool-demo-[0-9a-f]{32}$/), version: 1 });

      // A snapshot through the queue: the session's consumer applies it and evaluates the pool, as in AWS.
      const sent = await runCli(
        ['depth', 'set', '--pool', pool, '--flavor', DEMO_FLAVORS.gpu, '--pending', '32'],
        env,
      );
      expect(sent.code).toBe(0);
      await until('the consumer to apply the snapshot', async () => {
        const depth = await runCli(['depth', 'get', pool, '-o', 'json'], env);
        const rows = JSON.parse(depth.stdout) as Array<{ flavor: string; pendingUnits: number }>;
        return rows.find((row) => row.flavor === DEMO_FLAVORS.gpu && row.pendingUnits === 32);
      });
      const scaled = await until('the event-driven evaluation', async () => {
        const activities = await runCli(['activities', '--pool', pool, '-o', 'json'], env);
        const records = JSON.parse(activities.stdout) as Array<{
          flavor: string;
          status: string;
          reason: string;
        }>;
        return records.find((record) => record.flavor === DEMO_FLAVORS.gpu && record.status === 'Successful');
      });
      expect(scaled.reason).toBe('demand 32 units (32 pending + 0 running) / 8 per node → 4 nodes');

      const [show, evaluated] = await Promise.all([
        runCli(['pool', 'show', '--pool', pool], env),
        runCli(['evaluate', '--pool', pool, '--dry-run', '-o', 'json'], env),
      ]);
      expect(show.code).toBe(0);
      expect(show.stdout).toMatch(
        new RegExp(`^${pool}\\t${DEMO_FLAVORS.gpu.replace(/\./g, '\\.')}\\t4\\t`, 'm'),
      );
      expect(evaluated.code).toBe(0);
      expect(JSON.parse(evaluated.stdout)).toMatchObject({
        pool,
        status: expect.stringMatching(/^(NoChange|DryRun)$/),
      });

      child.kill('SIGINT');
      const [code] = await exited;
      expect(code).toBe(0);
      expect(stderr).toContain('stopping the local session');
      await expect(stat(envFile)).rejects.toThrow();
      const dynamoDb = new DynamoDBClient({
        endpoint: env.DYNAMODB_ENDPOINT!,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
      });
      await expect(dynamoDb.send(new ListTablesCommand({}))).rejects.toThrow();
      dynamoDb.destroy();
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  }, 240_000);
});
