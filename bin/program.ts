import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerCommands } from './commands/index';
import { helpHint } from './commands/errors';

/** The package's version, read from its package.json wherever this file runs from (checkout or dist/). */
export function packageVersion(): string {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const json = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (json.name === 'pool-autoscaler' && json.version) return json.version;
    } catch {
      // not this one
    }
  }
  return '0.0.0';
}

/** Every command and its subcommands, depth first. */
function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

/**
 * The operator CLI as the bin runs it. A usage error prints the error and where to read more, not the whole
 * help; `--help` of every command ends with examples.
 */
export function buildProgram(): Command {
  const program = new Command()
    .name('pool-autoscaler')
    .description('Autoscaler for Huawei Cloud ModelArts resource pools: operator CLI')
    .version(packageVersion(), '-V, --version', 'print the version')
    .configureHelp({ sortSubcommands: true, showGlobalOptions: false })
    .addHelpText(
      'after',
      `
Output: -o json|tsv|table on every command that prints data (table on a terminal, tsv otherwise).
Exit codes: 0 done, 1 invalid input or a failed operation, 3 version conflict, 4 no such policy.

Examples:
  $ pool-autoscaler local up                      # DynamoDB Local, the tables and the simulator, until Ctrl-C
  $ pool-autoscaler policy apply policies/ --dry-run
  $ pool-autoscaler activities --pool P --since 1h
  $ pool-autoscaler evaluate --pool P --dry-run`,
    );
  registerCommands(program);
  for (const command of allCommands(program)) command.showHelpAfterError(helpHint(command));
  return program;
}
