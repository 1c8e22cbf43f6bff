import { Command } from 'commander';
import { registerCommands } from './commands/index';

const program = new Command();
program
  .name('pool-autoscaler')
  .description('Autoscaler for Huawei Cloud ModelArts resource pools: operator CLI')
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: true });

registerCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
