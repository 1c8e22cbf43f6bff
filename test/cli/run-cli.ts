import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const ROOT = new URL('../../', import.meta.url).pathname;

/** The package's bin, as `npx pool-autoscaler` runs it. */
export const BIN = 'bin/pool-autoscaler.mjs';

export interface RunOptions {
  /** Written to the command's standard input, which is then closed (else it is empty and closed at once). */
  input?: string;
  timeoutMs?: number;
}

/**
 * The environment of a child command: this one's, without NO_COLOR and without the AWS SDK's switch for its Node
 * version warning, so a test sees what a user's shell shows; `env` adds to it.
 */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const {
    NO_COLOR: _noColor,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _warning,
    ...rest
  } = process.env;
  return { ...rest, ...env };
}

function collect(child: ChildProcess, timeoutMs: number): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/**
 * Runs an entry point of `bin/` in a child process as a user would: stdout and stderr are pipes (not a terminal),
 * stdin is a pipe too.
 */
export function runEntry(
  entry: string,
  args: readonly string[],
  env: Record<string, string> = {},
  options: RunOptions | number = {},
): Promise<CliResult> {
  const { input, timeoutMs } =
    typeof options === 'number' ? { input: undefined, timeoutMs: options } : options;
  const command = entry.endsWith('.ts') ? ['--import', 'tsx', entry] : [entry];
  const child = spawn(process.execPath, [...command, ...args], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin?.end(input ?? '');
  return collect(child, timeoutMs ?? 60_000);
}

/** The bin with these arguments. */
export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  options: RunOptions = {},
): Promise<CliResult> {
  return runEntry(BIN, args, env, options);
}

/**
 * A shell pipeline, as typed at a prompt: `$CLI` is the bin. The exit code is the bin's (`pipefail` semantics
 * need bash; the first command's status is read from PIPESTATUS).
 */
export function runPipeline(
  script: string,
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<CliResult> {
  const child = spawn('bash', ['-c', `${script}; exit \${PIPESTATUS[0]}`], {
    cwd: ROOT,
    env: childEnv({ CLI: `${process.execPath} ${BIN}`, ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collect(child, timeoutMs);
}

/** Whether `script` (util-linux) is here to give a command a terminal. */
export function canRunOnTerminal(): boolean {
  return spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * The bin on a pseudo-terminal, as a person at a prompt runs it (through util-linux `script`): stdout is a TTY.
 * What it printed comes back with the terminal's `\r\n` turned into `\n`; stderr is merged into it.
 */
export async function runOnTerminal(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const quoted = [process.execPath, BIN, ...args].map((word) => `'${word.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qec', quoted, '/dev/null'], {
    cwd: ROOT,
    env: childEnv({ COLUMNS: '160', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const result = await collect(child, 60_000);
  return { ...result, stdout: result.stdout.replace(/\r\n/g, '\n') };
}

/** Starts the bin and leaves it running (a `local up`, a `sim`); the caller stops it. */
export function startCli(args: readonly string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Runs the CLI in this process, built as the bin builds it (`buildProgram`), and captures what it writes: the same
 * commands, messages and exit codes, without a child process's start-up time. For tests of many invocations.
 * stdin is an empty pipe, as for the child process: a command told to read `-` reads nothing, rather than the test
 * runner's own stdin, which never ends.
 */
export async function runCliInProcess(args: readonly string[]): Promise<CliResult> {
  const { CommanderError } = await import('commander');
  const { buildProgram } = await import('../../bin/program');
  const { describeError } = await import('../../bin/commands/errors');
  const out: string[] = [];
  const err: string[] = [];
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  const previousExitCode = process.exitCode;
  process.exitCode = undefined;
  const stdin = Object.getOwnPropertyDescriptor(process, 'stdin');
  Object.defineProperty(process, 'stdin', { value: Readable.from([]), configurable: true });
  let code = 0;
  try {
    const program = buildProgram();
    const all = (command: typeof program): Array<typeof program> => [
      command,
      ...command.commands.flatMap(all),
    ];
    for (const command of all(program)) {
      command.exitOverride();
      command.configureOutput({ writeOut: (text) => out.push(text), writeErr: (text) => err.push(text) });
    }
    await program.parseAsync(['node', 'pool-autoscaler', ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) code = error.exitCode;
    else {
      // What bin/cli.ts prints for an error that reaches it.
      const described = describeError(error);
      err.push(`error: ${described.message}\n`);
      code = described.code;
    }
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    process.exitCode = previousExitCode;
    if (stdin !== undefined) Object.defineProperty(process, 'stdin', stdin);
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}
