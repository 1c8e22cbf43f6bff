import { Command, CommanderError } from 'commander';
import { vi } from 'vitest';
import { registerCommands } from '../../bin/commands/index';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the operator CLI in process, built as `bin/cli.ts` builds it, with commander's exits turned into
 * exceptions: returns what an operator would see on stdout and stderr, and the exit code.
 */
export async function runCli(args: string[]): Promise<CliResult> {
  let stderr = '';
  let stdout = '';
  const program = new Command();
  program
    .name('pool-autoscaler')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => {
        stdout += text;
      },
      writeErr: (text) => {
        stderr += text;
      },
    })
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  registerCommands(program);
  const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const outSpy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  let code = 0;
  try {
    await program.parseAsync(['node', 'pool-autoscaler', ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) code = error.exitCode;
    else {
      // What bin/cli.ts prints for an error that reaches it.
      stderr += `error: ${error instanceof Error ? error.message : String(error)}\n`;
      code = 1;
    }
  } finally {
    errSpy.mockRestore();
    outSpy.mockRestore();
    process.exitCode = undefined;
  }
  return { code, stderr, stdout };
}
