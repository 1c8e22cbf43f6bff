import { execFile } from 'node:child_process';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const ROOT = new URL('../../', import.meta.url).pathname;

/** Runs a TypeScript entry point of `bin/` in a child process, as a user would, with stdout not a terminal. */
export function runEntry(
  entry: string,
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', entry, ...args],
      {
        cwd: ROOT,
        timeout: timeoutMs,
        env: {
          ...process.env,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          NO_COLOR: '1',
          ...env,
        },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runEntry('bin/cli.ts', args, env);
}

/**
 * Runs the CLI in this process (a fresh commander program per call) and captures what it writes: the same
 * commands and exit codes as the binary, without a child process's start-up time.
 */
export async function runCliInProcess(args: readonly string[]): Promise<CliResult> {
  const { Command, CommanderError } = await import('commander');
  const { registerCommands } = await import('../../bin/commands/index');
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
  let code = 0;
  try {
    const program = new Command().name('pool-autoscaler').exitOverride();
    program.configureOutput({ writeOut: (text) => out.push(text), writeErr: (text) => err.push(text) });
    registerCommands(program);
    for (const command of program.commands) {
      command.exitOverride();
      for (const sub of command.commands) sub.exitOverride();
    }
    await program.parseAsync(['node', 'pool-autoscaler', ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) code = error.exitCode;
    else {
      err.push(`error: ${(error as Error).message}\n`);
      code = 1;
    }
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    process.exitCode = previousExitCode;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}
